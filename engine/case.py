"""The case: the input boundary of `evaluate`, validated by pydantic.

Owns `Case` and its parts as the public contract defines them, and the conversion of a pydantic
`ValidationError` into a `CaseError` whose problems carry field paths. Checks against a particular
ruleset (item, place, facts) happen in `evaluate`; a `place.code` is resolved to names here.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Mapping

from pydantic import (BaseModel, ConfigDict, Field, StrictBool, StringConstraints, ValidationError,
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError

from engine.errors import CaseError, CaseProblem
from engine.places import PlaceCodeError, resolve_names
from engine.numbers import clip, parse_money
from engine.vocabulary import CIRCUMSTANCES

__all__ = ["Case", "Circumstances", "Party", "Place", "PriorViolation", "parse_case", "unreadable"]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)  # not ２０２４-…
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

    county: str | None = Field(None, min_length=1, description="区/县/县级市 (or give `code`)")
    township: str | None = Field(None, description="乡镇/街道")
    zone: str | None = Field(None, description="功能区")
    code: str | None = Field(None, min_length=1, description="统计用区划代码 of the county (6 digits) or township (9 digits, or the "
                                               "12-digit form); names left out are filled in from it")

    @model_validator(mode="before")
    @classmethod
    def _names_from_code(cls, v: Any) -> Any:
        # the names stand for the place everywhere downstream, so a code is resolved to them here (engine.places)
        mapping = v.__class__ is dict or isinstance(v, Mapping)  # a dict first: the ABC check is the slow one
        if mapping and isinstance(v.get("code"), str) and v["code"].strip():
            c, t = (v.get(k) if isinstance(v.get(k), str) else None for k in ("county", "township"))
            try:
                county, township = resolve_names(c and c.strip(), t and t.strip(), v["code"].strip())
            except PlaceCodeError as exc:
                raise PydanticCustomError("place_code", str(exc)) from None
            v = {**v, "county": county, "township": township}
        elif mapping and v.get("county") is None and v.get("code") is None:
            raise PydanticCustomError("place_missing", "give place.county or place.code")
        return v


class Party(_Strict):
    """The party: individual or organisation; for individuals, age and capacity (辨认/控制能力)."""

    kind: Literal["individual", "organisation"]
    age: int | None = Field(None, ge=0, le=150, description="周岁，按行为发生日")
    capacity: Literal["full", "limited", "none"] = "full"
    # 个体工商户: a party kind of its own in some articles (统计法 art. 41/44 第三款); for the rest of the law it is
    # an individual (kind individual), so existing cases need not say it
    sole_trader: StrictBool | None = Field(None, description="个体工商户（kind 为 individual 时）；null = 未载明")

    @field_validator("age", mode="before")
    @classmethod
    def _age_not_bool(cls, v: Any) -> Any:
        if isinstance(v, bool):  # pydantic would read true as 1
            raise ValueError("an age is a whole number of years, not true or false")
        return v


def _circumstance(key: str):
    """A yes/no circumstance, false unless the case states it, labelled with its words in the law."""
    return Field(False, description=CIRCUMSTANCES[key])


class Circumstances(_Strict):
    """The circumstances the 行政处罚法 weighs (arts. 30-37); booleans default to false, harm to unknown.

    The Chinese labels live in `engine.vocabulary.CIRCUMSTANCES`, which also gives the rules their
    ``circumstances.*`` facts; tests/test_declared_once.py ties the two together.
    """

    first_offence: StrictBool = _circumstance("first_offence")
    corrected: StrictBool = _circumstance("corrected")
    no_fault: StrictBool = _circumstance("no_fault")
    coerced: StrictBool = _circumstance("coerced")
    self_reported: StrictBool = _circumstance("self_reported")
    meritorious: StrictBool = _circumstance("meritorious")
    mitigated_harm: StrictBool = _circumstance("mitigated_harm")
    life_health_or_finance: StrictBool = _circumstance("life_health_or_finance")
    suspected_crime: StrictBool = _circumstance("suspected_crime")
    harm: Literal["none", "minor", "serious"] | None = Field(None, description="危害后果；null = 未认定")


class PriorViolation(_Strict):
    """A violation of the party penalised before this act (for "一年内再次发生" and the like)."""

    item: str | None = Field(None, min_length=1, max_length=100,
                             description="事项编码；null = 与本案同一事项")
    decided_on: date = Field(description="作出行政处罚决定的日期（被查处）")

    @field_validator("decided_on", mode="before")
    @classmethod
    def _date_as_text(cls, v: Any) -> Any:
        if isinstance(v, (bool, int, float, Decimal)):
            raise ValueError("write a date as text YYYY-MM-DD, not as a number")
        return v


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
    proposed_fine: Decimal | None = Field(None, description="拟罚款金额（元，十进制字符串）；给出时按拟罚款判断听证、法制审核等门槛")
    history: tuple[PriorViolation, ...] | None = Field(
        None, description="当事人此前受到行政处罚的违法行为；[] = 载明没有，null = 未载明（裁量基准读它时成为待查明的事实）")

    @field_validator("proposed_fine", mode="before")
    @classmethod
    def _money_as_written(cls, v: Any) -> Any:
        # a proposal is a sum of money as a person writes it (engine.numbers), in yuan and fen
        if v is None:
            return v
        if isinstance(v, float):
            v = repr(v)  # JSON numbers arrive as float: repr is the shortest text that reads back (1999.99)
        try:
            d = parse_money(v.strip() if isinstance(v, str) else v)
        except ValueError as exc:
            raise ValueError(f"the proposed fine {exc}; write it as \"2000\" or \"1999.99\"") from None
        if d != d.quantize(Decimal("0.01")):
            raise ValueError("the proposed fine has at most two decimals (yuan and fen)")
        return d

    @field_validator("occurred_on", "ended_on", "discovered_on", "decided_on", mode="before")
    @classmethod
    def _dates_as_text(cls, v: Any) -> Any:
        # ISO calendar dates only: pydantic would read a number, or a numeric string ("0", "86400"), as a Unix
        # timestamp and a datetime string as its date, silently moving a case into or out of the limitation period
        if v.__class__ is str and _ISO_DATE.fullmatch(v):
            return v  # pydantic still checks that the day exists (2023-02-30 is refused)
        if v is None or (isinstance(v, date) and not isinstance(v, datetime)):
            return v
        if isinstance(v, str) and _ISO_DATE.fullmatch(v):
            return v
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
        if v.__class__ is dict or isinstance(v, Mapping):
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
    if case.__class__ is not dict:  # a dict is what is read most: the ABC checks below are the slow ones
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
            elif e["type"] in ("place_code", "place_missing"):  # raised for the whole place: name the field
                loc = (*loc, "code" if e["type"] == "place_code" else "county")
            problems.append(CaseProblem(path=_loc(loc), message=e["msg"], code=e["type"]))
        dedup = list({(p.path, p.message): p for p in problems}.values())
        raise CaseError(dedup, cid) from None
