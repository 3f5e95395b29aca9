"""Unit tests of `engine.evaluate` at the boundaries of each rule, with the article each implements.

Rulesets: tests/fixtures/testcity/testcounty (a test county on the real province layer) and
tests/fixtures/edge (items whose amounts sit exactly on the art. 51 limits).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import engine

from conftest import make_case

FIXTURES = "tests/fixtures"


@pytest.fixture(scope="module")
def edge():
    return engine.load_ruleset(f"{FIXTURES}/edge")


case = make_case  # a 40-year-old on ZJ-SR-12 in 甲县, 3 m² (tests/conftest.py)


# 行政处罚法第三十条: under 14 no penalty; 14-17 lighter or reduced; 18 is an adult.
@pytest.mark.parametrize("age,outcome,adjustment", [(13, "no_penalty", None), (14, "penalty", "lighter"),
                                                     (17, "penalty", "lighter"), (18, "penalty", "none")])
def test_art30_ages(testcounty, age, outcome, adjustment):
    d = engine.evaluate(case(party={"kind": "individual", "age": age}), testcounty)
    assert d.outcome == outcome
    if adjustment is None:
        assert d.penalty is None
        assert any(s.rule == "XZCF-30-UNDER14" and "第三十条" in s.basis for s in d.explanation)
    else:
        assert d.penalty.adjustment == adjustment


def test_art30_lighter_range_is_lower_part_of_grade(testcounty):
    d = engine.evaluate(case(party={"kind": "individual", "age": 16}), testcounty)
    # grade 轻微 200..500 for individuals; 从轻 keeps the lower 30 % (parameter 裁量.从轻从重幅度)
    assert (d.penalty.grade, d.penalty.fine.min, d.penalty.fine.max) == ("轻微", "200", "290")
    assert d.has_flag("REASONS_REQUIRED")


# 行政处罚法第三十一条
def test_art31_no_capacity_and_limited(testcounty):
    assert engine.evaluate(case(party={"kind": "individual", "capacity": "none"}), testcounty).outcome == "no_penalty"
    d = engine.evaluate(case(party={"kind": "individual", "capacity": "limited"}), testcounty)
    assert d.outcome == "penalty" and d.penalty.adjustment == "lighter"


# 行政处罚法第三十二条 (一)-(四)
@pytest.mark.parametrize("circ", ["mitigated_harm", "coerced", "self_reported", "meritorious"])
def test_art32_mandatory_mitigation(testcounty, circ):
    d = engine.evaluate(case(circumstances={circ: True}), testcounty)
    assert d.penalty.adjustment == "lighter"
    assert any(s.rule.startswith("XZCF-32-") for s in d.explanation)


# 行政处罚法第三十三条
def test_art33_minor_corrected_no_harm_is_mandatory(testcounty):
    assert engine.evaluate(case(circumstances={"corrected": True, "harm": "none"}), testcounty).outcome == "no_penalty"


def test_art33_first_offence_minor_harm_corrected_is_discretionary(testcounty):
    d = engine.evaluate(case(circumstances={"first_offence": True, "corrected": True, "harm": "minor"}), testcounty)
    assert d.outcome == "may_waive"
    assert d.penalty is not None  # the range that applies if the body decides to penalise


def test_art33_first_offence_not_corrected_is_penalised(testcounty):
    d = engine.evaluate(case(circumstances={"first_offence": True, "harm": "minor"}), testcounty)
    assert d.outcome == "penalty"


def test_art33_no_fault(testcounty):
    assert engine.evaluate(case(circumstances={"no_fault": True}), testcounty).outcome == "no_penalty"


# 行政处罚法第三十六条: two years, counted from the act (or its end); discovery on the last day is in time.
@pytest.mark.parametrize("discovered,outcome", [("2023-03-01", "penalty"), ("2023-03-02", "time_barred")])
def test_art36_two_years(testcounty, discovered, outcome):
    d = engine.evaluate(case(occurred_on="2021-03-01", discovered_on=discovered, decided_on="2023-04-01"), testcounty)
    assert d.outcome == outcome


def test_art36_counts_from_end_of_continuing_act(testcounty):
    d = engine.evaluate(case(occurred_on="2019-01-01", ended_on="2021-01-01", discovered_on="2022-12-31",
                             decided_on="2023-01-10"), testcounty)
    assert d.outcome == "penalty"


@pytest.mark.parametrize("discovered,harm,outcome", [
    ("2024-03-01", "minor", "penalty"),       # 4 years, life/health involved with harm: 5-year period
    ("2025-03-02", "serious", "time_barred"),  # 5 years and a day
    ("2024-03-01", None, "time_barred"),       # no harm established: the 2-year period applies
])
def test_art36_five_years(testcounty, discovered, harm, outcome):
    circ = {"life_health_or_finance": True}
    if harm:
        circ["harm"] = harm
    d = engine.evaluate(case(occurred_on="2020-03-01", discovered_on=discovered, decided_on="2025-04-01",
                             circumstances=circ), testcounty)
    assert d.outcome == outcome


# 行政处罚法第二十七条
def test_art27_criminal_transfer(testcounty):
    d = engine.evaluate(case(circumstances={"suspected_crime": True}), testcounty)
    assert d.has_flag("CRIMINAL_TRANSFER")
    assert any(t.to == "公安机关" for t in d.transfers)


# 行政处罚法第五十一条: summary procedure within 200 yuan (individuals) and 3000 yuan (organisations)
@pytest.mark.parametrize("item,party,procedure", [
    ("E-200", "individual", "simplified"), ("E-201", "individual", "ordinary"),
    ("E-3000", "organisation", "simplified"), ("E-3001", "organisation", "ordinary"),
    ("E-WARN", "individual", "simplified")])
def test_art51_procedure(edge, item, party, procedure):
    d = engine.evaluate({"case_id": "E", "item": item, "place": {"county": "乙县"}, "occurred_on": "2024-01-01",
                         "decided_on": "2024-01-05", "party": {"kind": party}}, edge)
    assert d.procedure == procedure


# 行政处罚法第六十三条 and the retention of major penalties (浙政办发〔2021〕51号)
def test_major_penalty_retained_at_county(testcounty):
    d = engine.evaluate(case(item="ZJ-DQ-118-1", place={"county": "甲县", "township": "东街道"},
                             party={"kind": "organisation"}, measures=["责令停产停业"], facts={}), testcounty)
    assert d.handler.route == "retained-major" and d.handler.agency == "甲县综合行政执法局"
    assert d.transfers[0].to == "甲县综合行政执法局"
    for flag in ("MAJOR_PENALTY_TRANSFER", "HEARING_NOTICE", "LEGAL_REVIEW", "COLLECTIVE_DISCUSSION"):
        assert d.has_flag(flag), flag


def test_empowered_street_keeps_small_case(testcounty):
    d = engine.evaluate(case(item="ZJ-SR-16", place={"county": "甲县", "township": "东街道"}, facts={"拒不改正": True}),
                        testcounty)
    assert (d.handler.route, d.handler.agency, d.handler.kind, d.handler.level) == (
        "empowered", "甲县东街道办事处", "township", "township")
    assert d.procedure == "simplified" and d.penalty.fine.max == "50"
    assert not d.has_flag("HEARING_NOTICE")


def test_precondition_not_met_means_no_fine(testcounty):
    d = engine.evaluate(case(item="ZJ-SR-16", facts={"拒不改正": False}), testcounty)
    assert d.outcome == "no_penalty"


def test_dispatched_team_acts_in_county_body_name(testcounty):
    for place in ({"county": "甲县", "township": "西镇"}, {"county": "甲县", "zone": "高铁站"}):
        d = engine.evaluate(case(place=place), testcounty)
        assert d.handler.route == "dispatched" and d.handler.in_name_of == "甲县综合行政执法局"


def test_catalogue_route_specialist_and_comprehensive(testcounty):
    d = engine.evaluate(case(place={"county": "甲县", "township": "南镇"}), testcounty)
    assert (d.handler.route, d.handler.agency) == ("catalogue", "甲县综合行政执法局")


def test_no_handler_and_dispute_are_flagged(edge):
    base = {"case_id": "E", "place": {"county": "乙县"}, "occurred_on": "2024-01-01", "decided_on": "2024-01-05",
            "party": {"kind": "individual"}}
    d = engine.evaluate({**base, "item": "E-NONE"}, edge)
    assert d.handler.route == "none" and d.has_flag("NO_HANDLER")
    d = engine.evaluate({**base, "item": "E-DUO"}, edge)
    assert d.handler.route == "designated" and d.has_flag("JURISDICTION_DISPUTE")


# 行政处罚法第三十七条: act under the 2023 version, decision under the lighter 2024-07-01 version
def test_art37_lex_mitior_applies_lighter_new_rule(testcounty):
    d = engine.evaluate(case(occurred_on="2024-06-01", decided_on="2024-08-01"), testcounty)
    assert d.ruleset == "testcity/testcounty@2024-07-01" and d.penalty.fine.max == "300"
    assert d.has_flag("LEX_MITIOR")


def test_art37_old_rule_applies_when_new_is_not_lighter(testcounty):
    d = engine.evaluate(case(occurred_on="2024-06-01", decided_on="2024-08-01", facts={"面积": 12}), testcounty)
    assert d.ruleset == "testcity/testcounty@2023-07-20" and d.has_flag("LEX_MITIOR")  # 2023-07-20: a province version


def test_benchmark_grades_and_heavier(testcounty):
    assert engine.evaluate(case(facts={"面积": 5}), testcounty).penalty.grade == "一般"
    d = engine.evaluate(case(facts={"面积": 12, "次数": 2}), testcounty)
    assert (d.penalty.grade, d.penalty.adjustment, d.penalty.fine.min, d.penalty.fine.max) == ("严重", "heavier", "880", "1000")


def test_missing_benchmark_fact_falls_back_to_statutory_range_with_reasons(testcounty):
    d = engine.evaluate(case(facts={}), testcounty)
    assert d.penalty.grade is None and (d.penalty.fine.min, d.penalty.fine.max) == ("200", "1000")
    assert d.has_flag("REASONS_REQUIRED")


def test_no_penalty_list_entry(testcounty):
    d = engine.evaluate(case(item="ZJ-SR-17-1", circumstances={"first_offence": True, "corrected": True, "harm": "minor"}),
                        testcounty)
    assert d.outcome == "no_penalty"
    # harm not established: "harm != serious" does not hold for an unknown harm (nothing is guessed)
    d = engine.evaluate(case(item="ZJ-SR-17-1", circumstances={"first_offence": True, "corrected": True}), testcounty)
    assert d.outcome == "penalty"
    d = engine.evaluate(case(item="ZJ-SR-17-1", circumstances={"first_offence": True, "corrected": True, "harm": "minor"}),
                        testcounty)
    assert d.outcome == "no_penalty" and any(s.rule == "LIST:测试不罚清单" for s in d.explanation)


def test_percentage_fine_is_exact_decimal(testcounty):
    d = engine.evaluate(case(item="ZJ-GH-59-A", facts={"工程造价": "123456.78"}), testcounty)
    assert (d.penalty.fine.min, d.penalty.fine.max) == ("6172.84", "12345.67")
    assert Decimal(d.penalty.fine.min) >= Decimal("123456.78") * Decimal("0.05")


@pytest.mark.parametrize("grouped,plain", [("1,000", "1000"), ("12,500.5", "12500.5"), ("1,234,567", 1234567)])
def test_amounts_may_group_thousands_with_commas(testcounty, grouped, plain):
    fine = [engine.evaluate(case(item="ZJ-GH-59-A", facts={"工程造价": v}), testcounty).penalty.fine
            for v in (grouped, plain)]
    assert fine[0] == fine[1] and Decimal(fine[0].max) > 0


def test_fine_from_quantity_requires_the_fact(testcounty):
    with pytest.raises(engine.CaseError) as err:
        engine.evaluate(case(item="ZJ-GH-59-A", facts={}), testcounty)
    assert err.value.path == "facts.工程造价"


@pytest.mark.parametrize("over,path", [
    ({"item": "ZJ-SR-99"}, "item"),
    ({"place": {"county": "丙县"}}, "place.county"),
    ({"place": {"county": "甲县", "township": "北镇"}}, "place.township"),
    ({"facts": {"面积": -1}}, "facts.面积"),
    ({"facts": {"面积": "１２"}}, "facts.面积"),
    ({"facts": {"面积": "1,0,0"}}, "facts.面积"),  # commas only group thousands: never guess what was meant
    ({"facts": {"面积": "1,00"}}, "facts.面积"),
    ({"facts": {"未声明": 1}}, "facts.未声明"),
    ({"occurred_on": "2024-06-01", "decided_on": "2024-05-01"}, "occurred_on"),
    ({"occurred_on": "2024-02-30"}, "occurred_on"),
    ({"party": {"kind": "organisation", "age": 20}}, "party.age"),
    ({"party": {"kind": "person"}}, "party.kind"),
    ({"measures": ["吊销驾照"]}, "measures.0"),
    ({"decided_on": "2020-01-01", "occurred_on": "2019-01-01"}, "decided_on"),
])
def test_bad_cases_name_the_field(testcounty, over, path):
    with pytest.raises(engine.CaseError) as err:
        engine.evaluate(case(**over), testcounty)
    assert path in [p.path for p in err.value.problems]


def test_evaluate_does_not_mutate_input_and_is_deterministic(testcounty):
    import copy
    c = case(party={"kind": "individual", "age": 16}, measures=["责令改正"])
    before = copy.deepcopy(c)
    assert engine.evaluate(c, testcounty) == engine.evaluate(c, testcounty)
    assert c == before


def test_evaluate_many_keeps_order_and_errors(testcounty):
    out = engine.evaluate_many([case(case_id="a"), {"case_id": "b"}, case(case_id="c")], testcounty)
    assert [type(x).__name__ for x in out] == ["Decision", "ErrorRecord", "Decision"]
    assert [x.case_id for x in out] == ["a", "b", "c"]


def test_decisions_share_prepared_parts_that_no_caller_can_change(testcounty):
    # engine/prepared.py builds a rule's steps, flags and the decision's penalty once and puts the same objects in
    # every decision: safe only because the models are frozen, so changing one decision cannot reach another
    import pydantic

    first = engine.evaluate(case(case_id="a"), testcounty)
    second = engine.evaluate(case(case_id="b"), testcounty)
    assert first.explanation == second.explanation and first.penalty == second.penalty
    shared = [s for s in first.explanation if any(s is t for t in second.explanation)]
    assert shared, "the prepared steps are shared between decisions"
    before = second.model_dump_json()
    with pytest.raises(pydantic.ValidationError):
        shared[0].text = "changed"
    with pytest.raises(pydantic.ValidationError):
        first.penalty.grade = "changed"
    assert second.model_dump_json() == before
