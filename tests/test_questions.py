"""The open-question analysis's pure parts (engine/questions.py): which open facts leave a condition undecided,
and what it reads of a program once per item. The questions themselves are tested on decisions in
test_decision_honesty.py and the benchmark answers (benchmarks.decisions).
Rulesets: tests/fixtures/testcity/testcounty on the real province layer.
"""

from __future__ import annotations

import importlib
import random

import pytest

import engine

from conftest import TESTCOUNTY

questions = importlib.import_module("engine.questions")
undecided_by, three_valued = questions.undecided_by, questions.three_valued

COND = ("or", [("cmp", "facts.a", "==", True),
               ("and", [("cmp", "facts.b", ">", 1), ("missing", "facts.c"), ("present", "facts.d")])])


def test_no_open_path_leaves_nothing_undecided():
    assert undecided_by(COND, {"facts.b": 2}, []) == []


def test_a_leaf_on_the_open_path_is_undecided():
    assert undecided_by(("cmp", "facts.a", "==", True), {}, ["facts.a"]) == ["facts.a"]
    assert undecided_by(("cmp", "facts.a", "==", True), {}, ["facts.b"]) == []


def test_all_facts_unknown():
    # nothing stated: facts.a alone unknown leaves the `or` open (its other branch is false on missing b, d)
    assert undecided_by(COND, {}, ["facts.a", "facts.b", "facts.c", "facts.d"]) == ["facts.a"]


def test_a_decided_branch_closes_the_condition():
    assert undecided_by(COND, {"facts.a": True}, ["facts.b", "facts.c", "facts.d"]) == []
    # a = no, b > 1, d stated: only c (missing c holds on the stated facts) is left to decide
    assert undecided_by(COND, {"facts.a": False, "facts.b": 2, "facts.d": 1}, ["facts.c"]) == ["facts.c"]


def test_the_order_of_the_paths_is_kept():
    # b > 1 and a missing c hold: d alone open leaves the `and` open, a alone leaves the `or` open
    assert undecided_by(COND, {"facts.b": 2}, ["facts.d", "facts.c", "facts.a"]) == ["facts.d", "facts.a"]
    assert undecided_by(COND, {"facts.b": 2}, ["facts.a", "facts.c", "facts.d"]) == ["facts.a", "facts.d"]


def test_a_wrong_type_fails_as_the_matcher_does():
    with pytest.raises(engine.EvaluationError):
        undecided_by(("and", [("cmp", "facts.b", ">", 1), ("cmp", "facts.a", "==", True)]), {"facts.b": "x"},
                     ["facts.a"])


def _random_cond(rng: random.Random, depth: int = 0) -> tuple:
    if depth < 3 and rng.random() < 0.5:
        return (rng.choice(["and", "or"]), [_random_cond(rng, depth + 1) for _ in range(rng.randint(1, 3))])
    path = rng.choice(["facts.a", "facts.b", "facts.c"])
    kind = rng.choice(["cmp", "cmp", "present", "missing"])
    return (kind, path) if kind != "cmp" else ("cmp", path, rng.choice(["<", ">=", "==", "!="]), rng.randint(0, 3))


def test_it_agrees_with_three_valued_path_by_path():
    rng = random.Random(16)
    for _ in range(500):
        cond = _random_cond(rng)
        facts = {p: rng.randint(0, 3) for p in ("facts.a", "facts.b", "facts.c") if rng.random() < 0.5}
        open_ = [p for p in ("facts.a", "facts.b", "facts.c") if p not in facts]
        assert undecided_by(cond, facts, open_) == [p for p in open_ if three_valued(cond, facts, p) is None]


@pytest.fixture(scope="module")
def program():
    return engine.load_ruleset(TESTCOUNTY).first


def test_the_scan_holds_only_conditions_reading_a_fact_a_case_may_leave_open(program):
    code = next(iter(program.items))
    scan = questions._scan(program, code)
    assert scan is questions._scan(program, code)  # once per program and item
    for cond, stage, provision, paths in scan.conds:
        assert paths and all(p.startswith(("facts.", "undeterminable.", "history.prior_", "circumstances.harm",
                                           "party.age", "party.sole_trader")) for p in paths)
        assert list(paths) == sorted(paths)
    # a rule no case fact of that kind can leave open (the route, the outcome, the proposal only) is not scanned
    assert not any(p.startswith(("handler.", "penalty.")) for _, _, _, paths in scan.conds for p in paths)


def test_a_fact_only_stage_2_reads_is_judged_on_the_stage_2_facts(program):
    scan = questions._scan(program, next(iter(program.items)))
    stages = {}
    for _, stage, _, paths in scan.conds:
        for p in paths:
            stages.setdefault(p, set()).add(stage)
    assert stages["facts.违法所得"] == {2}  # the thresholds of 51号 retention and art. 63 hearing
    assert stages["circumstances.harm"] == {1}
    # the 51号 thresholds for a person and an organisation, once per condition that compares it
    assert sorted(set(scan.compared_with("facts.违法所得"))) == [2000, 10000]


# ── the probes (engine/evaluate.py): deciding once per set of conditions an answer can turn ─────────────────
evaluate_mod = importlib.import_module("engine.evaluate")


def _reference_questions(raw: dict, rs) -> tuple:
    """The questions with every probe decided afresh (`_decide`), none remembered or shortened."""
    c = importlib.import_module("engine.case").parse_case(raw)
    run = evaluate_mod._decide(c, rs)
    return questions.open_questions(
        run.case, run, decide=lambda p: evaluate_mod._decide(p, rs, strict_proposal=False, probe=True).decision,
        propose=lambda fine: evaluate_mod._with_proposal(run.case, rs, run, fine))


CASES = [  # harm and decisive facts left open, with and without a township (51号 retention) and a proposal
    {"item": "ZJ-SR-12", "facts": {"面积": 3}},
    {"item": "ZJ-SR-12", "facts": {"面积": 12}, "circumstances": {"first_offence": True, "corrected": True}},
    {"item": "ZJ-SR-12", "facts": {}, "circumstances": {"corrected": True}},
    {"item": "ZJ-SR-11", "facts": {"面积": 30}, "proposed_fine": "300"},
    {"item": "ZJ-SR-12", "facts": {"面积": 12}, "place": {"county": "甲县", "township": "东街道"}},
    {"item": "ZJ-SR-12", "facts": {"面积": 12}, "place": {"county": "甲县", "township": "西镇"},
     "party": {"kind": "organisation"}},
    {"item": "ZJ-LJ-45", "facts": {}},
    {"item": "ZJ-LJ-45", "facts": {"情节严重": True}, "party": {"kind": "organisation"}},
    {"item": "CN-QMJS-36-B", "facts": {"违法所得": 50000}},
    {"item": "ZJ-GH-59-A", "facts": {"工程造价": 100000}},
    # amounts only the decision rules compare (art. 63 hearing; 51号 retention in a township)
    {"item": "ZJ-DQ-118-3", "facts": {}},
    {"item": "ZJ-DQ-118-3", "facts": {}, "place": {"county": "甲县", "township": "东街道"}},
    {"item": "CN-MBJYSL-62-S", "facts": {}, "party": {"kind": "organisation"}},
]


@pytest.mark.parametrize("over", CASES, ids=lambda o: f"{o['item']}-{sorted(o['facts'])}")
def test_remembered_and_shortened_probes_give_the_same_questions(testcounty, over):
    from conftest import make_case
    raw = make_case(**over)
    want = _reference_questions(raw, testcounty)
    assert engine.evaluate(raw, testcounty).questions == want


def test_a_probe_key_is_none_for_an_amount_or_a_requirement(program):
    assert evaluate_mod._probe_key(program, "ZJ-SR-12", {}, ["facts.逾期不改正"]) is None  # a requirement
    assert evaluate_mod._probe_key(program, "ZJ-GH-59-A", {}, ["facts.工程造价"]) is None  # an amount's quantity
    assert evaluate_mod._probe_key(program, "ZJ-SR-12", {}, ["party.age"]) is None  # not a fact or the harm


def test_a_probe_key_with_no_changed_path_is_the_stated_facts(program):
    assert evaluate_mod._probe_key(program, "ZJ-SR-12", {}, []) == ((),)


def test_a_fact_only_decision_rules_compare_is_keyed_by_its_comparisons(program):
    # 违法所得 is compared by 51号 retention and the art. 63 hearing (2000 / 10000): not by stage 1 of ZJ-SR-12
    key = lambda v: evaluate_mod._probe_key(program, "ZJ-SR-12", {"facts.违法所得": v}, ["facts.违法所得"])
    assert key(100) == key(1999.99) == key(None) != key(2000) == key(9999) != key(10000)


def test_the_harm_is_keyed_by_the_stage_1_conditions_on_it(program):
    key = lambda harm, **f: evaluate_mod._probe_key(program, "ZJ-SR-12", {"circumstances.harm": harm, **f},
                                                    ["circumstances.harm"])
    # not corrected, no first offence: the 不予处罚 rules on harm (art. 33 ¶1) hold for no value of it
    assert len({key(h) for h in (None, "none", "minor", "serious")}) == 1
    corrected = {"circumstances.corrected": True}
    # corrected: 没有造成危害后果 turns art. 33 ¶1; 危害后果轻微 would need a first offence as well
    assert key("none", **corrected) != key(None, **corrected) == key("minor", **corrected)


def test_three_valued_and_applies_are_one_evaluator_with_different_unknowns():
    applies = evaluate_mod._applies
    cond = ("and", [("cmp", "facts.a", ">", 1), ("missing", "facts.b"), ("cmp", "facts.c", "==", "x")])
    # _applies: a fact not stated is undecided, except that `missing` knows it is not stated
    assert applies(cond, {"facts.a": 2}) is None
    assert applies(cond, {"facts.a": 2, "facts.c": "x"}) is True
    assert applies(cond, {"facts.a": 0}) is False
    # three_valued: only the one unknown fact is undecided; a fact not stated is the matcher's missing fact
    assert three_valued(cond, {"facts.a": 2}, "facts.c") is None
    assert three_valued(cond, {"facts.a": 2}, "facts.a") is False  # c not stated: the comparison fails
    assert questions.kleene(cond, {"facts.a": 2, "facts.c": "x"}, lambda leaf: False) is True
