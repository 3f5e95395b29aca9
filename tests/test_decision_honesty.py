"""What a decision says it knows, assumed and still needs (contract 0.2), at the boundaries of each rule.

The proposed fine decides the threshold consequences (arts. 51, 57 ¶2, 58, 63; 浙政办发〔2021〕51号); without it
they are conditional; a decisive fact the case leaves open is a question answered per value; a premise not
established is an assumption; facts that cannot both be true are a CaseError naming both fields.
Rulesets: tests/fixtures/testcity/testcounty on the real province layer.
"""

from __future__ import annotations

import json
from functools import partial
from decimal import Decimal

import pytest

import engine

from conftest import make_case

# the conftest case at 12 m² with minor harm (严重 grade: 600..1000 for an individual)
case = partial(make_case, case_id="H-1", facts={"面积": 12}, circumstances={"harm": "minor"})


def flags(d, outright=True):
    return {f.code for f in d.flags if (f.condition is None) == outright}


# ── the proposed fine ─────────────────────────────────────────────────────────
@pytest.mark.parametrize("proposal,hearing", [("999.99", False), ("1000", False)])
def test_a_proposal_below_the_threshold_raises_nothing(testcounty, proposal, hearing):
    d = engine.evaluate(case(proposed_fine=proposal), testcounty)  # 严重: 600..1000 for an individual
    assert "HEARING_NOTICE" not in flags(d) | flags(d, outright=False)


def test_without_a_proposal_a_straddling_range_gives_conditional_flags_and_a_question(testcounty):
    d = engine.evaluate(case(item="ZJ-LJ-45", facts={"情节严重": True}), testcounty)  # 个人 200..2000
    assert flags(d) & {"HEARING_NOTICE", "LEGAL_REVIEW"} == set()
    cond = {f.code: f.condition for f in d.flags if f.condition}
    assert cond["HEARING_NOTICE"] == "拟罚款在2000元以上"
    q = {q.field: q for q in d.questions}["proposed_fine"]
    # 200 is the floor and the 简易程序 limit (art. 51, 二百元以下 includes 200); 2000 the hearing threshold
    assert [a.if_ for a in q.answers] == ["拟罚款在200元以下", "拟罚款超过200元、不足2000元", "拟罚款在2000元以上"]
    assert "简易程序" in q.answers[0].then and "听证告知" in q.answers[-1].then and "听证告知" not in q.answers[1].then


@pytest.mark.parametrize("proposal,outright", [("2000", True), ("1999.99", False)])
def test_the_hearing_threshold_includes_2000(testcounty, proposal, outright):
    d = engine.evaluate(case(item="ZJ-LJ-45", facts={"情节严重": True}, proposed_fine=proposal), testcounty)
    assert ("HEARING_NOTICE" in flags(d)) is outright and not d.questions or d.questions[0].field != "proposed_fine"
    assert all(f.condition is None for f in d.flags)


@pytest.mark.parametrize("proposal", ["199.99", "2000.01"])
def test_a_proposal_outside_the_range_is_a_case_error(testcounty, proposal):
    with pytest.raises(engine.CaseError) as err:
        engine.evaluate(case(item="ZJ-LJ-45", facts={"情节严重": True}, proposed_fine=proposal), testcounty)
    assert [p.path for p in err.value.problems] == ["proposed_fine"]


def test_a_proposal_on_a_decision_without_fine_is_a_case_error(testcounty):
    with pytest.raises(engine.CaseError, match="imposes no fine"):
        engine.evaluate(case(party={"kind": "individual", "age": 13}, proposed_fine="100"), testcounty)


def test_a_reduced_fine_stays_below_the_statutory_minimum(testcounty):
    minor = case(party={"kind": "individual", "age": 16}, circumstances={"harm": "minor", "coerced": True})
    d = engine.evaluate(minor, testcounty)
    assert d.penalty.adjustment in ("lighter", "reduced")
    if d.penalty.adjustment == "reduced":
        with pytest.raises(engine.CaseError, match="not below the statutory minimum"):
            engine.evaluate({**minor, "proposed_fine": d.penalty.fine.max}, testcounty)


@pytest.mark.parametrize("bad", ["1e3", "1_000", "-5", "12.345", True])
def test_a_proposal_is_money_as_written(testcounty, bad):
    with pytest.raises(engine.CaseError) as err:
        engine.evaluate(case(proposed_fine=bad), testcounty)
    assert err.value.problems[0].path == "proposed_fine"


# ── open questions ────────────────────────────────────────────────────────────
def test_a_missing_grading_fact_is_asked_with_each_grade(testcounty):
    d = engine.evaluate(case(facts={}), testcounty)
    q = {q.field: q for q in d.questions}["facts.面积"]
    thens = [a.then for a in q.answers]
    assert len(q.answers) == 3 and any("轻微" in t for t in thens) and any("严重" in t for t in thens)
    assert [a.if_ for a in q.answers] == ["面积不足5", "面积在5以上、不足10", "面积在10以上"]


def test_no_question_when_the_fact_cannot_change_the_decision(testcounty):
    d = engine.evaluate(case(circumstances={}), testcounty)  # not corrected: art. 33 cannot apply whatever the harm
    assert "circumstances.harm" not in {q.field for q in d.questions}


def test_harm_is_asked_when_the_party_corrected(testcounty):
    d = engine.evaluate(case(circumstances={"corrected": True, "first_offence": True}), testcounty)
    q = {q.field: q for q in d.questions}["circumstances.harm"]
    answers = {a.if_: a.then for a in q.answers}
    assert answers["未造成危害后果"].startswith("不予行政处罚")
    assert answers["危害后果轻微"].startswith("可以不予行政处罚")
    assert answers["危害后果严重"].startswith("给予行政处罚")


def test_age_is_asked_and_assumed_for_an_individual(testcounty):
    d = engine.evaluate(case(party={"kind": "individual"}), testcounty)
    q = {q.field: q for q in d.questions}["party.age"]
    assert [a.if_ for a in q.answers][0] == "不满十四周岁" and q.answers[0].then.startswith("不予行政处罚")
    assert any(a.status == "assumed" and "十八周岁" in a.what for a in d.assumptions)


def test_an_organisation_is_not_asked_its_age(testcounty):
    d = engine.evaluate(case(party={"kind": "organisation"}), testcounty)
    assert "party.age" not in {q.field for q in d.questions}


# ── assumptions ─────────────────────────────────────────────────────────────
def test_an_unconfirmed_threshold_used_is_an_assumption(testcounty):
    d = engine.evaluate(case(item="ZJ-LJ-45", facts={"情节严重": True}), testcounty)
    whats = [a.what for a in d.assumptions if a.status == "unconfirmed"]
    assert any("较大数额罚款.个人" in w for w in whats)
    assert not any("较大数额罚款.单位" in w for w in whats)  # the other party's threshold does not bear on it


# ── contradictions ────────────────────────────────────────────────────────────
@pytest.mark.parametrize("facts,circ,paths", [
    ({"拒不改正": True}, {"corrected": True}, {"facts.拒不改正", "circumstances.corrected"}),
    ({"逾期不改正": True}, {"corrected": True}, {"facts.逾期不改正", "circumstances.corrected"}),
    ({"次数": 2, "面积": 3}, {"first_offence": True}, {"circumstances.first_offence", "facts.次数"}),
])
def test_contradictions_name_both_fields(testcounty, facts, circ, paths):
    with pytest.raises(engine.CaseError) as err:
        engine.evaluate(case(facts={"面积": 3, **facts}, circumstances=circ), testcounty)
    assert {p.path for p in err.value.problems} == paths


def test_a_first_offence_with_one_counted_act_is_consistent(testcounty):
    engine.evaluate(case(facts={"面积": 3, "次数": 1}, circumstances={"first_offence": True}), testcounty)


# ── arithmetic and kinds ──────────────────────────────────────────────────────
def test_a_multiple_of_a_tiny_amount_gives_no_fine_rather_than_min_above_max(testcounty):
    d = engine.evaluate(case(item="ZJ-GH-59-A", facts={"工程造价": "0.01"}), testcounty)
    assert d.penalty.fine is None or Decimal(d.penalty.fine.min) <= Decimal(d.penalty.fine.max)


# ── the contract ─────────────────────────────────────────────────────────────
def test_the_json_shape_has_the_0_2_fields(testcounty):
    d = json.loads(engine.evaluate(case(facts={}), testcounty).model_dump_json())
    assert {"questions", "assumptions"} <= set(d) and all("condition" in f for f in d["flags"])
    assert set(d["questions"][0]["answers"][0]) == {"if", "then"}
    schema = engine.Case.model_json_schema()
    assert "proposed_fine" in schema["properties"]
    assert engine.Decision.model_validate_json(json.dumps(d)) is not None


# ── an item's own condition (an amount tier of its article) ───────────────────
@pytest.fixture(scope="module")
def yiwu():
    return engine.load_ruleset("jinhua/yiwu")


def tier(item, facts):
    return {"case_id": "Q", "item": item, "place": {"county": "义乌市"}, "occurred_on": "2024-03-01",
            "decided_on": "2024-04-01", "party": {"kind": "organisation"}, "facts": facts}


@pytest.mark.parametrize("item,gains,fits", [("CN-QMJS-36-B", 30000, True), ("CN-QMJS-36-B", "29999.99", False),
                                             ("CN-QMJS-36-A", "29999.99", True), ("CN-QMJS-36-A", 30000, False)])
def test_an_amount_tier_is_enforced_at_its_boundary(yiwu, item, gains, fits):
    if fits:
        engine.evaluate(tier(item, {"违法所得": gains}), yiwu)
    else:
        with pytest.raises(engine.CaseError) as err:
            engine.evaluate(tier(item, {"违法所得": gains}), yiwu)
        assert err.value.problems[0].path == "facts.违法所得" and "applies only when" in str(err.value)


def test_an_open_tier_fact_is_assumed_and_asked(yiwu):
    d = engine.evaluate(tier("CN-QMJS-36-A", {}), yiwu)
    assert any(a.rule == "ITEM-CONDITION" and a.status == "assumed" for a in d.assumptions)
    q = {q.field: q for q in d.questions}["facts.违法所得"]
    assert [a.if_ for a in q.answers] == ["违法所得不足30000元", "违法所得在30000元以上"]
    assert q.answers[1].then.startswith("案件不成立")


@pytest.mark.parametrize("text", ["12３", "１２３", "١٢٣"])
def test_digits_of_other_scripts_are_refused(testcounty, text):
    # Decimal reads them, a penalty document never writes them: found by the property test on 违法所得 = "12３"
    with pytest.raises(engine.CaseError) as err:
        engine.evaluate(case(facts={"面积": text}), testcounty)
    assert err.value.problems[0].path == "facts.面积"
