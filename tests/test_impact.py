"""Change impact (engine.impact), archives (engine.archive) and the in-process path of engine.scale.

The acceptance example of issue 17: 上城 under the hangzhou versions before and after 2024-07-01 shows exactly
what that amendment changes (ZJ-SR-12's benchmark gains a 从轻 for 次数 == 1) and nothing else.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

import engine
from benchmarks.archive import generate_archive
from engine import archive, impact
from engine.impact import Side

SC = "hangzhou/shangcheng"


@pytest.fixture(scope="module")
def rs():
    return engine.load_ruleset(SC)


@pytest.fixture(scope="module")
def cases(rs):
    return list(generate_archive(rs, 500, seed=3, broken=2))


@pytest.fixture(scope="module")
def jsonl(tmp_path_factory, cases):
    p = tmp_path_factory.mktemp("arch") / "cases.jsonl"
    p.write_text("".join((c if isinstance(c, str) else json.dumps(c, ensure_ascii=False)) + "\n" for c in cases),
                 encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def amendment(jsonl):
    """The comparison of every case: hangzhou before 2024-07-01 (pinned to 2024-06-30) and from it."""
    return list(impact.impact(archive.read_records(jsonl), Side(target=SC, on=date(2024, 6, 30)),
                              Side(target=SC, on=date(2024, 7, 1)), keep_unchanged=True))


# ── pinning a version ────────────────────────────────────────────────────────
def test_pinned_applies_one_version_to_every_case(rs):
    before, after = impact.pinned(rs, date(2024, 6, 30)), impact.pinned(rs, date(2024, 7, 1))
    # the province's own versions (2023-07-20, 2024-09-13, 2025-03-01) make the chain's dates: before the
    # amendment the version in force is the 2023-07-20 one, which the amendment is the next change after
    assert rs.versions == ("2023-01-01", "2023-07-20", "2024-07-01", "2024-09-13", "2025-03-01")
    assert (before.version, after.version) == ("2023-07-20", "2024-07-01")
    case = json.loads(open("examples/shangcheng-lex-mitior-2024.json", encoding="utf-8").read())
    late = {**case, "decided_on": "2025-06-01"}  # decided under the 2025 version, judged by the pinned one
    assert engine.evaluate(late, before).ruleset == f"{SC}@2023-07-20"
    assert engine.evaluate(late, after).ruleset == f"{SC}@2024-07-01"
    assert engine.evaluate(late, rs).ruleset == f"{SC}@2025-03-01"


def test_pinned_before_the_first_version_is_a_case_error(rs):
    with pytest.raises(engine.CaseError, match="no version of hangzhou/shangcheng is in force on 2022-12-31"):
        impact.pinned(rs, date(2022, 12, 31))


@pytest.mark.parametrize("text, expected", [
    ("2024-07-01", Side(target=SC, on=date(2024, 7, 1))),
    (f"{SC}@2024-07-01", Side(target=SC, on=date(2024, 7, 1))),
    ("drafts/sc", Side(target="drafts/sc")),
    ("a@b/x.rules", Side(target="a@b/x.rules")),
])
def test_side_parse(text, expected):
    assert Side.parse(text, SC) == expected


def test_side_parse_date_needs_a_ruleset():
    with pytest.raises(ValueError, match="name the ruleset with --ruleset"):
        Side.parse("2024-07-01")


# ── the acceptance example ───────────────────────────────────────────────────
AMENDMENT_KEYS = {"assumption changed: BENCH:ZJ-SR-12", "assumption added: 裁量.从轻从重幅度", "fine: narrower",
                  "adjustment: none → lighter", "flag added: REASONS_REQUIRED", "question added: facts.次数"}


def test_every_case_is_accounted_for_in_order(amendment, cases):
    assert [c.index for c in amendment] == list(range(len(cases)))
    broken = [c for c in amendment if c.error_before]
    assert [c.index for c in broken] == [i for i, c in enumerate(cases) if isinstance(c, str)]
    assert all(c.error_after and not c.changes for c in broken)


def test_amendment_changes_zj_sr_12_and_nothing_else(amendment, cases):
    changed = {c.index for c in amendment if c.changes}
    # the benchmark is consulted whenever the decision carries a penalty range (a penalty, or may_waive with the
    # range that applies if not waived); a case not penalised (不予处罚) never reaches it
    focus = {c.index for c in amendment if c.item == "ZJ-SR-12" and c.before.get("penalty") is not None}
    assert {c.index for c in amendment if c.item == "ZJ-SR-12"} - focus  # some ZJ-SR-12 cases are not penalised
    assert focus and changed == focus
    keys = {x.key for c in amendment for x in c.changes}
    assert keys <= AMENDMENT_KEYS
    assert {"fine: narrower", "adjustment: none → lighter", "question added: facts.次数"} <= keys
    assert not {x.kind for c in amendment for x in c.changes} & {"handler", "route", "outcome", "procedure",
                                                                 "transfers", "error", "item"}


def test_amendment_lighter_exactly_when_first_time(amendment, cases):
    """从轻 for 次数 == 1: the range keeps its floor and its ceiling falls to floor + 30% (裁量.从轻从重幅度)."""
    for c in amendment:
        case = cases[c.index]
        if not c.changes:
            continue
        keys = {x.key for x in c.changes}
        b = c.before
        first = case.get("facts", {}).get("次数") == 1
        plain_penalty = b["penalty"]["adjustment"] == "none" and b["penalty"]["fine"] is not None
        assert ("fine: narrower" in keys) == (first and plain_penalty), case
        if "fine: narrower" in keys:
            lo, hi = Decimal(b["penalty"]["fine"]["min"]), Decimal(b["penalty"]["fine"]["max"])
            assert c.after["penalty"]["fine"] == {"min": b["penalty"]["fine"]["min"],
                                                  "max": impact._yuan(lo + (hi - lo) * Decimal("0.3"))}
            assert c.after["penalty"]["adjustment"] == "lighter"
        if "question added: facts.次数" in keys:
            assert "次数" not in case.get("facts", {})


# ── deciding a case once where the sides cannot differ ───────────────────────
def test_alike_items_of_the_amendment_are_all_but_zj_sr_12(rs):
    alike = impact.alike_items(impact.pinned(rs, date(2024, 6, 30)), impact.pinned(rs, date(2024, 7, 1)))
    assert set(impact.pinned(rs, date(2024, 7, 1)).first.items) - alike == {"ZJ-SR-12"}


def test_alike_items_is_empty_unless_only_benchmarks_differ(rs):
    # the 2024-09-13 province version changes more than a benchmark; unpinned sides choose versions per case;
    # two counties are two rulesets
    assert impact.alike_items(impact.pinned(rs, date(2024, 7, 1)), impact.pinned(rs, date(2024, 9, 13))) == set()
    assert impact.alike_items(rs, rs) == set()
    other = engine.load_ruleset("hangzhou/binjiang")
    assert impact.alike_items(impact.pinned(rs, date(2024, 7, 1)), impact.pinned(other, date(2024, 7, 1))) == set()
    same = impact.pinned(rs, date(2024, 7, 1))
    assert impact.alike_items(same, same) == set(same.first.items)


def test_deciding_alike_cases_once_changes_nothing(jsonl, monkeypatch):
    """The comparison with each alike case decided once equals the one deciding every case under both sides,
    and only the cases of the changed item (and broken lines, which are never decided) are decided twice."""
    before, after = Side(target=SC, on=date(2024, 6, 30)).sealed(), Side(target=SC, on=date(2024, 7, 1)).sealed()
    records = list(archive.read_records(jsonl))
    full = impact.compare_partition(before, after, 0, records, False, True)
    decided: list[int] = []
    many = engine.evaluate_many

    def counting(cases, ruleset, **kw):
        decided.append(len(cases))
        return many(cases, ruleset, **kw)

    monkeypatch.setattr(engine, "evaluate_many", counting)
    once = impact.compare_partition(before, after, 0, records)
    assert once == full
    assert [c.model_dump_json() for c in once] == [c.model_dump_json() for c in full]
    readable = [json.loads(t) for _, t in records if t.startswith("{") and t.endswith("}")]
    assert decided == [len(readable), sum(c["item"] == "ZJ-SR-12" for c in readable)]


def test_draft_is_alike_but_an_error_naming_the_ruleset_is_still_a_change():
    """A draft that overrides one benchmark leaves every other item alike, but the ruleset's name is in some
    error messages: a case that is an error on the first side is decided on the second too."""
    before = Side(target=SC, on=date(2025, 1, 1)).sealed()
    after = Side(target="docs/examples/zj-sr-12-draft.rules", on=date(2025, 1, 1)).sealed()
    assert set(after.load().first.items) - impact.alike_items(before.load(), after.load()) == {"ZJ-SR-12"}
    case = {"case_id": "X", "item": "ZJ-SR-13", "place": {"county": "滨江区"}, "occurred_on": "2024-03-01",
            "discovered_on": "2024-03-02", "decided_on": "2024-03-05", "party": {"kind": "organisation"}}
    ok = {**case, "place": {"county": "上城区"}}
    records = [(1, json.dumps(case, ensure_ascii=False)), (2, json.dumps(ok, ensure_ascii=False))]
    once, full = impact.compare_partition(before, after, 0, records), impact.compare_partition(before, after, 0,
                                                                                               records, False, True)
    assert once == full
    assert [x.key for x in once[0].changes] == ["error: different error"]
    assert "shangcheng-draft" in once[0].changes[0].after and not once[1].changes


def test_summary_counts(amendment):
    s = impact.Summary.of(amendment, "before", "after")
    assert s.cases == 500 and s.errors_before == s.errors_after == 2
    assert s.changed == sum(1 for c in amendment if c.changes)
    assert set(s.by_item) == {"ZJ-SR-12"}
    assert s.by_kind["fine"].count == s.fines["narrower"].count == s.by_change["fine: narrower"].count
    assert Decimal(s.fines["narrower"].mean_delta_min) == 0 and Decimal(s.fines["narrower"].mean_delta_max) < 0
    assert sum(t.count for t in s.by_township.values()) == s.changed
    assert all(len(t.examples) <= 3 for t in s.by_change.values())
    text = impact.render_text(s)
    assert "案件 500 件" in text and "fine: narrower" in text and "变窄" in text
    page = impact.render_html(s)
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


# ── comparing two results ────────────────────────────────────────────────────
def _decision(**kw):
    d = {"case_id": "X", "ruleset": "r@1", "item": {"code": "A"}, "transfers": [], "outcome": "penalty",
         "procedure": "ordinary", "flags": [], "explanation": [], "questions": [], "assumptions": [],
         "handler": {"agency": "局", "level": "county", "kind": "comprehensive", "in_name_of": "局",
                     "route": "catalogue"},
         "penalty": {"grade": None, "adjustment": "none", "kinds": ["罚款"], "fine": {"min": "200", "max": "500"}}}
    d.update(kw)
    return d


def _fine(lo, hi):
    return {"grade": None, "adjustment": "none", "kinds": ["罚款"], "fine": {"min": lo, "max": hi}}


@pytest.mark.parametrize("after, shape, dmin, dmax", [
    (("200", "290"), "narrower", "0", "-210"),
    (("100", "800"), "wider", "-100", "300"),
    (("300", "600"), "shifted", "100", "100"),
])
def test_fine_shapes(after, shape, dmin, dmax):
    (ch,) = impact.compare(_decision(), _decision(penalty=_fine(*after)))
    assert (ch.kind, ch.shape, ch.delta_min, ch.delta_max) == ("fine", shape, dmin, dmax)
    assert ch.key == f"fine: {shape}" and ch.before == "200–500元"


def test_fine_removed_and_outcome():
    chs = impact.compare(_decision(), _decision(outcome="may_waive", penalty=None))
    assert [c.key for c in chs] == ["outcome: penalty → may_waive", "fine: removed"]
    assert chs[1].after == "不罚款"


def test_flags_compared_with_their_condition():
    f = {"code": "LEGAL_REVIEW", "label": "法制审核", "reason": "", "basis": ""}
    chs = impact.compare(_decision(flags=[{**f, "condition": "拟罚款达到1万元"}]), _decision(flags=[f]))
    assert [c.key for c in chs] == ["flag removed: LEGAL_REVIEW（条件：拟罚款达到1万元）", "flag added: LEGAL_REVIEW"]


def test_error_against_decision_is_a_change():
    err = {"case_id": "X", "index": 0, "error": "CaseError", "message": "proposed_fine: outside", "problems": []}
    (ch,) = impact.compare(_decision(), err)
    assert (ch.kind, ch.key, ch.before, ch.after) == ("error", "decision → error", "penalty", "proposed_fine: outside")
    assert impact.compare(err, err) == ()
    assert impact.compare(err, _decision())[0].key == "error → decision"


def test_handler_and_route():
    h = {"agency": "湖滨街道办事处", "level": "township", "kind": "township", "in_name_of": "湖滨街道办事处",
         "route": "empowered"}
    keys = [c.key for c in impact.compare(_decision(), _decision(handler=h))]
    assert keys[1] == "route: catalogue → empowered" and keys[0].startswith("handler: 局")


def test_explanation_and_ruleset_label_are_not_changes():
    assert impact.compare(_decision(), _decision(ruleset="r@2", explanation=[{"rule": "X", "text": "t",
                                                                             "basis": "b"}])) == ()


# ── archives ─────────────────────────────────────────────────────────────────
def test_jsonl_records_and_broken_lines(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"case_id": "a"}\n\n[1]\n{"case_id": \n', encoding="utf-8")
    recs = list(archive.read_records(p))
    assert archive.count_records(p) == len(recs) == 3
    parsed = [archive.parse_record(r, i) for i, r in enumerate(recs)]
    assert parsed[0] == {"case_id": "a"}
    assert parsed[1].problems[0]["code"] == "not_object" and parsed[1].index == 1
    assert parsed[2].message == "<case>: line 4: invalid JSON at column 13: Expecting value"


def test_parquet_round_trip(tmp_path, cases):
    pytest.importorskip("pyarrow")
    good = [c for c in cases if isinstance(c, dict)][:120]
    p = tmp_path / "a.parquet"
    assert archive.write_parquet(good, p, row_group_size=50) == 120
    assert archive.count_records(p) == 120
    assert [archive.parse_record(r, i) for i, r in enumerate(archive.read_records(p, batch_size=32))] == good


def test_parquet_struct_columns_drop_nulls(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [{"case_id": "a", "facts": {"面积": 3.0, "次数": None}}, {"case_id": "b", "facts": {"面积": None, "次数": 2}},
            {"case_id": "c", "facts": "{not json"}]
    pq.write_table(pa.Table.from_pylist(rows[:2]), tmp_path / "s.parquet")
    got = [archive.parse_record(r, i) for i, r in enumerate(archive.read_records(tmp_path / "s.parquet"))]
    assert got == [{"case_id": "a", "facts": {"面积": 3.0}}, {"case_id": "b", "facts": {"次数": 2}}]
    bad = archive.parse_record(rows[2], 7)
    assert isinstance(bad, engine.ErrorRecord) and "row 8: column 'facts' holds invalid JSON" in bad.message


def test_missing_pyarrow_is_a_clear_message(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(archive.MissingExtra, match=r"pip install 'zhifa\[parquet\]'"):
        list(archive.read_records(tmp_path / "x.parquet"))


def test_missing_dask_is_a_clear_message(monkeypatch):
    import sys

    from engine import scale

    monkeypatch.setitem(sys.modules, "distributed", None)
    assert not scale.dask_available()
    assert scale.choose_scheduler(None, 10**9) is None
    with pytest.raises(archive.MissingExtra, match=r"pip install 'zhifa\[dask\]'"):
        list(scale.run(scale.evaluate_partition, (Side(target=SC),), [{}], scheduler="local"))


def test_default_scheduler_threshold(monkeypatch):
    from engine import scale

    monkeypatch.setattr(scale, "dask_available", lambda: True)
    monkeypatch.setattr(scale.os, "cpu_count", lambda: 2)
    assert scale.choose_scheduler(None, scale.LOCAL_THRESHOLD) is None
    assert scale.choose_scheduler(None, scale.LOCAL_THRESHOLD + 1) == "local"
    assert scale.choose_scheduler("none", 10**9) is None
    assert scale.choose_scheduler("tcp://h:8786", 1) == "tcp://h:8786"
