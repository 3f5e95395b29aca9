"""Requests per second and latency of `zhifa serve` for single evaluations, with N concurrent clients on loopback.

Starts `zhifa serve` in its own process on a free 127.0.0.1 port (the embedded rulesets, default limits), waits
for /health, then for each client count runs that many client threads, each with one keep-alive connection,
posting the example cases in turn to /api/evaluate for a fixed time (after a warm-up). Every answer is checked
(status 200, the case's id echoed). Bounded: levels × (warm-up + duration) seconds, plus the start.

Usage: ``python -m benchmarks.service [--clients 1,4,16,64] [--seconds 5] [--warmup 1] [--append]``
(``--append`` adds the table to benchmarks/RESULTS.md with the machine and its load).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main())",
                             "serve", "--port", str(port), "--workers", str(workers)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"zhifa serve exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("zhifa serve did not answer /health within 60 s")


def _client(port: int, bodies: list[tuple[str, bytes]], stop: threading.Event, record: threading.Event,
            out: list[float], errors: list[str], offset: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = offset
    while not stop.is_set():
        cid, body = bodies[i % len(bodies)]
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/api/evaluate", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        dt = time.perf_counter() - t0
        if r.status != 200 or json.loads(data).get("case_id") != cid:
            errors.append(f"status {r.status}: {data[:200]!r}")
        elif record.is_set():
            out.append(dt)
    conn.close()


def _level(port: int, n: int, bodies: list[tuple[str, bytes]], warmup: float, seconds: float) -> dict:
    stop, record = threading.Event(), threading.Event()
    lat: list[list[float]] = [[] for _ in range(n)]
    errors: list[str] = []
    threads = [threading.Thread(target=_client, args=(port, bodies, stop, record, lat[k], errors, k * 7))
               for k in range(n)]
    for t in threads:
        t.start()
    time.sleep(warmup)
    record.set()
    t0 = time.perf_counter()
    time.sleep(seconds)
    record.clear()
    elapsed = time.perf_counter() - t0
    stop.set()
    for t in threads:
        t.join(60)
    all_lat = sorted(x for part in lat for x in part)
    q = statistics.quantiles(all_lat, n=100) if len(all_lat) >= 2 else [all_lat[0]] * 99
    return {"clients": n, "requests": len(all_lat), "rps": len(all_lat) / elapsed,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "max_ms": all_lat[-1] * 1000, "errors": len(errors),
            "first_error": errors[0] if errors else None}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a Markdown table; with --append, add it to benchmarks/RESULTS.md."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.service", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", default="1,4,16,64", help="client counts, comma-separated")
    ap.add_argument("--seconds", type=float, default=5.0, help="measured seconds per client count")
    ap.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each")
    ap.add_argument("--workers", type=int, default=4, help="the service's evaluation threads")
    ap.add_argument("--append", action="store_true", help="append the results to benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    levels = [int(x) for x in args.clients.split(",") if x.strip()]
    bodies = []
    for p in sorted((ROOT / "examples").glob("*.json")):
        case = json.loads(p.read_text(encoding="utf-8"))
        bodies.append((case["case_id"], json.dumps(case, ensure_ascii=False).encode("utf-8")))
    port = _free_port()
    load_before = os.getloadavg()
    proc = _start(port, args.workers)
    try:
        rows = [_level(port, n, bodies, args.warmup, args.seconds) for n in levels]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    load_after = os.getloadavg()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "?"
    lines = [f"### Service: single evaluations over HTTP ({datetime.now(timezone.utc):%Y-%m-%d}, commit {commit})", "",
             f"`python -m benchmarks.service --clients {args.clients} --seconds {args.seconds:g}`: `zhifa serve` "
             f"(uvicorn, {args.workers} evaluation threads) in its own process, the clients' threads in another, on "
             f"127.0.0.1; the {len(bodies)} example cases in turn; keep-alive connections; every answer checked.",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
             f"{platform.system()} {platform.release()}; load average {load_before[0]:.2f} before, "
             f"{load_after[0]:.2f} after (other work on the machine shares its cores).", "",
             "| clients | requests | requests/s | p50 ms | p99 ms | max ms | errors |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['clients']} | {r['requests']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                     f"{r['max_ms']:.1f} | {r['errors']} |")
    text = "\n".join(lines) + "\n"
    print(text)
    for r in rows:
        if r["first_error"]:
            print(f"clients {r['clients']}: first error: {r['first_error']}", file=sys.stderr)
    if args.append:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
