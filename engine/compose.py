"""Layers to a composite: the ruleset in force on one date.

Owns layering and versioning. The composite on date D folds, in order, every file of the province
layer with ``effective <= D``, then the city's, then the county's (each layer's files by date). A
declaration whose name already exists must say ``override``; ``override`` of nothing and ``repeal`` of
nothing are errors. A later dated file of a layer therefore amends the earlier ones. The dates themselves
are checked here too (`version_problems`): one file per layer and date, no layer before its parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

from engine import model as m
from engine.errors import Diagnostic

if TYPE_CHECKING:  # the loader (and the parser behind it) is not needed to read a composite from the cache
    from engine.loader import LayerFile

__all__ = ["Composite", "compose", "version_dates", "version_problems"]

_KINDS: dict[type, tuple[str, str]] = {
    m.Parameter: ("parameters", "parameter"),
    m.FactDecl: ("facts", "fact"),
    m.SanctionDecl: ("sanctions", "sanction"),
    m.FlagDecl: ("flags", "flag"),
    m.DomainDecl: ("domains", "domain"),
    m.Agency: ("agencies", "agency"),
    m.Area: ("areas", "area"),
    m.TownshipClass: ("classes", "township class"),
    m.ItemList: ("lists", "list"),
    m.Item: ("items", "item"),
    m.Benchmark: ("benchmarks", "benchmark"),
    m.PenaltyList: ("penalty_lists", "penalty list"),
    m.Rule: ("rules", "rule"),
}
_REPEAL_TABLE = {"item": "items", "rule": "rules", "list": "lists", "benchmark": "benchmarks",
                 "penalty_list": "penalty_lists", "agency": "agencies", "area": "areas", "parameter": "parameters"}


def _key(decl) -> str:
    if isinstance(decl, m.Item):
        return decl.code
    if isinstance(decl, m.Benchmark):
        return decl.item.name
    if isinstance(decl, m.Rule):
        return decl.id
    if isinstance(decl, m.FlagDecl):
        return decl.code
    return decl.name


@dataclass(frozen=True)
class Composite:
    """The merged declarations of a ruleset chain as in force on `on`; each table maps a name to its IR node."""

    name: str
    on: date
    version: date
    files: tuple[str, ...]
    layer_names: tuple[str, ...]
    parameters: Mapping[str, m.Parameter] = field(default_factory=dict)
    facts: Mapping[str, m.FactDecl] = field(default_factory=dict)
    sanctions: Mapping[str, m.SanctionDecl] = field(default_factory=dict)
    flags: Mapping[str, m.FlagDecl] = field(default_factory=dict)
    domains: Mapping[str, m.DomainDecl] = field(default_factory=dict)
    agencies: Mapping[str, m.Agency] = field(default_factory=dict)
    areas: Mapping[str, m.Area] = field(default_factory=dict)
    classes: Mapping[str, m.TownshipClass] = field(default_factory=dict)
    lists: Mapping[str, m.ItemList] = field(default_factory=dict)
    items: Mapping[str, m.Item] = field(default_factory=dict)
    benchmarks: Mapping[str, m.Benchmark] = field(default_factory=dict)
    penalty_lists: Mapping[str, m.PenaltyList] = field(default_factory=dict)
    rules: Mapping[str, m.Rule] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    layer_of: Mapping[str, str] = field(default_factory=dict)  # "rules:ID" -> layer name that last set it
    titles: Mapping[str, str] = field(default_factory=dict)  # layer name -> its title ("杭州市"), newest version


def version_dates(files: list[LayerFile]) -> list[date]:
    """The distinct dates on which the composite changes, ascending (each file's effective date)."""
    return sorted({lf.layer.effective for lf in files})


def version_problems(files: list[LayerFile]) -> list[Diagnostic]:
    """The problems of a chain's dates: two files of one layer taking effect on the same day (which one amends
    the other is undecidable), and a layer whose first version precedes its parent's (in force without the
    layers it extends)."""
    diags: list[Diagnostic] = []
    seen_dates: dict[tuple[str, date], m.Layer] = {}
    for lf in files:
        k = (lf.layer.name, lf.layer.effective)
        if k in seen_dates:
            diags.append(Diagnostic(code="overlapping-version", span=lf.layer.span,
                                    message=f"two versions of '{lf.layer.name}' take effect on {lf.layer.effective}",
                                    hint=f"the other one is {seen_dates[k].span.source}"))
        seen_dates[k] = lf.layer
    firsts: dict[int, m.Layer] = {}
    for lf in files:
        firsts.setdefault(lf.depth, lf.layer)
    for depth in sorted(firsts)[1:]:
        child, parent = firsts[depth], firsts[depth - 1]
        if child.effective < parent.effective:
            diags.append(Diagnostic(
                code="version-before-parent", span=child.span,
                message=f"'{child.name}' takes effect on {child.effective}, before its parent '{parent.name}' "
                        f"(first version {parent.effective})",
                hint="a layer cannot be in force without the layers it extends: date it on or after its parent"))
    return diags


def compose(files: list[LayerFile], on: date) -> tuple[Composite, list[Diagnostic]]:
    """Fold the files in force on `on` into a `Composite`; return it with the merge problems found."""
    tables: dict[str, dict] = {t: {} for t, _ in _KINDS.values()}
    layer_of: dict[str, str] = {}
    diags: list[Diagnostic] = []
    used = [lf for lf in files if lf.layer.effective <= on]
    sources: list[str] = []
    for lf in used:
        sources.extend(lf.layer.sources)
        for decl in lf.layer.declarations:
            if isinstance(decl, m.CatalogueRef):
                continue
            if isinstance(decl, m.Repeal):
                table = tables[_REPEAL_TABLE[decl.what]]
                if decl.target.name not in table:
                    diags.append(Diagnostic(code="repeal-unknown", span=decl.target.span,
                                            message=f"cannot repeal {decl.what} '{decl.target.name}': it is not declared "
                                                    f"by a parent layer or an earlier version"))
                else:
                    del table[decl.target.name]
                continue
            tname, label = _KINDS[type(decl)]
            table = tables[tname]
            key = _key(decl)
            is_override = getattr(decl, "override", False)
            if key in table and not is_override:
                prev = table[key]
                same_file = prev.span.source == decl.span.source
                diags.append(Diagnostic(
                    code="duplicate", span=decl.span,
                    message=f"{label} '{key}' is already declared at {prev.span}",
                    hint="rename it" if same_file else "write 'override' before it to replace the earlier declaration"))
                continue
            if is_override and key not in table:
                diags.append(Diagnostic(code="override-unknown", span=decl.span,
                                        message=f"'override' of {label} '{key}', which no parent layer or earlier "
                                                f"version declares", hint="remove 'override'"))
            if isinstance(decl, m.Parameter) and key in table:
                decl = _bounded_override(table[key], decl, diags)
            table[key] = decl
            layer_of[f"{tname}:{key}"] = lf.layer.name
    chain_names = tuple(dict.fromkeys(lf.layer.name for lf in files))
    comp = Composite(
        name=files[-1].layer.name if files else "", on=on,
        version=max((lf.layer.effective for lf in used), default=on),
        files=tuple(lf.path for lf in used), layer_names=chain_names,
        sources=tuple(dict.fromkeys(sources)), layer_of=MappingProxyType(layer_of),
        titles=MappingProxyType({lf.layer.name: lf.layer.title for lf in used if lf.layer.title}),
        **{k: MappingProxyType(v) for k, v in tables.items()})
    return comp, diags


def _bounded_override(prev: m.Parameter, new: m.Parameter, diags: list[Diagnostic]) -> m.Parameter:
    """An override keeps the bounds it replaces: it inherits them when it declares none, and may only narrow
    them (a county cannot widen the province's 从轻/从重 share by declaring a wider range)."""
    if prev.bounds is None:
        return new
    if new.bounds is None:
        return new.model_copy(update={"bounds": prev.bounds})
    pb, nb = prev.bounds, new.bounds
    if nb.is_percent != pb.is_percent or nb.low < pb.low or nb.high > pb.high:
        diags.append(Diagnostic(code="parameter-range", span=nb.span,
                                message=f"the range of '{new.name}' must lie inside the range it overrides "
                                        f"({_bound(pb)}, at {prev.span})", hint="narrow the range or drop it"))
        return new.model_copy(update={"bounds": prev.bounds})
    return new


def _bound(b: m.ParamRange) -> str:
    unit = "%" if b.is_percent else ""
    k = 100 if b.is_percent else 1
    return f"{(b.low * k).normalize():f}{unit}..{(b.high * k).normalize():f}{unit}"
