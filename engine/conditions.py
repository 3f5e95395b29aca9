"""The resolved form of a condition: what the checker builds, the compiler compiles and evaluation reads.

A resolved condition is a plain tuple: ``("cmp", path, op, value)``, ``("present", path)``,
``("missing", path)``, or ``("and" | "or", [conditions])``; values are what the matcher compares
(`scalar`). The checker (`check._Resolver`) builds them from the IR and reports every name it cannot
resolve; nothing here reports.
"""

from __future__ import annotations

from decimal import Decimal

from engine.vocabulary import phase_of

__all__ = ["paths_of", "phase", "scalar"]


def scalar(value):
    """Convert an IR value to what the matcher compares: Decimal → int (if whole) or float.

    Examples:
        >>> scalar(Decimal("3")), scalar(Decimal("2.5")), scalar("text")
        (3, 2.5, 'text')
    """
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def paths_of(cond: tuple) -> set[str]:
    """Every fact path a resolved condition reads.

    Examples:
        >>> sorted(paths_of(("and", [("cmp", "facts.a", ">", 1), ("missing", "party.age")])))
        ['facts.a', 'party.age']
    """
    if cond[0] in ("and", "or"):
        return set().union(*(paths_of(c) for c in cond[1]))
    return {cond[1]}


def phase(cond: tuple | None) -> int:
    """The stage that can decide a resolved condition: 2 if it reads the computed decision, else 1 (the case).

    Examples:
        >>> phase(("cmp", "penalty.fine.max", ">", 1000)), phase(("present", "facts.a")), phase(None)
        (2, 1, 1)
    """
    return max((phase_of(p) for p in paths_of(cond)), default=1) if cond else 1
