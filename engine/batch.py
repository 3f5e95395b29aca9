"""Batches: many cases, one result each, in order, in this process or in forked worker processes.

Owns `evaluate_many`, `iter_evaluate` (the streaming form the command line uses) and `error_record`. A worker
process reports each result as soon as it is decided, so when a worker dies the parent knows exactly which
case it was deciding: that case is retried once alone in a fresh worker (an `ErrorRecord` with
``error="WorkerDied"`` if it kills that one too) and the rest of its chunk goes back to the queue. Nothing is
lost, and recovery costs one fork per death: linear in the number of cases and deaths.
Imports `evaluate`, `case`, `decision`, `errors`, `ruleset`.
"""

from __future__ import annotations

import collections
import gc
import itertools
from typing import Any, Iterable, Iterator, Mapping

from engine.case import Case, parse_case, unreadable
from engine.decision import Decision, ErrorRecord
from engine.errors import CaseError, EngineError, RulesetError
from engine.evaluate import evaluate
from engine.ruleset import Ruleset

__all__ = ["evaluate_many", "iter_evaluate", "error_record"]

WINDOW_CHUNKS = 4
"""Chunks in flight per worker process: bounds the cases held in memory to about
``processes * WINDOW_CHUNKS * chunk_size`` whatever the length of the input."""


def _case_id(case: Any) -> str | None:
    cid = case.get("case_id") if isinstance(case, Mapping) else getattr(case, "case_id", None)
    return cid if isinstance(cid, str) and not unreadable(cid) else None  # a refused id is never echoed


def error_record(index: int, case: Any, exc: EngineError) -> ErrorRecord:
    """The record that stands in a batch's output for a case that could not be evaluated."""
    problems: tuple[dict, ...] = ()
    if isinstance(exc, CaseError):
        problems = tuple(p.model_dump() for p in exc.problems)
    elif isinstance(exc, RulesetError):
        problems = tuple({"path": str(d.span), "message": d.message, "code": d.code} for d in exc.errors)
    cid = (exc.case_id if isinstance(exc, CaseError) else None) or _case_id(case)
    return ErrorRecord(case_id=cid, index=index, error=type(exc).__name__, message=str(exc), problems=problems)


def _died(index: int, case: Any) -> ErrorRecord:
    return ErrorRecord(case_id=_case_id(case), index=index, error="WorkerDied",
                       message="the worker process died on this case")


def _one(case: Any, ruleset: Ruleset, index: int) -> Decision | ErrorRecord:
    try:
        return evaluate(case, ruleset)
    except EngineError as exc:
        return error_record(index, case, exc)


def _worker(conn, ruleset: Ruleset) -> None:  # pragma: no cover - runs in a forked child
    """A worker's loop: take ``(start, cases)`` chunks, send ``(index, record)`` per case, ``None`` per chunk."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it ends the workers
    # This process is the engine's own: keep the inherited heap (the ruleset) out of the collector's reach, so
    # collections neither rescan it nor copy its pages by touching their headers.
    gc.freeze()
    try:
        while True:
            task = conn.recv()
            if task is None:
                return
            start, cases = task
            for i, cs in enumerate(cases):
                rec = cs if isinstance(cs, ErrorRecord) else _one(cs, ruleset, start + i)
                conn.send((start + i, rec.model_dump(mode="json")))
            conn.send(None)
    except (EOFError, OSError, KeyboardInterrupt):
        return


def _record(rec: dict) -> Decision | ErrorRecord:
    return ErrorRecord.model_validate(rec) if "error" in rec and "index" in rec else Decision.model_validate(rec)


class _Worker:
    """One forked worker process, its pipe, the chunk it is deciding and how many results of it came back."""

    def __init__(self, ctx, ruleset: Ruleset):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, ruleset), daemon=True)
        self.proc.start()
        child.close()
        self.task: tuple[int, list] | None = None
        self.solo = False  # deciding a case that was running when another worker died
        self.received = 0

    def give(self, task: tuple[int, list], solo: bool = False) -> bool:
        """Send a chunk; False if the worker is already gone."""
        try:
            self.conn.send(task)
        except (OSError, ValueError):
            return False
        self.task, self.solo, self.received = task, solo, 0
        return True

    def end(self, kill: bool) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
        self.conn.close()
        self.proc.join(timeout=10)
        if self.proc.is_alive():  # pragma: no cover - a worker that ignores the end of its pipe
            self.proc.kill()
            self.proc.join()


def _prepared(cases: Iterable[Any]) -> Iterator[tuple[int, Any]]:
    # Validate in the parent: a malformed case becomes its error record here, and workers only ever
    # receive `Case` models, which always pickle.
    for i, cs in enumerate(cases):
        if isinstance(cs, ErrorRecord):
            yield i, cs
            continue
        try:
            yield i, parse_case(cs)
        except CaseError as exc:
            yield i, error_record(i, cs, exc)


def iter_evaluate(cases: Iterable[Case | Mapping[str, Any]], ruleset: Ruleset, *, processes: int | None = None,
                  chunk_size: int = 500) -> Iterator[Decision | ErrorRecord]:
    """Like `evaluate_many`, but yield each result, in input order, as soon as it and those before it are decided.

    `cases` is consumed lazily: at most about ``processes * WINDOW_CHUNKS * chunk_size`` cases and results are
    held at once, so a long input streams in bounded memory. Closing the generator (or an exception such as
    KeyboardInterrupt while it runs) ends the worker processes. An `ErrorRecord` among the cases stands for
    itself (the command line passes a line that is not JSON this way).
    """
    if not processes or processes <= 1:
        for i, cs in enumerate(cases):
            yield cs if isinstance(cs, ErrorRecord) else _one(cs, ruleset, i)
        return
    import multiprocessing
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("fork")
    source = _prepared(cases)
    chunk_size = max(1, chunk_size)
    limit = processes * WINDOW_CHUNKS * chunk_size
    pending: collections.deque[tuple[int, list]] = collections.deque()  # chunks waiting for a worker
    solos: collections.deque[tuple[int, Any]] = collections.deque()  # cases running when their worker died
    done: dict[int, dict] = {}
    workers: list[_Worker] = []
    next_out = held = 0  # held: cases read from the input and not yet yielded
    exhausted = False
    ok = False
    try:
        while True:
            # yield what is decided, in order, then read ahead within the window
            while next_out in done:
                rec = done.pop(next_out)
                next_out += 1
                held -= 1
                yield _record(rec)
            while not exhausted and held < limit:
                chunk = list(itertools.islice(source, chunk_size))
                if not chunk:
                    exhausted = True
                    break
                pending.append((chunk[0][0], [cs for _, cs in chunk]))
                held += len(chunk)
            busy = [w for w in workers if w.task is not None]
            if exhausted and not pending and not solos and not busy:
                ok = True
                return
            # hand out work: suspects first, each alone, then chunks; at most `processes` workers
            idle = [w for w in workers if w.task is None]
            while (solos or pending) and (idle or len(workers) < processes):
                if idle:
                    w = idle.pop()
                else:
                    w = _Worker(ctx, ruleset)
                    workers.append(w)
                task, solo = ((solos[0][0], [solos[0][1]]), True) if solos else (pending[0], False)
                if w.give(task, solo):
                    (solos if solo else pending).popleft()
                else:
                    workers.remove(w)
                    w.end(kill=True)
            busy = {w.conn: w for w in workers if w.task is not None}
            if not busy:  # never wait on nothing (it would block for ever)
                continue
            for conn in wait(list(busy)):
                w = busy[conn]
                while True:
                    try:
                        msg = conn.recv()
                    except (EOFError, OSError):
                        workers.remove(w)
                        w.end(kill=True)
                        _lost(w, done, pending, solos)
                        break
                    if msg is None:  # the chunk is finished
                        w.task = None
                        break
                    done[msg[0]] = msg[1]
                    w.received += 1
                    if not conn.poll():
                        break
    finally:
        for w in workers:
            w.end(kill=not ok)


def _lost(w: _Worker, done: dict, pending: collections.deque, solos: collections.deque) -> None:
    """A worker died. The case it was deciding is retried alone, or, if it was already alone, gets an error
    record; the rest of its chunk goes back to the front of the queue."""
    assert w.task is not None
    start, cases = w.task
    k = w.received  # results came back in order: case k was running
    if w.solo:
        done[start] = _died(start, cases[0]).model_dump(mode="json")
        return
    if k + 1 < len(cases):
        pending.appendleft((start + k + 1, cases[k + 1:]))
    solos.append((start + k, cases[k]))


def evaluate_many(cases: Iterable[Case | Mapping[str, Any]], ruleset: Ruleset, *, processes: int | None = None,
                  chunk_size: int = 500) -> list[Decision | ErrorRecord]:
    """Evaluate many cases; one result per input, in order, an `ErrorRecord` for a case that fails.

    Args:
        cases: the cases (mappings or `Case` values).
        ruleset: from `engine.load_ruleset`.
        processes: worker processes (forked after loading, so the ruleset is not rebuilt); 1 or None = in process.
        chunk_size: cases per task sent to a worker.

    A worker that dies takes no result with it: the case it was deciding is retried once alone in a fresh
    worker, and gets an `ErrorRecord` (``error="WorkerDied"``) only if it kills that worker too; the rest of
    its chunk is decided by the other workers.
    """
    items = cases if isinstance(cases, list) else list(cases)
    if processes and processes > 1 and len(items) <= chunk_size:
        processes = 1  # one chunk: forking costs more than it saves
    return list(iter_evaluate(items, ruleset, processes=processes, chunk_size=chunk_size))
