"""``python -m benchmarks.impact``: `zhifa impact` on a generated archive, one process against a Dask LocalCluster.

Generates an archive for hangzhou/shangcheng (`benchmarks.archive`, JSON Lines), then runs the issue-17
comparison (hangzhou before and from 2024-07-01) through `engine.impact.impact` twice: in this process
(``scheduler=None``) and on a LocalCluster of ``--workers`` single-threaded processes. Prints the machine, the
load average at start and end, throughput (cases per second of wall clock and per CPU-second: on a shared
machine only the latter compares), the ratio, each worker's resident memory (at the end and peak), the client's
peak memory, and checks that both runs give identical results (and, for 2,000 cases of seed 0, the digest
recorded before cases of unchanged items were decided once: `KNOWN_DIGESTS`).

    python -m benchmarks.impact                    # 1,000,000 cases (long on a small machine)
    python -m benchmarks.impact --cases 20000      # what benchmarks/RESULTS.md records for a shared 2-core machine
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import engine
from benchmarks.archive import generate_archive, write_jsonl
from engine import archive, impact, scale
from engine.impact import Side


#: the digest of the comparisons (`_digest`) of the default run for (cases, seed), recorded before
#: `engine.impact.alike_items` let a case of an unchanged item be decided once: a later run must match it
KNOWN_DIGESTS = {(2000, 0): "f5098f0cd6d4edff66831cf1106ddb88ce9137152676556481719571fcbc2ae4"}


def _digest(stream) -> tuple[str, int, int]:
    """SHA-256 over every comparison's JSON, in order (the stream is consumed, never held), cases, changed."""
    h = hashlib.sha256()
    n = changed = 0
    for c in stream:
        h.update(c.model_dump_json().encode())
        n += 1
        changed += bool(c.changes)
    return h.hexdigest(), n, changed


def _machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
            f"CPython {platform.python_version()}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures (and write them as JSON with --json)."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.impact", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--partition-size", type=int, default=scale.PARTITION_SIZE)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", choices=("one", "cluster"), default=None,
                   help="run one side only (no ratio, no identity check)")
    p.add_argument("--json", default=None, metavar="PATH")
    a = p.parse_args(argv)
    import dask
    import distributed

    load0 = os.getloadavg()
    print(f"machine: {_machine()}; dask {dask.__version__}, distributed {distributed.__version__}")
    print(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}", flush=True)
    rs = engine.load_ruleset("hangzhou/shangcheng")
    before, after = Side(target=rs.name, on=date(2024, 6, 30)), Side(target=rs.name, on=date(2024, 7, 1))
    fig: dict = {"cases": a.cases, "workers": a.workers, "seed": a.seed, "machine": _machine(),
                 "load_start": load0[0]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        t = time.perf_counter()
        write_jsonl(generate_archive(rs, a.cases, seed=a.seed), path)
        print(f"generated {a.cases:,} cases in {time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.0f} MB)",
              flush=True)

        digests = []
        if a.only != "cluster":
            t, cpu = time.perf_counter(), time.process_time()
            d1, n1, ch1 = _digest(impact.impact(archive.read_records(path), before, after,
                                                partition_size=a.partition_size))
            one = fig["one_process_s"] = time.perf_counter() - t
            cpu = fig["one_process_cpu_s"] = time.process_time() - cpu
            digests.append((d1, n1))
            print(f"one process: {n1:,} cases in {one:.1f} s = {n1 / one:,.0f} cases/s ({ch1:,} changed); "
                  f"CPU {cpu:.1f} s = {n1 / cpu:,.0f} cases per CPU-second; load average now "
                  f"{os.getloadavg()[0]:.2f}", flush=True)

        if a.only != "one":
            t = time.perf_counter()
            with scale.client("local", workers=a.workers) as c:
                start = time.perf_counter() - t
                cpu0, ccpu = c.run(time.process_time), time.process_time()
                d2, n2, ch2 = _digest(impact.impact(archive.read_records(path), before, after,
                                                    partition_size=a.partition_size, scheduler=c.scheduler.address))
                cpu1, ccpu = c.run(time.process_time), time.process_time() - ccpu
                mem = scale.worker_memory(c)
                peaks = c.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
            dask_s = fig["cluster_s"] = time.perf_counter() - t
            digests.append((d2, n2))
            fig["worker_rss"], fig["worker_peak_rss"] = list(mem.values()), list(peaks.values())
            print(f"LocalCluster ({a.workers} workers): {n2:,} cases in {dask_s:.1f} s = {n2 / dask_s:,.0f} cases/s "
                  f"(cluster start {start:.1f} s, included; {ch2:,} changed)")
            wcpu = fig["worker_cpu_s"] = [cpu1[w] - cpu0[w] for w in cpu1 if w in cpu0]
            fig["client_cpu_s"] = ccpu
            print(f"CPU: workers {' + '.join(f'{x:.1f}' for x in wcpu)} s (loading the sides included), client "
                  f"{ccpu:.1f} s: {n2 / max(wcpu, default=1):,.0f} cases per second of the busiest worker's CPU")
            print("worker memory: RSS at end " + ", ".join(f"{v / 2**20:.0f} MiB" for v in mem.values())
                  + "; peak " + ", ".join(f"{v / 2**20:.0f} MiB" for v in peaks.values()))
        peak = fig["client_peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"client peak RSS: {peak:.0f} MiB")
        if len(digests) == 2:
            fig["ratio"] = one / dask_s
            print(f"ratio (cluster / one process throughput): {one / dask_s:.2f}x")
        identical = len({d for d, _ in digests}) == 1 and all(n == a.cases for _, n in digests)
        fig["identical"], fig["digest"] = identical, digests[0][0]
        print(f"identical results (one process and cluster, SHA-256 over every comparison): "
              f"{'yes' if identical else 'NO'}; digest {digests[0][0][:16]}")
        known = KNOWN_DIGESTS.get((a.cases, a.seed))
        if known is not None:
            fig["matches_recorded"] = digests[0][0] == known
            print(f"matches the digest recorded before the speed-up: {'yes' if digests[0][0] == known else 'NO'}")
            identical &= digests[0][0] == known
        load1 = os.getloadavg()
        fig["load_end"] = load1[0]
        print(f"load average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    if a.json:
        Path(a.json).write_text(json.dumps(fig), encoding="utf-8")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
