"""Batches: many cases, one result each, in order, in this process or in forked worker processes.

Owns `evaluate_many`, `iter_evaluate` (the streaming form the command line uses) and `error_record`. A worker
process writes the index of the case it starts into memory it shares with the parent, so when a worker dies the
parent knows exactly which case it was deciding: that case is retried once alone in a fresh worker (an
`ErrorRecord` with ``error="WorkerDied"`` if it kills that one too) and the rest of its chunk goes back to the
queue. Nothing is lost, and recovery costs one fork per death: linear in the number of cases and deaths.

Speed (issue 16): the worker processes are kept between calls (one pool per process, forked again only when a
ruleset it did not inherit is asked for, or when it broke); cases travel as the plain data they came as (a case
that cannot be pickled is judged in the parent); decisions travel as their JSON, a few to a message (`SEND_EVERY`,
`SEND_WITHIN`), and are rebuilt in the parent by pydantic's JSON validator in Rust, or passed on as JSON to a
caller that asks for it (``dumped``: the command line); the garbage collector is paused while a batch runs (an
evaluation leaves about one cyclic object behind, collected afterwards) and the inherited heap is frozen in the
workers.
Imports `evaluate`, `case`, `decision`, `errors`, `ruleset`.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import gc
import itertools
import os
import pickle
import threading
from typing import Any, Callable, Iterable, Iterator, Mapping

from engine.case import Case, parse_case, unreadable
from engine.decision import Decision, ErrorRecord
from engine.errors import CaseError, EngineError, RulesetError
from engine.evaluate import evaluate
from engine.ruleset import Ruleset, loaded

__all__ = ["evaluate_many", "iter_evaluate", "error_record"]

WINDOW_CHUNKS = 4
"""Chunks in flight per worker process: bounds the cases held in memory to about
``processes * WINDOW_CHUNKS * chunk_size`` whatever the length of the input."""

SEND_EVERY = 16
"""Results a worker sends in one message (fewer when `SEND_WITHIN` has passed or the chunk ends): a message per
result cost the parent a wake-up and the worker system calls each: 40,000 small decisions on 2 processes took
12.4 s of wall time that way, 11.0 s in groups (`zhifa evaluate -p 2`, the test county)."""
SEND_WITHIN = 0.05
"""Seconds after which a worker sends the results it holds, looked at after each case: results stream even when
cases are slow (one case that runs long still holds back those decided just before it until it ends)."""


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


def _worker(conn, rulesets: dict[int, Ruleset], deciding) -> None:  # pragma: no cover - runs in a forked child
    """A worker's loop: take ``(ruleset key, start, cases)`` chunks, send lists of ``(index, is_decision, JSON)``
    (see `SEND_EVERY`), then ``None`` per chunk. `rulesets`: every ruleset the parent had asked for when it forked,
    by key. `deciding`: shared memory where the index of the case being decided is written before it starts, so
    that the parent knows which case killed a worker even though results travel in groups."""
    import signal
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it ends the workers
    # This process is the engine's own: keep the inherited heap (the ruleset) out of the collector's reach, so
    # collections neither rescan it nor copy its pages by touching their headers; and no collection while a chunk
    # is decided (see the module's docstring).
    gc.freeze()
    try:
        while True:
            task = conn.recv()
            if task is None:
                return
            key, start, cases = task
            ruleset = rulesets[key]
            gc.disable()
            out: list[tuple[int, bool, str]] = []
            due = 0.0
            for i, cs in enumerate(cases):
                deciding.value = start + i
                rec = cs if isinstance(cs, ErrorRecord) else _one(cs, ruleset, start + i)
                out.append((start + i, isinstance(rec, Decision), rec.model_dump_json()))
                now = time.monotonic()
                if len(out) == 1:
                    due = now + SEND_WITHIN
                if len(out) >= SEND_EVERY or now >= due:
                    conn.send(out)
                    out = []
            gc.enable()
            if out:
                conn.send(out)
            conn.send(None)
    except (EOFError, OSError, KeyboardInterrupt):
        return


def _record(msg: tuple[bool, str]) -> Decision | ErrorRecord:
    is_decision, text = msg
    return Decision.model_validate_json(text) if is_decision else ErrorRecord.model_validate_json(text)


def _plain(cases: list, start: int) -> list:
    """The chunk as it can travel: a case that cannot be pickled is judged here (its `Case` model, or its error
    record), so that one odd input never stops a chunk."""
    out = []
    for i, cs in enumerate(cases):
        try:
            pickle.dumps(cs, pickle.HIGHEST_PROTOCOL)
            out.append(cs)
        except Exception:  # noqa: BLE001 - whatever pickling raises, the case is judged here instead
            try:
                out.append(parse_case(cs))
            except CaseError as exc:
                out.append(error_record(start + i, cs, exc))
    return out


class _Worker:
    """One forked worker process, its pipe, the chunk it is deciding and how many results of it came back."""

    def __init__(self, ctx, rulesets: dict[int, Ruleset]):
        self.conn, child = ctx.Pipe()
        self.deciding = ctx.RawValue("q", -1)  # the index of the case the worker is deciding (`_worker`)
        self.proc = ctx.Process(target=_worker, args=(child, rulesets, self.deciding), daemon=True)
        self.proc.start()
        child.close()
        self.task: tuple[int, list] | None = None
        self.solo = False  # deciding a case that was running when another worker died
        self.received = 0

    def give(self, key: int, task: tuple[int, list], solo: bool = False) -> bool:
        """Send a chunk of the ruleset `key`; False if the worker is already gone."""
        start, cases = task
        try:
            payload = pickle.dumps((key, start, cases), pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a case that does not pickle: judge it here, send the rest
            cases = _plain(cases, start)
            task = (start, cases)
            payload = pickle.dumps((key, start, cases), pickle.HIGHEST_PROTOCOL)
        self.deciding.value = -1  # idle: nothing it reported before belongs to this chunk
        try:
            self.conn.send_bytes(payload)
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


class _Pool:
    """Worker processes kept between calls. They are forked with every ruleset asked for so far (a ruleset is
    named in a task by its key); a call with a ruleset they do not hold, a different worker function (a test's
    stand-in), or from a forked child makes a new pool."""

    def __init__(self, ctx, rulesets: dict[int, Ruleset]):
        self.ctx, self.rulesets, self.pid, self.one = ctx, rulesets, os.getpid(), _one
        self.workers: list[_Worker] = []

    def fits(self, key: int, ruleset: Ruleset) -> bool:
        return self.pid == os.getpid() and self.rulesets.get(key) is ruleset and self.one is _one

    def spawn(self) -> _Worker:
        w = _Worker(self.ctx, self.rulesets)
        self.workers.append(w)
        return w

    def close(self, kill: bool = False) -> None:
        for w in self.workers:
            w.end(kill=kill)
        self.workers = []


_POOL: _Pool | None = None
_POOL_LOCK = threading.Lock()  # one call uses the kept pool at a time; a concurrent call gets its own
_KNOWN: dict[int, Ruleset] = {}  # the rulesets given to multi-process calls: a new pool inherits them all
KEEP_RULESETS = 32
"""At most this many rulesets are kept for the workers (a service that reloads rulesets does not pile them up)."""


@atexit.register
def _close_pool() -> None:
    global _POOL
    if _POOL is not None and _POOL.pid == os.getpid():
        _POOL.close()
    _POOL = None


@contextlib.contextmanager
def _pool_for(ruleset: Ruleset):
    """The kept pool, forked again if it does not hold `ruleset`; or, when another call is using it, a pool of
    this call's own (ended after it)."""
    global _POOL
    import multiprocessing

    key = id(ruleset)
    ctx = multiprocessing.get_context("fork")
    if not _POOL_LOCK.acquire(blocking=False):
        own = _Pool(ctx, {key: ruleset})
        try:
            yield key, own
        finally:
            own.close(kill=True)
        return
    try:
        if _KNOWN.get(key) is not ruleset:
            _KNOWN[key] = ruleset
            while len(_KNOWN) > KEEP_RULESETS:  # the oldest leaves; a pool forked with it keeps it until re-forked
                del _KNOWN[next(iter(_KNOWN))]
        if _POOL is None or not _POOL.fits(key, ruleset):
            if _POOL is not None and _POOL.pid == os.getpid():
                _POOL.close()
            # The new workers are told of every ruleset loaded by then too, not only those asked for: a caller
            # that loads several rulesets and then batches each in turn forks once, not once per ruleset (13
            # county rulesets of 5,170 items: 13 forks of a 500 MB process). A forked worker shares the parent's
            # memory whatever it is told, so this costs nothing there.
            _POOL = _Pool(ctx, {**{id(r): r for r in loaded()}, **_KNOWN})
        yield key, _POOL
    finally:
        _POOL_LOCK.release()


@contextlib.contextmanager
def _gc_paused():
    """No garbage collection while a batch runs: its results are long-lived objects the collector would scan
    again and again as they pile up; the little cyclic garbage an evaluation leaves is collected afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _prepared(cases: Iterable[Any]) -> Iterator[tuple[int, Any]]:
    # Cases travel to the workers as given (plain data pickles fast; parsing is the worker's job, which builds
    # the same error record the parent would); one that cannot be pickled is judged in the parent (`_plain`).
    return enumerate(cases)


def iter_evaluate(cases: Iterable[Case | Mapping[str, Any]], ruleset: Ruleset, *, processes: int | None = None,
                  chunk_size: int = 500, dumped: bool = False) -> Iterator[Any]:
    """Like `evaluate_many`, but yield each result, in input order, as soon as it and those before it are decided.

    `cases` is consumed lazily: at most about ``processes * WINDOW_CHUNKS * chunk_size`` cases and results are
    held at once, so a long input streams in bounded memory. Closing the generator (or an exception such as
    KeyboardInterrupt while it runs) ends the worker processes. An `ErrorRecord` among the cases stands for
    itself (the command line passes a line that is not JSON this way).

    With ``dumped=True`` each result comes as ``(is_decision, its model_dump_json())`` instead of the model: what
    a worker sent is passed on as it is, not rebuilt by pydantic here (for a caller that writes JSON anyway).
    """
    if not processes or processes <= 1:
        for i, cs in enumerate(cases):
            rec = cs if isinstance(cs, ErrorRecord) else _one(cs, ruleset, i)
            yield (isinstance(rec, Decision), rec.model_dump_json()) if dumped else rec
        return
    with _pool_for(ruleset) as (key, pool):
        yield from _run(cases, key, pool, processes, chunk_size, _same if dumped else _record)


def _same(msg: tuple[bool, str]) -> tuple[bool, str]:
    return msg


def _run(cases: Iterable[Any], key: int, pool: _Pool, processes: int, chunk_size: int,
         record: Callable[[tuple[bool, str]], Any] = _record) -> Iterator[Any]:
    from multiprocessing.connection import wait

    source = _prepared(cases)
    chunk_size = max(1, chunk_size)
    limit = processes * WINDOW_CHUNKS * chunk_size
    pending: collections.deque[tuple[int, list]] = collections.deque()  # chunks waiting for a worker
    solos: collections.deque[tuple[int, Any]] = collections.deque()  # cases running when their worker died
    done: dict[int, tuple[bool, str]] = {}
    workers = pool.workers
    for w in list(workers):  # a kept worker that died between calls is replaced
        if not w.proc.is_alive():
            workers.remove(w)
            w.end(kill=True)
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
                yield record(rec)
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
                w = idle.pop() if idle else pool.spawn()
                task, solo = ((solos[0][0], [solos[0][1]]), True) if solos else (pending[0], False)
                if w.give(key, task, solo):
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
                    for index, is_decision, text in msg:
                        done[index] = (is_decision, text)
                    w.received += len(msg)
                    if not conn.poll():
                        break
    finally:
        if not ok:  # stopped half-way (closed, interrupted): results may be in flight, so the pool is not kept
            pool.close(kill=True)
        elif len(workers) > processes:
            for w in workers[processes:]:
                w.end(kill=False)
            del workers[processes:]


def _lost(w: _Worker, done: dict, pending: collections.deque, solos: collections.deque) -> None:
    """A worker died. The case it was deciding is retried alone, or, if it was already alone, gets an error
    record; the rest of its chunk goes back to the front of the queue (those it had decided but not yet sent
    first: they are decided again)."""
    assert w.task is not None
    start, cases = w.task
    k = w.received  # results come back in order: cases[:k] are in
    j = w.deciding.value - start  # the case it had started when it died
    if not k <= j < len(cases):  # it died before starting one (reading the chunk): count it against the first
        j = k
    if w.solo:
        done[start] = (False, _died(start, cases[0]).model_dump_json())
        return
    if j + 1 < len(cases):
        pending.appendleft((start + j + 1, cases[j + 1:]))
    if k < j:
        pending.appendleft((start + k, cases[k:j]))
    solos.append((start + j, cases[j]))


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
    if processes and processes > 1 and len(items) <= chunk_size and (_POOL is None or not _POOL.workers):
        processes = 1  # one chunk and no workers kept: forking costs more than it saves
    with _gc_paused():
        return list(iter_evaluate(items, ruleset, processes=processes, chunk_size=chunk_size))
