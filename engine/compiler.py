"""Composite to program: everything evaluation needs, resolved, indexed and ready.

Owns `Program`, the compiled form of a composite: items by code, jurisdiction indexes per county,
empowerment sets, benchmark grades and list entries as predicates, and the policy rules split into two
stages, each matched by one durable_rules `Matcher`. Items, benchmarks and lists are data looked up by
code, so the cost of a case does not grow with the catalogue; only policy rules go to durable_rules.
It compiles what `check.check` resolved (`check.Checked`) and resolves nothing itself.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, Mapping

from engine import _durable
from engine import model as m
from engine.compose import Composite
from engine.conditions import paths_of
from engine.errors import Diagnostic, EvaluationError, RulesetError
from engine.jurisdiction import empowered_items, handler_candidates, handler_index, item_category

if TYPE_CHECKING:  # the checker's result is only consumed: evaluating a cached program never imports the checker
    from engine.check import Checked

__all__ = ["CBenchmark", "CFactor", "CGrade", "Program", "compile_composite", "match_memo", "predicate"]

# the matcher's answers within one evaluation, per stage matcher and sent facts: the open-question analysis
# decides the case again for each candidate answer, and most of those re-decisions send a stage the same facts
_MEMO: ContextVar[dict | None] = ContextVar("zhifa_match_memo", default=None)


@contextmanager
def match_memo() -> Iterator[None]:
    """Within this block, a stage matcher sent facts it has already answered gives the same answer without
    asking durable_rules again (the matchers are immutable; a failure is never remembered)."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)

# the predicates of single comparisons, by condition: the open-question analysis and the item conditions test
# the same few dozen leaves on every case, and building a predicate costs more than running it. Looked up first by
# the condition object (its id, the object kept beside it so the id stays its own), then by its value.
_LEAF_TESTS: dict[tuple, Callable[[Mapping], bool]] = {}
_LEAF_OBJECTS: dict[int, tuple[tuple, Callable[[Mapping], bool]]] = {}
_LEAF_KINDS = frozenset({"cmp", "present", "missing"})
# bounded: a process that loads ruleset after ruleset starts the caches again
_MAX_LEAF_TESTS = 1 << 17


def predicate(cond: tuple | None) -> Callable[[Mapping], bool]:
    """`_durable.predicate` (the matcher's semantics in plain Python) for the per-item data: benchmark grades and
    list entries, looked up by item code, never sent to the matcher. A fact of the wrong type raises
    `EvaluationError`, as a failing match does. The predicate of one comparison, presence or absence is built
    once and shared."""
    known = _LEAF_OBJECTS.get(id(cond))
    if known is not None and known[0] is cond:
        return known[1]
    key = None
    if type(cond) is tuple and len(cond) > 1 and cond[0] in _LEAF_KINDS:
        # the type is part of the key: 1 == 1.0 == True in Python, not for the matcher
        key = (cond, type(cond[-1]))
        try:
            hit = _LEAF_TESTS.get(key)
        except TypeError:  # a value that is no scalar: built (and refused) as before
            key = hit = None
        if hit is not None:
            _remember(cond, hit)
            return hit
    test = _durable.predicate(cond)

    def guarded(facts: Mapping) -> bool:
        try:
            return test(facts)
        except _durable.MatcherError as exc:
            raise EvaluationError(f"the rule matcher failed: {exc}") from None

    if key is not None:
        if len(_LEAF_TESTS) >= _MAX_LEAF_TESTS:
            _LEAF_TESTS.clear()
        _LEAF_TESTS[key] = guarded
        _remember(cond, guarded)
    return guarded


def _remember(cond: tuple, test: Callable[[Mapping], bool]) -> None:
    if len(_LEAF_OBJECTS) >= _MAX_LEAF_TESTS:
        _LEAF_OBJECTS.clear()
    _LEAF_OBJECTS[id(cond)] = (cond, test)


def always(facts: Mapping) -> bool:
    """The test of a grade or list entry without a condition: it always applies."""
    return True


@dataclass(frozen=True)
class CRule:
    """A compiled policy rule."""

    id: str
    title: str
    basis: tuple[str, ...]
    exception_to: frozenset[str]
    actions: tuple[m.Action, ...]
    cond: tuple
    phase: int
    layer: str
    params: tuple[str, ...] = ()  # the parameters the condition compares against (their provenance reaches decisions)


@dataclass(frozen=True)
class CGrade:
    """A compiled benchmark grade."""

    name: str
    test: Callable[[Mapping], bool]
    ranges: Mapping[str, m.Amount]  # party → amount ("individual"/"organisation"/"sole_trader")
    otherwise: bool
    cond: tuple | None = None  # resolved condition, for the open-question analysis
    measures: tuple[m.GradeMeasure, ...] = ()  # non-fine measures that scale with the grade
    outcomes: Mapping[str, m.GradeOutcome] = field(default_factory=dict)  # party → warning / no_penalty / may_waive


@dataclass(frozen=True)
class CFactor:
    """One factor of the 裁量百分值 model: its levels in order, each (test, percentage, resolved condition)."""

    name: str
    label: str
    levels: tuple[tuple[Callable[[Mapping], bool], object, tuple | None], ...]


@dataclass(frozen=True)
class CBenchmark:
    """A compiled discretion benchmark."""

    item: str
    grades: tuple[CGrade, ...]
    adjustments: tuple[tuple[str, Callable[[Mapping], bool], str | None], ...]
    sources: tuple[str, ...]
    unconfirmed: bool
    conds: tuple[tuple, ...] = ()  # every resolved condition of the grades and adjustments
    notes: tuple[str, ...] = ()
    factors: tuple[CFactor, ...] = ()


@dataclass(frozen=True)
class CEntry:
    """A compiled penalty-list entry."""

    list_name: str
    list_title: str
    kind: str
    test: Callable[[Mapping], bool]
    note: str | None
    sources: tuple[str, ...]
    cond: tuple | None = None
    unconfirmed: bool = False
    notes: tuple[str, ...] = ()


class StageMatcher:
    """The matchers of one stage: its rules, cut into parts that each fit durable_rules' limits.

    Each part is sent only the facts its rules read, and within `match_memo` a part sent facts it has already
    answered is not asked again: the decision rules are cut apart where they read the proposed fine, so the
    proposal points and the open-question probes of one evaluation ask the rest of them once. A rule fires on
    its own condition whatever else the part holds, so the parts' ids, put in rule order, are the stage's.
    """

    def __init__(self, name: str, parts: list[list[tuple[str, tuple]]], order: tuple[str, ...] | None = None):
        self.parts = tuple(_durable.Matcher(f"{name}#{i}", part) for i, part in enumerate(parts))
        self.paths = tuple(sorted(frozenset().union(*(p.paths for p in self.parts))))
        # the rule order, when the parts are not consecutive runs of it
        flat = [rid for part in parts for rid, _ in part]
        self._order = ({rid: i for i, rid in enumerate(order)} if order is not None and list(order) != flat
                       else None)
        self._merged: dict[tuple[str, ...], tuple[str, ...]] = {}  # the parts' ids → the same in rule order

    def match(self, facts: Mapping) -> tuple[str, ...]:
        """The ids of the rules whose conditions `facts` meet, in rule order.

        Raises:
            EvaluationError: the matcher failed (`_durable.MatcherError`: a fact of the wrong type, a closed
                matcher, an error inside durable_rules).
        """
        memo = _MEMO.get()
        out: tuple[str, ...] = ()
        get = facts.get
        try:
            for part in self.parts:
                # a case carries some 40-100 facts and each part's rules read a fraction of them: only those are
                # read, and encoded for durable_rules only when the question is new
                values = tuple(map(get, part.order))
                if memo is None:
                    out += part.match_encoded(part.encode_values(values))
                    continue
                # the types are part of the key: True == 1 == 1.0 in Python, not in durable_rules
                key = (part, values, tuple(map(type, values)))
                try:
                    hit = memo.get(key)
                except TypeError:  # a value that is no scalar: refused by `encode_values`
                    hit = None
                if hit is None:
                    hit = part.match_encoded(part.encode_values(values))
                    memo[key] = hit
                out += hit
        except _durable.MatcherError as exc:
            raise EvaluationError(f"the rule matcher failed: {exc}") from None
        if self._order is not None and len(out) > 1:
            merged = self._merged.get(out)
            if merged is None:
                if len(self._merged) >= _MAX_MERGED:
                    self._merged.clear()
                merged = self._merged[out] = tuple(sorted(out, key=self._order.__getitem__))
            out = merged
        return out

    def close(self) -> None:
        """Release every part's durable_rules state."""
        for part in self.parts:
            part.close()


_PROPOSED = "penalty.fine.proposed"
_MAX_MERGED = 4096  # the ids in rule order a stage matcher keeps: a stage fires few distinct sets of rules


def _rule_paths(r: CRule) -> set[str]:
    """The fact paths a rule's condition reads."""
    return paths_of(r.cond) if r.cond else set()


def _partition(rules: list[tuple[str, tuple]]) -> tuple[list[list[tuple[str, tuple]]], list[tuple[str, str]]]:
    """Cut `rules` into consecutive parts that each pass `_durable.check_limits`; return the parts and the
    problems of rules that do not fit even alone."""
    problems = _durable.check_limits(rules)
    if not problems:
        return [rules], []
    if len(rules) == 1:
        # a problem of the whole set, for a set of one rule, is that rule's problem
        return [], [(rid or rules[0][0], msg) for rid, msg in problems]
    mid = len(rules) // 2
    left, lp = _partition(rules[:mid])
    right, rp = _partition(rules[mid:])
    # merge neighbouring parts back while they fit, so the number of matchers stays small
    parts: list[list[tuple[str, tuple]]] = []
    for part in left + right:
        if parts and not _durable.check_limits(parts[-1] + part):
            parts[-1] = parts[-1] + part
        else:
            parts.append(part)
    return parts, lp + rp


@dataclass
class Program:
    """The compiled composite in force from `version`; read-only once built."""

    composite: Composite
    items: Mapping[str, m.Item]
    categories: Mapping[str, str]
    statutory: Mapping[str, Mapping[str, tuple[m.Sanction, ...]]]
    rules: Mapping[str, CRule]
    stage1: tuple[CRule, ...]
    stage2: tuple[CRule, ...]
    benchmarks: Mapping[str, CBenchmark]
    entries: Mapping[str, tuple[CEntry, ...]]
    empowered: Mapping[str, frozenset[str]]
    handler_index: Mapping[str, dict]
    params: Mapping[str, object]
    matcher1: StageMatcher
    matcher2: StageMatcher
    fine_names: frozenset[str] = frozenset()
    read_measures: tuple[str, ...] = ()  # sanctions some rule reads as measures.X (others need not be computed)
    read_kinds: tuple[str, ...] = ()  # sanctions some rule reads as penalty.kinds.X
    # the amounts stage-2 rules compare a proposed fine with (hearing, legal review, retention, 简易程序)
    proposal_thresholds: tuple = ()
    item_conditions: Mapping[str, tuple] = field(default_factory=dict)  # code → resolved `applies when`
    _handlers: dict = field(default_factory=dict)

    @property
    def version(self) -> str:
        """The version string: the latest effective date among the files in force."""
        return self.composite.version.isoformat()

    def handlers(self, county: str, code: str) -> list[m.Agency]:
        """The agencies of `county` that handle item `code` (cached)."""
        key = (county, code)
        found = self._handlers.get(key)
        if found is None:
            found = handler_candidates(self.composite, county, self.items[code], self.handler_index.get(county))
            self._handlers[key] = found
        return found

    def close(self) -> None:
        """Release the matchers' durable_rules state."""
        self.matcher1.close()
        self.matcher2.close()


def compile_composite(comp: Composite, checked: Checked, texts: Mapping[str, str] | None = None,
                      shared: dict | None = None) -> Program:
    """Compile a composite into a `Program` from what `check.check(comp)` found (`checked`).

    `shared`, one dict passed to the compilation of every dated version of a ruleset chain, lets the versions
    share what is the same in them: one object per distinct resolved condition and its predicate, and one
    compiled benchmark per benchmark whose conditions resolve alike (the city's thousands of benchmarks are
    compiled once, not once per version). The programs are the same as without it.

    Raises:
        RulesetError: `checked` has errors, or the policy rules are past durable_rules' measured limits.
        ValueError: `checked` is the result for another composite.
    """
    if checked.composite is not comp:
        raise ValueError("compile_composite needs the result of check() for this same composite")
    if checked.errors:
        raise RulesetError(checked.diagnostics, texts)
    if shared is None:
        shared = {}
    conds: dict[str, tuple] = shared.setdefault("conds", {})
    tests: dict[str, Callable[[Mapping], bool]] = shared.setdefault("tests", {})
    by_id: dict[int, tuple[tuple, tuple]] = shared.setdefault("by_id", {})
    # what each predicate and matcher was built from: a compiled-ruleset cache stores that, not the objects
    made: dict[int, tuple] = shared.setdefault("made", {})
    compiled: dict[tuple, tuple[m.Benchmark, CBenchmark]] = shared.setdefault("benchmarks", {})

    def cond_of(node):
        """The resolved condition of `node`, one object per distinct condition: a large benchmark table repeats a
        few dozen conditions thousands of times, and each would otherwise hold its own tuple and predicate."""
        cond = checked.condition(node)
        if cond is None:
            return None
        # the versions of a chain share resolved conditions (`check.CheckMemo`): each is looked up by repr once
        hit = by_id.get(id(cond))
        if hit is not None and hit[0] is cond:
            return hit[1]
        # repr tells 1, 1.0, True and "1" apart, as the matcher does
        one = conds.setdefault(repr(cond), cond)
        by_id[id(cond)] = (cond, one)  # cond kept alive with its id
        return one

    def test_of(cond):  # built only for conditions tested in Python (grades, adjustments, factors, list entries)
        if cond is None:
            return always
        key = repr(cond)
        test = tests.get(key)
        if test is None:
            test = tests[key] = predicate(cond)
            made[id(test)] = (test, cond)
        return test

    rules: dict[str, CRule] = {}
    for r in comp.rules.values():
        rules[r.id] = CRule(r.id, r.title, r.basis, frozenset(x.name for x in r.exception_to), r.actions,
                            cond_of(r.when), checked.phases[r.id], comp.layer_of.get(f"rules:{r.id}", ""),
                            tuple(sorted(n for n in _symbols(r.when) if n in comp.parameters)))
    benchmarks = {}
    for code, bm in comp.benchmarks.items():
        # the benchmark node and its resolved conditions (one object each, `cond_of`) are all a CBenchmark is
        # made of; bm is kept in the value, so its id is not reused while `shared` lives
        key = (id(bm), tuple(id(cond_of(g.when)) for g in bm.grades),
               tuple(id(cond_of(a.when)) for a in bm.adjustments), tuple(id(cond_of(f.when)) for f in bm.factors))
        hit = compiled.get(key)
        if hit is not None:
            benchmarks[code] = hit[1]
            continue
        grades = []
        for g in bm.grades:
            ranges, outcomes = {}, {}
            for gr in g.ranges:
                for p in m.parties(gr.party):
                    ranges[p] = gr.amount
            for o in g.outcomes:
                for p in m.parties(o.party):
                    outcomes[p] = o
            gcond = cond_of(g.when)
            grades.append(CGrade(g.name, test_of(gcond) if g.when else always, ranges,
                                 g.when is None, gcond, g.measures, outcomes))
        adjust = tuple((a.direction, test_of(cond_of(a.when)), a.reason) for a in bm.adjustments)
        factors: dict[str, list] = {}
        labels: dict[str, str] = {}
        for f in bm.factors:
            fcond = cond_of(f.when)
            factors.setdefault(f.name, []).append((test_of(fcond), f.percent, fcond))
            labels.setdefault(f.name, f.label or f.name)
        cfactors = tuple(CFactor(n, labels[n], tuple(levels)) for n, levels in factors.items())
        bconds = tuple(c for c in [g.cond for g in grades] + [cond_of(a.when) for a in bm.adjustments]
                      + [lv[2] for cf in cfactors for lv in cf.levels] if c)
        benchmarks[code] = CBenchmark(code, tuple(grades), adjust, bm.meta.sources, bm.meta.unconfirmed, bconds,
                                      bm.meta.notes, cfactors)
        compiled[key] = (bm, benchmarks[code])
    entries: dict[str, list[CEntry]] = {}
    for pl in comp.penalty_lists.values():
        for e in pl.entries:
            econd = cond_of(e.when)
            entries.setdefault(e.item.name, []).append(
                CEntry(pl.name, pl.title or pl.name, pl.kind, test_of(econd) if e.when else
                       always, e.note, pl.meta.sources, econd, pl.meta.unconfirmed, pl.meta.notes))
    item_conditions = {code: cond_of(it.applies) for code, it in comp.items.items() if it.applies is not None}
    stage1 = tuple(r for r in rules.values() if r.phase == 1)
    stage2 = tuple(r for r in rules.values() if r.phase == 2)
    problems = []
    parts = []
    for stage in (stage1, stage2):
        # the decision rules that read the proposed fine are matched apart from the others, which then answer
        # once for all the proposal points (`StageMatcher`)
        groups = ([[(r.id, r.cond) for r in stage]] if stage is stage1 else
                  [[(r.id, r.cond) for r in stage if _PROPOSED not in _rule_paths(r)],
                   [(r.id, r.cond) for r in stage if _PROPOSED in _rule_paths(r)]])
        stage_parts: list[list[tuple[str, tuple]]] = []
        stage_problems: list[tuple[str, str]] = []
        for group in groups:
            if not group and len(groups) > 1:
                continue
            group_parts, group_problems = _partition(group)
            stage_parts += group_parts
            stage_problems += group_problems
        parts.append(stage_parts)
        for rid, msg in stage_problems:
            span = comp.rules[rid].span if rid in comp.rules else next(iter(comp.rules.values())).span
            problems.append(Diagnostic(code="matcher-limit", message=msg, span=span,
                                       hint="split the rule, or use fewer distinct conditions"))
    if problems:
        raise RulesetError(problems, texts)
    statutory = {code: {c.party: c.sanctions for c in it.penalties} for code, it in comp.items.items()}
    empowered = {a.name: frozenset(empowered_items(comp, a)) for a in comp.areas.values()
                 if a.kind != "county" and a.mode == "empowered"}
    counties = [a.name for a in comp.areas.values() if a.kind == "county"]
    tag = f"{comp.name}@{comp.version.isoformat()}"
    try:
        args1 = (f"{tag}/stage1", parts[0] or [[]], None)
        args2 = (f"{tag}/stage2", parts[1] or [[]], tuple(r.id for r in stage2))
        matcher1, matcher2 = StageMatcher(*args1), StageMatcher(*args2)
        made[id(matcher1)], made[id(matcher2)] = (matcher1, args1), (matcher2, args2)
    except _durable.MatcherError as exc:
        span = next(iter(comp.rules.values())).span if comp.rules else m.Span(source=comp.name)  # type: ignore[attr-defined]
        raise RulesetError([Diagnostic(code="matcher-limit", message=str(exc), span=span)], texts) from None
    paths = set(matcher1.paths) | set(matcher2.paths)
    return Program(
        composite=comp, items=comp.items,
        categories={code: item_category(comp, it) or "comprehensive" for code, it in comp.items.items()},
        statutory=statutory, rules=rules, stage1=stage1, stage2=stage2, benchmarks=benchmarks,
        entries={k: tuple(v) for k, v in entries.items()}, empowered=empowered,
        handler_index={c: handler_index(comp, c) for c in counties},
        params={k: p.value for k, p in comp.parameters.items()}, matcher1=matcher1, matcher2=matcher2,
        fine_names=frozenset(n for n, sd in comp.sanctions.items() if sd.is_fine),
        read_measures=tuple(n for n in comp.sanctions if f"measures.{n}" in paths),
        read_kinds=tuple(n for n in comp.sanctions if f"penalty.kinds.{n}" in paths),
        proposal_thresholds=tuple(sorted({v for r in stage2 for v in _compared(r.cond, "penalty.fine.proposed")})),
        item_conditions={k: v for k, v in item_conditions.items() if v is not None})


def _compared(cond: tuple | None, path: str) -> set:
    """The constants a resolved condition compares `path` with."""
    if not cond:
        return set()
    if cond[0] in ("and", "or"):
        return set().union(*(_compared(c, path) for c in cond[1]))
    return {cond[3]} if cond[0] == "cmp" and cond[1] == path else set()


def _symbols(node) -> set[str]:
    """The names a condition's AST uses as values (parameters among them)."""
    if node is None:
        return set()
    if isinstance(node, (m.AllOf, m.AnyOf)):
        return set().union(*(_symbols(t) for t in node.terms))
    vals = getattr(node, "values", None) or ([node.value] if getattr(node, "value", None) is not None else [])
    return {v.name for v in vals if isinstance(v, m.Symbol)}

