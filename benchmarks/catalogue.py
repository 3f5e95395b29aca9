"""Load-and-check time of a 5,170-item catalogue alone (the DSL issue's figure).

Generates the benchmark tree, removes its 5,143 discretion benchmarks so that what is loaded is the
CSV catalogue, the empowerment lists and the policy rules, and times `engine.load_ruleset` (parse, layer,
check, compile) in a fresh process. Usage: ``python -m benchmarks.catalogue [--seed N]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.generator import generate_rulesets

_CHILD = """
import sys, time
t0 = time.perf_counter()
import engine
t1 = time.perf_counter()
rs = engine.load_ruleset(sys.argv[1], sys.argv[2])
t2 = time.perf_counter()
print(f"{len(rs.current.items)} items: import engine {t1 - t0:.2f} s, load+check+compile {t2 - t1:.2f} s, "
      f"{len(rs.warnings)} warnings")
"""


def _strip_benchmarks(path: Path) -> None:
    out, skipping = [], False
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("benchmark "):
            skipping = True
            continue
        if skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        skipping = False
        out.append(line)
    path.write_text("\n".join(out), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Generate, strip the benchmarks, and time a cold load in a fresh process; print the figure."""
    parser = argparse.ArgumentParser(description="load-and-check time of a 5,170-item catalogue")
    parser.add_argument("--seed", type=int, default=0)
    ns = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zhifa-catalogue-") as tmp:
        layout = generate_rulesets(tmp, seed=ns.seed)
        for rules in (Path(tmp) / "hangzhou").glob("*.rules"):
            _strip_benchmarks(rules)
        return subprocess.call([sys.executable, "-c", _CHILD, layout.targets[0], tmp])


if __name__ == "__main__":
    sys.exit(main())
