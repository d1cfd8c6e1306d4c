"""Every rule mutant run alone and in its group's batch: the same failed assertions, all 122.

The suite (tests/alerting/test_rules.py) runs the mutants in one promtool process per test group
(tests/support/mutants.py) and, on every run, compares the 57 mutants of the cheap groups with
their runs alone. This compares all of them, the expensive groups too (about 280 CPU-seconds):
run it after changing the rules, their tests or the batching.
Usage: .venv/bin/python scripts/check_mutant_batches.py
"""

from __future__ import annotations

import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.alerting.test_rules import MUTANTS, PROMETHEUS_DIR, _alone, run  # noqa: E402
from tests.support.monitoring import tool  # noqa: E402
from tests.support.mutants import caught, write_batch  # noqa: E402


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="mutants-"))
    groups = sorted({m.group for m in MUTANTS})
    batches = {g: write_batch(PROMETHEUS_DIR / "tests", g, [m for m in MUTANTS if m.group == g], tmp / g) for g in groups}
    alone = {m.index: _alone(m, tmp / f"alone{m.index}") for m in MUTANTS}

    def output(job: tuple[Path, Path]) -> str:
        result = run(tool("promtool"), "test", "rules", job[1], cwd=job[0])
        return result.stdout + result.stderr

    with ThreadPoolExecutor(max_workers=2) as pool:
        in_batch = {g: caught(o) for g, o in zip(batches, pool.map(output, [(b.root, b.test_file) for b in batches.values()]), strict=True)}
        by_itself = {i: caught(o) for i, o in zip(alone, pool.map(output, list(alone.values())), strict=True)}
    differ = 0
    for m in MUTANTS:
        itself, batched = by_itself[m.index], in_batch[m.group].get(m.index, set())
        if set(itself) != {None} or itself[None] != batched:
            differ += 1
            print(f"mutant {m.index} ({m.group}, {m.old!r} -> {m.new!r}): alone {itself}, in the batch {batched}")
    print(f"{len(MUTANTS)} mutants, {len(batches)} batches: {differ} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
