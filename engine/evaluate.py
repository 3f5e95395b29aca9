"""Case to decision: jurisdiction, whether to penalise, the penalty range, flags and the explanation.

Owns `evaluate` (batches are in `engine.batch`). The policy rules are matched by durable_rules in two stages (the
case, then the computed decision); everything legal around them is plain Python here: exception
precedence, the combination of outcomes, the range arithmetic in exact `Decimal`, the choice between
the versions in force at the act and at the decision (art. 37), and the explanation.
Imports `case`, `decision`, `compiler`, `ruleset`, `errors`, `model`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Mapping

from engine import model as m
from engine._durable import MatcherError
from engine.case import Case, parse_case
from engine.check import scalar
from engine.compiler import CRule, Program
from engine.decision import (Decision, DecisionItem, Fine, Flag, Handler, Penalty, Step, Transfer)
from engine.errors import CaseError, CaseProblem, EvaluationError
from engine.numbers import clip, parse_number
from engine.ruleset import Ruleset
from engine.vocabulary import CIRCUMSTANCES

__all__ = ["evaluate"]

LAW = "《中华人民共和国行政处罚法》"
_CENT = Decimal("0.01")
_ORDER = {"time_barred": 0, "no_penalty": 1, "may_waive": 2}  # the combination of outcomes, strongest first


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
    outcome: str = "penalty"
    grade: str | None = None
    graded: bool = False
    adjustment: str = "none"
    kinds: tuple[str, ...] = ()
    fine: tuple[Decimal, Decimal] | None = None
    steps: list[Step] = field(default_factory=list)
    flags: list[tuple[str, str, str]] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    has_penalty: bool = True
    fixed: bool = False

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
        close = difflib.get_close_matches(c.item, list(prog.items), n=3)
        problems.append(_problem("item", f"unknown item {c.item!r}" + (f"; did you mean {', '.join(close)}?" if close
                                                                       else ""), "unknown_item"))
    areas = comp.areas
    county = areas.get(c.place.county)
    if county is None or county.kind != "county":
        close = difflib.get_close_matches(c.place.county, [a.name for a in areas.values() if a.kind == "county"], n=3)
        problems.append(_problem("place.county", f"unknown county {c.place.county!r}" +
                                 (f"; did you mean {', '.join(close)}?" if close else ""), "unknown_place"))
    for part, kind in (("township", "township"), ("zone", "zone")):
        name = getattr(c.place, part)
        if name is None:
            continue
        a = areas.get(name)
        if a is None or a.kind != kind:
            known = [x.name for x in areas.values() if x.kind == kind and x.parent and x.parent.name == c.place.county]
            close = difflib.get_close_matches(name, known, n=3)
            problems.append(_problem(f"place.{part}", f"unknown {kind} {name!r}" +
                                     (f"; did you mean {', '.join(close)}?" if close else ""), "unknown_place"))
        elif a.parent is None or a.parent.name != c.place.county:
            problems.append(_problem(f"place.{part}", f"{name!r} is in {a.parent.name if a.parent else '?'}, "
                                                      f"not in {c.place.county!r}", "mismatched_place"))
    if c.party.kind == "organisation" and c.party.age is not None:
        problems.append(_problem("party.age", "an age is given for an organisation; only individuals have an age"))
    if c.party.kind == "organisation" and c.party.capacity != "full":
        problems.append(_problem("party.capacity", "capacity applies to individuals only"))
    typed: dict[str, Any] = {}
    for name, value in c.facts.items():
        decl = comp.facts.get(name)
        path = f"facts.{name}"
        if decl is None:
            close = difflib.get_close_matches(name, list(comp.facts), n=3)
            problems.append(_problem(path, f"undeclared fact {name!r}" + (f"; did you mean {', '.join(close)}?" if close
                                                                         else ""), "unknown_fact"))
            continue
        t = decl.type
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
            close = difflib.get_close_matches(measure, list(comp.sanctions), n=3)
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
    return f


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
                          text=f"按执法事项目录，{prog.categories[code]}类事项（{prog.items[code].domain.name if prog.items[code].domain else ''}）"
                               f"由{ag.name}管辖"))
        return _agency_handler(ag, "catalogue"), 1, steps, cands
    if not cands:
        steps.append(Step(rule="JUR-NONE", basis=f"{LAW}第十七条、第二十三条",
                          text=f"{c.place.county}的规则集中没有负责本事项的执法主体（目录缺口），须由县级人民政府明确"))
        kind = prog.categories[code]
        return Handler(agency="（未明确执法主体）", level="county", kind=kind, in_name_of="", route="none"), 0, steps, cands
    coord = comp.areas[c.place.county].coordinator or f"{c.place.county}人民政府"
    steps.append(Step(rule="JUR-DISPUTE", basis=f"{LAW}第二十五条",
                      text=f"{'、'.join(a.name for a in cands)}均有管辖权：由最先立案的机关管辖；有争议的协商解决，"
                           f"协商不成的报请共同的上一级行政机关（{coord}）指定管辖"))
    h = _agency_handler(cands[0], "designated")
    return h, len(cands), steps, cands


# ── stage 1: whether to penalise, and the penalty ─────────────────────────────
def _fired(prog: Program, matcher, facts: dict) -> tuple[list[CRule], list[tuple[CRule, list[str]]]]:
    try:
        ids = matcher.match(facts)
    except MatcherError as exc:
        raise EvaluationError(f"the rule matcher failed: {exc}") from None
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
    if q is None:
        raise CaseError([_problem(f"facts.{amount.of.name}",  # type: ignore[union-attr]
                                  f"item {code} computes its fine from {amount.of.name!r}; declare it in facts",
                                  "missing_fact")])
    return amount.low * q, amount.high * q


def _assess(c: Case, prog: Program, facts: dict, typed: dict) -> _Assessment:
    a = _Assessment(program=prog)
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
                a.flags.append((act.arg or "", act.text or r.title, _basis(r)))
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
                                text=f"法定罚则以“{desc}”为前提；案件未载明，以下按具备该前提计算，须核实"))
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
    bench = prog.benchmarks.get(code)
    grade_amount = None
    if bench:
        for g in bench.grades:
            if g.test(facts):
                grade_amount = g.ranges.get(party)
                src = "；".join(bench.sources)
                if grade_amount is None:
                    a.steps.append(Step(rule=f"BENCH:{code}", basis=src,
                                        text=f"裁量基准“{g.name}”阶次未规定{'个人' if party == 'individual' else '单位'}的幅度，按法定幅度裁量"))
                    break
                a.grade, a.graded = g.name, True
                a.steps.append(Step(rule=f"BENCH:{code}", basis=src,
                                    text=f"依裁量基准，本案情节属“{g.name}”阶次" +
                                         (f"，幅度为{_describe(grade_amount)}" if grade_amount else "")))
                break
        else:
            a.steps.append(Step(rule=f"BENCH:{code}", basis="；".join(bench.sources),
                                text="案件事实不足以确定裁量基准阶次（缺少相关事实），按法定幅度裁量并说明理由"))
        for direction, test, reason in bench.adjustments:
            if test(facts):
                adjusts.append((direction, f"BENCH:{code}"))
                a.steps.append(Step(rule=f"BENCH:{code}", basis="；".join(bench.sources),
                                    text=f"裁量基准规定{'从重' if direction == 'heavier' else '从轻'}情形：{reason or ''}"))
    if fine_s is None:
        a.fine = None
    else:
        lo, hi = _yuan(fine_s.amount, typed, code)
        stat_lo = lo
        a.fixed = lo == hi
        a.steps.append(Step(rule="RANGE-STATUTORY", basis=item_basis,
                            text=f"法定罚款幅度：{_describe(fine_s.amount)}，即{_dec(lo)}元至{_dec(hi)}元"))
        if grade_amount is not None:
            lo, hi = _yuan(grade_amount, typed, code)
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
            a.steps.append(Step(rule="RANGE-ADJUST", basis=_rules_basis(prog, adjusts, "reduced"),
                                text=f"减轻处罚：在法定最低罚款{_dec(stat_lo)}元以下确定罚款数额"))
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
        a.fine = (lo.quantize(_CENT, rounding=ROUND_CEILING), hi.quantize(_CENT, rounding=ROUND_FLOOR))
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

    Args:
        case: an `engine.Case` or a JSON-like mapping of the contract's case fields.
        ruleset: from `engine.load_ruleset`.

    Returns:
        The `Decision`: handler, transfers, outcome, penalty range, procedure, flags and explanation.

    Raises:
        CaseError: the case is malformed or does not fit the ruleset (each problem with its field path).
        EvaluationError: the matcher failed.
    """
    c = parse_case(case)
    prog = ruleset.program_at(c.decided_on)
    if prog is None:
        raise CaseError([_problem("decided_on", f"no version of {ruleset.name} is in force on {c.decided_on}; the "
                                                f"first takes effect on {ruleset.versions[0]}", "no_version")], c.case_id)
    act_date = c.ended_on or c.occurred_on
    prog_act = ruleset.program_at(act_date) or ruleset.first
    differ = prog_act is not prog
    # 第三十七条: an item repealed by the decision date is no longer an offence ("不认为是违法的"), so there is
    # nothing to penalise; its jurisdiction is judged on the version that still lists it.
    repealed = differ and c.item not in prog.items and c.item in prog_act.items
    home = prog_act if repealed else prog
    typed, problems = _validate(c, home)
    if problems:
        raise CaseError(problems, c.case_id)
    facts = _base_facts(c, home, typed)
    handler, n_cands, jur_steps, cands = _jurisdiction(c, home)
    lex_steps: list[Step] = []
    if repealed:
        chosen = _Assessment(program=home, outcome="no_penalty", has_penalty=False)
        lex_steps.append(Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                              text=f"决定时的规定（@{prog.version}）已不再将该行为列为违法行为（事项已废止），适用新的规定，"
                                   f"不予行政处罚"))
    else:
        chosen = _assess(c, prog, facts, typed)
    if differ and not repealed:
        if c.item not in prog_act.items:
            # Absent from the act-time version means "not encoded there", not "lawful then": a version's date is
            # when the ruleset changed, not when each regulation took effect. Say so; a reviewer decides.
            lex_steps.append(Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                                  text=f"行为时的规则版本（@{prog_act.version}）未载明本事项，按决定时的规定（@{prog.version}）"
                                       f"计算；请核实行为时该规定是否已经施行"))
        elif not _validate(c, prog_act)[1]:
            old = _assess(c, prog_act, _base_facts(c, prog_act, typed), typed)
            if chosen.severity() < old.severity():
                lex_steps.append(Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                                      text=f"行为时适用{ruleset.name}@{prog_act.version}，决定时已修改为@{prog.version}；"
                                           f"新的规定处罚较轻，适用新的规定"))
            else:
                lex_steps.append(Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                                      text=f"适用违法行为发生时的规定（{ruleset.name}@{prog_act.version}）；决定时的规定"
                                           f"（@{prog.version}）并不更轻"))
                chosen = old
        else:
            lex_steps.append(Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                                  text=f"案件不符合行为时的规则版本（@{prog_act.version}）的地点或事实要求，适用决定时的规定"
                                       f"（@{prog.version}）"))
    applied = chosen.program

    # stage 2: flags, procedure, retention, on the computed decision -----------------
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
        for s in home.read_kinds:
            f2[f"penalty.kinds.{s}"] = s in chosen.kinds
        f2["penalty.fine.fixed"] = chosen.fixed
    surviving, overridden = _fired(home, home.matcher2, f2)
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
                flags.append((act.arg or "", act.text or r.title, _basis(r)))
            elif act.kind == "procedure":
                procedure = act.arg or "ordinary"
            elif act.kind == "transfer":
                transfers.append(Transfer(to=act.arg or "", reason=act.text or r.title, basis=_basis(r)))
            elif act.kind == "retain" and handler.route == "empowered":
                if len(cands) == 1:
                    new = _agency_handler(cands[0], "retained-major")
                else:
                    new = Handler(agency=f"{c.place.county}县级行政执法部门", level="county",
                                  kind=applied.categories[c.item], in_name_of=f"{c.place.county}县级行政执法部门",
                                  route="retained-major")
                transfers.append(Transfer(to=new.agency, reason=act.text or r.title, basis=_basis(r)))
                flags.append(("MAJOR_PENALTY_TRANSFER", f"{handler.agency}应将案件移送{new.agency}：{act.text or r.title}",
                              _basis(r)))
                texts.append(f"{handler.agency}应及时移送{new.agency}")
                handler = new
            if act.text and act.kind not in ("flag", "retain"):
                texts.append(act.text)
        steps2.append(Step(rule=r.id, basis=_basis(r), text=r.title + (f"：{'；'.join(texts)}" if texts else "")))
    if procedure == "ordinary" and chosen.has_penalty and not any(st.rule == "PROCEDURE" for st in steps2):
        steps2.append(Step(rule="PROCEDURE", basis=f"{LAW}第五十四条",
                           text="不属于可以当场作出的行政处罚，适用普通程序"))
    if not any(s.rule in _ORDER or s.rule.startswith("LIST:") for s in chosen.steps) and chosen.outcome == "penalty":
        chosen.steps.insert(0, Step(rule="OUTCOME", basis=f"{LAW}第五十七条第一款第（一）项",
                                    text="未发现依法不予处罚、可以不予处罚或者超过追责时效的情形，应当依法给予行政处罚"))
    ordinary_checks = [code for code in ("LEGAL_REVIEW", "HEARING_NOTICE", "COLLECTIVE_DISCUSSION", "NO_HANDLER",
                                         "JURISDICTION_DISPUTE", "MAJOR_PENALTY_TRANSFER") if code in {f[0] for f in flags}]
    if procedure == "simplified" and ordinary_checks:
        # 当场处罚 cannot carry a legal review, a hearing notice, a collective discussion or a transfer:
        # those belong to the ordinary procedure of arts. 54-65.
        procedure = "ordinary"
        labels = "、".join(prog.composite.flags[c_].label if c_ in prog.composite.flags else c_ for c_ in ordinary_checks)
        steps2.append(Step(rule="PROCEDURE", basis=f"{LAW}第五十一条、第五十四条、第五十八条",
                           text=f"本案须{labels}，不适用当场处罚的简易程序，适用普通程序"))
    flag_decls = home.composite.flags
    merged: dict[str, list] = {}
    for code, reason, basis in flags:
        entry = merged.setdefault(code, [[], []])
        if reason not in entry[0]:
            entry[0].append(reason)
        for part in basis.split("；") if basis else ():
            if part not in entry[1]:
                entry[1].append(part)
    out_flags = tuple(Flag(code=code, label=flag_decls[code].label if code in flag_decls else code,
                           reason="；".join(reasons), basis="；".join(bases) or "；".join(flag_decls[code].basis
                                                                                     if code in flag_decls else ()))
                      for code, (reasons, bases) in merged.items())
    item = applied.items[c.item]
    penalty = None
    if chosen.has_penalty:
        penalty = Penalty(grade=chosen.grade, adjustment=chosen.adjustment, kinds=chosen.kinds,
                          fine=Fine(min=_dec(chosen.fine[0]), max=_dec(chosen.fine[1])) if chosen.fine else None)
    return Decision(
        case_id=c.case_id, ruleset=f"{ruleset.name}@{applied.version}",
        item=DecisionItem(code=c.item, name=item.name, domain=item.domain.name if item.domain else "",
                          category=applied.categories[c.item]),
        handler=handler, transfers=tuple(transfers), outcome=chosen.outcome, penalty=penalty, procedure=procedure,
        flags=out_flags, explanation=tuple(jur_steps + chosen.steps + lex_steps + steps2))
