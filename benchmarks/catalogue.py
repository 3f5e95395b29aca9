"""Load-and-check time of a 5,170-item catalogue alone (the DSL issue's figure).

Generates the benchmark tree, removes its 5,143 discretion benchmarks so that what is loaded is the
CSV catalogue, the city's no-penalty lists, one county's agencies and empowerment lists and the province's
policy rules, and times `engine.load_ruleset` (parse, layer, check, compile) in fresh processes:

- the first load on a machine, which also builds the parser's tables from the grammar and keeps them in the
  user's cache directory (here a fresh temporary one);
- then ``--runs`` more fresh processes, which find those tables: the figure of every later load.

``import engine`` is timed apart. Usage: ``python -m benchmarks.catalogue [--seed N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.generator import generate_rulesets

_CHILD = """
import json, sys, time
t0 = time.perf_counter()
import engine
t1 = time.perf_counter()
rs = engine.load_ruleset(sys.argv[1], sys.argv[2])
t2 = time.perf_counter()
print(json.dumps({"items": len(rs.current.items), "warnings": len(rs.warnings), "import_s": t1 - t0,
                  "load_s": t2 - t1}))
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


def _run(target: str, root: str, cache_home: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "ZHIFA_CACHE_DIR"}  # no parsed-file cache: a cold load
    env["XDG_CACHE_HOME"] = cache_home
    out = subprocess.run([sys.executable, "-c", _CHILD, target, root], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    """Generate, strip the benchmarks, time cold loads in fresh processes; print the figures."""
    parser = argparse.ArgumentParser(description="load-and-check time of a 5,170-item catalogue")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=7, help="fresh processes after the first (default 7)")
    ns = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zhifa-catalogue-") as tmp:
        layout = generate_rulesets(Path(tmp) / "rulesets", seed=ns.seed)
        for rules in (Path(tmp) / "rulesets" / "hangzhou").glob("*.rules"):
            _strip_benchmarks(rules)
        target, root, cache_home = layout.targets[0], str(Path(tmp) / "rulesets"), str(Path(tmp) / "cache")
        first = _run(target, root, cache_home)
        later = [_run(target, root, cache_home) for _ in range(ns.runs)]
    loads = sorted(r["load_s"] for r in later)
    print(f"{target}: {first['items']} items, {first['warnings']} warnings; load+check+compile in a fresh process")
    print(f"  first load on the machine (builds the parser tables): {first['load_s']:.2f} s")
    print(f"  later loads, {ns.runs} processes: median {statistics.median(loads):.2f} s, "
          f"min {loads[0]:.2f} s, max {loads[-1]:.2f} s")
    print(f"  import engine: median {statistics.median(r['import_s'] for r in later):.2f} s more")
    return 0


if __name__ == "__main__":
    sys.exit(main())
