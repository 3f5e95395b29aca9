"""Static checks on a composite ruleset, and name resolution of conditions.

Owns every semantic diagnostic: unknown names (with a suggestion), type mismatches, benchmark ranges
outside the statutory range or not monotone, overlapping or missing grade conditions, empowered items
absent from the catalogue, items with no handling body (三不管) or two (多头管) in one place, exception
cycles, rules reading the decision they would change. All problems are collected, never just the first.

`check` runs one small pass per declaration kind (`_CHECKS`, in order) and returns a `Checked`: the
diagnostics, every condition resolved and each rule's stage, which `compiler.compile_composite` consumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Callable, Mapping

from engine import law, model as m
from engine.citations import check_citations
from engine.compose import Composite
from engine.conditions import phase, scalar
from engine.errors import Diagnostic, suggest
from engine.jurisdiction import handler_candidates, handler_index, list_items
from engine.places import PlaceCodeError, divisions, normalise_code
from engine.vocabulary import BUILTIN, PathType

__all__ = ["CheckMemo", "Checked", "check"]


@dataclass(frozen=True)
class Checked:
    """The checker's result for one composite: what `compiler.compile_composite` consumes.

    Attributes:
        composite: the composite checked (it keeps the condition nodes `conditions` is keyed by alive).
        diagnostics: every problem found (errors and warnings), merge problems first, in the order found.
        conditions: ``id(node)`` of each condition node → its resolved form, None where it has a problem.
        phases: rule id → the stage that decides it (1: the case, 2: the computed decision).
    """

    composite: Composite
    diagnostics: tuple[Diagnostic, ...]
    conditions: Mapping[int, tuple | None]
    phases: Mapping[str, int]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics of severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    def condition(self, node) -> tuple | None:
        """The resolved form of a condition node of `composite` (None for no condition, or one with a problem)."""
        return None if node is None else self.conditions[id(node)]


class CheckMemo:
    """What `check` found for the declarations several composites share: the dated versions of one ruleset chain
    hold the same benchmark objects (a province amendment replaces a few items, not the city's 5,000 benchmarks),
    and a benchmark's check reads only itself, its item and the names its conditions use. Pass one memo to the
    `check` of every version: a benchmark is checked once per distinct (benchmark, item, declared names), and
    the later versions get the same diagnostics and resolved conditions.

    The memo keeps every object its keys name alive (keys are ``id``s); hold it only while loading.
    """

    def __init__(self) -> None:
        self._benchmarks: dict[tuple, tuple[list[Diagnostic], list[tuple[int, tuple | None]]]] = {}
        self._envs: dict[int, int] = {}
        self._names: dict[tuple, int] = {}
        self._alive: list = []

    def env(self, comp: Composite) -> int:
        """The identity of the tables a benchmark's check reads besides its item: facts, sanctions, parameters,
        domains and areas (each name with its declaration object; a version that redeclares any differs)."""
        key = self._envs.get(id(comp))
        if key is None:
            tables = (comp.facts, comp.sanctions, comp.parameters, comp.domains, comp.areas)
            names = tuple(tuple((k, id(v)) for k, v in t.items()) for t in tables)
            # a small number stands for the (large) tuple: it is part of one key per benchmark
            key = self._names.setdefault(names, len(self._names))
            self._alive.append((comp, tables))
            self._envs[id(comp)] = key
        return key


def check(comp: Composite, merge_diags: list[Diagnostic] | tuple[Diagnostic, ...] = (),
          memo: CheckMemo | None = None) -> Checked:
    """Run every static check on `comp`: all diagnostics (errors and warnings, merge problems first), every
    condition resolved, and each rule's stage. With `memo` (one per ruleset chain, see `CheckMemo`), what an
    earlier composite of the chain shares with `comp` is not checked again: the result is the same."""
    report = _Report(comp, merge_diags)
    report.memo = memo
    for run in _CHECKS:
        run(comp, report)
    return report.result()


class _Report:
    """The diagnostics of one check run, in the order found, and the one resolver that adds to them."""

    def __init__(self, comp: Composite, merge_diags):
        self.diagnostics: list[Diagnostic] = list(merge_diags)
        self.resolver = _Resolver(comp, self.diagnostics)
        self.phases: dict[str, int] = {}
        self.memo: CheckMemo | None = None

    def err(self, code: str, message: str, span, hint: str | None = None) -> None:
        """Report an error."""
        self.diagnostics.append(Diagnostic(code=code, message=message, span=span, hint=hint))

    def warn(self, code: str, message: str, span, hint: str | None = None) -> None:
        """Report a warning."""
        self.diagnostics.append(Diagnostic(code=code, message=message, span=span, hint=hint, severity="warning"))

    def known(self, ref: m.Ref, table: Mapping, what: str) -> bool:
        """Whether `ref` names a declared `what`; if not, report ``unknown-WHAT`` with a suggestion."""
        if ref.name in table:
            return True
        self.err(f"unknown-{what.replace(' ', '-')}", f"unknown {what} '{ref.name}'", ref.span,
                 suggest(ref.name, table))
        return False

    def resolve(self, cond) -> tuple | None:
        """Resolve a condition (once), reporting its unknown names and type mismatches."""
        return self.resolver.resolve(cond)

    def result(self) -> Checked:
        """The frozen result of the run."""
        return Checked(self.resolver.comp, tuple(self.diagnostics), MappingProxyType(dict(self.resolver.memo)),
                       MappingProxyType(dict(self.phases)))


# ── the passes, in the order they report ───────────────────────────────────────
def _check_parameters(comp: Composite, report: _Report) -> None:
    """Every numeric parameter declares its bounds (``range LOW..HIGH``) and its value lies inside them, so no
    threshold or share can be set outside what its declaring layer allowed."""
    err = report.err
    for p in comp.parameters.values():
        numeric = isinstance(p.value, Decimal)
        b = p.bounds
        if not numeric:
            if b is not None:
                err("parameter-range", f"'{p.name}' is {'yes/no' if isinstance(p.value, bool) else 'text'}: "
                                       "a range applies to numbers and percentages only", b.span, "drop the range")
            continue
        if b is None:
            err("parameter-range-missing", f"parameter '{p.name}' declares no bounds", p.span,
                f"add: range LOW..HIGH after its description (e.g. range {'0%..50%' if p.is_percent else '0..100000'})")
            continue
        if b.is_percent != p.is_percent:
            err("parameter-range", f"the range of '{p.name}' is {'a percentage' if b.is_percent else 'a number'}, "
                                   f"its value {'is not' if b.is_percent else 'is a percentage'}", b.span)
            continue
        if b.low > b.high:
            err("parameter-range", f"the range of '{p.name}' is empty ({_pshow(b.low, b.is_percent)} > "
                                   f"{_pshow(b.high, b.is_percent)})", b.span)
            continue
        if not b.low <= p.value <= b.high:
            err("parameter-out-of-range", f"'{p.name}' = {_pshow(p.value, p.is_percent)} is outside its declared "
                                          f"range {_pshow(b.low, b.is_percent)}..{_pshow(b.high, b.is_percent)}",
                p.span, f"the range is declared at {b.span}")
        fixed = ENGINE_PARAMETERS.get(p.name)
        if fixed is not None:
            pct, lo, hi, why = fixed
            if b.is_percent != pct or b.low < lo or b.high > hi:
                err("parameter-range", f"the engine reads '{p.name}' as {why}; its range must lie within "
                                       f"{_pshow(lo, pct)}..{_pshow(hi, pct)}", b.span)


def _check_items(comp: Composite, report: _Report) -> None:
    """Every catalogue item has a domain, a legal basis and a statutory penalty whose kinds, amounts and facts
    are declared, so no item can be penalised without a cited article or beyond what it provides."""
    for item in comp.items.values():
        _check_item(item, comp, report)
        _check_penalty_clauses(item, comp, report)


def _yes_no_facts(refs, clause: str, comp: Composite, err) -> None:
    """The facts a clause takes as preconditions (``requires``, ``measure … when``): declared, and yes/no."""
    for r in refs:
        f = comp.facts.get(r.name)
        if f is None:
            err("unknown-fact", f"unknown fact '{r.name}' in '{clause}'", r.span, suggest(r.name, comp.facts))
        elif f.type != "yes/no":
            err("type-mismatch", f"'{clause}' needs a yes/no fact; '{r.name}' is {f.type}", r.span)


def _check_item(item: m.Item, comp: Composite, report: _Report) -> None:
    """One item's domain, basis, required facts, succession, measures and penalty clauses (one per party)."""
    err, known = report.err, report.known
    if item.domain is None:
        err("missing-domain", f"item '{item.code}' has no domain", item.span, "add: domain NAME")
    else:
        known(item.domain, comp.domains, "domain")
    if not item.basis:
        err("missing-basis", f"item '{item.code}' cites no legal basis", item.span, 'add: basis "《法规名》第N条第N款"')
    _yes_no_facts(item.requires, "requires", comp, err)
    for old in item.continues:
        if old in comp.items:
            err("continues-in-force", f"item '{item.code}' continues '{old}', which is still in force in this "
                                      f"version", item.span, f"repeal item {old}")
    for im in item.measures:
        for ref in im.names:
            known(ref, comp.sanctions, "sanction")
        _yes_no_facts(im.requires, "measure … when", comp, err)
    parties = [p.party for p in item.penalties]
    for p in set(parties):
        if parties.count(p) > 1:
            err("duplicate-penalty", f"item '{item.code}' has two penalty clauses for '{p}'", item.span)
    if not item.penalties:
        err("missing-penalty", f"item '{item.code}' has no statutory penalty", item.span,
            "add: penalty 个人: 罚款 200..1000")


def _check_penalty_clauses(item: m.Item, comp: Composite, report: _Report) -> None:
    """One item's statutory penalty kinds: declared, a fine with an amount (computed from a declared quantity),
    any other kind without one."""
    err = report.err
    for clause in item.penalties:
        cell = clause.span  # a catalogue's sanctions are positioned within their cell (`Span.inside`)
        for s in clause.sanctions:
            decl = comp.sanctions.get(s.name.name)
            if decl is None:
                err("unknown-sanction", f"unknown penalty kind '{s.name.name}'", s.name.span.inside(cell),
                    suggest(s.name.name, comp.sanctions) or "declare it with: sanction NAME")
                continue
            if decl.is_fine and s.amount is None:
                err("missing-amount", f"'{s.name.name}' needs an amount", s.span.inside(cell), "e.g. 罚款 200..1000")
            if not decl.is_fine and s.amount is not None:
                err("unexpected-amount", f"'{s.name.name}' is not a fine and takes no amount",
                    s.amount.span.inside(cell))
            if s.amount is not None and s.amount.of is not None:
                f = comp.facts.get(s.amount.of.name)
                if f is None:
                    err("unknown-fact", f"unknown fact '{s.amount.of.name}'", s.amount.of.span.inside(cell),
                        suggest(s.amount.of.name, comp.facts))
                elif f.type not in ("money", "number", "integer"):
                    err("type-mismatch", f"a fine can only be computed from an amount; '{f.name}' is {f.type}",
                        s.amount.of.span.inside(cell))


def _statutory_fines(comp: Composite, item: m.Item) -> dict[str, m.Sanction]:
    """The fine the cited article gives each party of an item: party → its (declared, amounted) fine."""
    return {clause.party: s for clause in item.penalties for s in clause.sanctions
            if (decl := comp.sanctions.get(s.name.name)) is not None and decl.is_fine and s.amount is not None}


def _check_citations(comp: Composite, report: _Report) -> None:
    """Every basis cites an article the held statute text has; placeholder and foreign citations are warned of."""
    report.diagnostics.extend(law.check_items(comp.items.values()))
    report.diagnostics.extend(check_citations(comp))


def _check_agencies_and_areas(comp: Composite, report: _Report) -> None:
    """Agencies serve counties and handle declared domains, lists or categories; townships and zones sit in a
    county, with a division code that names them, and are empowered or dispatched as declared, so that every
    case has a place in the jurisdiction map."""
    err, warn, known = report.err, report.warn, report.known
    for ag in comp.agencies.values():
        if ag.level is None or ag.kind is None:
            err("missing-field", f"agency '{ag.name}' needs 'level' and 'kind'", ag.span)
        for r in ag.serves:
            if known(r, comp.areas, "area") and comp.areas[r.name].kind != "county":
                err("not-a-county", f"'{r.name}' is a {comp.areas[r.name].kind}; agencies serve counties", r.span)
        for h in ag.handles:
            if h.by == "domain":
                known(h.target, comp.domains, "domain")
            elif h.by == "list":
                known(h.target, comp.lists, "list")
            elif h.target.name not in ("comprehensive", "specialist", "department"):
                err("unknown-category", f"unknown category '{h.target.name}'", h.target.span,
                    "comprehensive, specialist or department")
    for area in comp.areas.values():
        if area.code is not None:
            _check_area_code(area, report)
        if area.kind == "county":
            continue
        if area.parent is None:
            err("missing-parent", f"{area.kind} '{area.name}' needs 'in COUNTY'", area.span)
        elif known(area.parent, comp.areas, "area") and comp.areas[area.parent.name].kind != "county":
            err("not-a-county", f"'{area.parent.name}' is not a county", area.parent.span)
        for r in area.lists:
            known(r, comp.lists, "list")
        if area.township_class is not None and known(area.township_class, comp.classes, "township class"):
            cls = comp.classes[area.township_class.name]
            if area.parent and cls.county.name != area.parent.name:
                err("class-county", f"class '{cls.name}' belongs to '{cls.county.name}', not '{area.parent.name}'",
                    area.township_class.span)
        if area.dispatched_for is not None:
            known(area.dispatched_for, comp.agencies, "agency")
        if area.mode == "dispatched" and area.team is None:
            err("missing-team", f"dispatched {area.kind} '{area.name}' needs: team \"NAME\" for AGENCY", area.span)
        if area.mode == "empowered" and not area.lists and area.township_class is None:
            warn("empty-empowerment", f"empowered {area.kind} '{area.name}' has no empowerment list", area.span)
        if area.mode != "empowered" and (area.lists or area.township_class):
            err("lists-not-empowered", f"'{area.name}' has empowerment lists but its mode is '{area.mode}'",
                area.span, "write: mode empowered")
    for cls in comp.classes.values():
        known(cls.county, comp.areas, "area")
        for r in cls.lists:
            known(r, comp.lists, "list")


def _check_lists(comp: Composite, report: _Report) -> None:
    """Empowerment lists name catalogue items only, include no cycle, and hold no more than their published total,
    so a township is never empowered for an item the catalogue lacks."""
    err, known = report.err, report.known
    for lst in comp.lists.values():
        for r in lst.items:
            if r.name not in comp.items:
                err("unknown-item", f"list '{lst.name}' names item '{r.name}', which is not in the catalogue",
                    r.span, suggest(r.name, comp.items))
        for n in lst.listed:  # the names a list table gives: a wrong code in a table empowers another item
            if n.code in comp.items and not _same_item_name(n.name, comp.items[n.code].name):
                report.warn("list-name-differs", f"list '{lst.name}' names item '{n.code}' '{n.name}'; the catalogue "
                                                 f"calls it '{comp.items[n.code].name}'", n.span, "check the code in the table")
        for r in lst.includes:
            known(r, comp.lists, "list")
        if lst.name in _reachable(comp, lst.name):
            err("include-cycle", f"list '{lst.name}' includes itself", lst.span)
        if lst.published_total is not None and len(list_items(comp, lst.name)) > lst.published_total:
            err("list-over-total", f"list '{lst.name}' holds {len(list_items(comp, lst.name))} items, more than its "
                                   f"published total {lst.published_total}", lst.span)


def _check_benchmarks(comp: Composite, report: _Report) -> None:
    """Each discretion benchmark names its item and source document, and stays inside the statutory penalty of the
    cited article: it refines the article's range and kinds, it cannot widen them."""
    memo = report.memo
    env = memo.env(comp) if memo is not None else None
    diags, resolved = report.diagnostics, report.resolver.memo
    for bm in comp.benchmarks.values():
        if not report.known(bm.item, comp.items, "item"):
            continue
        item = comp.items[bm.item.name]
        if not bm.meta.sources:
            report.err("missing-source", f"benchmark of '{bm.item.name}' names no source document", bm.span,
                       'add: source "文件名 文号"')
        if memo is None:
            _check_benchmark(bm, item, _statutory_fines(comp, item), comp, report)
            continue
        # a benchmark's nodes are its own: no earlier pass has resolved them, so the check adds the same
        # diagnostics and resolutions in every composite with the same item and declared names
        key = (id(bm), id(item), env)
        hit = memo._benchmarks.get(key)
        if hit is None:
            n, r = len(diags), len(report.resolver.order)
            _check_benchmark(bm, item, _statutory_fines(comp, item), comp, report)
            hit = memo._benchmarks[key] = (diags[n:], [(k, resolved[k]) for k in report.resolver.order[r:]])
            memo._alive.append((bm, item))
        else:
            diags.extend(hit[0])
            resolved.update(hit[1])
            report.resolver.order.extend(k for k, _ in hit[1])


def _check_penalty_lists(comp: Composite, report: _Report) -> None:
    """Penalty lists (不予处罚, 首违不罚 and 减轻处罚 lists) name their source document, catalogue items and resolvable
    conditions, so no entry can waive or reduce a penalty on an unsourced or unreadable ground."""
    for pl in comp.penalty_lists.values():
        if not pl.meta.sources:
            report.err("missing-source", f"penalty list '{pl.name}' names no source document", pl.span)
        for e in pl.entries:
            report.known(e.item, comp.items, "item")
            if e.when is not None:
                report.resolve(e.when)


def _check_rules(comp: Composite, report: _Report) -> None:
    """Policy rules cite a basis, raise declared flags, never change the decision they read, and are exceptions
    only to known rules of the same stage, without cycles (a precedence that cannot be decided)."""
    err = report.err
    phases = report.phases
    for rule in comp.rules.values():
        if not rule.basis:
            err("missing-basis", f"rule '{rule.id}' cites no legal basis", rule.span)
        phases[rule.id] = stage = phase(report.resolve(rule.when))
        for act in rule.actions:
            if act.kind == "flag" and act.arg not in comp.flags:
                err("unknown-flag", f"unknown flag '{act.arg}'", act.span, suggest(act.arg, comp.flags))
            if stage == 2 and act.kind in ("no_penalty", "may_waive", "time_barred", "adjust"):
                err("decision-loop", f"rule '{rule.id}' reads the computed decision but would change its "
                                     f"{'adjustment' if act.kind == 'adjust' else 'outcome'}", act.span,
                    "decide outcome and adjustment from the case facts only")
        for r in rule.exception_to:
            if r.name not in comp.rules:
                err("unknown-rule", f"'{rule.id}' is an exception to unknown rule '{r.name}'", r.span,
                    suggest(r.name, comp.rules))
    for rule in comp.rules.values():
        for r in rule.exception_to:
            if r.name in phases and phases[r.name] != phases[rule.id]:
                err("exception-phase", f"'{rule.id}' and the rule it is an exception to, '{r.name}', read different "
                                       f"stages (case facts vs. the computed decision)", r.span)
    for cyc in _exception_cycles(comp):
        first = comp.rules[cyc[0]]
        err("exception-cycle", f"exception cycle: {' → '.join(cyc + [cyc[0]])}", first.span,
            "one of these rules must not be an exception to the next")


def _check_coverage(comp: Composite, report: _Report) -> None:
    """Every item has exactly one handling body in each county: none is 三不管, several are 多头管 (warnings)."""
    for county in [a.name for a in comp.areas.values() if a.kind == "county"]:
        idx = handler_index(comp, county)
        gaps: dict[str, int] = {}
        for item in comp.items.values():
            cands = handler_candidates(comp, county, item, idx)
            if not cands:
                dom = item.domain.name if item.domain else "?"
                gaps[dom] = gaps.get(dom, 0) + 1
            elif len(cands) > 1:
                report.warn("several-handlers", f"item '{item.code}' has {len(cands)} handling bodies in '{county}' "
                                                f"(多头管): {', '.join(a.name for a in cands)}", comp.areas[county].span,
                            "give exactly one agency of this county the item's domain or list")
        for dom, n in sorted(gaps.items()):
            report.warn("no-handler", f"{n} item(s) of domain '{dom}' have no handling body in '{county}' (三不管)",
                        comp.areas[county].span, f"add an agency that serves {county} and handles domain {dom}")


def _check_item_conditions(comp: Composite, report: _Report) -> None:
    """An item's own condition (``applies when``, an amount tier of its article) resolves and reads the case only:
    the decision cannot decide which article's tier applies."""
    for code, item in comp.items.items():
        if item.applies is not None and phase(report.resolve(item.applies)) == 2:
            report.err("item-condition", f"the condition of item '{code}' reads the computed decision; an item's "
                                         f"condition reads the case (facts, party) only", item.span)


_CHECKS: tuple[Callable[[Composite, _Report], None], ...] = (
    _check_parameters, _check_items, _check_citations, _check_agencies_and_areas, _check_lists, _check_benchmarks,
    _check_penalty_lists, _check_rules, _check_coverage, _check_item_conditions)
"""The passes of `check`, in the order they report. A new static check is one function and one entry here."""


# ── helpers ─────────────────────────────────────────────────────────────────────
def _check_area_code(area: m.Area, report: _Report) -> None:
    """An area's ``code``: the shape for its kind, then the name (and county) the division table gives it."""
    err, warn = report.err, report.warn
    want = 6 if area.kind == "county" else 9
    try:
        canon = normalise_code(area.code or "")
    except PlaceCodeError as exc:
        err("bad-code", f"{area.kind} '{area.name}': {exc}", area.span)
        return
    if len(canon) != want:
        err("bad-code", f"{area.kind} '{area.name}' has code {area.code}: a {area.kind} code has {want} digits"
            + (" (or 12 ending in 000)" if want == 9 else " (or 12 ending in 000000)"), area.span)
        return
    table = divisions()
    d = table.by_code.get(canon)
    if d is None:
        warn("unknown-code", f"{area.kind} '{area.name}' has code {area.code}, which is not in the 2022 statistical "
             f"division table of Zhejiang", area.span)
        return
    if d.name != area.name:
        err("code-name", f"{area.kind} '{area.name}' has code {area.code}, which the 2022 statistical division table "
            f"gives to {d.name}", area.span, "check the code, or the name (a renamed town keeps the table's name "
            "until the table is updated: note the new name in 'source')")
    if area.kind != "county" and area.parent is not None:
        up = table.by_code.get(d.parent or "")
        if up is not None and up.name != area.parent.name:
            err("code-parent", f"{area.kind} '{area.name}' is declared in {area.parent.name}, but its code "
                f"{area.code} belongs to {up.name}", area.parent.span)


class _Resolver:
    """Resolve condition IR against a composite into plain tuples ``("cmp", path, op, value)`` ... .

    Problems are appended to `diags`; a condition with a problem resolves to None. Results are remembered
    per node (`memo`, by ``id``), so each condition is resolved once and `Checked.conditions` holds them all.
    """

    def __init__(self, comp: Composite, diags: list[Diagnostic]):
        self.comp = comp
        self.diags = diags
        self.memo: dict[int, tuple | None] = {}
        self.order: list[int] = []  # the keys of `memo` in the order resolved (what one check added)

    def path_type(self, ref: m.Ref) -> PathType | None:
        """The type of a fact path, or None after reporting it as unknown."""
        name = ref.name
        if name in BUILTIN:
            return BUILTIN[name]
        head, _, rest = name.partition(".")
        if head == "facts" and rest in self.comp.facts:
            f = self.comp.facts[rest]
            return PathType(f.type, f.members, f.description or "")
        if head == "measures" and rest in self.comp.sanctions:
            return PathType("yes/no")
        if name.startswith("penalty.kinds.") and name[len("penalty.kinds."):] in self.comp.sanctions:
            return PathType("yes/no")
        known = [*BUILTIN, *(f"facts.{f}" for f in self.comp.facts), *(f"measures.{s}" for s in self.comp.sanctions)]
        self.diags.append(Diagnostic(code="unknown-fact", message=f"unknown fact '{name}'", span=ref.span,
                                     hint=suggest(name, known) or "declare it with: fact NAME: TYPE"))
        return None

    def _value(self, v, ptype: PathType, path: str):
        if isinstance(v, m.Symbol):
            if v.name in self.comp.parameters:
                raw = self.comp.parameters[v.name].value
            elif ptype.type == "enum" and v.name in ptype.members:
                raw = v.name
            elif ptype.type == "text" and (v.name in self.comp.domains or v.name in self.comp.areas):
                raw = v.name
            else:
                choices = list(self.comp.parameters) + list(ptype.members)
                self.diags.append(Diagnostic(
                    code="unknown-name", span=v.span, message=f"unknown name '{v.name}' as a value of '{path}'",
                    hint=suggest(v.name, choices) or (f"one of: {', '.join(ptype.members)}" if ptype.members
                                                       else "quote text values, or declare a parameter")))
                return None, False
        else:
            raw = v.value
        t = ptype.type
        ok = ((t in ("money", "number", "integer") and isinstance(raw, Decimal))
              or (t == "yes/no" and isinstance(raw, bool))
              or (t == "enum" and isinstance(raw, str) and raw in ptype.members)
              or (t == "text" and isinstance(raw, str)))
        if not ok:
            shown = "yes" if raw is True else "no" if raw is False else raw
            expect = {"money": "an amount", "number": "a number", "integer": "a whole number", "yes/no": "yes or no",
                      "text": "a quoted text", "enum": f"one of {', '.join(ptype.members)}"}[t]
            self.diags.append(Diagnostic(code="type-mismatch", span=v.span,
                                         message=f"'{path}' is {t}, so it cannot be compared with {shown!r}",
                                         hint=f"use {expect}"))
            return None, False
        return scalar(raw), True

    def resolve(self, cond) -> tuple | None:
        """Resolve one condition; None if it has problems (already reported)."""
        key = id(cond)  # the composite keeps every node alive while this resolver is in use
        if key not in self.memo:
            self.memo[key] = self._resolve(cond)
            self.order.append(key)
        return self.memo[key]

    def _resolve(self, cond) -> tuple | None:
        if isinstance(cond, (m.AllOf, m.AnyOf)):
            parts = [self.resolve(t) for t in cond.terms]
            if any(p is None for p in parts):
                return None
            return ("and" if isinstance(cond, m.AllOf) else "or", parts)
        ptype = self.path_type(cond.fact)
        if ptype is None:
            return None
        path = cond.fact.name
        if isinstance(cond, m.Presence):
            if cond.kind == "undeterminable":
                if not path.startswith("facts.") or ptype.type not in ("money", "number", "integer"):
                    self.diags.append(Diagnostic(code="type-mismatch", span=cond.span,
                                                 message=f"only a declared amount can be stated undeterminable; "
                                                         f"'{path}' is {ptype.type}"))
                    return None
                # the case states "无法确定" for the amount: a fact of its own, never the amount's absence
                return ("cmp", "undeterminable." + path[len("facts."):], "==", True)
            return (cond.kind, path)
        if isinstance(cond, m.Membership):
            vals = [self._value(v, ptype, path) for v in cond.values]
            if not all(ok for _, ok in vals):
                return None
            return ("or", [("cmp", path, "==", v) for v, _ in vals]) if len(vals) > 1 else ("cmp", path, "==", vals[0][0])
        value, ok = self._value(cond.value, ptype, path)
        if not ok:
            return None
        if ptype.type in ("yes/no", "enum", "text") and cond.op not in ("==", "!="):
            self.diags.append(Diagnostic(code="type-mismatch", span=cond.span,
                                         message=f"'{path}' is {ptype.type}: compare it with == or !=, not {cond.op}"))
            return None
        return ("cmp", path, cond.op, value)


def _same_item_name(listed: str, catalogued: str) -> bool:
    """Whether a list table's name for an item plausibly is the catalogue's: one contains the other once blanks,
    the width of brackets and the wrapper of an official title (对……的行政处罚) are set aside."""
    def bare(s: str) -> str:
        s = "".join(s.split()).replace("（", "(").replace("）", ")").replace("，", ",")
        s = s[1:] if s.startswith("对") else s
        for tail in ("的行政处罚", "行为的处罚", "的处罚", "行为"):
            s = s[:-len(tail)] if s.endswith(tail) else s
        return s

    a, b = bare(listed), bare(catalogued)
    return bool(a and b) and (a in b or b in a)


ENGINE_PARAMETERS: dict[str, tuple[bool, Decimal, Decimal, str]] = {
    "裁量.从轻从重幅度": (True, Decimal("0.01"), Decimal("0.5"),
                   "the share of the statutory range that 从轻 keeps at its lower end and 从重 at its upper end: "
                   "above 50% 从轻 would reach into the upper half (and past 100% beyond the statutory range), "
                   "0% would fix the fine at one end"),
}
"""Parameters the engine itself reads: (is a percentage, lowest, highest, why). Any declared range must lie
inside these bounds; they are the engine's arithmetic, not a legal rule."""


def _pshow(value: Decimal, pct: bool) -> str:
    return f"{(value * 100).normalize():f}%" if pct else f"{value.normalize():f}"


def _reachable(comp: Composite, name: str) -> set[str]:
    out: set[str] = set()
    todo = [r.name for r in comp.lists[name].includes] if name in comp.lists else []
    while todo:
        n = todo.pop()
        if n in out or n not in comp.lists:
            continue
        out.add(n)
        todo.extend(r.name for r in comp.lists[n].includes)
    return out


def _exception_cycles(comp: Composite) -> list[list[str]]:
    graph = {r.id: [t.name for t in r.exception_to if t.name in comp.rules] for r in comp.rules.values()}
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for n in graph:
        if n not in state:
            visit(n, [])
    return cycles


_OUTCOME_RANK = {"no_penalty": 0, "may_waive": 1, "warning": 2}
_OUTCOME_WORDS = {"no_penalty": "不予处罚", "may_waive": "可以不予处罚", "warning": "仅警告"}


def _check_benchmark(bm: m.Benchmark, item: m.Item, fines: dict, comp: Composite, report: _Report) -> None:
    """A benchmark's grades (ranges inside the statute, warnings the article provides, scaled measures of declared
    quantities, lightest first), its factors (percentages within 100 %), and every condition's facts."""
    err, warn, known, res = report.err, report.warn, report.known, report.resolver
    kinds = {c.party: {s.name.name for s in c.sanctions} for c in item.penalties}
    for i, g in enumerate(bm.grades):
        if g.when is None and i != len(bm.grades) - 1:
            err("otherwise-not-last", f"grade '{g.name}' uses 'otherwise' but is not the last grade", g.span)
        if g.when is not None:
            res.resolve(g.when)
            _missing_as_fact(g.when, f"grade '{g.name}'", warn)
        whole = [o for o in g.outcomes if o.outcome != "warning"]
        if whole and (g.ranges or g.measures or len(g.outcomes) > 1):
            err("grade-mixed", f"grade '{g.name}' is '{whole[0].outcome}' and cannot also set ranges, measures or "
                               f"warnings", whole[0].span, "a grade either imposes nothing or sets what it imposes")
        for o in g.outcomes:
            if o.outcome != "warning":
                continue
            for p in m.parties(o.party):
                stat = m.for_party(kinds, "individual" if p == "sole_trader" else p)
                if stat is not None and "警告" not in stat:
                    err("grade-no-warning", f"grade '{g.name}' gives a warning only, but the cited article provides no "
                                            f"警告 for {p}", o.span, "a benchmark cannot add a penalty kind (art. 38)")
        for gr in g.ranges:
            for p in m.parties(gr.party):
                stat = m.for_party(fines, "individual" if p == "sole_trader" else p)
                if stat is None:
                    err("grade-no-fine", f"grade '{g.name}' sets a fine for {p}, but the item has no fine for {p}",
                        gr.span)
                    continue
                a, s = gr.amount, stat.amount
                if a.kind != s.kind or (a.of and s.of and a.of.name != s.of.name):
                    err("grade-kind", f"grade '{g.name}' is a {a.kind} amount but the statute gives a {s.kind} "
                                      f"amount", gr.span)
                elif a.low < s.low or a.high > s.high:
                    err("grade-outside-statute", f"grade '{g.name}' allows {a.text()} for {p}, outside the "
                                                 f"statutory {s.text()}", gr.span,
                        f"the cited article allows {s.text()}")
        for gm in g.measures:
            if known(gm.name, comp.sanctions, "sanction") and comp.sanctions[gm.name.name].is_fine:
                err("grade-measure-fine", f"'{gm.name.name}' is a fine: give it as the grade's range", gm.name.span)
            if gm.amount.kind == "percent":
                err("grade-measure-kind", f"measure '{gm.name.name}' scales as a multiple of a quantity "
                                          f"(1..2 times 株数) or as a count (10..20)", gm.amount.span)
            if gm.amount.of is not None:
                f = comp.facts.get(gm.amount.of.name)
                if f is None:
                    err("unknown-fact", f"unknown fact '{gm.amount.of.name}'", gm.amount.of.span,
                        suggest(gm.amount.of.name, comp.facts))
                elif f.type not in ("money", "number", "integer"):
                    err("type-mismatch", f"a measure can only scale with a quantity; '{f.name}' is {f.type}",
                        gm.amount.of.span)
    _check_monotone(bm, err)
    _check_intervals(bm, report)
    for adj in bm.adjustments:
        res.resolve(adj.when)
        _missing_as_fact(adj.when, f"'{adj.direction}'", warn)
    if bm.factors:
        if not fines:
            err("factor-no-fine", f"benchmark of '{bm.item.name}' has factors but the item has no fine to place",
                bm.factors[0].span)
        top: dict[str, m.Factor] = {}
        for f in bm.factors:
            res.resolve(f.when)
            _missing_as_fact(f.when, f"factor '{f.name}'", warn)
            if f.name not in top or f.percent > top[f.name].percent:
                top[f.name] = f
        total = sum((f.percent for f in top.values()), Decimal(0))
        if total > 1:
            err("factor-over-100", f"the factors of '{bm.item.name}' can add up to {total * 100:g}% "
                                   f"({' + '.join(f'{f.name} {f.percent * 100:g}%' for f in top.values())}), "
                                   f"more than 100%", bm.factors[0].span,
                "the 裁量百分值 of all factors together places the fine within the range: at most 100%")


def _missing_as_fact(cond, what: str, warn) -> None:
    """`is missing` in a benchmark reads the absence of a fact as a legal state: warn, with the stated form."""
    if isinstance(cond, (m.AllOf, m.AnyOf)):
        for t in cond.terms:
            _missing_as_fact(t, what, warn)
    elif isinstance(cond, m.Presence) and cond.kind == "missing" and cond.fact.name.startswith("facts."):
        warn("missing-as-fact", f"{what} reads '{cond.fact.name} is missing' as a fact: a case that simply "
                                f"does not say would be graded as if it were so", cond.span,
             f"state it: '{cond.fact.name} is undeterminable' (the case gives \"无法确定\"), or a declared yes/no fact")


def _check_monotone(bm: m.Benchmark, err) -> None:
    """Grades run from the lightest to the heaviest, per party kind: 不予处罚, 可以不予处罚, 警告, then fines that
    never get lower; each scaled measure never gets smaller."""
    by_party: dict[str, list[tuple[str, int, m.Amount | None, object]]] = {}
    measures: dict[str, list[tuple[str, m.GradeMeasure]]] = {}
    for g in bm.grades:
        for o in g.outcomes:
            for p in (m.parties(o.party) if o.outcome == "warning" else ("individual", "organisation", "sole_trader")):
                by_party.setdefault(p, []).append((g.name, _OUTCOME_RANK[o.outcome], None, o))
        for gr in g.ranges:
            for p in m.parties(gr.party):
                by_party.setdefault(p, []).append((g.name, 3, gr.amount, gr))
        for gm in g.measures:
            measures.setdefault(gm.name.name, []).append((g.name, gm))
    for p, seq in by_party.items():
        for (n1, r1, a, _), (n2, r2, b, node) in zip(seq, seq[1:]):
            if r2 < r1 or (a is not None and b is not None and (b.low < a.low or b.high < a.high)):
                shown = lambda r, x: x.text() if x is not None else _OUTCOME_WORDS[[k for k, v in _OUTCOME_RANK.items() if v == r][0]]  # noqa: E731
                err("grade-not-monotone", f"grade '{n2}' ({shown(r2, b)}) is lighter than the grade before it, "
                                          f"'{n1}' ({shown(r1, a)}), for {p}", node.span,
                    "list grades from the lightest to the heaviest")
    for name, seq in measures.items():
        for (n1, a), (n2, b) in zip(seq, seq[1:]):
            if b.amount.low < a.amount.low or b.amount.high < a.amount.high:
                err("grade-not-monotone", f"grade '{n2}' scales '{name}' less ({b.amount.text()}) than the grade "
                                          f"before it, '{n1}' ({a.amount.text()})", b.span,
                    "list grades from the lightest to the heaviest")


def _check_intervals(bm: m.Benchmark, report: _Report) -> None:
    """Overlaps and gaps between grades whose conditions are intervals on one numeric fact."""
    err, warn = report.err, report.warn
    intervals = []
    for g in bm.grades:
        if g.when is None:
            return  # an 'otherwise' grade closes every gap
        iv = _interval(g.when)
        if iv is None:
            return  # not a simple interval: cannot be checked statically
        intervals.append((g, iv))
    facts = {iv[0] for _, iv in intervals}
    if len(facts) != 1:
        return
    intervals.sort(key=lambda x: (x[1][1] is not None, x[1][1] or 0))
    for (g1, (_, lo1, lo1inc, hi1, hi1inc)), (g2, (_, lo2, lo2inc, hi2, hi2inc)) in zip(intervals, intervals[1:]):
        if hi1 is None or lo2 is None:
            err("grade-overlap", f"grades '{g1.name}' and '{g2.name}' overlap", g2.span)
            continue
        if hi1 > lo2 or (hi1 == lo2 and hi1inc and lo2inc):
            err("grade-overlap", f"grades '{g1.name}' and '{g2.name}' overlap at {lo2}", g2.span,
                "make one bound strict (< or >) and the other inclusive")
        elif hi1 < lo2 or (hi1 == lo2 and not hi1inc and not lo2inc):
            warn("grade-gap", f"no grade covers values between '{g1.name}' and '{g2.name}' (around {hi1})", g2.span)
    first, last = intervals[0][1], intervals[-1][1]
    if first[1] is not None and first[1] > 0:
        warn("grade-gap", f"no grade covers values below {first[1]}", intervals[0][0].span)
    if last[3] is not None:
        warn("grade-gap", f"no grade covers values above {last[3]}", intervals[-1][0].span)


def _interval(cond):
    terms = cond.terms if isinstance(cond, m.AllOf) else (cond,)
    fact, lo, loinc, hi, hiinc = None, None, False, None, False
    for t in terms:
        if not isinstance(t, m.Comparison) or not isinstance(t.value, m.Literal_) or not isinstance(t.value.value, Decimal):
            return None
        if fact not in (None, t.fact.name):
            return None
        fact = t.fact.name
        v = t.value.value
        if t.op in (">", ">="):
            lo, loinc = v, t.op == ">="
        elif t.op in ("<", "<="):
            hi, hiinc = v, t.op == "<="
        else:
            return None
    return fact, lo, loinc, hi, hiinc
