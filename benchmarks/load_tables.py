"""Load time and peak memory of a generated tree whose benchmarks are tables, in a fresh process.

    python -m benchmarks.load_tables make DIR N          # write the seed-0 tree of N items, benchmarks as tables
    python -m benchmarks.load_tables load DIR            # load hangzhou/xiaoshan from it; prints wall, CPU, peak
    ENGINE=/tmp/before python -m benchmarks.load_tables load DIR   # another engine/ (e.g. from `git archive`)

The tree is what the runner writes for its 500- and 50,000-item points (`generate_rulesets`, then
`bench_table.to_table` on each city file). Run `load` in a new process each time: the figure includes parsing the
province layer and every table.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

if os.environ.get("ENGINE"):
    sys.path.insert(0, os.environ["ENGINE"])


def make(directory: str, n: int) -> None:
    from benchmarks.bench_table import to_table
    from benchmarks.generator import generate_rulesets

    layout = generate_rulesets(Path(directory), seed=0, n_items=n)
    for f in sorted((layout.root / "hangzhou").glob("*.rules")):
        to_table(f, n)


def load(directory: str, target: str = "hangzhou/xiaoshan") -> None:
    import engine

    t, c = time.perf_counter(), time.process_time()
    engine.load_ruleset(target, root=directory)
    print(f"{target} from {directory} (engine {os.path.dirname(engine.__file__)}): wall "
          f"{time.perf_counter() - t:.2f} s, CPU {time.process_time() - c:.2f} s, peak "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    if sys.argv[1:2] == ["make"]:
        make(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1:2] == ["load"]:
        load(sys.argv[2], *sys.argv[3:4])
    else:
        sys.exit(__doc__)
