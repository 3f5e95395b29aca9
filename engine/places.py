"""Places: Zhejiang's statistical division table, `place.code` on a case, and the check of a case's place.

Owns the shipped table ``rulesets/divisions/zhejiang-2022.csv`` (国家统计局 2022 统计用区划代码; see the README
beside it), the forms of a code the engine accepts (county 6 digits, township 9 digits as in the table, or the
12-digit 统计用区划代码 that pads them with zeros), the resolution of a code to names, and the place check that
`evaluate` runs against a ruleset's declared areas (unknown county or township, a real Zhejiang county the
ruleset does not declare, a township in another county). Imports `errors` only, so that `case` can use it;
the areas are taken duck-typed (``name``, ``kind``, ``parent.name``, ``code``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

from engine.errors import CaseProblem, close_names

__all__ = ["Division", "Divisions", "PlaceCodeError", "check_place", "county_rulesets", "divisions",
           "normalise_code", "resolve_names"]

TABLE = "zhejiang-2022.csv"
_LEVELS = {"省": "province", "地级": "city", "县级": "county", "乡级": "township"}


@dataclass(frozen=True)
class Division:
    """One row of the division table: a province, city, county or township-level unit."""

    code: str
    name: str
    level: str  # province | city | county | township
    category: str  # 街道 / 镇 / 乡 / 区 / 县 / 县级市 / 其他 ...
    parent: str | None  # the parent's code


class Divisions:
    """The division table, indexed by code and by (parent, name)."""

    def __init__(self, rows: Iterable[Division], source: str):
        self.source = source
        self.by_code: dict[str, Division] = {}
        self._by_name: dict[tuple[str | None, str], Division] = {}
        self.counties: dict[str, Division] = {}
        for d in rows:
            self.by_code[d.code] = d
            self._by_name[(d.parent, d.name)] = d
            if d.level == "county":
                self.counties[d.name] = d  # county names are unique within Zhejiang (checked by a test)

    def county(self, name: str) -> Division | None:
        """The county (区/县/县级市) of this name, or None."""
        return self.counties.get(name)

    def township(self, county_code: str, name: str) -> Division | None:
        """The township-level unit `name` of the county with `county_code`, or None."""
        d = self._by_name.get((county_code, name))
        return d if d is not None and d.level == "township" else None

    def townships(self, county_code: str) -> list[Division]:
        """All township-level units of a county, in code order."""
        return sorted((d for d in self.by_code.values() if d.parent == county_code and d.level == "township"),
                      key=lambda d: d.code)

    def city_of(self, d: Division) -> Division | None:
        """The prefecture-level city a county or township belongs to."""
        while d is not None and d.level not in ("city", "province"):
            d = self.by_code.get(d.parent or "")
        return d if d is not None and d.level == "city" else None


def _root() -> Path:
    # the same rule as loader.default_root (a lower layer cannot import loader)
    packaged = resources.files("engine") / "rulesets"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "rulesets"


@lru_cache(maxsize=4)
def divisions(path: str | None = None) -> Divisions:
    """The shipped division table (or the table at `path`), read once."""
    p = Path(path) if path else _root() / "divisions" / TABLE
    with open(p, encoding="utf-8-sig", newline="") as fh:
        rows = [Division(code=r["代码"], name=r["名称"], level=_LEVELS[r["级别"]], category=r["类别"],
                         parent=r["上级代码"] or None) for r in csv.DictReader(fh)]
    return Divisions(rows, str(p))


class PlaceCodeError(ValueError):
    """A `place.code` that is malformed, unknown or disagrees with the names given beside it."""


def normalise_code(code: str) -> str:
    """The table's own form of a county or township code: 6 or 9 digits.

    Accepts 6 digits (county), 9 digits (township, as the table has it) and the 12-digit 统计用区划代码, whose
    trailing zeros are dropped (330102000000 → 330102, 330102001000 → 330102001).

    Raises:
        PlaceCodeError: not 6, 9 or 12 digits, or a 12-digit code that is a village-level code.
    """
    if not re.fullmatch(r"[0-9]+", code or ""):
        raise PlaceCodeError(f"a statistical division code is made of digits; {code!r} is not")
    if len(code) == 12:
        if code.endswith("000000"):
            return code[:6]
        if code.endswith("000"):
            return code[:9]
        raise PlaceCodeError(f"{code} is a village-level (村级) code; give the county (6 digits) or the township "
                             "(9 digits, or 12 ending in 000)")
    if len(code) in (6, 9):
        return code
    raise PlaceCodeError(f"a county code has 6 digits and a township code 9 (or 12 with trailing zeros); "
                         f"{code!r} has {len(code)}")


def resolve_names(county: str | None, township: str | None, code: str,
                  table: Divisions | None = None) -> tuple[str, str | None]:
    """The county and township named by `code`, checked against the names given beside it.

    Returns:
        ``(county, township)``: the names the code stands for (township None for a county code), or the
        township given beside a county code.
    Raises:
        PlaceCodeError: the code is malformed, not a Zhejiang county or township, or names another place than
        ``place.county`` / ``place.township`` (the message names both fields).
    """
    t = table or divisions()
    canon = normalise_code(code)
    d = t.by_code.get(canon)
    if d is None:
        hint = "" if canon.startswith("33") else " (Zhejiang codes begin with 33)"
        raise PlaceCodeError(f"place.code {code} is not a county or township of Zhejiang in the 2022 "
                             f"statistical division table{hint}")
    if d.level not in ("county", "township"):
        raise PlaceCodeError(f"place.code {code} is {d.name}, a {d.level}; give a county or township code")
    if d.level == "county":
        c_div, t_div = d, None
    else:
        c_div, t_div = t.by_code[d.parent or ""], d
    city = t.city_of(c_div)
    what = (f"{d.name} in {c_div.name}" if t_div is not None else d.name) + f" ({city.name if city else '浙江省'})"
    if county is not None and county != c_div.name:
        raise PlaceCodeError(f"place.code {code} is {what}, but place.county is {county!r}; the names and the "
                             "code must agree")
    if t_div is not None and township is not None and township != t_div.name:
        raise PlaceCodeError(f"place.code {code} is {what}, but place.township is {township!r}; the names and the "
                             "code must agree")
    return c_div.name, (t_div.name if t_div is not None else township)


@lru_cache(maxsize=4)
def county_rulesets(root: str | None = None) -> dict[str, str]:
    """The counties declared by the embedded rulesets, each with its ruleset's name (``上城区`` → ``hangzhou/shangcheng``).

    A light scan for ``county NAME`` declarations at the start of a line (comments start with ``#``): it is
    used for messages only, and must not load (and so check and compile) every ruleset to say which exist.
    """
    base = Path(root) if root else _root()
    out: dict[str, str] = {}
    if not base.is_dir():
        return out
    for p in sorted(base.rglob("*.rules")):
        name = str(p.parent.relative_to(base)).replace("\\", "/")
        for mo in re.finditer(r"^county\s+([^\s\"#]+)", p.read_text(encoding="utf-8-sig"), re.M):
            out.setdefault(mo.group(1), name)
    return out


def _rulesets_text() -> str:
    have = county_rulesets()
    return "、".join(f"{rs}（{county}）" for county, rs in sorted(have.items(), key=lambda kv: kv[1])) or "none"


def no_ruleset_message(county: str) -> str | None:
    """For a real Zhejiang county, the message that names it and the county rulesets that exist; else None."""
    t = divisions()
    d = t.county(county)
    if d is None:
        return None
    city = t.city_of(d)
    return (f"{county} is a county of Zhejiang ({city.name if city else '浙江省'}, code {d.code}) but has no county "
            f"ruleset; the county rulesets that exist: {_rulesets_text()}")


def _problem(path: str, message: str, code: str) -> CaseProblem:
    return CaseProblem(path=path, message=message, code=code)


def check_place(place: Any, areas: Mapping[str, Any], ruleset: str | None = None) -> list[CaseProblem]:
    """The problems of a case's place against a ruleset's areas (name → area with ``kind`` and ``parent``).

    The case's code, if any, was resolved to names when the case was read (`engine.case.Place`).
    """
    problems: list[CaseProblem] = []
    t = divisions()
    county = areas.get(place.county)
    if county is None or county.kind != "county":
        here = f"ruleset {ruleset}" if ruleset else "this ruleset"
        real = t.county(place.county)
        if real is not None:
            covered = [a.name for a in areas.values() if a.kind == "county"]
            city = t.city_of(real)
            msg = (f"{place.county} is a county of Zhejiang ({city.name if city else '浙江省'}, code {real.code}) "
                   f"that {here} does not declare" + (f" (it declares {', '.join(covered)})" if covered else "")
                   + f"; the county rulesets that exist: {_rulesets_text()}")
            problems.append(_problem("place.county", msg, "no_ruleset"))
        else:
            close = close_names(place.county, [a.name for a in areas.values() if a.kind == "county"])
            problems.append(_problem("place.county", f"unknown county {place.county!r}" +
                                     (f"; did you mean {', '.join(close)}?" if close else ""), "unknown_place"))
    for part, kind in (("township", "township"), ("zone", "zone")):
        name = getattr(place, part)
        if name is None:
            continue
        a = areas.get(name)
        if a is None or a.kind != kind:
            known = [x.name for x in areas.values() if x.kind == kind and x.parent and x.parent.name == place.county]
            close = close_names(name, known)
            msg = f"unknown {kind} {name!r}" + (f"; did you mean {', '.join(close)}?" if close else "")
            real = t.county(place.county)
            if kind == "township" and real is not None and county is not None and t.township(real.code, name):
                msg += (f" ({name} is a township of {place.county} in the 2022 statistical division table, but the "
                        "ruleset does not declare it)")
            problems.append(_problem(f"place.{part}", msg, "unknown_place"))
        elif a.parent is None or a.parent.name != place.county:
            problems.append(_problem(f"place.{part}", f"{name!r} is in {a.parent.name if a.parent else '?'}, "
                                                      f"not in {place.county!r}", "mismatched_place"))
    return problems
