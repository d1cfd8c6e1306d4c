"""A longer run of the decoder's equivalence property (tests/unit/test_decode_equivalence.py) with
fresh randomness: the fast path, the exact path and the oracle must agree on every message.

The suite runs a fixed, derandomized set of examples; this runs --examples more with a new seed
each time and prints the seed. A failure prints the shrunk batch: add it to FOUND in the test file
(and as an @example) so that every later run of the suite tries it first.
Usage: .venv/bin/python scripts/fuzz_decoder.py [--examples 20000] [--seed N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.unit.test_decode_equivalence import batches, check_equivalent  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=None, help="default: a new one, printed")
    args = parser.parse_args()
    chosen = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"seed {chosen}, {args.examples} batches of up to 48 messages")
    started = time.monotonic()

    @seed(chosen)
    @settings(max_examples=args.examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(batches())
    def run(batch: tuple[str, list[bytes]]) -> None:
        check_equivalent(*batch)

    run()
    print(f"no difference in {args.examples} batches ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
