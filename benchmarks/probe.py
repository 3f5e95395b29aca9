"""The fresh-process part of the benchmark: cold import, cold load-and-compile, peak memory.

Run by the runner as ``python -m benchmarks.probe ARGS``; prints one JSON object on its last line.
A fresh interpreter is the only honest cold start: nothing is imported, no grammar is built, no ruleset
is cached. Peak memory is the process's ``ru_maxrss`` (everything, C extensions included) and, with
``--tracemalloc``, the peak of Python allocations (which slows the load about twofold, so its times are
not reported).
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import tracemalloc  # noqa: E402
from collections import Counter  # noqa: E402

__all__ = ["current_rss_mb", "maxrss_mb", "main", "short_path"]

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def maxrss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Current resident set size in MiB (from /proc; 0 where there is none)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def short_path(path: str) -> str:
    """A source path as it reads best in a profile: relative to the repository, site-packages or the stdlib."""
    if path.startswith(_REPO):
        return path[len(_REPO):]
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1]
    return re.split(r"/lib/python3\.\d+/", path)[-1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.probe")
    ap.add_argument("--root", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--cases", help="a JSON file with a list of cases to evaluate after loading")
    ap.add_argument("--max-true-at-once", type=int, help="set engine._durable.MAX_TRUE_AT_ONCE first")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="trace Python allocations; report their peaks and what the loaded ruleset holds")
    ap.add_argument("--profile", help="cProfile the load and write the stats to this file (times are inflated)")
    ap.add_argument("--gc-off", action="store_true", help="disable the garbage collector first (a diagnostic)")
    args = ap.parse_args(argv)
    if args.gc_off:
        gc.disable()
    out: dict = {"rss_start_mb": round(current_rss_mb(), 1)}
    if args.tracemalloc:
        tracemalloc.start()
    t = time.perf_counter()
    import engine
    import engine._durable

    out["import_s"] = time.perf_counter() - t
    if args.max_true_at_once:
        engine._durable.MAX_TRUE_AT_ONCE = args.max_true_at_once
    out["rss_after_import_mb"] = round(current_rss_mb(), 1)
    if args.tracemalloc:
        tracemalloc.reset_peak()
    if args.tracemalloc:
        gc.collect()
        before = Counter(type(o).__name__ for o in gc.get_objects())
    prof = cProfile.Profile() if args.profile else None
    t, c = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    rs = engine.load_ruleset(args.target, root=args.root)
    if prof:
        prof.disable()
        prof.dump_stats(args.profile)
    out["load_s"] = time.perf_counter() - t
    out["load_cpu_s"] = time.process_time() - c
    out["gc_tracked_objects"] = len(gc.get_objects())
    if args.tracemalloc:
        out["tracemalloc_load_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        gc.collect()
        snap = tracemalloc.take_snapshot()
        out["tracemalloc_top"] = [{"where": f"{short_path(s.traceback[0].filename)}:{s.traceback[0].lineno}",
                                   "mb": s.size / 2**20, "count": s.count} for s in snap.statistics("lineno")[:15]]
        out["objects_by_type"] = (Counter(type(o).__name__ for o in gc.get_objects()) - before).most_common(12)
    t = time.perf_counter()
    engine.load_ruleset(args.target, root=args.root)
    out["cached_load_us"] = (time.perf_counter() - t) * 1e6
    out["maxrss_after_load_mb"] = round(maxrss_mb(), 1)
    gc.collect()
    out["rss_after_load_mb"] = round(current_rss_mb(), 1)
    if args.tracemalloc:
        out["tracemalloc_retained_mb"] = tracemalloc.get_traced_memory()[0] / 2**20
    if args.cases:
        with open(args.cases, encoding="utf-8") as fh:
            cases = json.load(fh)
        if args.tracemalloc:
            tracemalloc.reset_peak()
        t = time.perf_counter()
        results = engine.evaluate_many(cases, rs)
        out["evaluated"] = len(results)
        out["evaluate_s"] = time.perf_counter() - t
        if args.tracemalloc:
            out["tracemalloc_eval_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    out["maxrss_mb"] = round(maxrss_mb(), 1)
    out["rss_end_mb"] = round(current_rss_mb(), 1)
    out["process_s"] = time.perf_counter() - _T0
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
