"""Write the generated tree with its benchmarks as tables, for load measurements in a fresh process.

    python -m benchmarks.load_tables DIR N           # the seed-0 tree of N items, every city file's benchmarks
                                                     # moved into tables (bench_table.to_table)
    python -m benchmarks.probe --root DIR --target hangzhou/xiaoshan   # then: its load time and peak memory

The tree is what the runner writes for its 500- and 50,000-item points (`generate_rulesets`, then
`bench_table.to_table` on each city file). To measure another engine on the same tree, run the probe from another
directory with that engine first on ``PYTHONPATH`` (``PYTHONPATH=/tmp/before:/path/to/this/checkout``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.bench_table import to_table
from benchmarks.generator import generate_rulesets


def make(directory: str, n: int) -> None:
    """Write the seed-0 tree of `n` items into `directory`, its city files' benchmarks as tables."""
    layout = generate_rulesets(Path(directory), seed=0, n_items=n)
    for f in sorted((layout.root / "hangzhou").glob("*.rules")):
        to_table(f, n)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    make(sys.argv[1], int(sys.argv[2]))
