"""Periods of time the law counts in whole years: the limitation period (行政处罚法 art. 36) and the window of
prior violations a benchmark grade counts (一年内、二年内受过行政处罚).
"""

from __future__ import annotations

from datetime import date

from engine.case import Case

__all__ = ["add_years", "prior_count", "years_elapsed"]


def add_years(d: date, n: int) -> date:
    """The same day `n` years later (earlier for negative `n`); 29 February becomes 28 February in a common year.

    Examples:
        >>> add_years(date(2024, 2, 29), 1), add_years(date(2024, 5, 1), -2)
        (datetime.date(2025, 2, 28), datetime.date(2022, 5, 1))
    """
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February in a non-leap year: the period ends on 28 February
        return d.replace(year=d.year + n, day=28)


def years_elapsed(start: date, end: date) -> int:
    """Whole years of a limitation period that have fully run from `start` (excluded) to `end`.

    The day of the act is not counted and a period ends on the same day `n` years later (期间届满日), so
    discovery on that day is still within the period and the day after is not.

    Examples:
        >>> years_elapsed(date(2020, 3, 1), date(2022, 3, 1)), years_elapsed(date(2020, 3, 1), date(2022, 3, 2))
        (1, 2)
    """
    n = end.year - start.year
    while n > 0 and add_years(start, n) >= end:
        n -= 1
    return max(n, 0)


def prior_count(c: Case, years: int) -> int:
    """Prior violations of the case's item (a history entry without `item` is the same item) penalised within
    `years` years before the act: decided on or after the same day `years` years earlier, before `occurred_on`.

    Examples:
        >>> from engine.case import parse_case
        >>> c = parse_case({"case_id": "x", "item": "I", "place": {"county": "甲县"}, "occurred_on": "2024-05-01",
        ...     "decided_on": "2024-06-01", "party": {"kind": "individual"},
        ...     "history": [{"decided_on": "2023-05-01"}, {"decided_on": "2023-04-30"}, {"item": "J", "decided_on": "2024-01-01"}]})
        >>> prior_count(c, 1), prior_count(c, 2)
        (1, 2)
    """
    start = add_years(c.occurred_on, -years)
    return sum(1 for p in c.history or () if (p.item is None or p.item == c.item) and start <= p.decided_on < c.occurred_on)
