"""Case to decision: jurisdiction, whether to penalise, the penalty range, flags and the explanation.

Owns `evaluate` (batches are in `engine.batch`). The policy rules are matched by durable_rules in two stages (the
case, then the computed decision); everything legal around them is plain Python here: exception
precedence, the combination of outcomes, the range arithmetic in exact `Decimal`, the choice between
the versions in force at the act and at the decision (art. 37), the explanation, the open questions (each answered
by deciding the case again under the possible values of a decisive open fact) and the assumptions.
Imports `case`, `decision`, `compiler`, `check`, `benchmark`, `numbers`, `places`, `ruleset`, `errors`, `model`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Mapping

from engine import benchmark as bench_
from engine import model as m
from engine.case import Case, PriorViolation, parse_case
from engine.check import list_items, paths_of, scalar
from engine.compiler import CRule, Program, predicate
from engine.decision import (ADJUSTMENT_LABELS, OUTCOME_LABELS, Answer, Assumption, Decision, DecisionItem, Fine,
                             Flag, Handler, Penalty, Question, SET_ASIDE, Step, Transfer, fine_text)
from engine.errors import CaseError, CaseProblem, close_names
from engine.places import check_place
from engine.numbers import clip, parse_number
from engine.ruleset import Ruleset
from engine.vocabulary import CIRCUMSTANCES

__all__ = ["evaluate"]

# how a case states that an amount cannot be determined (违法所得无法确定): a stated fact, never a missing one
UNDETERMINABLE = ("无法确定", "undeterminable")

LAW = "《中华人民共和国行政处罚法》"
_CENT = Decimal("0.01")
_ORDER = {"time_barred": 0, "no_penalty": 1, "may_waive": 2}  # the combination of outcomes, strongest first
CATEGORY_LABELS = {"comprehensive": "综合行政执法", "specialist": "专业领域执法", "department": "由业务主管部门实施的"}


def _dec(x: Decimal) -> str:
    x = x.quantize(_CENT)
    return str(int(x)) if x == x.to_integral_value() else format(x, "f")


def _add_years(d: date, n: int) -> date:
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
    while n > 0 and _add_years(start, n) >= end:
        n -= 1
    return max(n, 0)


@dataclass
class _Assessment:
    """What one version of the rules says about outcome and penalty."""

    program: Program
    code: str = ""  # the item code assessed (a renumbered item's old or new code, see `_versions`)
    outcome: str = "penalty"
    grade: str | None = None
    graded: bool = False
    adjustment: str = "none"
    kinds: tuple[str, ...] = ()
    fine: tuple[Decimal, Decimal] | None = None
    steps: list[Step] = field(default_factory=list)
    flags: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # code, reason, basis, condition
    transfers: list[Transfer] = field(default_factory=list)
    has_penalty: bool = True
    fixed: bool = False
    reduced_ceiling: Decimal | None = None  # 减轻: the statutory minimum, which the fine must stay below
    assumed: list[tuple[str, str, str]] = field(default_factory=list)  # (what, rule, source) taken as given
    measures: list = field(default_factory=list)  # the benchmark grade's scaled measures (decision.ScaledMeasure)
    open_paths: list[str] = field(default_factory=list)  # case fields the benchmark's party column turns on

    def severity(self) -> tuple:
        if self.outcome in ("no_penalty", "time_barred") or not self.has_penalty:
            return (0, Decimal(0), Decimal(0), 0)
        hi, lo = (self.fine[1], self.fine[0]) if self.fine else (Decimal(0), Decimal(0))
        return (1, hi, lo, len(self.kinds))


def _problem(path: str, message: str, code: str = "invalid") -> CaseProblem:
    return CaseProblem(path=path, message=message, code=code)


def _validate(c: Case, prog: Program) -> tuple[dict, list[CaseProblem]]:
    """Check the case against the ruleset; return the typed facts for the matcher and the problems."""
    problems: list[CaseProblem] = []
    comp = prog.composite
    if c.item not in prog.items:
        close = close_names(c.item, list(prog.items))
        problems.append(_problem("item", f"unknown item {c.item!r}" + (f"; did you mean {', '.join(close)}?" if close
                                                                       else ""), "unknown_item"))
    problems += check_place(c.place, comp.areas, comp.name)
    if c.party.kind == "organisation" and c.party.age is not None:
        problems.append(_problem("party.age", "an age is given for an organisation; only individuals have an age"))
    if c.party.kind == "organisation" and c.party.capacity != "full":
        problems.append(_problem("party.capacity", "capacity applies to individuals only"))
    if c.party.kind == "organisation" and c.party.sole_trader:
        problems.append(_problem("party.sole_trader", "a 个体工商户 is given as party.kind individual with "
                                                      "sole_trader true, not as an organisation"))
    for i, prior in enumerate(c.history or ()):
        if prior.item is not None and prior.item not in prog.items and _successor(prog, prior.item) is None:
            problems.append(_problem(f"history.{i}.item", f"unknown item {prior.item!r}", "unknown_item"))
        if prior.decided_on >= c.occurred_on:
            problems.append(_problem(f"history.{i}.decided_on", f"the prior violation was decided on {prior.decided_on}, "
                                                              f"not before this act (occurred_on {c.occurred_on})",
                                     "date_order"))
    typed: dict[str, Any] = {}
    for name, value in c.facts.items():
        decl = comp.facts.get(name)
        path = f"facts.{name}"
        if decl is None:
            close = close_names(name, list(comp.facts))
            problems.append(_problem(path, f"undeclared fact {name!r}" + (f"; did you mean {', '.join(close)}?" if close
                                                                         else ""), "unknown_fact"))
            continue
        t = decl.type
        if t in ("money", "number", "integer") and isinstance(value, str) and value.strip() in UNDETERMINABLE:
            # a stated fact ("违法所得无法确定"), not an amount: conditions read it as `facts.X is undeterminable`
            typed[f"undeterminable.{name}"] = True
            continue
        if t in ("money", "number", "integer"):
            if isinstance(value, bool):
                problems.append(_problem(path, f"{name!r} is {t}, not yes/no", "type"))
                continue
            try:
                value = parse_number(value)  # only the forms a person writes (engine/numbers.py)
            except ValueError as exc:
                problems.append(_problem(path, f"{name!r} {exc}", "type"))
                continue
            if not value.is_finite():
                problems.append(_problem(path, f"{name!r} must be finite", "type"))
                continue
            if value < 0:
                problems.append(_problem(path, f"{name!r} cannot be negative", "negative"))
                continue
            if value > Decimal("1e13"):
                problems.append(_problem(path, f"{name!r} = {clip(str(value))} is beyond any plausible amount", "range"))
                continue
            if t == "integer" and value != value.to_integral_value():
                problems.append(_problem(path, f"{name!r} must be a whole number", "type"))
                continue
            typed[path] = value
        elif t == "yes/no":
            if not isinstance(value, bool):
                problems.append(_problem(path, f"{name!r} is yes/no: use true or false", "type"))
                continue
            typed[path] = value
        else:
            if not isinstance(value, str):
                problems.append(_problem(path, f"{name!r} is text", "type"))
                continue
            if t == "enum" and value not in decl.members:
                problems.append(_problem(path, f"{name!r} must be one of {', '.join(decl.members)}", "type"))
                continue
            typed[path] = value
    for i, measure in enumerate(c.measures):
        if measure not in comp.sanctions:
            close = close_names(measure, list(comp.sanctions))
            problems.append(_problem(f"measures.{i}", f"unknown measure {measure!r}" +
                                     (f"; did you mean {', '.join(close)}?" if close else ""), "unknown_measure"))
    for d, path in ((c.ended_on, "ended_on"), (c.discovered_on, "discovered_on")):
        if d is not None and d < c.occurred_on:
            problems.append(_problem(path, f"{path} {d} is before occurred_on {c.occurred_on}", "date_order"))
    if c.occurred_on > c.decided_on:
        problems.append(_problem("occurred_on", f"occurred_on {c.occurred_on} is after decided_on {c.decided_on}",
                                 "date_order"))
    if c.discovered_on and c.discovered_on > c.decided_on:
        problems.append(_problem("discovered_on", f"discovered_on {c.discovered_on} is after decided_on {c.decided_on}",
                                 "date_order"))
    if c.ended_on and c.ended_on > c.decided_on:
        problems.append(_problem("ended_on", f"ended_on {c.ended_on} is after decided_on {c.decided_on}", "date_order"))
    return typed, problems


def _base_facts(c: Case, prog: Program, typed: dict) -> dict:
    f: dict[str, Any] = {"party.kind": c.party.kind, "party.capacity": c.party.capacity}
    if c.party.age is not None:
        f["party.age"] = c.party.age
    if c.party.sole_trader is not None:
        f["party.sole_trader"] = c.party.sole_trader
    if c.history is not None:
        for n in (1, 2, 3):
            f[f"history.prior_{n}y"] = prior_count(c, n)
    circ = c.circumstances
    for k in CIRCUMSTANCES:
        f[f"circumstances.{k}"] = getattr(circ, k)
    if circ.harm is not None:
        f["circumstances.harm"] = circ.harm
    item = prog.items[c.item]
    f["item.code"] = c.item
    f["item.domain"] = item.domain.name if item.domain else ""
    f["item.category"] = prog.categories[c.item]
    f["place.county"] = c.place.county
    mode = "none"
    if c.place.township:
        f["place.township"] = c.place.township
        mode = prog.composite.areas[c.place.township].mode
    if c.place.zone:
        f["place.zone"] = c.place.zone
    f["place.mode"] = mode
    start = c.ended_on or c.occurred_on
    f["limitation.years_elapsed"] = years_elapsed(start, c.discovered_on or c.decided_on)
    measures = set(c.measures)
    for s in prog.read_measures:
        f[f"measures.{s}"] = s in measures
    for k, v in typed.items():
        f[k] = scalar(v)
        if k.startswith("facts.") and not isinstance(v, (bool, str)):
            f.setdefault("undeterminable." + k[len("facts."):], False)  # an amount stated is a determined one
    return f


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
    start = _add_years(c.occurred_on, -years)
    return sum(1 for p in c.history or () if (p.item is None or p.item == c.item) and start <= p.decided_on < c.occurred_on)


# ── jurisdiction ─────────────────────────────────────────────────────────────
def _agency_handler(ag: m.Agency, route: str) -> Handler:
    level = ag.level if ag.level in ("city", "county", "township") else "county"
    kind = ag.kind if ag.kind in ("comprehensive", "specialist", "department", "township") else "department"
    return Handler(agency=ag.name, level=level, kind=kind, in_name_of=ag.in_name_of or ag.name, route=route)


def _jurisdiction(c: Case, prog: Program) -> tuple[Handler, int, list[Step], list[m.Agency]]:
    comp = prog.composite
    code = c.item
    cands = prog.handlers(c.place.county, code)
    steps: list[Step] = []
    item_basis = "；".join(prog.items[code].basis)
    steps.append(Step(rule="JUR-PLACE", text=f"违法行为发生地在{c.place.county}"
                      + (f"{c.place.township}" if c.place.township else "") + (f"（{c.place.zone}）" if c.place.zone else "")
                      + "，由发生地的行政机关管辖", basis=f"{LAW}第二十二条"))
    for part in ("zone", "township"):
        name = getattr(c.place, part)
        if not name:
            continue
        area = comp.areas[name]
        abasis = "；".join(area.basis) or "；".join(area.meta.sources) or f"{LAW}第二十四条"
        label = "功能区" if part == "zone" else "乡镇（街道）"
        if area.mode == "empowered" and code in prog.empowered.get(name, ()):
            body = area.body or name
            steps.append(Step(rule="JUR-EMPOWERED", basis=abasis,
                              text=f"{name}为赋权{label}，本事项列入其具体实施的综合行政执法事项目录，以{body}名义实施"))
            return Handler(agency=body, level="township", kind="township", in_name_of=body, route="empowered"), 1, steps, cands
        if area.mode == "dispatched" and area.dispatched_for and any(a.name == area.dispatched_for.name for a in cands):
            ag = next(a for a in cands if a.name == area.dispatched_for.name)
            steps.append(Step(rule="JUR-DISPATCHED", basis=abasis + "；《浙江省综合行政执法条例》第九条第三款",
                              text=f"{name}由{ag.name}派驻执法队（{area.team}）执法，以{ag.in_name_of or ag.name}名义作出决定"))
            base = _agency_handler(ag, "dispatched")
            return base.model_copy(update={"agency": area.team or ag.name}), 1, steps, cands
        if area.mode == "empowered":
            steps.append(Step(rule="JUR-NOT-EMPOWERED", basis=abasis,
                              text=f"{name}虽为赋权{label}，但本事项不在其赋权事项目录内，仍由县级部门管辖"))
        elif area.mode == "dispatched":
            steps.append(Step(rule="JUR-NOT-DISPATCHED", basis=abasis,
                              text=f"{name}的派驻执法队（{area.team}）代表{area.dispatched_for.name if area.dispatched_for else ''}"
                                   f"执法，本事项不属该机关管辖，按执法事项目录确定管辖"))
    if len(cands) == 1:
        ag = cands[0]
        steps.append(Step(rule="JUR-CATALOGUE", basis=item_basis + "；《浙江省综合行政执法条例》第八条",
                          text=f"按执法事项目录，本事项属{CATEGORY_LABELS[prog.categories[code]]}事项"
                               f"（{prog.items[code].domain.name if prog.items[code].domain else ''}领域），由{ag.name}管辖"))
        return _agency_handler(ag, "catalogue"), 1, steps, cands
    if not cands:
        steps.append(Step(rule="JUR-NONE", basis=f"{LAW}第十七条、第二十三条",
                          text=f"{c.place.county}的规则集中没有负责本事项的执法主体（目录缺口），须由县级人民政府明确"))
        kind = prog.categories[code]
        return Handler(agency="未明确执法主体", level="county", kind=kind, in_name_of="", route="none"), 0, steps, cands
    coord = comp.areas[c.place.county].coordinator or f"{c.place.county}人民政府"
    steps.append(Step(rule="JUR-DISPUTE", basis=f"{LAW}第二十五条",
                      text=f"{'、'.join(a.name for a in cands)}均有管辖权：由最先立案的机关管辖；有争议的协商解决，"
                           f"协商不成的报请共同的上一级行政机关（{coord}）指定管辖"))
    h = _agency_handler(cands[0], "designated")
    return h, len(cands), steps, cands


# ── stage 1: whether to penalise, and the penalty ─────────────────────────────
def _fired(prog: Program, matcher, facts: dict) -> tuple[list[CRule], list[tuple[CRule, list[str]]]]:
    ids = matcher.match(facts)  # raises EvaluationError when the matcher fails
    fired = [prog.rules[i] for i in ids]
    ids_set = set(ids)
    overriders: dict[str, list[str]] = {}
    for r in fired:
        for t in r.exception_to:
            if t in ids_set:
                overriders.setdefault(t, []).append(r.id)
    surviving = [r for r in fired if r.id not in overriders]
    overridden = [(r, overriders[r.id]) for r in fired if r.id in overriders]
    return surviving, overridden


def _basis(rule: CRule) -> str:
    return "；".join(rule.basis)


def _yuan(amount: m.Amount, typed: dict, code: str) -> tuple[Decimal, Decimal]:
    if amount.kind == "range":
        return amount.low, amount.high
    q = typed.get(f"facts.{amount.of.name}")  # type: ignore[union-attr]
    if q is None and typed.get(f"undeterminable.{amount.of.name}"):  # type: ignore[union-attr]
        raise CaseError([_problem(f"facts.{amount.of.name}",  # type: ignore[union-attr]
                                  f"the case states {amount.of.name!r} 无法确定, but item {code} computes its fine from "  # type: ignore[union-attr]
                                  f"it: the item (or benchmark grade) for an undeterminable amount applies",
                                  "undeterminable_amount")])
    if q is None:
        raise CaseError([_problem(f"facts.{amount.of.name}",  # type: ignore[union-attr]
                                  f"item {code} computes its fine from {amount.of.name!r}; declare it in facts",
                                  "missing_fact")])
    return amount.low * q, amount.high * q


def _assess(c: Case, prog: Program, facts: dict, typed: dict) -> _Assessment:
    a = _Assessment(program=prog, code=c.item)
    code = c.item
    item = prog.items[code]
    surviving, overridden = _fired(prog, prog.matcher1, facts)
    for r, by in overridden:
        a.steps.append(Step(rule=r.id, basis=_basis(r), text=f"{r.title}——本案适用例外规则 {'、'.join(by)}，此规则不适用"))
    outcomes: list[tuple[str, str]] = []
    adjusts: list[tuple[str, str]] = []
    for r in surviving:
        texts = []
        for act in r.actions:
            if act.kind in _ORDER:
                outcomes.append((act.kind, r.id))
            elif act.kind == "adjust":
                adjusts.append((act.arg or "", r.id))
            elif act.kind == "flag":
                a.flags.append((act.arg or "", act.text or r.title, _basis(r), None))
            elif act.kind == "transfer":
                a.transfers.append(Transfer(to=act.arg or "", reason=act.text or r.title, basis=_basis(r)))
            if act.text and act.kind != "flag":
                texts.append(act.text)
        a.steps.append(Step(rule=r.id, basis=_basis(r), text=r.title + (f"：{'；'.join(texts)}" if texts else "")))
    for e in prog.entries.get(code, ()):
        if e.test(facts):
            rid = f"LIST:{e.list_name}"
            basis = e.list_title + (f"（{'；'.join(e.sources)}）" if e.sources else "")
            if e.kind == "reduced":
                adjusts.append(("reduced", rid))
                a.steps.append(Step(rule=rid, basis=basis, text="本事项列入减轻行政处罚清单且符合适用条件" +
                                    (f"：{e.note}" if e.note else "")))
            else:
                outcomes.append((e.kind, rid))
                label = "不予行政处罚" if e.kind == "no_penalty" else "可以不予行政处罚"
                a.steps.append(Step(rule=rid, basis=basis, text=f"本事项列入轻微违法{label}清单且符合适用条件" +
                                    (f"：{e.note}" if e.note else "")))
    item_basis = "；".join(item.basis)
    for req in item.requires:
        v = typed.get(f"facts.{req.name}")
        desc = prog.composite.facts[req.name].description or req.name
        if v is False:
            outcomes.append(("no_penalty", "REQUIRES"))
            a.steps.append(Step(rule="REQUIRES", basis=item_basis,
                                text=f"法定罚则以“{desc}”为前提，本案不具备该前提：责令改正，不予罚款"))
        elif v is None:
            a.steps.append(Step(rule="REQUIRES", basis=item_basis,
                                text=f"法定罚则以“{desc}”为前提；案件未载明，按具备该前提计算（见推定前提与待查明事实）"))
            a.assumed.append((f"按具备“{desc}”的前提计算罚则：案件未载明", "REQUIRES", item_basis))
    bench = prog.benchmarks.get(code)
    bres = bench_.assess(bench, code, c.party.kind, c.party.sole_trader, facts, typed, prog.composite) if bench else None
    if bres is not None and bres.outcome is not None:  # a grade that gives 不予处罚 / 可以不予处罚 is an outcome
        outcomes.append((bres.outcome, f"BENCH:{code}"))
        a.steps += bres.steps
    if outcomes:
        a.outcome = min(outcomes, key=lambda o: _ORDER[o[0]])[0]
    if a.outcome in ("no_penalty", "time_barred"):
        a.has_penalty = False
        return a
    # the penalty range -----------------------------------------------------------
    party = c.party.kind
    stat = prog.statutory[code]
    sanctions = stat.get(party) or stat.get("all") or ()
    if not sanctions:
        # 第三十八条: a penalty without a legal basis is void; the article names no penalty for this party.
        a.outcome, a.has_penalty = "no_penalty", False
        who = "个人" if party == "individual" else "单位"
        a.steps.append(Step(rule="NO-BASIS", basis=f"{item_basis}；{LAW}第三十八条第一款",
                            text=f"所引法律条文未对{who}规定行政处罚，没有处罚依据，不得给予行政处罚"))
        return a
    a.kinds = tuple(s.name.name for s in sanctions)
    fine_s = next((s for s in sanctions if prog.composite.sanctions[s.name.name].is_fine and s.amount), None)
    grade_amount = None
    if bres is not None and bres.outcome is None:
        a.steps += bres.steps
        adjusts += bres.adjusts
        a.assumed += bres.assumed
        a.open_paths, a.measures = bres.open_paths, bres.measures
        a.grade, a.graded, grade_amount = bres.grade, bres.graded, bres.amount
        if bres.warning_only:  # 仅给予警告: the grade drops the fine and every other kind
            fine_s, a.kinds = None, ("警告",)
    if fine_s is None:
        a.fine = None
    else:
        lo, hi = _yuan(fine_s.amount, typed, code)
        stat_lo = lo
        a.fixed = lo == hi
        said = _describe(fine_s.amount)
        computed = f"{_dec(lo)}元至{_dec(hi)}元" if lo != hi else f"{_dec(lo)}元"
        a.steps.append(Step(rule="RANGE-STATUTORY", basis=item_basis,
                            text=f"法定罚款幅度：{said}" + ("" if said == computed else f"，即{computed}")))
        stat_hi = hi
        if grade_amount is not None:
            lo, hi = _yuan(grade_amount, typed, code)
        if bench is not None and bench.factors and bres is not None and bres.outcome is None:
            lo, fsteps, fassumed = bench_.place_by_factors(bench, code, facts, max(lo, stat_lo), min(hi, stat_hi),
                                                           prog.composite)
            hi, a.graded = lo, True  # the factor model places the fine: the benchmark decided it
            a.steps += fsteps
            a.assumed += fassumed
        a.fine = (lo, hi)
        kinds = {k for k, _ in adjusts}
        mitigating = kinds & {"lighter", "reduced", "lighter_or_reduced"}
        share = prog.params.get("裁量.从轻从重幅度")
        if "heavier" in kinds and mitigating:
            a.steps.append(Step(rule="RANGE-ADJUST", basis=f"{LAW}第三十条、第三十二条",
                                text="同时存在应当从轻或者减轻的情形，不再从重"))
            kinds.discard("heavier")
        if a.fixed and "lighter_or_reduced" in kinds and "reduced" not in kinds and stat_lo > 0:
            # a fixed amount leaves no room to 从轻: the mandatory 从轻或者减轻 can only be 减轻
            kinds.add("reduced")
            a.steps.append(Step(rule="RANGE-ADJUST", basis=_rules_basis(prog, adjusts, "lighter"),
                                text="法定罚款为固定数额，无从轻余地；应当从轻或者减轻的，予以减轻"))
        if "reduced" in kinds and stat_lo == 0:
            a.steps.append(Step(rule="RANGE-ADJUST", basis=item_basis,
                                text="法定罚款无下限，减轻处罚即在幅度内从轻"))
            kinds.discard("reduced")
            kinds.add("lighter")
        if "reduced" in kinds:
            a.adjustment = "reduced"
            lo, hi = Decimal(0), stat_lo
            a.reduced_ceiling = stat_lo
            a.steps.append(Step(rule="RANGE-ADJUST", basis=_rules_basis(prog, adjusts, "reduced"),
                                text=f"减轻处罚：罚款数额应低于法定最低罚款{_dec(stat_lo)}元（不含{_dec(stat_lo)}元本数），"
                                     f"或者依法不处罚款"))
        elif mitigating:
            a.adjustment = "lighter"
            if isinstance(share, Decimal):
                hi = lo + (hi - lo) * share
            a.steps.append(Step(rule="RANGE-ADJUST", basis=_rules_basis(prog, adjusts, "lighter"),
                                text=f"从轻处罚：在幅度内选择较低限度（下端{_pct(share)}），即{_dec(lo)}元至{_dec(hi)}元"))
        elif "heavier" in kinds:
            a.adjustment = "heavier"
            if isinstance(share, Decimal):
                lo = hi - (hi - lo) * share
            a.steps.append(Step(rule="RANGE-ADJUST", basis=_rules_basis(prog, adjusts, "heavier"),
                                text=f"从重处罚：在幅度内选择较高限度（上端{_pct(share)}），即{_dec(lo)}元至{_dec(hi)}元"))
        if a.adjustment != "reduced":
            # 从轻、从重 and benchmark grades stay inside the statutory range; only 减轻 goes below it (art. 32)
            lo, hi = max(lo, stat_lo), min(hi, stat_hi)
        lo, hi = max(lo, Decimal(0)), max(hi, Decimal(0))
        lo, hi = lo.quantize(_CENT, rounding=ROUND_CEILING), hi.quantize(_CENT, rounding=ROUND_FLOOR)
        if hi <= 0 or lo > hi:
            # a multiple of a small amount can round to less than a cent: there is then no fine to impose
            a.steps.append(Step(rule="RANGE-ZERO", basis=item_basis,
                                text=f"按本案数额计算的罚款不足一分钱（{_dec(lo)}元至{_dec(hi)}元），不处罚款"))
            a.fine = None
            a.kinds = tuple(k for k in a.kinds if k not in prog.fine_names)
        else:
            a.fine = (lo, hi)
    if fine_s is None and adjusts:
        a.adjustment = "reduced" if any(k == "reduced" for k, _ in adjusts) else (
            "lighter" if any(k in ("lighter", "lighter_or_reduced") for k, _ in adjusts) else "heavier")
    return a


def _pct(share) -> str:
    return f"{_dec(share * 100)}%" if isinstance(share, Decimal) else "全幅度（未设定比例参数）"


def _rules_basis(prog: Program, adjusts: list[tuple[str, str]], kind: str) -> str:
    out = []
    for k, rid in adjusts:
        if k == kind or (kind == "lighter" and k == "lighter_or_reduced"):
            if rid in prog.rules:
                out.append(_basis(prog.rules[rid]))
            else:
                out.append(rid)
    return "；".join(dict.fromkeys(out)) or LAW


def _describe(amount: m.Amount | None) -> str:
    if amount is None:
        return ""
    if amount.kind == "range":
        return f"{_dec(amount.low)}元至{_dec(amount.high)}元" if amount.low != amount.high else f"{_dec(amount.low)}元"
    if amount.kind == "percent":
        return f"{amount.of.name}的{_dec(amount.low * 100)}%至{_dec(amount.high * 100)}%"  # type: ignore[union-attr]
    return f"{amount.of.name}的{_dec(amount.low)}倍至{_dec(amount.high)}倍"  # type: ignore[union-attr]


# ── the decision ─────────────────────────────────────────────────────────────
def evaluate(case: Case | Mapping[str, Any], ruleset: Ruleset) -> Decision:
    """Evaluate one case against a ruleset.

    The decision says what the stated facts support; where the law turns on something the case leaves open
    (harm, age, a precondition, a grading fact, the proposed fine …) it lists the question with the decision
    under each answer, and every premise it rests on without proof is listed as an assumption.

    Args:
        case: an `engine.Case` or a JSON-like mapping of the contract's case fields.
        ruleset: from `engine.load_ruleset`.

    Returns:
        The `Decision`: handler, transfers, outcome, penalty range, procedure, flags, explanation, questions
        and assumptions.

    Raises:
        CaseError: the case is malformed, contradicts itself or does not fit the ruleset (each problem with its
            field path).
        EvaluationError: the matcher failed.
    """
    c = parse_case(case)
    run = _decide(c, ruleset)
    return run.decision.model_copy(update={"questions": _questions(run.case, ruleset, run)})


@dataclass
class _Run:
    """One evaluation: the decision and what the open-question analysis needs to re-read it."""

    decision: Decision
    home: Program
    chosen: _Assessment
    facts1: dict
    facts2: dict
    typed: dict
    conditional: list[tuple[CRule, str]]
    case: Case  # as judged: its item is the judging version's code for a renumbered item
    stage2: tuple = ()  # what the decision rules started from (handler, candidates, steps): a proposal re-runs them


def _decide(c: Case, ruleset: Ruleset, *, strict_proposal: bool = True, probe: bool = False) -> _Run:
    """The legal steps in order: versions (art. 37), facts, jurisdiction (arts. 22-25), outcome and range
    (arts. 28-36), decision rules (flags, retention, procedure), assembly."""
    prog, prog_act, home, code, old_code, repealed = _versions(c, ruleset)
    if code != c.item:  # the case names a renumbered item: judge it under the code the judging version uses
        c = c.model_copy(update={"item": code})
    typed = _facts(c, home)
    facts = _base_facts(c, home, typed)
    handler, n_cands, jur_steps, cands = _jurisdiction(c, home)
    chosen, lex_steps = _choose_version(c, ruleset, prog, prog_act, home, repealed, facts, typed, old_code)
    proposal = _proposal(c, chosen, strict_proposal)
    differ = prog is not prog_act and _item_differs(c.item, prog, prog_act, old_code)
    facts2 = _decision_facts(facts, handler, n_cands, chosen, differ)
    stage2 = (dict(facts2), handler, cands, jur_steps, lex_steps)
    steps2, flags, transfers, procedure, handler, conditional = _decision_rules(c, home, chosen, facts2, proposal,
                                                                                 handler, cands)
    decision = _assemble(c, ruleset, home, chosen, handler, jur_steps, lex_steps, steps2, flags, transfers, procedure)
    if not probe:  # a probe answers a question with the decision's outcome, range and flags only
        decision = decision.model_copy(update={"assumptions": _assumptions(c, home, chosen, decision, conditional)})
    return _Run(decision, home, chosen, facts, facts2, typed, conditional, c, stage2)


def _with_proposal(c: Case, ruleset: Ruleset, run: _Run, proposal: Decimal) -> Decision:
    """The decision under a proposed fine: a proposal changes only the decision rules (stage 2), so they alone are
    run again on what the first run computed (the same answer `_decide` would give, without re-deciding)."""
    facts2, handler, cands, jur_steps, lex_steps = run.stage2
    steps2, flags, transfers, procedure, handler, _ = _decision_rules(c, run.home, run.chosen, dict(facts2), proposal,
                                                                      handler, cands)
    return _assemble(c, ruleset, run.home, run.chosen, handler, jur_steps, lex_steps, steps2, flags, transfers,
                     procedure)


def _versions(c: Case, ruleset: Ruleset) -> tuple[Program, Program, Program, str, str | None, bool]:
    """第三十七条: the versions in force at the decision and at the act, the one that judges the case, the item
    code it knows the act by, the act-time code, and whether the act is no longer an offence.

    An item renumbered by a later version (``continues OLD``) is the same act under both codes: the case may
    name either, and neither version reads the other's code as repealed.
    """
    prog = ruleset.program_at(c.decided_on)
    if prog is None:
        raise CaseError([_problem("decided_on", f"no version of {ruleset.name} is in force on {c.decided_on}; the "
                                                f"first takes effect on {ruleset.versions[0]}", "no_version")], c.case_id)
    prog_act = ruleset.program_at(c.ended_on or c.occurred_on) or ruleset.first
    new_code = c.item if c.item in prog.items else _successor(prog, c.item, c)
    old_code = c.item if c.item in prog_act.items else _predecessor(prog_act, prog.items.get(c.item))
    # an item repealed by the decision date is no longer an offence ("不认为是违法的"); its jurisdiction is judged
    # on the version that still lists it
    repealed = prog_act is not prog and new_code is None and old_code is not None
    if repealed:
        return prog, prog_act, prog_act, old_code, old_code, True  # type: ignore[return-value]
    return prog, prog_act, prog, new_code or c.item, old_code, False


def _successor(prog: Program, code: str, c: Case | None = None) -> str | None:
    """The item of `prog` that continues `code` (``continues``), if any.

    Raises:
        CaseError: `code` was split into several items: the case must name the one that fits the act.
    """
    found = [k for k, it in prog.items.items() if code in it.continues]
    if len(found) > 1:
        raise CaseError([_problem("item", f"item {code} is continued by several items from {prog.version} "
                                          f"({', '.join(found)}): name the one that fits the act", "item_split")],
                        c.case_id if c else None)
    return found[0] if found else None


def _predecessor(prog: Program, item: m.Item | None) -> str | None:
    """The item of `prog` that `item` continues, if any."""
    return next((k for k in item.continues if k in prog.items), None) if item is not None else None


def _item_differs(code: str, new: Program, old: Program, old_code: str | None = None) -> bool:
    """Whether what the two versions say about item `code` differs (the item, its benchmark, its list entries,
    the general rules or parameters): only then does art. 37's choice arise for this case."""
    if old_code is not None and old_code != code:
        return True  # renumbered: the old and the new article are compared
    if (code in new.items) != (code in old.items):
        return True
    if code in new.items and new.items[code] != old.items[code]:
        return True
    nb, ob = new.composite.benchmarks.get(code), old.composite.benchmarks.get(code)
    if nb != ob:
        return True
    if [e.list_name for e in new.entries.get(code, ())] != [e.list_name for e in old.entries.get(code, ())]:
        return True
    return new.composite.rules != old.composite.rules or new.composite.parameters != old.composite.parameters


def _facts(c: Case, home: Program) -> dict:
    """The case against the ruleset: typed facts, or a CaseError with every problem (field paths)."""
    typed, problems = _validate(c, home)
    if not problems:
        problems = _contradictions(c, typed) + _measures_provided(c, home, typed) + _item_applies(c, home, typed)
    if problems:
        raise CaseError(problems, c.case_id)
    return typed


def _contradictions(c: Case, typed: dict) -> list[CaseProblem]:
    """Facts that cannot both be true: the decision never picks one reading silently."""
    out = []
    circ = c.circumstances
    for name, label in (("拒不改正", "经责令改正拒不改正"), ("逾期不改正", "责令限期改正后逾期不改正")):
        if typed.get(f"facts.{name}") is True and circ.corrected:
            msg = (f"facts.{name} ({label}) and circumstances.corrected (及时改正) cannot both be true")
            out += [_problem(f"facts.{name}", msg, "contradiction"), _problem("circumstances.corrected", msg, "contradiction")]
    prior = [i for i, p in enumerate(c.history or ()) if p.item is None or p.item == c.item]
    if circ.first_offence and prior:
        msg = (f"circumstances.first_offence (初次违法) contradicts history.{prior[0]} (a prior violation of the same item, "
               f"decided on {c.history[prior[0]].decided_on})")  # type: ignore[index]
        out += [_problem("circumstances.first_offence", msg, "contradiction"),
                _problem(f"history.{prior[0]}", msg, "contradiction")]
    count = typed.get("facts.次数")
    if circ.first_offence and count is not None and count > 1:
        msg = (f"circumstances.first_offence (初次违法) contradicts facts.次数 = {count} (一年内被查处的次数，含本次)")
        out += [_problem("circumstances.first_offence", msg, "contradiction"), _problem("facts.次数", msg, "contradiction")]
    return out


def _applies(cond: tuple, facts: Mapping) -> bool | None:
    """An item's condition on the stated facts: True, False, or None when a fact it reads is not stated."""
    kind = cond[0]
    if kind in ("and", "or"):
        vals = [_applies(x, facts) for x in cond[1]]
        if kind == "and":
            return False if False in vals else (None if None in vals else True)
        return True if True in vals else (None if None in vals else False)
    if cond[0] in ("present", "missing") or cond[1] in facts:
        return predicate(cond)(facts)
    return None


def _item_applies(c: Case, prog: Program, typed: dict) -> list[CaseProblem]:
    """An item whose article sets its own condition (an amount tier: 违法所得三万元以上): facts that rule it out
    mean the case does not fit this item (the range would be below the article's minimum)."""
    cond = prog.item_conditions.get(c.item)
    if cond is None or _applies(cond, {k: scalar(v) for k, v in typed.items()}) is not False:
        return []
    paths = sorted(p for p in paths_of(cond) if p in typed)
    others = [k for k, it in prog.items.items() if k != c.item and it.name.split("（")[0] == prog.items[c.item].name.split("（")[0]]
    return [_problem(paths[0] if paths else "item",
                     f"item {c.item} applies only when {_cond_text(cond)}; the case states "
                     + "、".join(f"{p} = {typed[p]}" for p in paths)
                     + (f" (see {', '.join(others)})" if others else ""), "item_condition")]


def _cond_text(cond: tuple) -> str:
    if cond[0] in ("and", "or"):
        return f" {cond[0]} ".join(_cond_text(x) for x in cond[1])
    if cond[0] in ("present", "missing"):
        return f"{cond[1]} is {'present' if cond[0] == 'present' else 'missing'}"
    return f"{cond[1]} {cond[2]} {cond[3]}"


def _measures_provided(c: Case, prog: Program, typed: dict) -> list[CaseProblem]:
    """第三十八条: a case may propose only the penalties and measures the item's article provides."""
    out = []
    item = prog.items[c.item]
    stat = prog.statutory[c.item]
    provided = {s.name.name for s in (stat.get(c.party.kind) or stat.get("all") or ())}
    conditional = {ref.name: im for im in item.measures for ref in im.names}
    for i, name in enumerate(c.measures):
        if name not in prog.composite.sanctions or name in provided or name == "责令改正":  # art. 28: always ordered
            continue
        im = conditional.get(name)
        if im is None:
            out.append(_problem(f"measures.{i}", f"{name} is not provided by the basis of item {c.item} "
                                                 f"({'；'.join(item.basis)}); 《行政处罚法》第三十八条: a penalty "
                                                 f"without legal basis is void", "measure_not_provided"))
            continue
        for r in im.requires:
            if typed.get(f"facts.{r.name}") is False:
                out.append(_problem(f"measures.{i}", f"{name} requires facts.{r.name}, which the case states is not so",
                                    "measure_precondition"))
    return out


def _choose_version(c: Case, ruleset: Ruleset, prog: Program, prog_act: Program, home: Program, repealed: bool,
                    facts: dict, typed: dict, old_code: str | None = None) -> tuple[_Assessment, list[Step]]:
    """第三十七条: the act-time rules, unless the decision-time rules are lighter or no longer make it an offence."""
    if repealed:
        return (_Assessment(program=home, code=c.item, outcome="no_penalty", has_penalty=False),
                [Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                      text=f"决定时施行的规定（{_since(prog)}）已不再将该行为列为违法行为（事项已废止），适用新的规定，"
                           f"不予行政处罚")])
    chosen = _assess(c, prog, facts, typed)
    if prog_act is prog or not _item_differs(c.item, prog, prog_act, old_code):
        return chosen, []
    if old_code is None:
        # absent from the act-time version means "not encoded there", not "lawful then": a version's date is when
        # the ruleset changed, not when each regulation took effect. Say so; a reviewer decides.
        return chosen, [Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                             text=f"行为时施行的规则（{_since(prog_act)}）未载明本事项，按决定时施行的规定（{_since(prog)}）"
                                  f"计算；请核实行为时该规定是否已经施行")]
    renumbered = old_code != c.item
    if renumbered:
        c = c.model_copy(update={"item": old_code})
    if _validate(c, prog_act)[1]:
        return chosen, [Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                             text=f"案件不符合行为时施行的规则（{_since(prog_act)}）的地点或事实要求，适用决定时施行的规定"
                                  f"（{_since(prog)}）")]
    old = _assess(c, prog_act, _base_facts(c, prog_act, typed), typed)
    if renumbered:
        note = Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                    text=f"本事项在{_since(prog)}中编为{chosen.code}（{'；'.join(prog.items[chosen.code].basis)}），"
                         f"行为时编为{old.code}（{'；'.join(prog_act.items[old.code].basis)}），为同一违法行为")
        chosen.steps.insert(0, note)
        old.steps.insert(0, note)
    if lighter(chosen.severity(), old.severity()):
        return chosen, [Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                             text=f"行为时适用{_since(prog_act)}的规定，决定时已修改（{_since(prog)}）；新的规定处罚较轻，"
                                  f"适用新的规定")]
    return old, [Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                      text=f"适用违法行为发生时的规定（{_since(prog_act)}）；决定时的规定（{_since(prog)}）并不更轻")]


def _since(prog: Program) -> str:
    d = prog.composite.version
    return f"{d.year}年{d.month}月{d.day}日起施行的版本"


def lighter(new: tuple, old: tuple) -> bool:
    """第三十七条: whether the new rules punish less than the old ones ("新的规定处罚较轻").

    A severity is (has a penalty, fine ceiling, fine floor, number of penalty kinds), compared in that order:
    no penalty is lighter than any; then the lower ceiling; then the lower floor; then fewer kinds. Equal is not
    lighter, so the act-time rules stay.

    Examples:
        >>> from decimal import Decimal as D
        >>> lighter((0, D(0), D(0), 0), (1, D(50), D(20), 1))
        True
        >>> lighter((1, D(1000), D(200), 1), (1, D(1000), D(200), 1))
        False
        >>> lighter((1, D(800), D(500), 1), (1, D(1000), D(200), 1))
        True
    """
    return new < old


def _proposal(c: Case, chosen: _Assessment, strict: bool) -> Decimal | None:
    """The proposed fine, checked against the computed range (a proposal outside it is a CaseError)."""
    p = c.proposed_fine
    if p is None:
        return None
    problem = None
    if not chosen.has_penalty or chosen.fine is None:
        problem = f"proposed_fine {_dec(p)} yuan, but this decision imposes no fine"
    else:
        lo, hi = chosen.fine
        ceiling = chosen.reduced_ceiling
        if ceiling is not None and p >= ceiling:
            problem = (f"proposed_fine {_dec(p)} yuan is not below the statutory minimum {_dec(ceiling)} yuan, "
                       f"as 减轻处罚 requires")
        elif not lo <= p <= hi:
            problem = f"proposed_fine {_dec(p)} yuan is outside the computed range {_dec(lo)}-{_dec(hi)} yuan"
    if problem is None:
        return p
    if not strict:
        return None
    raise CaseError([_problem("proposed_fine", problem, "proposal_out_of_range")], c.case_id)


def _decision_facts(facts: dict, handler: Handler, n_cands: int, chosen: _Assessment, differ: bool) -> dict:
    """Stage-2 facts: the case plus the decision computed so far."""
    applied = chosen.program
    f2 = dict(facts)
    f2["handler.route"] = handler.route
    f2["handler.level"] = handler.level
    f2["handler.kind"] = handler.kind
    f2["handler.candidates"] = n_cands
    f2["outcome"] = chosen.outcome
    f2["versions.differ"] = differ
    if chosen.has_penalty:
        f2["penalty.adjustment"] = chosen.adjustment
        f2["penalty.graded"] = chosen.graded
        f2["penalty.has_fine"] = chosen.fine is not None
        if chosen.fine is not None:
            f2["penalty.fine.min"] = scalar(chosen.fine[0])
            f2["penalty.fine.max"] = scalar(chosen.fine[1])
        f2["penalty.only_fine_or_warning"] = all(k in applied.fine_names or k == "警告" for k in chosen.kinds)
        for s in applied.read_kinds:
            f2[f"penalty.kinds.{s}"] = s in chosen.kinds
        f2["penalty.fine.fixed"] = chosen.fixed
    return f2


def _proposal_points(chosen: _Assessment, home: Program) -> list[Decimal]:
    """Where to try the rules when no fine is proposed: both ends of the range and each side of every threshold
    inside it, so a rule that holds for part of the range is found and stated with its condition."""
    lo, hi = chosen.fine  # type: ignore[misc]
    pts = {lo, hi}
    for t in home.proposal_thresholds:
        t = Decimal(str(t))
        for x in (t - _CENT, t, t + _CENT):
            if lo <= x <= hi:
                pts.add(x)
    if chosen.reduced_ceiling is not None:  # 减轻: the fine stays below the statutory minimum (本数 excluded)
        pts = {x for x in pts if x < chosen.reduced_ceiling} or {max(lo, chosen.reduced_ceiling - _CENT)}
    return sorted(pts)


_OP_WORDS = {">=": "在{}元以上", ">": "超过{}元", "<=": "在{}元以下", "<": "不足{}元", "==": "为{}元", "!=": "不为{}元"}


def _proposal_condition(cond: tuple, facts: Mapping) -> str:
    """The comparisons of the proposed fine in the branches of `cond` that the other facts allow, in Chinese."""
    terms: list[str] = []

    def collect(node: tuple) -> None:
        if node[0] == "or":
            for x in node[1]:
                if three_valued(x, facts, "penalty.fine.proposed") is not False:
                    collect(x)
        elif node[0] == "and":
            for x in node[1]:
                collect(x)
        elif node[0] == "cmp" and node[1] == "penalty.fine.proposed":
            text = "拟罚款" + _OP_WORDS[node[2]].format(_dec(Decimal(str(node[3]))))
            if text not in terms:
                terms.append(text)

    collect(cond)
    return "或者".join(terms) or "视拟罚款数额而定"


def _decision_rules(c: Case, home: Program, chosen: _Assessment, f2: dict, proposal: Decimal | None,
                    handler: Handler, cands: list[m.Agency]):
    """Stage 2 on the computed decision: flags, transfers, county retention (51号) and the procedure (art. 51).

    With a proposed fine (or a fixed one) the thresholds are decided on it. Without one, the rules are tried at
    the points of `_proposal_points`: a rule that holds at all of them holds outright, one that holds at some is
    conditional and is stated with its condition, never as certain from the top of the range.
    """
    if chosen.fine is not None and (proposal is not None or chosen.fine[0] == chosen.fine[1]):
        f2["penalty.fine.proposed"] = scalar(proposal if proposal is not None else chosen.fine[0])
    surviving, overridden = _fired(home, home.matcher2, f2)
    conditional: list[tuple[CRule, str]] = []
    if chosen.fine is not None and "penalty.fine.proposed" not in f2:
        runs = []
        for x in _proposal_points(chosen, home):
            runs.append(_fired(home, home.matcher2, {**f2, "penalty.fine.proposed": scalar(x)}))
        ids = [{r.id for r in s} for s, _ in runs]
        always = set.intersection(*ids)
        sometimes = set.union(*ids) - always
        order = {r.id: i for i, r in enumerate(home.stage2)}
        surviving = sorted({r.id: r for s, _ in runs for r in s if r.id in always}.values(), key=lambda r: order[r.id])
        overridden = list({r.id: (r, by) for _, o in runs for r, by in o if r.id not in always}.values())
        conditional = [(home.rules[i], _proposal_condition(home.rules[i].cond, f2))
                       for i in sorted(sometimes, key=order.__getitem__)]
    flags = list(chosen.flags)
    transfers = list(chosen.transfers)
    procedure = "ordinary"
    steps2: list[Step] = []
    for r, by in overridden:
        steps2.append(Step(rule=r.id, basis=_basis(r), text=f"{r.title}——本案适用例外规则 {'、'.join(by)}，此规则不适用"))
    for r in surviving:
        texts = []
        for act in r.actions:
            if act.kind == "flag":
                flags.append((act.arg or "", act.text or r.title, _basis(r), None))
            elif act.kind == "procedure":
                procedure = act.arg or "ordinary"
            elif act.kind == "transfer":
                transfers.append(Transfer(to=act.arg or "", reason=act.text or r.title, basis=_basis(r)))
            elif act.kind == "retain" and handler.route == "empowered":
                new = _county_handler(c, chosen, cands)
                transfers.append(Transfer(to=new.agency, reason=act.text or r.title, basis=_basis(r)))
                flags.append(("MAJOR_PENALTY_TRANSFER", f"{handler.agency}应将案件移送{new.agency}：{act.text or r.title}",
                              _basis(r), None))
                texts.append(f"{handler.agency}应及时移送{new.agency}")
                handler = new
            if act.text and act.kind not in ("flag", "retain"):
                texts.append(act.text)
        steps2.append(Step(rule=r.id, basis=_basis(r), text=r.title + (f"：{'；'.join(texts)}" if texts else "")))
    for r, cond in conditional:
        texts = []
        for act in r.actions:
            if act.kind == "flag":
                flags.append((act.arg or "", act.text or r.title, _basis(r), cond))
            elif act.kind == "retain" and handler.route == "empowered":
                new = _county_handler(c, chosen, cands)
                flags.append(("MAJOR_PENALTY_TRANSFER", f"{handler.agency}应将案件移送{new.agency}：{act.text or r.title}",
                              _basis(r), cond))
            elif act.kind == "procedure" and act.arg == "simplified":
                texts.append("可以当场作出行政处罚决定（简易程序）")
            elif act.kind == "transfer":
                flags.append(("TRANSFER", f"移送{act.arg}：{act.text or r.title}", _basis(r), cond))
            elif act.text:
                texts.append(act.text)
        steps2.append(Step(rule=r.id, basis=_basis(r),
                           text=f"{r.title}——{cond}的适用" + (f"：{'；'.join(texts)}" if texts else "")))
    if procedure == "ordinary" and chosen.has_penalty and not any(st.rule == "PROCEDURE" for st in steps2):
        steps2.append(Step(rule="PROCEDURE", basis=f"{LAW}第五十四条",
                           text="不属于可以当场作出的行政处罚，适用普通程序" if not conditional else
                                "除依法可以当场作出的行政处罚外，适用普通程序"))
    certain = {f[0] for f in flags if f[3] is None}
    # a flag declared `ordinary` belongs to the ordinary procedure (arts. 54-65): 当场处罚 cannot carry it
    ordinary_checks = [code for code, decl in home.composite.flags.items() if decl.ordinary and code in certain]
    if procedure == "simplified" and ordinary_checks:
        # 当场处罚 cannot carry a legal review, a hearing notice, a collective discussion or a transfer: those
        # belong to the ordinary procedure of arts. 54-65
        procedure = "ordinary"
        decls = home.composite.flags
        labels = "、".join(decls[x].label if x in decls else x for x in ordinary_checks)
        steps2.append(Step(rule="PROCEDURE", basis=f"{LAW}第五十一条、第五十四条、第五十八条",
                           text=f"本案须{labels}，不适用当场处罚的简易程序，适用普通程序"))
    return steps2, flags, transfers, procedure, handler, conditional


def _county_handler(c: Case, chosen: _Assessment, cands: list[m.Agency]) -> Handler:
    """The county body a township hands a major case to (51号)."""
    if len(cands) == 1:
        return _agency_handler(cands[0], "retained-major")
    name = f"{c.place.county}县级行政执法部门"
    return Handler(agency=name, level="county", kind=chosen.program.categories[c.item], in_name_of=name,
                   route="retained-major")


def _assemble(c: Case, ruleset: Ruleset, home: Program, chosen: _Assessment, handler: Handler, jur_steps: list[Step],
              lex_steps: list[Step], steps2: list[Step], flags: list, transfers: list[Transfer],
              procedure: str) -> Decision:
    """The Decision as the contract shapes it: merged flags (one per code and condition), the explanation."""
    applied = chosen.program
    item_code = chosen.code or c.item
    if not any(s.rule in _ORDER or s.rule.startswith("LIST:") for s in chosen.steps) and chosen.outcome == "penalty":
        chosen.steps.insert(0, Step(rule="OUTCOME", basis=f"{LAW}第五十七条第一款第（一）项",
                                    text="未发现依法不予处罚、可以不予处罚或者超过追责时效的情形，应当依法给予行政处罚"))
    decls = home.composite.flags
    merged: dict[tuple, list] = {}
    for code, reason, basis, cond in flags:
        entry = merged.setdefault((code, cond), [[], []])
        if reason not in entry[0]:
            entry[0].append(reason)
        for part in basis.split("；") if basis else ():
            if part not in entry[1]:
                entry[1].append(part)
    # a flag that holds outright makes the same flag's conditional form redundant
    outright = {code for code, cond in merged if cond is None}
    out_flags = tuple(Flag(code=code, label=decls[code].label if code in decls else code, reason="；".join(reasons),
                           basis="；".join(bases) or "；".join(decls[code].basis if code in decls else ()),
                           condition=cond)
                      for (code, cond), (reasons, bases) in merged.items() if cond is None or code not in outright)
    item = applied.items[item_code]
    penalty = None
    if chosen.has_penalty:
        penalty = Penalty(grade=chosen.grade, adjustment=chosen.adjustment, kinds=chosen.kinds,
                          fine=Fine(min=_dec(chosen.fine[0]), max=_dec(chosen.fine[1])) if chosen.fine else None,
                          measures=tuple(chosen.measures))
    return Decision(
        case_id=c.case_id, ruleset=f"{ruleset.name}@{applied.version}",
        item=DecisionItem(code=item_code, name=item.name, domain=item.domain.name if item.domain else "",
                          category=applied.categories[item_code]),
        handler=handler, transfers=tuple(transfers), outcome=chosen.outcome, penalty=penalty, procedure=procedure,
        flags=out_flags, explanation=tuple(jur_steps + chosen.steps + lex_steps + steps2))


# ── what the decision rests on ───────────────────────────────────────────────
def _assumptions(c: Case, home: Program, chosen: _Assessment, d: Decision,
                 conditional: list[tuple[CRule, str]]) -> tuple[Assumption, ...]:
    """Premises not established: facts taken as given, and `unconfirmed` ruleset content this decision used."""
    out: list[Assumption] = []
    comp = home.composite

    def add(what: str, rule: str, source: str, status: str) -> None:
        if not any(a.what == what for a in out):
            out.append(Assumption(what=what, rule=rule, source=source or "本规则集", status=status))

    def unconfirmed(meta: m.Meta, what: str, rule: str) -> None:
        if meta.unconfirmed:
            add(what + ("：" + "；".join(meta.notes) if meta.notes else ""), rule, "；".join(meta.sources), "unconfirmed")

    for what, rule, source in chosen.assumed:
        add(what, rule, source, "assumed")
    cond = home.item_conditions.get(c.item)
    if cond is not None and _applies(cond, {k: scalar(v) for k, v in _facts(c, home).items()}) is None:
        add(f"本事项以条文规定的条件为前提（{_cond_text(cond)}）：案件未载明，按具备该条件计算", "ITEM-CONDITION",
            "；".join(home.items[c.item].basis), "assumed")
    if c.party.kind == "individual" and c.party.age is None and d.outcome != "time_barred":
        add("当事人按已满十八周岁的成年人对待：案件未载明年龄", "XZCF-30", f"{LAW}第三十条", "assumed")
    if c.party.sole_trader and d.penalty is not None:
        # 行政处罚法 arts. 51 and 63 speak of 公民 and 法人或者其他组织; the held texts do not say which a 个体工商户 is
        add("个体工商户按公民（个人）适用第五十一条、第六十三条等按当事人类别规定的罚款数额标准：所收法律文本未作规定",
            "PARTY-SOLE-TRADER", f"{LAW}第五十一条、第六十三条；《中华人民共和国统计法》第七条", "unconfirmed")
    item = comp.items.get(c.item)
    if item is not None:
        unconfirmed(item.meta, f"事项 {c.item} 的编码或罚则摘录", c.item)
        if item.domain and item.domain.name in comp.domains and d.handler.route in ("catalogue", "designated"):
            unconfirmed(comp.domains[item.domain.name].meta, f"“{item.domain.name}”领域由谁实施（事项类别）", c.item)
        if c.measures:
            conditional_measures = {ref.name: im for im in item.measures for ref in im.names}
            for name in c.measures:
                im = conditional_measures.get(name)
                for r in im.requires if im else ():
                    if f"facts.{r.name}" not in _typed_names(c):
                        add(f"拟作出的{name}以“{comp.facts[r.name].description or r.name}”为前提：案件未载明，按具备该前提处理",
                            "MEASURE", "；".join(item.basis), "assumed")
    h = d.handler
    for part in ("township", "zone"):
        name = getattr(c.place, part)
        area = comp.areas.get(name) if name else None
        if area is not None and h.route in ("empowered", "dispatched", "retained-major"):
            unconfirmed(area.meta, f"{name}的执法模式或执法队伍", "JUR-" + h.route.upper())
            if h.route in ("empowered", "retained-major"):
                for lst in _lists_with(comp, area, c.item):
                    unconfirmed(lst.meta, f"“{lst.title or lst.name}”包含本事项", "JUR-EMPOWERED")
    for ag in comp.agencies.values():
        if ag.name == h.agency or (h.route == "dispatched" and area_agency(comp, c) == ag.name):
            unconfirmed(ag.meta, f"办案主体“{ag.name}”的名称或作出决定的名义（{ag.in_name_of or ag.name}）",
                        "JUR-" + h.route.upper())
    bench = chosen.program.benchmarks.get(c.item)
    if bench is not None and bench.unconfirmed and (chosen.graded or any(s.rule == f"BENCH:{c.item}" for s in chosen.steps)):
        add(f"裁量基准（{c.item}）的阶次与幅度" + ("：" + "；".join(bench.notes) if bench.notes else ""),
            f"BENCH:{c.item}", "；".join(bench.sources), "unconfirmed")
    for s in chosen.steps:
        if s.rule.startswith("LIST:"):
            pl = comp.penalty_lists.get(s.rule[5:])
            if pl is not None:
                unconfirmed(pl.meta, f"“{pl.title or pl.name}”的条目与适用条件", s.rule)
    used = {s.rule for s in d.explanation} | {r.id for r, _ in conditional}
    params = set()
    for rid in used:
        r = home.rules.get(rid)
        if r is not None and not any(st.rule == rid and SET_ASIDE in st.text for st in d.explanation):
            params.update(r.params)
    if d.penalty is not None and d.penalty.adjustment in ("lighter", "heavier"):
        params.add("裁量.从轻从重幅度")
    other = ".单位" if c.party.kind == "individual" else ".个人"
    for name in sorted(params):
        if name.endswith(other):  # a threshold declared per party kind: only this party's bears on the decision
            continue
        p = comp.parameters.get(name)
        if p is not None:
            unconfirmed(p.meta, f"参数 {name} = {_param_text(p)}（{p.description or name}）", name)
    return tuple(out)


def _stated_facts(c: Case) -> dict:
    return {f"facts.{k.strip()}": scalar(v) if not isinstance(v, bool) else v for k, v in c.facts.items()}


def _typed_names(c: Case) -> set[str]:
    return {f"facts.{k.strip()}" for k in c.facts}


def area_agency(comp, c: Case) -> str | None:
    """The agency a dispatched team acts for, at the case's township or zone."""
    for part in ("zone", "township"):
        name = getattr(c.place, part)
        area = comp.areas.get(name) if name else None
        if area is not None and area.mode == "dispatched" and area.dispatched_for:
            return area.dispatched_for.name
    return None


def _lists_with(comp, area: m.Area, code: str) -> list:
    names = [r.name for r in area.lists]
    if area.township_class and area.township_class.name in comp.classes:
        names = [r.name for r in comp.classes[area.township_class.name].lists] + names
    return [comp.lists[n] for n in names if n in comp.lists and code in list_items(comp, n)]


def _param_text(p: m.Parameter) -> str:
    v = p.value
    if p.is_percent and isinstance(v, Decimal):
        return f"{_dec(v * 100)}%"
    return _dec(v) if isinstance(v, Decimal) else str(v)


# ── open questions ───────────────────────────────────────────────────────────
_HARM = {"none": "未造成危害后果", "minor": "危害后果轻微", "serious": "危害后果严重"}


def _questions(c: Case, ruleset: Ruleset, run: _Run) -> tuple[Question, ...]:
    """Every fact the case leaves open that would change the decision, with the decision under each answer.

    A candidate is a fact the case does not state that some condition bearing on this case reads; it becomes a
    question only when evaluating the case under its possible values gives different decisions.
    """
    home, chosen = run.home, run.chosen
    comp = home.composite
    conds: list[tuple[tuple, dict, str]] = []  # (condition, facts it is judged on, provision)
    for r in home.stage1:
        conds.append((r.cond, run.facts1, _basis(r)))
    for r in home.stage2:
        conds.append((r.cond, run.facts2, _basis(r)))
    bench = home.benchmarks.get(c.item)
    if bench is not None:
        conds += [(x, run.facts1, "；".join(bench.sources)) for x in bench.conds]
    for e in home.entries.get(c.item, ()):
        if e.cond is not None:
            conds.append((e.cond, run.facts1, e.list_title))
    if c.item in home.item_conditions:
        conds.append((home.item_conditions[c.item], run.facts1, "；".join(home.items[c.item].basis)))
    stated = set(run.facts1)
    candidates: dict[str, list[str]] = {}
    # the paths each condition reads, once per program (the conditions live as long as the program)
    known = home.__dict__.setdefault("_cond_paths", {})
    for cond, facts, provision in conds:
        if not cond:
            continue
        paths = known.get(id(cond))
        if paths is None:
            paths = known[id(cond)] = sorted(paths_of(cond))  # sorted: set order differs between processes
        for path in paths:
            if path in stated or not (path.startswith(("facts.", "undeterminable.", "history.prior_"))
                                      or path in ("circumstances.harm", "party.age", "party.sole_trader")):
                continue
            if path.startswith("undeterminable.") and f"facts.{path[len('undeterminable.'):]}" in stated:
                continue
            if path == "party.age" and c.party.kind != "individual":
                continue
            if _unknown(cond, facts, path):
                candidates.setdefault(path, [])
                if provision not in candidates[path]:
                    candidates[path].append(provision)
    item = home.items[c.item]
    for req in item.requires:
        path = f"facts.{req.name}"
        if path not in stated:
            candidates.setdefault(path, []).insert(0, "；".join(item.basis))
    for path in chosen.open_paths:  # the benchmark's column for 个体工商户
        candidates.setdefault(path, []).append("；".join(bench.sources) if bench else "")
    out = []
    base = _summary(run.decision, run.decision)
    rank = {"party.age": 0, "circumstances.harm": 1}
    for path, provisions in sorted(candidates.items(), key=lambda kv: (rank.get(kv[0], 2), kv[0])):
        values = _values(path, comp, conds)
        q = _probe(c, ruleset, run, path, values, base)
        if q is not None:
            # the case field a handler fills in: the amount (or "无法确定") and the history, not the derived paths
            shown = ("facts." + path[len("undeterminable."):] if path.startswith("undeterminable.") else
                     "history" if path.startswith("history.") else path)
            out.append(Question(field=shown, provision="；".join(dict.fromkeys(provisions)), why=_why(path, comp), answers=q))
    if run.conditional and c.proposed_fine is None and chosen.fine is not None:
        values = [(x, None) for x in _proposal_points(chosen, home)]
        q = _probe(c, ruleset, run, "proposed_fine", values, base)
        if q is not None:
            out.append(Question(field="proposed_fine", provision="；".join(dict.fromkeys(_basis(r) for r, _ in run.conditional)),
                                why="案件未给出拟罚款金额，而听证告知、法制审核、集体讨论、县级保留或者简易程序取决于拟罚款是否达到门槛",
                                answers=q))
    return tuple(out)


def three_valued(cond: tuple, facts: Mapping, unknown: str) -> bool | None:
    """A resolved condition on `facts` when the fact `unknown` is not known: True, False, or None (undecided).

    Examples:
        >>> c = ("and", [("cmp", "party.kind", "==", "individual"), ("cmp", "party.age", "<", 14)])
        >>> three_valued(c, {"party.kind": "individual"}, "party.age"), three_valued(c, {"party.kind": "x"}, "party.age")
        (None, False)
    """
    kind = cond[0]
    if kind in ("and", "or"):
        vals = [three_valued(x, facts, unknown) for x in cond[1]]
        if kind == "and":
            return False if False in vals else (None if None in vals else True)
        return True if True in vals else (None if None in vals else False)
    if cond[1] == unknown:
        return None
    return predicate(cond)(facts)


def _unknown(cond: tuple, facts: Mapping, path: str) -> bool:
    """Whether `cond` is undecided on `facts` when `path` is unknown."""
    return three_valued(cond, facts, path) is None


def _values(path: str, comp, conds) -> list[tuple[Any, str | None]]:
    """The values to try for an open fact: its members, or one value per interval its thresholds cut."""
    if path == "circumstances.harm":
        return [(v, _HARM[v]) for v in ("none", "minor", "serious")]
    if path == "party.age":
        return [(13, "不满十四周岁"), (16, "已满十四周岁不满十八周岁"), (30, "已满十八周岁")]
    if path == "party.sole_trader":
        return [(True, "当事人为个体工商户"), (False, "当事人不是个体工商户")]
    if path.startswith("undeterminable."):
        return [(True, "案件载明无法确定"), (False, "能够确定（载明数额）")]
    if path.startswith("history.prior_"):
        n = path[len("history.prior_"):-1]
        counts = sorted({0, 1, 2} | {int(v) for cond, _, _ in conds if cond for v in _compared_with(cond, path)
                                      if 0 <= v <= 5})
        return [(k, f"{n}年内因同一违法行为受过{k}次行政处罚" if k else f"{n}年内未因同一违法行为受过行政处罚")
                for k in counts]
    decl = comp.facts.get(path[len("facts."):])
    t = decl.type if decl else "yes/no"
    if t == "yes/no":
        return [(True, "是"), (False, "否")]
    if t == "enum":
        return [(v, v) for v in decl.members]
    if t not in ("money", "number", "integer"):
        return []
    consts = sorted({Decimal(str(v)) for cond, _, _ in conds if cond for v in _compared_with(cond, path)})
    unit = Decimal(1) if t == "integer" else _CENT
    pts = {Decimal(0)}
    for k in consts:
        pts.update(x for x in (k - unit, k, k + unit) if x >= 0)
    return [(x, None) for x in sorted(pts)]


def _compared_with(cond: tuple, path: str) -> list:
    if cond[0] in ("and", "or"):
        return [v for x in cond[1] for v in _compared_with(x, path)]
    return [cond[3]] if cond[0] == "cmp" and cond[1] == path and not isinstance(cond[3], (bool, str)) else []


def _patched(c: Case, path: str, value: Any) -> Case:
    if path == "circumstances.harm":
        return c.model_copy(update={"circumstances": c.circumstances.model_copy(update={"harm": value})})
    if path == "party.age":
        return c.model_copy(update={"party": c.party.model_copy(update={"age": value})})
    if path == "proposed_fine":
        return c.model_copy(update={"proposed_fine": value})
    if path == "party.sole_trader":
        return c.model_copy(update={"party": c.party.model_copy(update={"sole_trader": value})})
    if path.startswith("undeterminable."):
        # "能够确定" is a number the case does not give: the decision stays as stated until the amount is stated
        return c.model_copy(update={"facts": {**c.facts, path[len("undeterminable."):]: "无法确定"}}) if value else c
    if path.startswith("history.prior_"):
        years = int(path[len("history.prior_"):-1])
        when = _add_years(c.occurred_on, 1 - years) - timedelta(days=1)  # inside this window, outside the narrower
        return c.model_copy(update={"history": tuple(PriorViolation(decided_on=when) for _ in range(value))})
    return c.model_copy(update={"facts": {**c.facts, path[len("facts."):]: value}})


def _probe(c: Case, ruleset: Ruleset, run: _Run, path: str, values: list, base: str) -> tuple[Answer, ...] | None:
    """Evaluate the case under each value; None when every value gives the stated facts' decision."""
    results: list[tuple[Any, str | None, str]] = []
    for value, label in values:
        try:
            if path == "proposed_fine":  # the points lie inside the computed range: only stage 2 changes
                d = _with_proposal(run.case, ruleset, run, value)
            else:
                d = _decide(_patched(c, path, value), ruleset, strict_proposal=False, probe=True).decision
            results.append((value, label, _summary(d, run.decision)))
        except CaseError as exc:
            # the message's first clause (the rule broken), not the tried value: equal reasons group together
            results.append((value, label, "案件不成立：" + "；".join(dict.fromkeys(p.message.split(";")[0]
                                                                            for p in exc.problems))))
    if len({r[2] for r in results}) <= 1:
        return None
    groups: list[list] = []
    for value, label, summary in results:
        if groups and groups[-1][2] == summary and label is None:
            groups[-1][1].append(value)
        else:
            groups.append([label, [value], summary])
    if all(g[0] is not None for g in groups):  # named values: merge equal outcomes into one answer
        merged: dict[str, list[str]] = {}
        for label, _, summary in groups:
            merged.setdefault(summary, []).append(label)
        return tuple(Answer(**{"if": "或者".join(labels), "then": summary}) for summary, labels in merged.items())
    unit = "元" if path == "proposed_fine" or _is_money(path, run) else ""
    prefix = "拟罚款" if path == "proposed_fine" else path.split(".", 1)[-1]
    return tuple(Answer(**{"if": prefix + _interval(vals, groups, i, unit), "then": summary})
                 for i, (_, vals, summary) in enumerate(groups))


def _is_money(path: str, run: _Run) -> bool:
    decl = run.home.composite.facts.get(path[len("facts."):])
    return decl is not None and decl.type == "money"


def _interval(vals: list, groups: list, i: int, unit: str) -> str:
    """The Chinese words for the values of group `i` (以上/以下 include the number, 超过/不足 do not).

    Between two neighbouring groups the boundary is told by the rounder of the two numbers: 1999.99 | 2000 reads
    不足2000 | 2000以上; 200 | 200.01 reads 200以下 | 超过200.
    """
    def cut(k: int) -> tuple[str, str]:  # the words below and above the boundary after group k
        a, b = groups[k][1][-1], groups[k + 1][1][0]
        if _places(b) < _places(a):
            return f"不足{_dec(b)}{unit}", f"{_dec(b)}{unit}以上"
        return f"{_dec(a)}{unit}以下", f"超过{_dec(a)}{unit}"

    last = len(groups) - 1
    if last == 0:
        return f"为{_dec(vals[0])}{unit}至{_dec(vals[-1])}{unit}"
    below = cut(i)[0] if i < last else None
    above = cut(i - 1)[1] if i > 0 else None
    if above and below:
        return ("在" if above.endswith("以上") else "") + f"{above}、{below}"
    return f"在{below or above}" if (below or above or "").endswith(("以上", "以下")) else (below or above or "")


def _places(x: Decimal) -> int:
    """Decimal places that matter: 2000 → 0, 200.01 → 2, 1999.99 → 2."""
    x = x.normalize()
    return max(0, -x.as_tuple().exponent)  # type: ignore[operator]


def _why(path: str, comp) -> str:
    if path == "circumstances.harm":
        return "案件未认定危害后果，而是否不予处罚或者可以不予处罚（第三十三条第一款）取决于危害后果"
    if path == "party.age":
        return "案件未载明当事人年龄，而未成年人不予处罚或者应当从轻、减轻处罚（第三十条）取决于年龄"
    if path == "party.sole_trader":
        return "案件未载明当事人是否为个体工商户，而裁量基准对个体工商户另定幅度"
    if path.startswith("history.prior_"):
        return "案件未载明当事人此前受到行政处罚的情况（history），而裁量阶次取决于一定期限内的违法次数"
    if path.startswith("undeterminable."):
        name = path[len("undeterminable."):]
        decl = comp.facts.get(name)
        return (f"案件既未载明“{decl.description if decl and decl.description else name}”的数额，也未载明其无法确定，"
                f"而裁量基准对数额无法确定的情形另定幅度")
    name = path[len("facts."):]
    decl = comp.facts.get(name)
    return f"案件未载明“{decl.description if decl and decl.description else name}”（{name}），而本案的结论取决于它"


def _summary(d: Decision, base: Decision) -> str:
    """A short Chinese statement of a decision, for the answers of a question."""
    parts = [OUTCOME_LABELS[d.outcome]]
    if d.penalty is not None:
        if d.penalty.grade:
            parts.append(f"裁量阶次“{d.penalty.grade}”")
        if d.penalty.fine is not None:
            parts.append(fine_text(d.penalty.fine))
        if d.penalty.adjustment != "none":
            parts.append(ADJUSTMENT_LABELS[d.penalty.adjustment])
    if d.handler.agency != base.handler.agency:
        parts.append(f"由{d.handler.agency}办理")
    certain = [f.label for f in d.flags if f.condition is None]
    if certain:
        parts.append("须" + "、".join(certain))
    if d.procedure == "simplified":
        parts.append("可以当场处罚（简易程序）")
    return "，".join(parts)
