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
