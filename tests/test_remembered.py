"""What stage 1 and the reading of a case remember between decisions (issue 16) gives the answers it would give
without remembering: a remembered adjusted range, a place checked once, a whole-number fact typed without the
parser, a penalty's stage-2 facts. Each test decides twice or more where the second answer could come from memory.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

import engine
from engine.assess import adjust_range
from engine.errors import CaseError

from conftest import make_case


def test_adjust_range_remembered_keeps_the_callers_ceiling():
    # 减轻 returns the statutory minimum as the ceiling the fine stays below: equal minimums written differently
    # (200 and 200.00) share the remembered range, but each call gets its own minimum back
    kinds = frozenset({"lighter_or_reduced"})
    first = adjust_range((D("200"), D("200")), (D("200"), D("200")), kinds, D("0.5"))
    second = adjust_range((D("200.00"), D("200.00")), (D("200.00"), D("200.00")), kinds, D("0.5"))
    assert str(first.reduced_ceiling) == "200" and str(second.reduced_ceiling) == "200.00"
    assert first.fine == second.fine == (D("0.00"), D("200.00"))
    assert first.notes == second.notes


def test_adjust_range_remembered_is_the_same_answer():
    args = ((D(200), D(1000)), (D(200), D(1000)), frozenset({"heavier"}), D("0.3"))
    assert adjust_range(*args) == adjust_range(*args)
    assert adjust_range(*args).fine == (D("760.00"), D("1000.00"))


def test_a_place_checked_once_still_refuses_a_wrong_one(testcounty):
    # a place without a problem is remembered as such; a wrong township in the same county is still refused
    engine.evaluate(make_case(), testcounty)
    with pytest.raises(CaseError) as err:
        engine.evaluate(make_case(place={"county": "甲县", "township": "无此镇"}), testcounty)
    assert [p.path for p in err.value.problems] == ["place.township"]
    with pytest.raises(CaseError):
        engine.evaluate(make_case(place={"county": "甲县", "township": "无此镇"}), testcounty)


@pytest.mark.parametrize("value,code", [(-1, "negative"), (10 ** 13 + 1, "range"), (True, "type")])
def test_whole_number_facts_out_of_range_are_refused(testcounty, value, code):
    # whole numbers in range are typed directly; the others go through the full check, with its messages
    with pytest.raises(CaseError) as err:
        engine.evaluate(make_case(facts={"面积": value}), testcounty)
    assert [(p.path, p.code) for p in err.value.problems] == [("facts.面积", code)]


def test_whole_number_fact_is_the_same_as_its_text(testcounty):
    as_int = engine.evaluate(make_case(facts={"面积": 10 ** 13}), testcounty)
    as_text = engine.evaluate(make_case(facts={"面积": "10000000000000"}), testcounty)
    assert as_int.model_dump() == as_text.model_dump()


def test_penalty_facts_remembered_do_not_leak_between_decisions(testcounty):
    # the same penalty's stage-2 facts serve several decisions: deciding other cases in between changes nothing
    first = engine.evaluate(make_case(), testcounty).model_dump_json()
    engine.evaluate(make_case(party={"kind": "individual", "age": 16}), testcounty)
    engine.evaluate(make_case(party={"kind": "organisation"}), testcounty)
    assert engine.evaluate(make_case(), testcounty).model_dump_json() == first


def test_a_memo_starts_again_when_full_and_never_grows_past_its_bound():
    from engine.prepared import _BOUND, Memo

    memo = Memo()
    for i in range(_BOUND):
        memo[i] = i
    memo[0] = "again"  # a key it holds: replaced, nothing forgotten
    assert len(memo) == _BOUND and memo[0] == "again"
    memo["new"] = 1  # one more key: it starts again
    assert dict(memo) == {"new": 1}


def test_close_names_is_difflibs_answer():
    # errors.close_names scores only the candidates that can still reach the n-th best score; it must offer
    # exactly what difflib.get_close_matches offers (order and ties by name included)
    import difflib
    import random

    from engine.errors import close_names

    rng = random.Random(16)
    alphabet = "HZ34-0189乙街道镇AB"
    for _ in range(3000):
        known = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9))) for _ in range(rng.randint(0, 40))]
        known += known[: rng.randint(0, 5)]  # repeated names
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
        cutoff, n = rng.choice([0.0, 0.3, 0.5, 0.6, 0.8, 1.0]), rng.randint(1, 4)
        assert close_names(name, known, cutoff, n) == difflib.get_close_matches(name, known, n, cutoff), (name, known)


def test_an_unknown_item_is_suggested_the_same_codes_the_second_time(testcounty):
    case = make_case(item="ZJ-SR-1X")
    messages = []
    for _ in range(2):
        with pytest.raises(CaseError) as e:
            engine.evaluate(case, testcounty)
        messages.append(str(e.value))
    assert "did you mean" in messages[0] and messages[0] == messages[1]
