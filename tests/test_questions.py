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


def test_the_scan_knows_every_path_the_rules_may_leave_open_once_per_program(program):
    one, two = (questions._scan(program, code) for code in list(program.items)[:2])
    assert [set(p) for *_, p in one.rules] == list(one.rule_reads)
    assert one.rule_paths == {p for *_, paths in one.rules for p in paths}
    assert one.rules is two.rules and one.rule_reads is two.rule_reads and one.rule_paths is two.rule_paths


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


# ── the compiled conditions (questions.compiled): one fold per tree shape, the leaves tested in order ────────────
def _reference_kleene(cond: tuple, facts: dict, undecided) -> bool | None:
    """Kleene's logic interpreted node by node (the evaluator before compilation), every leaf tested in order."""
    if cond[0] in ("and", "or"):
        vals = [_reference_kleene(x, facts, undecided) for x in cond[1]]
        if cond[0] == "and":
            return False if False in vals else (None if None in vals else True)
        return True if True in vals else (None if None in vals else False)
    return None if undecided(cond) else importlib.import_module("engine.compiler").predicate(cond)(facts)


def test_the_compiled_fold_agrees_with_the_interpreted_one():
    rng = random.Random(1616)
    predicate = importlib.import_module("engine.compiler").predicate
    for _ in range(800):
        cond = _random_cond(rng)
        facts = {p: rng.randint(0, 3) for p in ("facts.a", "facts.b", "facts.c") if rng.random() < 0.6}
        for unknown in ("facts.a", "facts.b", "facts.c", "facts.x"):
            want = _reference_kleene(cond, facts, lambda leaf: leaf[1] == unknown)
            assert three_valued(cond, facts, unknown) is want
            assert questions.kleene(cond, facts, lambda leaf: leaf[1] == unknown) is want
        assert questions.compiled(cond).holds(facts) is predicate(cond)(facts)


def test_empty_groups_and_a_lone_leaf_fold_as_before():
    assert three_valued(("and", []), {}, "facts.a") is True and three_valued(("or", []), {}, "facts.a") is False
    assert three_valued(("and", [("or", []), ("cmp", "facts.a", "==", 1)]), {}, "facts.a") is False
    assert three_valued(("cmp", "facts.a", "==", 1), {"facts.a": 1}, "facts.a") is None
    assert three_valued(("cmp", "facts.a", "==", 1), {"facts.a": 1}, "facts.b") is True
    assert undecided_by(("and", []), {}, ["facts.a"]) == [] and undecided_by(("or", []), {}, ["facts.a"]) == []


def test_conditions_of_one_shape_share_one_fold_and_keep_their_own_leaves():
    one = ("and", [("cmp", "facts.a", ">", 1), ("or", [("missing", "facts.b"), ("cmp", "facts.c", "==", "x")])])
    two = ("and", [("cmp", "facts.b", "<", 5), ("or", [("present", "facts.a"), ("cmp", "facts.c", "!=", "y")])])
    k1, k2 = questions.compiled(one), questions.compiled(two)
    assert k1 is questions.compiled(one)  # once per condition
    assert k1.combine is k2.combine  # once per shape
    assert [p for _, p, _ in k1.leaves] == ["facts.a", "facts.b", "facts.c"]
    assert [p for _, p, _ in k2.leaves] == ["facts.b", "facts.a", "facts.c"]
    assert k1.holds({"facts.a": 2}) is True and k2.holds({"facts.a": 2}) is False  # b missing: b < 5 fails


def test_a_wrong_type_fails_alike_in_every_evaluator():
    predicate = importlib.import_module("engine.compiler").predicate
    cond = ("or", [("cmp", "facts.b", ">", 1), ("cmp", "facts.a", "==", True)])
    facts = {"facts.b": "x"}
    with pytest.raises(engine.EvaluationError) as want:
        predicate(cond)(facts)
    for run in (lambda: three_valued(cond, facts, "facts.a"), lambda: questions.compiled(cond).holds(facts),
                lambda: questions.kleene(cond, facts, lambda leaf: False),
                lambda: undecided_by(cond, facts, ["facts.a"])):
        with pytest.raises(engine.EvaluationError) as got:
            run()
        assert str(got.value) == str(want.value)
    # a leaf on one of several open paths is tested only when another is the unknown one: it fails then
    cond = ("and", [("cmp", "facts.a", "==", True), ("cmp", "facts.b", ">", 1)])
    with pytest.raises(engine.EvaluationError):
        undecided_by(cond, {"facts.a": True, "facts.b": "x"}, ["facts.a", "facts.b"])


def test_a_leaf_the_matcher_cannot_build_is_refused_only_when_tested():
    cond = ("and", [("cmp", "facts.a", "~", 1), ("cmp", "facts.b", "==", 1)])  # no such comparison
    assert undecided_by(cond, {"facts.b": 1}, ["facts.a"]) == ["facts.a"]  # the leaf is the unknown: not tested
    with pytest.raises(KeyError):
        three_valued(cond, {"facts.b": 1}, "facts.b")


def test_a_harm_answer_reruns_stage_1_onward_as_deciding_afresh(testcounty):
    from conftest import make_case
    case_mod = importlib.import_module("engine.case")
    for over in ({"item": "ZJ-SR-12", "facts": {"面积": 12}, "circumstances": {"first_offence": True, "corrected": True}},
                 {"item": "ZJ-SR-12", "facts": {"面积": 12}, "place": {"county": "甲县", "township": "东街道"}}):
        run = evaluate_mod._decide(case_mod.parse_case(make_case(**over)), testcounty)
        outcomes = set()
        for harm in ("none", "minor", "serious"):
            c = questions._patched(run.case, "circumstances.harm", harm)
            typed = evaluate_mod._facts(c, run.home)
            got = evaluate_mod._rerun_stage1(c, testcounty, run, typed, evaluate_mod._base_facts(c, run.home, typed))
            assert got == evaluate_mod._decide(c, testcounty, strict_proposal=False, probe=True).decision
            outcomes.add(got.outcome)
        # first offence, corrected: the harm turns art. 33 (不予处罚, 可以不予处罚); otherwise it turns nothing
        assert outcomes == ({"penalty", "no_penalty", "may_waive"} if "circumstances" in over else {"penalty"})
