"""`evaluate_many` over 40,000 cases of one county on 1 and on 2 processes, alternating, best of 2, with the
machine's own ceiling (two CPU-bound Python processes against one).

    python -m benchmarks.many                       # this checkout's engine
    ENGINE=/tmp/before python -m benchmarks.many    # another engine/ (e.g. from `git archive`), same stream
    python -m benchmarks.many --counties 5          # 5 county rulesets loaded, then one call per county in turn

The cases are the generator's stream (seed 0) for hangzhou/xiaoshan, repeated to 40,000; a warm-up call keeps a
pool, as a long-running caller would. With ``--counties N``: the first N counties' cases of a 20,000-case stream,
every ruleset loaded first, then `evaluate_many` per county in turn on 1, 2, 1 and 2 processes (no warm-up: the
first 2-process round shows the forks).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time

if os.environ.get("ENGINE"):
    sys.path.insert(0, os.environ["ENGINE"])

import engine  # noqa: E402
from benchmarks.generator import generate_cases, generate_rulesets, split_ruleset  # noqa: E402

COUNTY = "hangzhou/xiaoshan"
N = 40_000


def _spin(n: int) -> None:
    x = 0
    for i in range(n):
        x += i


def ceiling() -> float:
    """How much faster two CPU-bound processes finish two units of work than one process finishes one each."""
    t = time.perf_counter()
    _spin(30_000_000)
    one = time.perf_counter() - t
    ps = [multiprocessing.Process(target=_spin, args=(30_000_000,)) for _ in range(2)]
    t = time.perf_counter()
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    return 2 * one / (time.perf_counter() - t)


def counties(n: int) -> int:
    tmp = tempfile.mkdtemp()
    layout = generate_rulesets(os.path.join(tmp, "t"), seed=0, n_items=5170)
    pairs = [split_ruleset(c) for c in generate_cases(layout, 20_000, 0)]
    names = sorted({name for name, _ in pairs})[:n]
    rulesets = {name: engine.load_ruleset(os.path.join(tmp, "t", name)) for name in names}
    groups = {name: [c for m, c in pairs if m == name] for name in names}
    print(f"{', '.join(f'{k} ({len(v):,})' for k, v in groups.items())}; engine from "
          f"{os.path.dirname(engine.__file__)}", flush=True)
    for p in (1, 2, 1, 2):
        t = time.perf_counter()
        k = sum(len(engine.evaluate_many(groups[name], rulesets[name], processes=p)) for name in names)
        print(f"{p} process(es): {k / (time.perf_counter() - t):,.0f} decisions/s over {k:,} cases", flush=True)
    print(f"load average {os.getloadavg()}")
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--counties"]:
        return counties(int(sys.argv[2]))
    tmp = tempfile.mkdtemp()
    layout = generate_rulesets(os.path.join(tmp, "t"), seed=0, n_items=5170)
    rs = engine.load_ruleset(os.path.join(tmp, "t", COUNTY))
    mine = [c for n, c in (split_ruleset(c) for c in generate_cases(layout, 120_000, 0)) if n == COUNTY]
    cases = (mine * (N // len(mine) + 1))[:N]
    print(f"{len(cases):,} cases of {COUNTY}; engine from {os.path.dirname(engine.__file__)}", flush=True)
    engine.evaluate_many(cases[:2000], rs, processes=2)
    best = {1: 0.0, 2: 0.0}
    for r in range(2):
        for p in (1, 2):
            t = time.perf_counter()
            out = engine.evaluate_many(cases, rs, processes=p)
            rate = len(cases) / (time.perf_counter() - t)
            assert len(out) == len(cases)
            best[p] = max(best[p], rate)
            print(f"round {r + 1}, {p} process(es): {rate:,.0f} decisions/s", flush=True)
    print(f"best: 1 process {best[1]:,.0f}/s, 2 processes {best[2]:,.0f}/s, ratio {best[2] / best[1]:.2f}x; "
          f"machine ceiling {ceiling():.2f}x; load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
