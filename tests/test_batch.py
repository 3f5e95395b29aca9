"""Batch integrity: one record per input, in order, errors included, whatever the inputs and even when a
worker process dies.

`engine.evaluate_many` (in process and with worker processes) and ``zhifa evaluate`` on JSON Lines and JSON
lists (run as a subprocess). A dying worker is simulated without touching engine code: `engine.batch._one`
is replaced before the pool forks, by a wrapper that calls ``os._exit`` in a child process when it meets a
sentinel case id.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import engine
from engine.decision import ErrorRecord
from conftest import TESTCOUNTY as FIXTURE, make_case
from test_concurrency import make_cases

EVALUATE = importlib.import_module("engine.batch")  # the module that holds `_one`, called in each worker (imported
# here: `import engine` imports its submodules lazily)
REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "engine.cli"]


def good(i: int, **over) -> dict:
    """The `i`-th valid case: the conftest case in 东街道 in 2023, its age and area varying with `i`."""
    return make_case(**{"case_id": f"G{i}", "place": {"county": "甲县", "township": "东街道"},
                        "occurred_on": "2023-03-01", "decided_on": "2023-04-01",
                        "party": {"kind": "individual", "age": 20 + i % 50}, "facts": {"面积": i % 15, "逾期不改正": True},
                        **over})


# Bad inputs of every kind: not objects, missing fields, unknown codes, impossible dates, wrong types.
BAD = [None, 7, "text", [], [good(0)], {}, {"case_id": "B-missing"}, good(1, case_id="B-item", item="ZJ-NOPE"),
       good(2, case_id="B-county", place={"county": "乙县"}), good(3, case_id="B-date", occurred_on="2023-02-30"),
       good(4, case_id="B-order", occurred_on="2024-01-01"), good(5, case_id="B-fact", facts={"面积": "１２"}),
       good(6, case_id="B-neg", facts={"面积": -1}), good(7, case_id="B-huge", facts={"面积": 10**30}),
       good(8, case_id="B-extra", surprise=1), good(9, case_id="B-nan", facts={"面积": float("nan")}),
       good(10, case_id=""), good(11, case_id=5), good(12, case_id="B-early", decided_on="2000-01-01",
                                                          occurred_on="2000-01-01")]


def mixed(n_good: int = 60) -> list:
    out: list = []
    for i in range(n_good):
        out.append(good(i))
        if i % 3 == 0:
            out.append(BAD[(i // 3) % len(BAD)])
    return out


def expected(cases, testcounty) -> list:
    out = []
    for c in cases:
        try:
            out.append(engine.evaluate(c, testcounty))
        except engine.EngineError as exc:
            out.append((type(exc).__name__, str(exc)))
    return out


def check_records(results, cases, testcounty, died: set[int] = frozenset()):
    """One record per input, in order; decisions equal `evaluate`; errors carry their index and case id."""
    assert len(results) == len(cases)
    for i, (r, c, want) in enumerate(zip(results, cases, expected(cases, testcounty))):
        cid = c.get("case_id") if isinstance(c, dict) and isinstance(c.get("case_id"), str) else None
        if i in died:
            assert isinstance(r, ErrorRecord) and r.error == "WorkerDied" and r.index == i and r.case_id == cid
        elif isinstance(want, engine.Decision):
            assert r == want, f"record {i} differs"
        else:
            assert isinstance(r, ErrorRecord), f"record {i}: {r!r}"
            assert (r.index, r.error, r.message) == (i, want[0], want[1]), f"record {i}"
            if cid and cid.strip():
                assert r.case_id == cid


def test_the_inputs_cover_every_kind_of_problem(testcounty):
    kinds = {w[0] if isinstance(w, tuple) else "Decision" for w in expected(BAD, testcounty)}
    assert kinds == {"CaseError"}


def test_in_process_one_record_per_input_in_order(testcounty):
    cases = mixed()
    check_records(engine.evaluate_many(cases, testcounty), cases, testcounty)


def test_an_iterator_of_cases_works_too(testcounty):
    cases = mixed(20)
    check_records(engine.evaluate_many(iter(cases), testcounty), cases, testcounty)


@pytest.mark.parametrize("chunk", [1, 7, 500])
def test_worker_processes_one_record_per_input_in_order(testcounty, chunk):
    cases = mixed(60)
    check_records(engine.evaluate_many(cases, testcounty, processes=2, chunk_size=chunk), cases, testcounty)


@pytest.fixture
def dying_worker(monkeypatch, tmp_path):
    """Make a worker process exit when it meets case id "DIE" (or "DIE-ONCE": only the first time)."""
    parent = os.getpid()
    once = tmp_path / "died-once"
    pids = tmp_path / "pids"
    real = EVALUATE._one

    def one(case, ruleset, index):
        if os.getpid() != parent:
            with open(pids, "a") as f:
                f.write(f"{os.getpid()}\n")
            cid = case.get("case_id") if isinstance(case, dict) else getattr(case, "case_id", None)
            if cid == "DIE" or (cid == "DIE-ONCE" and not once.exists()):
                once.touch()
                os._exit(3)
        return real(case, ruleset, index)

    monkeypatch.setattr(EVALUATE, "_one", one)
    return pids




def test_a_dying_worker_costs_one_error_record_and_nothing_else(testcounty, dying_worker):
    cases = mixed(40)
    cases[23] = good(23, case_id="DIE")
    results = engine.evaluate_many(cases, testcounty, processes=2, chunk_size=10)
    check_records(results, cases, testcounty, died={23})


def test_two_dying_cases_in_one_chunk(testcounty, dying_worker):
    cases = mixed(30)
    cases[3] = good(3, case_id="DIE")
    cases[5] = good(5, case_id="DIE")
    results = engine.evaluate_many(cases, testcounty, processes=2, chunk_size=8)
    check_records(results, cases, testcounty, died={3, 5})


def test_a_worker_that_dies_once_is_retried_and_the_case_decided(testcounty, dying_worker):
    cases = mixed(30)
    cases[11] = good(11, case_id="DIE-ONCE")
    results = engine.evaluate_many(cases, testcounty, processes=2, chunk_size=6)
    check_records(results, cases, testcounty)
    assert isinstance(results[11], engine.Decision) and results[11].case_id == "DIE-ONCE"


def test_one_dying_case_among_a_thousand(testcounty, dying_worker):
    cases = [good(i) for i in range(1000)]
    cases[437] = good(437, case_id="DIE")
    results = engine.evaluate_many(cases, testcounty, processes=2, chunk_size=50)
    died = [r.index for r in results if isinstance(r, ErrorRecord)]
    assert died == [437], f"{len(died)} cases reported WorkerDied: {died[:10]}"


def test_a_dying_worker_does_not_make_every_case_start_a_process(testcounty, dying_worker):
    cases = [good(i) for i in range(100)]
    cases[10] = good(10, case_id="DIE")
    engine.evaluate_many(cases, testcounty, processes=2, chunk_size=20)
    workers = set(dying_worker.read_text().split())
    assert len(workers) <= 12, f"{len(workers)} worker processes for 100 cases and one death"


def test_adjacent_dying_cases_lose_nothing(testcounty, dying_worker):
    # issue 14: two killers side by side broke the pool while the retry was still handing out the rest, and
    # the whole batch was lost with an exception
    cases = [good(i) for i in range(60)]
    for i in (20, 21, 22, 40):
        cases[i] = good(i, case_id="DIE")
    results = engine.evaluate_many(cases, testcounty, processes=2, chunk_size=5)
    check_records(results, cases, testcounty, died={20, 21, 22, 40})


def test_recovery_from_many_deaths_is_linear(testcounty, dying_worker):
    # issue 14: every death re-ran the rest of the batch one case at a time in a new one-worker pool
    # (quadratic); now each death costs one retry of the case that was running, so the forks and the
    # evaluations grow with the deaths, not with deaths x cases
    cases = [good(i) for i in range(400)]
    killers = set(range(7, 400, 13))
    for i in killers:
        cases[i] = good(i, case_id="DIE")
    results = engine.evaluate_many(cases, testcounty, processes=2, chunk_size=25)
    check_records(results, cases, testcounty, died=killers)
    workers = dying_worker.read_text().split()
    assert len(set(workers)) <= 2 * len(killers) + 2, f"{len(set(workers))} workers for {len(killers)} deaths"
    # a worker sends its results in groups: each death also re-decides the (at most SEND_EVERY - 1) cases it had
    # decided and not yet sent
    from engine.batch import SEND_EVERY

    bound = len(cases) + len(killers) * SEND_EVERY
    assert len(workers) <= bound, f"{len(workers)} evaluations for {len(cases)} cases"


def test_iter_evaluate_streams_in_a_bounded_window(testcounty):
    from engine.batch import WINDOW_CHUNKS, iter_evaluate

    read = []

    def source():
        for i in range(2000):
            read.append(i)
            yield good(i)

    it = iter_evaluate(source(), testcounty, processes=2, chunk_size=10)
    first = next(it)
    assert first.case_id == "G0"
    assert len(read) <= 2 * WINDOW_CHUNKS * 10 + 10, f"{len(read)} cases read before the first result"
    rest = list(it)
    assert [r.case_id for r in [first, *rest]] == [f"G{i}" for i in range(2000)]


def test_slow_cases_do_not_hold_back_the_results_before_them(testcounty, monkeypatch, tmp_path):
    # results travel in groups (SEND_EVERY), but a worker sends what it holds once SEND_WITHIN has passed, looking
    # after each case: in a 20-case chunk where cases 5 on take 60 ms each, case 8 waits in the worker until the
    # parent has received case 4 (it would not have without the time limit: 8 results make no group)
    from engine import batch

    assert batch.SEND_EVERY > 9 and batch.SEND_WITHIN < 0.12
    parent, seen, log = os.getpid(), tmp_path / "seen-4", tmp_path / "log"
    real = EVALUATE._one

    def one(case, ruleset, index):
        if os.getpid() != parent and index >= 5:
            time.sleep(0.06)
            if index == 8:
                for _ in range(400):
                    if seen.exists():
                        break
                    time.sleep(0.025)
                log.write_text("saw it" if seen.exists() else "timed out")
        return real(case, ruleset, index)

    monkeypatch.setattr(EVALUATE, "_one", one)
    out = []
    for rec in batch.iter_evaluate((good(i) for i in range(20)), testcounty, processes=2, chunk_size=20):
        out.append(rec.case_id)
        if rec.case_id == "G4":
            seen.touch()
    assert out == [f"G{i}" for i in range(20)]
    assert log.read_text() == "saw it"


def test_dumped_results_are_the_models_json(testcounty):
    from engine.batch import iter_evaluate

    cases = mixed(30)
    want = [(isinstance(r, engine.Decision), r.model_dump_json()) for r in engine.evaluate_many(cases, testcounty)]
    for p in (1, 2):
        assert list(iter_evaluate(cases, testcounty, processes=p, chunk_size=7, dumped=True)) == want


def test_workers_forked_after_loading_serve_every_loaded_ruleset(testcounty):
    # a caller that loads several rulesets and then batches each in turn forks its workers once
    from engine.ruleset import loaded

    batch = EVALUATE
    other = engine.load_ruleset(str(FIXTURE) + "/")  # another Ruleset object, kept by load_ruleset
    assert other is not testcounty and any(r is other for r in loaded())
    batch._close_pool()
    cases = [good(i) for i in range(600)]
    first = engine.evaluate_many(cases, testcounty, processes=2, chunk_size=50)
    pids = {w.proc.pid for w in batch._POOL.workers}
    second = engine.evaluate_many(cases, other, processes=2, chunk_size=50)
    assert {w.proc.pid for w in batch._POOL.workers} == pids and len(pids) == 2
    assert [r.model_dump() for r in second] == [r.model_dump() for r in first]


def test_closing_the_stream_ends_the_workers(testcounty):
    import multiprocessing

    from engine.batch import iter_evaluate

    it = iter_evaluate((good(i) for i in range(500)), testcounty, processes=2, chunk_size=10)
    next(it)
    assert multiprocessing.active_children()
    it.close()
    assert not multiprocessing.active_children()


def test_an_unpicklable_case_gives_an_error_record_with_workers(testcounty):
    cases = [good(i) for i in range(20)] + [good(99, case_id="lock", facts={"x": threading.Lock()})]
    results = engine.evaluate_many(cases, testcounty, processes=2, chunk_size=5)
    assert len(results) == len(cases) and isinstance(results[-1], ErrorRecord) and results[-1].index == 20


def test_an_unpicklable_case_gives_an_error_record_in_process(testcounty):
    cases = [good(1), good(99, case_id="lock", facts={"x": threading.Lock()}), good(2)]
    results = engine.evaluate_many(cases, testcounty)
    assert [type(r).__name__ for r in results] == ["Decision", "ErrorRecord", "Decision"]


# ── the command line ─────────────────────────────────────────────────────────
def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, encoding="utf-8", cwd=REPO,
                          timeout=300)


def jsonl_lines(cases) -> list[str]:
    """One line per case; a non-JSON value stands for a line that is not JSON at all."""
    out = []
    for c in cases:
        out.append(c.text if isinstance(c, RawLine) else json.dumps(c, ensure_ascii=False))
    return out


class RawLine:
    def __init__(self, text: str):
        self.text = text


def check_cli_records(records: list[dict], inputs: list, testcounty):
    assert len(records) == len(inputs), f"{len(records)} records for {len(inputs)} input lines"
    for i, (rec, c) in enumerate(zip(records, inputs)):
        if isinstance(c, RawLine):
            assert rec.get("error") == "CaseError" and rec["index"] == i, rec
            continue
        try:
            want = engine.evaluate(c, testcounty).model_dump(mode="json")
        except engine.EngineError as exc:
            assert rec.get("error") == type(exc).__name__ and rec["index"] == i, (i, rec)
            if isinstance(c, dict) and isinstance(c.get("case_id"), str):
                assert rec["case_id"] == c["case_id"]
            continue
        assert rec == want, f"record {i} differs"


def batch_inputs() -> list:
    cases = mixed(40)
    cases.insert(5, RawLine("{not json"))
    cases.insert(9, RawLine('{"case_id": "cut'))
    cases.insert(20, RawLine("42"))
    cases.insert(21, RawLine("[1, 2]"))
    return cases


@pytest.mark.parametrize("processes", ["1", "2"])
def test_cli_json_lines_one_record_per_line_in_order(tmp_path, testcounty, processes):
    inputs = batch_inputs()
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(jsonl_lines(inputs)) + "\n", encoding="utf-8")
    proc = run_cli("evaluate", "--ruleset", str(FIXTURE), "--processes", processes, str(path))
    assert proc.returncode == 1, proc.stderr  # some inputs are bad
    lines = proc.stdout.splitlines()
    check_cli_records([json.loads(line) for line in lines], inputs, testcounty)


def test_cli_worker_processes_write_the_same_bytes_as_one_process(tmp_path):
    # with workers the command writes the JSON the workers sent (read by json, not rebuilt by pydantic)
    inputs = batch_inputs() + [good(41, case_id="案\ud800"), RawLine('{"case_id": "\\udfff"}')]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(jsonl_lines(inputs)) + "\n", encoding="utf-8", errors="surrogatepass")
    one, two = (run_cli("evaluate", "--ruleset", str(FIXTURE), "-p", p, str(path))
                for p in ("1", "2"))
    assert one.returncode == two.returncode == 1, (one.stderr, two.stderr)
    assert len(one.stdout.splitlines()) == len(inputs)
    assert two.stdout == one.stdout


def test_cli_json_list_one_record_per_element_in_order(tmp_path, testcounty):
    inputs = mixed(20)
    proc = run_cli("evaluate", "--ruleset", str(FIXTURE), "-", stdin=json.dumps(inputs, ensure_ascii=False))
    assert proc.returncode == 1, proc.stderr
    check_cli_records(json.loads(proc.stdout), inputs, testcounty)


def test_cli_good_batch_exits_0_and_matches_evaluate_many(tmp_path, testcounty):
    cases = [c for c in make_cases(300, seed=3) if isinstance(c, dict) and "item" in c]
    ok = [c for c in cases if not isinstance(expected([c], testcounty)[0], tuple)]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in ok), encoding="utf-8")
    proc = run_cli("evaluate", "--ruleset", str(FIXTURE), str(path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    want = [d.model_dump(mode="json") for d in engine.evaluate_many(ok, testcounty)]
    assert [json.loads(line) for line in proc.stdout.splitlines()] == want


def test_the_installed_zhifa_command_reads_json_lines(tmp_path, testcounty):
    exe = Path(sys.executable).parent / "zhifa"
    if not exe.exists():
        pytest.skip("no zhifa console script next to this interpreter")
    inputs = [good(1), {"case_id": "bad"}, good(2)]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(jsonl_lines(inputs)) + "\n", encoding="utf-8")
    proc = subprocess.run([str(exe), "evaluate", "--ruleset", str(FIXTURE), str(path)], capture_output=True,
                          text=True, encoding="utf-8", cwd=REPO, timeout=300)
    assert proc.returncode == 1
    check_cli_records([json.loads(x) for x in proc.stdout.splitlines()], inputs, testcounty)


@pytest.mark.parametrize("first", ["garbage", "[1]"])
def test_cli_a_bad_first_line_is_one_error_record(tmp_path, testcounty, first):
    inputs = [RawLine(first), good(1), good(2)]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(jsonl_lines(inputs)) + "\n", encoding="utf-8")
    proc = run_cli("evaluate", "--ruleset", str(FIXTURE), str(path))
    check_cli_records([json.loads(x) for x in proc.stdout.splitlines()], inputs, testcounty)


def test_cli_json_lines_split_only_at_newlines(tmp_path, testcounty):
    # U+0085 sits in an item code, not a case id: a case id refuses control characters (issue 14)
    inputs = [good(1), good(2, case_id="G\u20282"), good(3, item="ZJ\x85X"), good(4, case_id="G\u20294")]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in inputs), encoding="utf-8")
    proc = run_cli("evaluate", "--ruleset", str(FIXTURE), str(path))
    check_cli_records([json.loads(x) for x in proc.stdout.split("\n") if x], inputs, testcounty)


def test_evaluate_output_xlsx_is_a_workbook_a_reviewer_can_filter(tmp_path):
    """One row per case in input order, the decision's fields in columns, questions and assumptions included."""
    openpyxl = pytest.importorskip("openpyxl")
    import json as _json

    from engine.cli import main as _main

    root = Path(__file__).resolve().parents[1]
    cases = [_json.loads((root / "examples" / n).read_text(encoding="utf-8"))
             for n in ("binjiang-minor-aged-13.json", "jinyun-first-minor-may-waive.json")]
    cases.append({"case_id": "坏案件", "item": "ZJ-NOPE"})
    src = tmp_path / "cases.json"
    src.write_text(_json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "results.xlsx"
    assert _main(["evaluate", str(src), "--output", str(out)]) == 1  # one case cannot be evaluated
    ws = openpyxl.load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    for col in ("案件编号", "办案主体", "处理结果", "罚款下限", "罚款上限", "标记", "待查明的事实", "推定前提", "错误"):
        assert col in head
    assert len(rows) == 4 and ws.auto_filter.ref and ws.freeze_panes == "A2"
    by_id = {r[head.index("案件编号")]: dict(zip(head, r)) for r in rows[1:]}
    first = by_id[cases[0]["case_id"]]
    assert first["处理结果"] and first["办案主体"] and first["推定前提"]
    assert by_id["坏案件"]["错误"] and by_id["坏案件"]["处理结果"] is None
    import engine as _engine

    for c in cases[:2]:  # each decision's questions are in its row, one per line
        d = _engine.evaluate(c, _engine.load_ruleset(_main_ruleset(c)))
        cell = by_id[c["case_id"]]["待查明的事实"] or ""
        assert [q.field for q in d.questions] == [ln.split("：", 1)[0] for ln in cell.split("\n") if ln]


def _main_ruleset(case: dict) -> str:
    return {"滨江区": "hangzhou/binjiang", "缙云县": "lishui/jinyun"}[case["place"]["county"]]
