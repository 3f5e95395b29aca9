"""``python -m benchmarks.impact``: `zhifa impact` on a generated archive, one process against a Dask LocalCluster.

Generates an archive for hangzhou/shangcheng (`benchmarks.archive`, JSON Lines), then runs the issue-17
comparison (hangzhou before and from 2024-07-01) through `engine.impact.impact` twice: in this process
(``scheduler=None``) and on a LocalCluster of ``--workers`` single-threaded processes. Prints throughput
(cases per second; each case is evaluated twice), the ratio, the resident memory of each worker at the end, the
client's peak memory, and checks that both runs give identical results.

    python -m benchmarks.impact                    # 1,000,000 cases (long on a small machine)
    python -m benchmarks.impact --cases 20000      # what benchmarks/RESULTS.md records for a shared 2-core machine
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import engine
from benchmarks.archive import generate_archive
from engine import archive, impact, scale
from engine.impact import Side


def _digest(stream) -> tuple[str, int, int]:
    h = hashlib.sha256()
    n = changed = 0
    for c in stream:
        h.update(c.model_dump_json().encode())
        n += 1
        changed += bool(c.changes)
    return h.hexdigest(), n, changed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures (and write them as JSON with --json)."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.impact", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--partition-size", type=int, default=scale.PARTITION_SIZE)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, metavar="PATH")
    a = p.parse_args(argv)
    rs = engine.load_ruleset("hangzhou/shangcheng")
    before, after = Side(target=rs.name, on=date(2024, 6, 30)), Side(target=rs.name, on=date(2024, 7, 1))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        t = time.perf_counter()
        with open(path, "w", encoding="utf-8") as fh:
            for c in generate_archive(rs, a.cases, seed=a.seed):
                fh.write(json.dumps(c, ensure_ascii=False) + "\n")
        print(f"generated {a.cases:,} cases in {time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")

        t = time.perf_counter()
        d1, n1, ch1 = _digest(impact.impact(archive.read_records(path), before, after,
                                            partition_size=a.partition_size))
        one = time.perf_counter() - t
        print(f"one process: {n1:,} cases in {one:.1f} s = {n1 / one:,.0f} cases/s ({ch1:,} changed)")

        mem: dict = {}
        t = time.perf_counter()
        with scale.client("local", workers=a.workers) as c:
            start = time.perf_counter() - t
            d2, n2, ch2 = _digest(impact.impact(archive.read_records(path), before, after,
                                                partition_size=a.partition_size, scheduler=c.scheduler.address))
            mem = scale.worker_memory(c)
        dask_s = time.perf_counter() - t
        print(f"LocalCluster ({a.workers} workers): {n2:,} cases in {dask_s:.1f} s = {n2 / dask_s:,.0f} cases/s "
              f"(cluster start {start:.1f} s)")
        print("worker memory (RSS at end): " + ", ".join(f"{v / 2**20:.0f} MiB" for v in mem.values()))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"client peak RSS: {peak:.0f} MiB; ratio (cluster / one process throughput): {one / dask_s:.2f}x")
        print(f"identical results: {d1 == d2 and n1 == n2 == a.cases}; load average {os.getloadavg()[0]:.2f}")
    if a.json:
        Path(a.json).write_text(json.dumps({"cases": a.cases, "workers": a.workers, "one_process_s": one,
                                            "cluster_s": dask_s, "ratio": one / dask_s, "identical": d1 == d2,
                                            "worker_rss": list(mem.values()), "client_peak_mib": peak}),
                                encoding="utf-8")
    return 0 if d1 == d2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
