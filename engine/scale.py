"""Archive-scale runs: partitions of cases evaluated in this process or on a Dask distributed cluster.

Owns `run` (a partition function over a stream of records, results in input order), the Dask client for
``--scheduler local`` (a LocalCluster on this machine) or ``--scheduler ADDRESS`` (an existing cluster),
`choose_scheduler` (the default: a LocalCluster above `LOCAL_THRESHOLD` cases), `evaluate_partition`,
the progress line, and ``zhifa evaluate --scheduler`` (`evaluate_command`).

How a cluster run stays exact and complete:

- The client reads the archive and sends partitions of raw records (`PARTITION_SIZE` each); at most a few
  partitions per worker are in flight, so memory stays bounded however large the archive.
- Each worker loads a ruleset once: `engine.impact.Side.load` keeps it per process, keyed by the ruleset's
  target, root, pinned date and the fingerprint of its files; a worker whose files differ from the client's
  fails the run rather than answering from other rules.
- Results are collected partition by partition in input order. A worker that dies takes its partitions with
  it; the scheduler runs them again on another worker (and the nanny restarts the dead one), so nothing is
  lost and nothing is counted twice: a partition's result is taken once, from the future that completes.

Workers need the engine and the ruleset files at the same paths as the client (for the embedded rulesets,
the same installed package). Built on the public facade; the core never imports this module. Dask is an
optional extra (``pip install 'zhifa[dask]'``), imported only when a cluster is used.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import deque
from typing import Any, Callable, Iterable, Iterator, Sequence

import engine
from engine.archive import (MissingExtra, Record, count_records, evaluate_parsed, is_parquet, parse_record,
                            read_records)

__all__ = ["LOCAL_THRESHOLD", "PARTITION_SIZE", "Progress", "choose_scheduler", "client", "dask_available",
           "evaluate_command", "evaluate_partition", "read_input", "run", "wanted", "worker_memory"]

#: cases per unit of work sent to a worker
PARTITION_SIZE = 1_000
LOG_LENGTH = 32  # messages Dask keeps per stream for debugging (see `client`)
#: above this many cases, ``zhifa evaluate --ruleset`` and ``zhifa impact`` start a LocalCluster by default
#: (when Dask is installed and the machine has more than one core): below it, starting the cluster and loading
#: the ruleset in every worker (a few seconds) costs more than it saves.
LOCAL_THRESHOLD = 50_000


def dask_available() -> bool:
    """Whether ``dask.distributed`` can be imported."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def _distributed():
    try:
        import distributed
    except ImportError:
        raise MissingExtra("running on a Dask cluster needs dask[distributed]: pip install 'zhifa[dask]'") from None
    return distributed


def choose_scheduler(requested: str | None, n_cases: int | None) -> str | None:
    """The scheduler to use: `requested` if given (``"none"`` means this process), else ``"local"`` for more
    than `LOCAL_THRESHOLD` cases when Dask is installed and there is more than one core, else None."""
    if requested:
        return None if requested == "none" else requested
    if n_cases is not None and n_cases > LOCAL_THRESHOLD and (os.cpu_count() or 1) > 1 and dask_available():
        return "local"
    return None


@contextlib.contextmanager
def client(scheduler: str, *, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: a LocalCluster of `workers` single-threaded processes (default: one per core) for
    ``"local"``, else connected to the scheduler at `scheduler` (``tcp://host:8786``). Closed on exit.

    Raises:
        MissingExtra: Dask is not installed.
    """
    distributed = _distributed()
    import dask

    # Dask keeps the last `low-level-log-length` messages of every batched stream (1,000 by default) for its own
    # debugging; each of our update-graph messages carries a partition's records, so at the default the client and
    # an in-process scheduler grew by ~1.5 KiB per case (1.45 GB after 1,000,000 cases). Read when the client,
    # scheduler and workers start, so the setting must hold while they are created.
    with dask.config.set({"distributed.admin.low-level-log-length": LOG_LENGTH}):
        if scheduler == "local":
            import logging

            # one thread per worker: the matcher's sessions are per process, and a thread would only contend
            with distributed.LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                          processes=True, dashboard_address=None,
                                          silence_logs=logging.ERROR) as cluster, \
                    distributed.Client(cluster) as c:
                yield c
        else:
            with distributed.Client(scheduler) as c:
                yield c


def _partitions(records: Iterable[Any], size: int) -> Iterator[tuple[int, list]]:
    part: list = []
    start = 0
    for r in records:
        part.append(r)
        if len(part) >= size:
            yield start, part
            start += len(part)
            part = []
    if part:
        yield start, part


def run(fn: Callable[..., list], head: Sequence[Any], records: Iterable[Any], *, scheduler: str | None = None,
        partition_size: int | None = None, tail: Sequence[Any] = (), progress: Callable[[int], None] | None = None,
        workers: int | None = None) -> Iterator[Any]:
    """Apply ``fn(*head, start, partition, *tail)`` to consecutive partitions of `records`; yield its results in
    input order.

    Args:
        fn: a module-level function (workers import it by name) returning one result per record.
        head, tail: the other arguments (small and picklable: they travel with every partition).
        scheduler: None (this process), ``"local"`` or a Dask scheduler address.
        partition_size: records per partition (default `PARTITION_SIZE`).
        progress: called with the number of records of each partition done.
        workers: worker processes of a LocalCluster.

    Raises:
        MissingExtra: a scheduler is given and Dask is not installed.
        Exception: whatever `fn` raises (after the cluster's retries).
    """
    size = partition_size or PARTITION_SIZE
    parts = _partitions(records, size)
    if scheduler is None:
        for start, part in parts:
            res = fn(*head, start, part, *tail)
            if progress:
                progress(len(part))
            yield from res
        return
    with client(scheduler, workers=workers) as c:
        n_workers = max(len(c.scheduler_info().get("workers", {})), 1)
        window: deque = deque()
        limit = 3 * n_workers  # partitions in flight: enough to keep every worker busy, bounded memory
        for start, part in parts:
            window.append((len(part), c.submit(fn, *head, start, part, *tail, pure=False, retries=3)))
            while len(window) >= limit:
                yield from _take(window, progress)
        while window:
            yield from _take(window, progress)


def _take(window: deque, progress: Callable[[int], None] | None) -> list:
    n, fut = window.popleft()
    res = fut.result()
    fut.release()
    if progress:
        progress(n)
    return res


def worker_memory(c: Any) -> dict[str, int]:
    """Resident memory (bytes) of each worker process of a Dask client's cluster."""
    def rss() -> int:
        import psutil

        return psutil.Process().memory_info().rss

    return c.run(rss)


def evaluate_partition(side: Any, start: int, records: list[Record]) -> list[dict]:
    """Evaluate one partition: a Decision or ErrorRecord (as JSON) per record, in order (the unit of work of
    ``zhifa evaluate --scheduler``)."""
    rs = side.load()
    return evaluate_parsed([(start + k, parse_record(r, start + k)) for k, r in enumerate(records)], rs)


class Progress:
    """A progress bar on stderr when it is a terminal (rich, through `engine.progress`); and one summary line at
    the end either way."""

    def __init__(self, total: int | None, what: str, stream: Any = None):
        self.total, self.what, self.done, self.t0 = total, what, 0, time.monotonic()
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: Any = None

    def __call__(self, n: int) -> None:
        self.done += n
        if self.tty:
            if self._bar is None:
                from engine.progress import Bar

                self._bar = Bar(self.stream, self.what, self.total, t0=self.t0)
            self._bar.update(self.done)

    def finish(self, extra: str = "") -> None:
        """End the bar, and print the summary line."""
        secs = time.monotonic() - self.t0
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self.stream.write(f"{self.what}: {self.done:,} cases in {secs:.1f} s ({self.done / max(secs, 1e-9):,.0f}/s)"
                          + (f"; {extra}" if extra else "") + "\n")
        self.stream.flush()


def read_input(path: str) -> tuple[Iterable[Record], str, int | None]:
    """The records of a command's input, its shape (``object``, ``list`` or ``lines``) and its size if known.

    A ``.jsonl``/``.ndjson`` or Parquet file is streamed; ``-`` and other files are read whole and may be a JSON
    object, a JSON list or JSON Lines.

    Raises:
        OSError, ValueError: the input cannot be read, or is empty or not JSON.
    """
    if is_parquet(path) or path.endswith((".jsonl", ".ndjson")):
        return read_records(path), "lines", count_records(path)
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8-sig").read()
    stripped = text.strip()
    if not stripped:
        raise ValueError("the input is empty")
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if "\n" not in stripped:
            raise ValueError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        lines = [(n, ln.rstrip("\r")) for n, ln in enumerate(stripped.split("\n"), 1) if ln.strip()]
        return lines, "lines", len(lines)
    if isinstance(data, list):
        return data, "list", len(data)
    return [data], "object", 1


def wanted(args: Any) -> bool:
    """Whether ``zhifa evaluate`` runs through this module: ``--scheduler`` given, or (with ``--ruleset`` and no
    ``--processes``) a ``.jsonl``/``.parquet`` archive above `LOCAL_THRESHOLD` cases when Dask is installed."""
    if getattr(args, "scheduler", None):
        return True
    if getattr(args, "processes", None) is not None:
        return False  # worker processes on this machine were asked for: no cluster is started behind them
    path = getattr(args, "case", "-")
    if not args.ruleset or path == "-" or not (is_parquet(path) or path.endswith((".jsonl", ".ndjson"))):
        return False
    try:
        return choose_scheduler(None, count_records(path)) is not None
    except (OSError, MissingExtra):
        return False  # the ordinary path reports the problem


def evaluate_command(args: Any) -> int:
    """``zhifa evaluate --scheduler``: evaluate on a Dask cluster (or in process for ``none``) and print the
    results exactly as the in-process command does (JSON object, list or lines, or ``--format text``)."""
    from engine.impact import Side

    if not args.ruleset:
        print("zhifa evaluate: --scheduler needs --ruleset (every worker loads that one ruleset)", file=sys.stderr)
        return 2
    try:
        records, shape, total = read_input(args.case)
    except (OSError, ValueError) as exc:
        print(f"zhifa evaluate: {exc}", file=sys.stderr)
        return 1
    side = Side(target=args.ruleset).sealed()
    scheduler = choose_scheduler(args.scheduler, total)
    progress = Progress(total if total and total >= 200 else None, "evaluate")
    failed = False
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(errors="backslashreplace")  # a lone surrogate is written as the JSON escape it came as
    results: list[dict] = []
    n = 0
    try:
        for n, r in enumerate(run(evaluate_partition, (side,), records, scheduler=scheduler, progress=progress), 1):
            failed |= "error" in r and "index" in r and "handler" not in r
            if shape == "lines" and args.format == "json":
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
            else:
                results.append(r)
    except KeyboardInterrupt:  # as the in-process command: what is written stays, one line, exit 130
        try:
            out.flush()
        except (OSError, ValueError):
            pass
        print(f"zhifa evaluate: interrupted; the first {n if shape == 'lines' else 0} result(s) were written",
              file=sys.stderr)
        return 130
    if total and total >= 200:
        progress.finish(f"scheduler {scheduler or 'none'}")
    if args.format == "text":
        texts = [f"案件 {r['case_id'] or '#' + str(r['index'])}：无法评估——{r['message']}"
                 if "error" in r and "index" in r and "handler" not in r else engine.Decision.model_validate(r).to_text()
                 for r in results]
        out.write("\n\n".join(texts) + "\n")
    elif shape == "object":
        out.write(json.dumps(results[0], ensure_ascii=False, indent=2) + "\n")
    elif shape == "list":
        out.write(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    return 1 if failed else 0
