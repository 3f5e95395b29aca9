"""Issue 14, hostile input round two: each defect class found by the attack, pinned by a regression test.

Numbers and dates a person would not write, case ids that cannot be shown, parameters without bounds, deep
conditions, cache files planted by others, oversized inputs, and the command line under interruption and
undecodable input. Long or large checks are marked ``slow`` (``pytest -m slow tests/test_hostile_inputs.py``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import engine
from engine.numbers import parse_money, parse_number
from test_batch import good, rs  # noqa: F401 - the fixture ruleset and a valid case


# ── numbers: only the forms a person writes ──────────────────────────────────
@pytest.mark.parametrize("text,value", [("1000", "1000"), ("1000.5", "1000.5"), ("1,000", "1000"),
                                        ("12,500.50", "12500.50"), ("0", "0"), ("0.25", "0.25"), ("-3", "-3")])
def test_numbers_people_write_are_read(text, value):
    assert parse_number(text) == Decimal(value)


@pytest.mark.parametrize("text", ["1_000", "1e3", "1E3", "+5", "0x10", "１２", "١٢", "007", ".5", "5.", "1 000",
                                  "1,00", "10,00,000", "NaN", "Infinity", "", " 5", "1" * 41, "--1", "1,000,"])
def test_number_forms_nobody_writes_are_refused(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_money_is_never_negative_and_a_huge_number_is_not_echoed_in_full():
    with pytest.raises(ValueError, match="negative"):
        parse_money("-1")
    with pytest.raises(ValueError) as err:
        parse_number("9" * 100_000)
    assert len(str(err.value)) < 300


@pytest.mark.parametrize("text", ["1_000", "1e3", "+1000", "0x3e8"])
def test_a_fact_in_an_unwritten_form_is_a_case_error_at_the_fact(rs, text):
    with pytest.raises(engine.CaseError) as err:
        engine.evaluate(good(1, facts={"面积": text, "逾期不改正": True}), rs)
    assert err.value.path == "facts.面积"


def test_a_fact_with_a_huge_number_is_refused_without_echoing_it(rs):
    with pytest.raises(engine.CaseError) as err:
        engine.evaluate(good(1, facts={"面积": 10 ** 5000, "逾期不改正": True}), rs)
    assert err.value.path == "facts.面积" and len(str(err.value)) < 400


# ── dates: ISO calendar dates only ────────────────────────────────────────────
@pytest.mark.parametrize("value", ["0", "-0", "86400", "1686355200000", "20230301", "2023-03-01T00:00:00",
                                   "2023-03-01 00:00", "2023-3-1", "2023/03/01", 0, 86400, 1.5, True, "", "２０２３-03-01"])
@pytest.mark.parametrize("field", ["occurred_on", "decided_on", "ended_on", "discovered_on"])
def test_a_date_that_is_not_an_iso_calendar_date_is_a_case_error_at_the_field(rs, field, value):
    with pytest.raises(engine.CaseError) as err:
        engine.evaluate(good(1, **{field: value}), rs)
    assert field in {p.path for p in err.value.problems}


def test_iso_dates_and_date_values_are_read(rs):
    from datetime import date, datetime

    assert engine.evaluate(good(1, occurred_on=date(2023, 3, 1)), rs).outcome
    with pytest.raises(engine.CaseError):
        engine.evaluate(good(1, occurred_on=datetime(2023, 3, 1)), rs)


# ── case ids that cannot be shown as they are ─────────────────────────────────
@pytest.mark.parametrize("cid", ["A\x00B", "A\u202eB", "A\u2066B", "A\u200fB", "\ud800", "A\x1b[31mB", "A\x85B"])
def test_an_unreadable_case_id_is_refused_at_case_id_and_never_echoed(rs, cid):
    with pytest.raises(engine.CaseError) as err:
        engine.evaluate(good(1, case_id=cid), rs)
    assert err.value.path == "case_id" and err.value.case_id is None
    rec = engine.evaluate_many([good(1, case_id=cid)], rs)[0]
    assert isinstance(rec, engine.ErrorRecord) and rec.case_id is None
    assert cid not in rec.message


def test_ordinary_unicode_case_ids_are_kept():
    from engine.case import unreadable

    assert unreadable("杭上综执罚〔2024〕第0001号 — A/B") is None
