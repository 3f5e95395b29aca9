"""The case: the input boundary of `evaluate`, validated by pydantic.

Owns `Case` and its parts as the public contract defines them, and the conversion of a pydantic
`ValidationError` into a `CaseError` whose problems carry field paths. Checks against a particular
ruleset (item, place, facts) happen in `evaluate`. Imports `errors`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Mapping

from pydantic import (BaseModel, ConfigDict, Field, StrictBool, StringConstraints, ValidationError,
                      field_validator)

from engine.errors import CaseError, CaseProblem
from engine.numbers import clip

__all__ = ["Case", "Circumstances", "Party", "Place", "parse_case", "unreadable"]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Characters a case_id may not hold: it is echoed into decisions, error records and text a person reads, where
# a NUL truncates it in C tools, bidirectional controls reorder what is shown (an id that reads as another),
# other control characters garble a terminal, and a lone surrogate cannot be written as UTF-8.
_UNREADABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def unreadable(text: str) -> str | None:
    """Why `text` cannot be shown to a person as it is (the first offending character), or None."""
    mo = _UNREADABLE.search(text)
    if mo is None:
        return None
    return (f"must not contain control, bidirectional-override or unpaired surrogate characters "
            f"(U+{ord(mo.group()):04X} at position {mo.start() + 1})")

FactValue = StrictBool | int | Decimal | str


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Place(_Strict):
    """Where the violation happened (行政处罚法 art. 22): the county, and optionally a township or zone."""

    county: str = Field(min_length=1, description="区/县/县级市")
    township: str | None = Field(None, description="乡镇/街道")
    zone: str | None = Field(None, description="功能区")


class Party(_Strict):
    """The party: individual or organisation; for individuals, age and capacity (辨认/控制能力)."""

    kind: Literal["individual", "organisation"]
    age: int | None = Field(None, ge=0, le=150, description="周岁，按行为发生日")
    capacity: Literal["full", "limited", "none"] = "full"

    @field_validator("age", mode="before")
    @classmethod
    def _age_not_bool(cls, v: Any) -> Any:
        if isinstance(v, bool):  # pydantic would read true as 1
            raise ValueError("an age is a whole number of years, not true or false")
        return v


class Circumstances(_Strict):
    """The circumstances the 行政处罚法 weighs (arts. 30-37); booleans default to false, harm to unknown."""

    first_offence: StrictBool = False
    corrected: StrictBool = False
    no_fault: StrictBool = False
    coerced: StrictBool = False
    self_reported: StrictBool = False
    meritorious: StrictBool = False
    mitigated_harm: StrictBool = False
    life_health_or_finance: StrictBool = False
    suspected_crime: StrictBool = False
    harm: Literal["none", "minor", "serious"] | None = Field(None, description="危害后果；null = 未认定")


class Case(_Strict):
    """One case to evaluate (see the public contract for each field's meaning)."""

    # echoed back exactly as given (not trimmed), so callers can match decisions to their cases
    case_id: Annotated[str, StringConstraints(strip_whitespace=False)] = Field(min_length=1, max_length=200)
    item: str = Field(min_length=1, max_length=100)
    place: Place
    occurred_on: date
    ended_on: date | None = None
    discovered_on: date | None = None
    decided_on: date
    party: Party
    circumstances: Circumstances = Circumstances()
    facts: dict[str, FactValue] = Field(default_factory=dict)
    measures: tuple[str, ...] = ()

    @field_validator("occurred_on", "ended_on", "discovered_on", "decided_on", mode="before")
    @classmethod
    def _dates_as_text(cls, v: Any) -> Any:
        # ISO calendar dates only: pydantic would read a number, or a numeric string ("0", "86400"), as a Unix
        # timestamp and a datetime string as its date, silently moving a case into or out of the limitation period
        if v is None or (isinstance(v, date) and not isinstance(v, datetime)):
            return v
        if isinstance(v, str) and _ISO_DATE.fullmatch(v):
            return v  # pydantic still checks that the day exists (2023-02-30 is refused)
        shown = clip(repr(v))
        raise ValueError(f"write a date as text YYYY-MM-DD (a calendar date, no time, not a number), got {shown}")

    @field_validator("case_id")
    @classmethod
    def _readable_id(cls, v: str) -> str:
        bad = unreadable(v)
        if bad:
            raise ValueError(bad)
        return v

    @field_validator("facts", mode="before")
    @classmethod
    def _distinct_fact_names(cls, v: Any) -> Any:
        # names are trimmed like every text: two names that trim alike would silently overwrite each other
        if isinstance(v, Mapping):
            seen: dict[str, Any] = {}
            for k in v:
                if isinstance(k, str):
                    other = seen.setdefault(k.strip(), k)
                    if other != k:
                        raise ValueError(f"facts {other!r} and {k!r} name the same fact (spaces around names "
                                         "are ignored)")
        return v

    @field_validator("facts")
    @classmethod
    def _facts(cls, v: dict) -> dict:
        for k, x in v.items():
            if isinstance(x, Decimal) and not x.is_finite():
                raise ValueError(f"fact {k!r} is not a finite number")
        return v


def _loc(loc: tuple) -> str:
    return ".".join(str(x) for x in loc)


def parse_case(case: Case | Mapping[str, Any]) -> Case:
    """Validate a mapping (or pass through a `Case`).

    Raises:
        CaseError: each problem with its field path (``party.age``, ``facts.面积`` ...).
    """
    if isinstance(case, Case):
        return case
    if not isinstance(case, Mapping):
        raise CaseError([CaseProblem(path="", message=f"a case must be a JSON object, not {type(case).__name__}",
                                     code="type")])
    try:
        return Case.model_validate(case)
    except ValidationError as exc:
        cid = case.get("case_id") if isinstance(case.get("case_id"), str) else None
        if cid is not None and unreadable(cid):
            cid = None  # refused at case_id: never echoed
        problems = []
        for e in exc.errors(include_url=False):
            loc = e["loc"]
            if loc and loc[0] == "facts" and len(loc) >= 2:
                loc = loc[:2]  # the union's member name adds noise; the fact name is the path
            problems.append(CaseProblem(path=_loc(loc), message=e["msg"], code=e["type"]))
        dedup = list({(p.path, p.message): p for p in problems}.values())
        raise CaseError(dedup, cid) from None
