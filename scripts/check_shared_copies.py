"""Check that the package's copies of the shared reference files equal ../shared (run by .ci/run where it exists).

The package ships its own copies (streams/contract/reference/), so that the tests and the product
stand on this repository alone; this check keeps them equal to the originals in the sibling
`shared/` folder. Exit 0 when equal, 1 naming each file that differs, 2 when there is no
`shared/` folder to compare with.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FILES = ("departments.csv", "national_revenue_2020_cumulative.csv", "revenue_facts.csv")


def main() -> int:
    if not (SHARED / "reference").is_dir():
        print(f"no shared reference folder at {SHARED / 'reference'}: nothing to compare", file=sys.stderr)
        return 2
    copies = ROOT / "streams/contract/reference"
    differ = [name for name in FILES if (copies / name).read_bytes() != (SHARED / "reference" / name).read_bytes()]
    for name in differ:
        print(f"streams/contract/reference/{name} differs from {SHARED / 'reference' / name}", file=sys.stderr)
    if not differ:
        print(f"{len(FILES)} reference files equal their originals in {SHARED / 'reference'}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
