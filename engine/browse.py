"""Read-only views of a loaded ruleset for people and services that browse it.

Owns the public, JSON-ready views beyond `Ruleset.items` and `Ruleset.areas`: the declared facts, the case
fields an item's decision reads, discretion benchmarks with their grades, the no-penalty / reduced-penalty
lists, the parameters marked confirmed or not, and the empowerment lists behind each township or zone.
Each view takes an optional date and then shows the version in force on it. Imports `ruleset`, `loader`, `model`, `errors`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine import model as m
from engine.errors import UnknownItem
from engine.loader import default_root
from engine.ruleset import Ruleset

__all__ = ["BenchmarkView", "EntryView", "FactView", "GradeView", "ListView", "ParameterView", "TownshipLists",
           "benchmark", "facts", "item_inputs", "parameters", "penalty_lists", "ruleset_names", "township_lists"]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class FactView(_View):
    """A fact a case may declare under ``facts``: its name, type, allowed members (enum) and description."""

    name: str
    type: Literal["money", "number", "integer", "yes/no", "text", "enum"]
    members: tuple[str, ...] = ()
    description: str | None = None


class GradeView(_View):
    """One benchmark grade: its name, its condition as written, and the range per party kind."""

    name: str
    when: str | None
    ranges: dict[str, str]


class BenchmarkView(_View):
    """The discretion benchmark (裁量基准) of one item."""

    item: str
    grades: tuple[GradeView, ...]
    adjustments: tuple[str, ...]
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    unconfirmed: bool


class EntryView(_View):
    """One entry of a penalty list: the item, its condition as written, and the list's note."""

    item: str
    when: str | None
    note: str | None


class ListView(_View):
    """A no-penalty (不予处罚), may-waive (首违不罚) or reduced-penalty list."""

    name: str
    title: str
    kind: Literal["no_penalty", "may_waive", "reduced"]
    entries: tuple[EntryView, ...]
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    unconfirmed: bool


class ParameterView(_View):
    """A named value of the ruleset (thresholds, percentages) and whether its source confirms it."""

    name: str
    value: str | bool | None
    description: str | None
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    unconfirmed: bool


class TownshipLists(_View):
    """The empowerment lists a township or zone exercises in its own name, and how many items they give."""

    area: str
    parent: str | None
    mode: Literal["empowered", "dispatched", "none"]
    township_class: str | None
    lists: tuple[tuple[str, str], ...]  # (name, title)
    items: int


def _program(rs: Ruleset, on: date | None):
    if on is None:
        return rs.current
    return rs.program_at(on) or rs.first


def _scalar(v: object) -> str | bool | None:
    if isinstance(v, Decimal):
        return str(int(v)) if v == v.to_integral_value() else format(v.normalize(), "f")
    return v  # type: ignore[return-value]


def _value(v: m.Literal_ | m.Symbol) -> str:
    if isinstance(v, m.Symbol):
        return v.name
    if isinstance(v.value, bool):
        return "yes" if v.value else "no"
    if isinstance(v.value, str):
        return f'"{v.value}"'
    return str(_scalar(v.value))


def condition_text(c: object) -> str:
    """A condition as the DSL writes it (``facts.拒不改正 == yes and circumstances.harm in [none, minor]``)."""
    if isinstance(c, m.Comparison):
        return f"{c.fact.name} {c.op} {_value(c.value)}"
    if isinstance(c, m.Presence):
        return f"{c.fact.name} is {'present' if c.kind == 'present' else 'missing'}"
    if isinstance(c, m.Membership):
        return f"{c.fact.name} in [{', '.join(_value(v) for v in c.values)}]"
    if isinstance(c, (m.AllOf, m.AnyOf)):
        sep = " and " if isinstance(c, m.AllOf) else " or "
        return sep.join(f"({condition_text(t)})" if isinstance(t, (m.AllOf, m.AnyOf)) else condition_text(t)
                        for t in c.terms)
    return ""


def _paths(c: object) -> set[str]:
    if isinstance(c, (m.AllOf, m.AnyOf)):
        return set().union(*(_paths(t) for t in c.terms))
    if isinstance(c, (m.Comparison, m.Presence, m.Membership)):
        return {c.fact.name}
    return set()


def _amount(a: m.Amount) -> str:
    lo, hi = _scalar(a.low), _scalar(a.high)
    if a.kind == "range":
        return f"{lo}–{hi} 元"
    unit = "%" if a.kind == "percent" else " 倍"
    if a.kind == "percent":
        lo, hi = _scalar(a.low * 100), _scalar(a.high * 100)
    return f"{a.of.name if a.of else ''} 的 {lo}–{hi}{unit}"


def ruleset_names(root: str | Path | None = None) -> tuple[str, ...]:
    """The names of the rulesets under `root` (the embedded default rulesets if None): every directory holding
    ``.rules`` files, relative to the root, parents before their children (``hangzhou``, ``hangzhou/binjiang``)."""
    base = Path(root) if root is not None else default_root()
    return tuple(sorted({p.parent.relative_to(base).as_posix() for p in base.rglob("*.rules")} - {"."}))


def facts(rs: Ruleset, on: date | None = None) -> tuple[FactView, ...]:
    """Every fact the ruleset declares (in declaration order), in the version in force on `on` (newest if None)."""
    comp = _program(rs, on).composite
    return tuple(FactView(name=f.name, type=f.type, members=f.members, description=f.description)
                 for f in comp.facts.values())


def item_inputs(rs: Ruleset, code: str, on: date | None = None) -> tuple[str, ...]:
    """The case fields the decision on item `code` reads beyond the fields every case has: the facts the item
    requires, the quantity its fine is computed from, and what its benchmark grades and list entries test.

    Returns sorted case paths (``facts.拒不改正``, ``circumstances.harm`` ...).

    Raises:
        UnknownItem: the code is not in that version's catalogue.
    """
    prog = _program(rs, on)
    comp = prog.composite
    it = comp.items.get(code)
    if it is None:
        raise UnknownItem(code)
    out = {f"facts.{r.name}" for r in it.requires}
    for clause in it.penalties:
        for s in clause.sanctions:
            if s.amount is not None and s.amount.of is not None:
                out.add(f"facts.{s.amount.of.name}")
    bm = comp.benchmarks.get(code)
    if bm is not None:
        for g in bm.grades:
            out |= _paths(g.when)
            for r in g.ranges:
                if r.amount.of is not None:
                    out.add(f"facts.{r.amount.of.name}")
        for a in bm.adjustments:
            out |= _paths(a.when)
    for pl in comp.penalty_lists.values():
        for e in pl.entries:
            if e.item.name == code:
                out |= _paths(e.when)
    return tuple(sorted(out))


def benchmark(rs: Ruleset, code: str, on: date | None = None) -> BenchmarkView | None:
    """The discretion benchmark of item `code`, or None if the ruleset has none for it."""
    bm = _program(rs, on).composite.benchmarks.get(code)
    if bm is None:
        return None
    grades = []
    for g in bm.grades:
        ranges = {("全部" if r.party == "all" else "个人" if r.party == "individual" else "单位"): _amount(r.amount)
                  for r in g.ranges}
        grades.append(GradeView(name=g.name, when=condition_text(g.when) if g.when else None, ranges=ranges))
    adjust = tuple(f"{'从重' if a.direction == 'heavier' else '从轻'}：{condition_text(a.when)}"
                   + (f"（{a.reason}）" if a.reason else "") for a in bm.adjustments)
    return BenchmarkView(item=code, grades=tuple(grades), adjustments=adjust, sources=bm.meta.sources,
                         notes=bm.meta.notes, unconfirmed=bm.meta.unconfirmed)


def penalty_lists(rs: Ruleset, on: date | None = None) -> tuple[ListView, ...]:
    """The no-penalty, may-waive and reduced-penalty lists with their entries."""
    comp = _program(rs, on).composite
    return tuple(ListView(name=pl.name, title=pl.title or pl.name, kind=pl.kind,
                          entries=tuple(EntryView(item=e.item.name, when=condition_text(e.when) if e.when else None,
                                                  note=e.note) for e in pl.entries),
                          sources=pl.meta.sources, notes=pl.meta.notes, unconfirmed=pl.meta.unconfirmed)
                 for pl in comp.penalty_lists.values())


def parameters(rs: Ruleset, on: date | None = None) -> tuple[ParameterView, ...]:
    """The parameters (thresholds, percentages) with their sources and whether they are unconfirmed."""
    comp = _program(rs, on).composite
    out = []
    for p in comp.parameters.values():
        v = _scalar(p.value)
        if p.is_percent and isinstance(p.value, Decimal):
            v = f"{_scalar(p.value * 100)}%"
        out.append(ParameterView(name=p.name, value=v, description=p.description, sources=p.meta.sources,
                                 notes=p.meta.notes, unconfirmed=p.meta.unconfirmed))
    return tuple(out)


def township_lists(rs: Ruleset, on: date | None = None) -> tuple[TownshipLists, ...]:
    """For each township and zone: its mode, its class, the empowerment lists it exercises and their item count."""
    prog = _program(rs, on)
    comp = prog.composite
    out = []
    for a in comp.areas.values():
        if a.kind == "county":
            continue
        names = [r.name for r in a.lists]
        cls = a.township_class.name if a.township_class else None
        if cls and cls in comp.classes:
            names = [r.name for r in comp.classes[cls].lists] + names
        lists = tuple((n, (comp.lists[n].title or n) if n in comp.lists else n) for n in names)
        out.append(TownshipLists(area=a.name, parent=a.parent.name if a.parent else None, mode=a.mode,
                                 township_class=cls, lists=lists, items=len(prog.empowered.get(a.name, ()))))
    return tuple(out)
