"""Case to decision, as a sequence of legal steps; `_decide` lists them in order.

Owns `evaluate` (batches are in `engine.batch`) and the steps around the two stages of policy rules: the
versions in force at the act and at the decision (art. 37, choosing with `assess.lighter`), the case checked
against the ruleset, the facts, jurisdiction (arts. 22-25), the decision rules on the computed decision
(flags, transfers, county retention (51号), the procedure: arts. 51, 54), the assembled `Decision` and the assumptions it
rests on. Stage 1, outcome and penalty range, is `engine.assess`; the open questions, answered by deciding the
case again, are `engine.questions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any, Mapping

from pydantic import BaseModel

from engine import model as m
from engine.assess import OUTCOME_ORDER, Assessment, FlagHit, assess, dec, fired, lighter, proposal_points
from engine.case import Case, parse_case
from engine.conditions import paths_of, scalar
from engine.compiler import CRule, Program, match_memo
from engine.decision import LAW, SET_ASIDE, Assumption, Decision, Fine, Handler, Penalty, Step, Transfer
from engine.errors import CaseError, CaseProblem, close_names
from engine.jurisdiction import agency_handler, area_agency, lists_with
from engine.numbers import clip, parse_number
from engine.periods import prior_count, years_elapsed
from engine.places import check_place
from engine.prepared import Memo, prepared
from engine.questions import compiled, kleene, open_questions, three_valued, values_of
from engine.ruleset import Ruleset
from engine.vocabulary import CIRCUMSTANCES

__all__ = ["evaluate"]

# how a case states that an amount cannot be determined (违法所得无法确定): a stated fact, never a missing one
UNDETERMINABLE = ("无法确定", "undeterminable")
_IMPLAUSIBLE = Decimal("1e13")  # beyond any amount a case states
_NUMERIC = frozenset({"money", "number", "integer"})
_RULE_OF = attrgetter("rule")  # a step's rule id



def _problem(path: str, message: str, code: str = "invalid") -> CaseProblem:
    return CaseProblem(path=path, message=message, code=code)


def _validate(c: Case, prog: Program) -> tuple[dict, list[CaseProblem]]:
    """Check the case against the ruleset; return the typed facts for the matcher and the problems."""
    problems: list[CaseProblem] = []
    comp = prog.composite
    if c.item not in prog.items:  # a batch often repeats one wrong code: its suggestions are looked up once
        close_items = prepared(prog).close_items
        close = close_items.get(c.item)
        if close is None:
            close = close_items[c.item] = close_names(c.item, prog.items)
        problems.append(_problem("item", f"unknown item {c.item!r}" + (f"; did you mean {', '.join(close)}?" if close
                                                                       else ""), "unknown_item"))
    place = c.place
    key = (place.county, place.township, place.zone)
    places_ok = prepared(prog).places_ok
    if key not in places_ok:  # a place checked without a problem once has none on this program
        found = check_place(place, comp.areas, comp.name)
        if found:
            problems += found
        else:
            places_ok[key] = True
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
        if value.__class__ is int and t in _NUMERIC and 0 <= value <= _IMPLAUSIBLE:
            typed[path] = Decimal(value)  # a whole number in range: what `parse_number` and the checks below give
            continue
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
            if value > _IMPLAUSIBLE:
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
    party = c.party
    f: dict[str, Any] = {"party.kind": party.kind, "party.capacity": party.capacity}
    if party.age is not None:
        f["party.age"] = party.age
    if party.sole_trader is not None:
        f["party.sole_trader"] = party.sole_trader
    if c.history is not None:
        for n, key in _PRIOR_KEYS:
            f[key] = prior_count(c, n)
    circ = c.circumstances.__dict__  # the model's field values
    f.update(zip(_CIRCUMSTANCE_PATHS, map(circ.__getitem__, CIRCUMSTANCES)))
    if circ["harm"] is not None:
        f["circumstances.harm"] = circ["harm"]
    f["item.code"] = c.item
    prep = prepared(prog)
    f["item.domain"], f["item.category"] = prep.item_facts(c.item)
    place = c.place
    f["place.county"] = place.county
    mode = "none"
    if place.township:
        f["place.township"] = place.township
        mode = prog.composite.areas[place.township].mode
    if place.zone:
        f["place.zone"] = place.zone
    f["place.mode"] = mode
    start = c.ended_on or c.occurred_on
    f["limitation.years_elapsed"] = years_elapsed(start, c.discovered_on or c.decided_on)
    measures = c.measures
    if measures:
        for s, key in prep.measure_keys:
            f[key] = s in measures
    else:  # the case proposes none: each read measure is false, in the same order
        f.update(prep.no_measures)
    for k, v in typed.items():
        if v.__class__ is Decimal:
            f[k] = scalar(v)
            if k.startswith("facts."):  # an amount stated is a determined one
                f.setdefault("undeterminable." + k[6:], False)
        else:
            f[k] = v
    return f


# the fact paths `_base_facts` writes, built once
_PRIOR_KEYS = tuple((n, f"history.prior_{n}y") for n in (1, 2, 3))
_CIRCUMSTANCE_PATHS = tuple(f"circumstances.{k}" for k in CIRCUMSTANCES)


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
    with match_memo():  # the re-decisions of the open questions mostly send the matchers facts already sent
        run = _decide(c, ruleset)
        probed: dict = {}  # the probes' decisions by what they can turn on (`_probe_key`, `_probe_proposal`)
        questions = open_questions(run.case, run,
                                   decide=lambda patched: _probe_decision(patched, ruleset, run, probed),
                                   propose=lambda fine: _probe_proposal(ruleset, run, fine, probed))
    # the decision is copied once, with everything the first decision does not hold yet
    return run.decision.model_copy(update={"questions": questions, "assumptions": run.assumptions})


@dataclass(frozen=True, slots=True)
class _Run:
    """One evaluation: the decision and what the open-question analysis needs to re-read it (`questions.Judged`)."""

    decision: Decision
    home: Program
    chosen: Assessment
    facts1: dict
    facts2: dict
    typed: dict
    conditional: list[tuple[CRule, str]]
    case: Case  # as judged: its item is the judging version's code for a renumbered item
    stage2: tuple = ()  # what the decision rules started from (handler, candidates, steps): a proposal re-runs them
    assumptions: tuple[Assumption, ...] = ()  # what the decision rests on (`evaluate` adds them to `decision`)


def _decide(c: Case, ruleset: Ruleset, *, strict_proposal: bool = True, probe: bool = False) -> _Run:
    """The legal steps in order: versions (art. 37), facts, jurisdiction (arts. 22-25), outcome and range
    (arts. 28-36), decision rules (flags, retention, procedure), assembly."""
    prog, prog_act, home, code, old_code, repealed = _versions(c, ruleset)
    if code != c.item:  # the case names a renumbered item: judge it under the code the judging version uses
        c = c.model_copy(update={"item": code})
    typed = _facts(c, home)
    facts = _base_facts(c, home, typed)
    handler, n_cands, jur_steps, cands = prepared(home).jurisdiction(c, home)
    chosen, lex_steps = _choose_version(c, ruleset, prog, prog_act, home, repealed, facts, typed, old_code)
    proposal = _proposal(c, chosen, strict_proposal)
    differ = prog is not prog_act and _item_differs(c.item, prog, prog_act, old_code)
    facts2 = _decision_facts(facts, handler, n_cands, chosen, differ)
    stage2 = (dict(facts2), handler, cands, jur_steps, lex_steps)
    steps2, flags, transfers, procedure, handler, conditional = _decision_rules(c, home, chosen, facts2, proposal,
                                                                                 handler, cands)
    decision = _assemble(c, ruleset, home, chosen, handler, jur_steps, lex_steps, steps2, flags, transfers, procedure)
    # a probe answers a question with the decision's outcome, range and flags only
    assumed = () if probe else _assumptions(c, home, chosen, decision, conditional, typed)
    return _Run(decision, home, chosen, facts, facts2, typed, conditional, c, stage2, assumed)


def _with_proposal(c: Case, ruleset: Ruleset, run: _Run, proposal: Decimal) -> Decision:
    """The decision under a proposed fine: a proposal changes only the decision rules (stage 2), so they alone are
    run again on what the first run computed (the same answer `_decide` would give, without re-deciding)."""
    facts2, handler, cands, jur_steps, lex_steps = run.stage2
    steps2, flags, transfers, procedure, handler, _ = _decision_rules(c, run.home, run.chosen, dict(facts2), proposal,
                                                                      handler, cands)
    return _assemble(c, ruleset, run.home, run.chosen, handler, jur_steps, lex_steps, steps2, flags, transfers,
                     procedure)


def _probe_proposal(ruleset: Ruleset, run: _Run, proposal: Decimal, probed: dict) -> Decision:
    """`_with_proposal` for the open-question analysis, once per answer of the comparisons that can turn a decision
    rule: a proposal changes nothing but which decision rules hold, so two that compare alike decide alike."""
    leaves = probed.get("proposal leaves")
    if leaves is None:
        leaves = probed["proposal leaves"] = _proposal_leaves(run)
    sent = {"penalty.fine.proposed": scalar(proposal)}  # all a comparison of the proposed fine reads
    key = ("proposed_fine",) + values_of(leaves, sent)
    found = probed.get(key)
    if found is None:
        found = probed[key] = _with_proposal(run.case, ruleset, run, proposal)
    return found


def _proposal_leaves(run: _Run) -> list:
    """The tests of the comparisons of the proposed fine in the decision rules that `run`'s other stage-2 facts
    leave undecided: every other decision rule holds, or not, whatever the proposal."""
    f2 = run.stage2[0]
    out = []
    for r, leaves in _proposal_rules(run.home):
        if three_valued(r.cond, f2, "penalty.fine.proposed") is None:
            out += leaves
    return out


def _proposal_rules(home: Program) -> tuple[tuple[CRule, list], ...]:
    """The decision rules whose condition reads the proposed fine, each with the tests of its comparisons of it,
    once per program."""
    found = home.__dict__.get("_proposal_rules")
    if found is None:
        found = home.__dict__["_proposal_rules"] = tuple(
            (r, _leaves_on(r.cond, "penalty.fine.proposed")) for r in home.stage2
            if r.cond and "penalty.fine.proposed" in paths_of(r.cond))
    return found


def _leaves_on(cond: tuple, path: str) -> list:
    """The tests of the leaves of `cond` that read `path` (the matcher's own: run them with `questions.values_of`)."""
    return [test for _, p, test in compiled(cond).leaves if p == path]


def _probe_decision(c: Case, ruleset: Ruleset, run: _Run, probed: dict | None = None) -> Decision:
    """The decision on `run`'s case with one open fact answered (`c`), for the open-question analysis: the
    decision `_decide` gives in all a question's answer reads of it (outcome, penalty, handler, flags, procedure).

    When the answer changes only facts that conditions alone read (harm, a fact that is no amount or
    requirement), the decision turns only on which of those conditions hold: an answer under which they hold as
    on the stated facts gives `run`'s decision, and answers under which they hold alike give one decision (kept in
    `probed`). Otherwise, when the answer changes only facts that nothing before the decision rules reads (no
    stage-1 rule, benchmark grade or adjustment, list entry, item condition, requirement or amount of this item),
    only the decision rules run again on what `run` computed, as `_with_proposal` does.
    """
    base = run.case
    lex_steps = run.stage2[4]
    # only an answer about a fact (``facts.*``) or the harm can take a short path: anything else the case states
    # (dates, place, party, other circumstances, history, measures, proposal) feeds versions, jurisdiction or stage 1
    circ, was = c.circumstances, base.circumstances
    harm = circ.harm != was.harm
    if (lex_steps or c.item != base.item or _beyond_facts(c) != _beyond_facts(base)
            or (circ != was and (not harm or circ.model_copy(update={"harm": was.harm}) != was))):
        return _decide(c, ruleset, strict_proposal=False, probe=True).decision
    home = run.home
    old = run.facts1
    if harm and c.facts == base.facts:
        # only the harm answered: no check of the case reads it (its facts check as the stated case's did, without
        # a problem), and of the stage-1 facts only the harm differs
        typed, changed = run.typed, ["circumstances.harm"]
        facts = {**old, "circumstances.harm": circ.harm}
    else:
        typed = _facts(c, home)  # the same problems, in the same order, as `_decide` finds
        facts = _base_facts(c, home, typed)
        changed = [k for k in facts.keys() | old.keys() if k not in facts or k not in old
                   or facts[k].__class__ is not old[k].__class__ or facts[k] != old[k]]
    key = _probe_key(home, c.item, facts, changed) if probed is not None else None
    if key is not None:
        stated = probed.get(("stated", key[0]))  # type: ignore[union-attr]  # once per set of paths
        if stated is None:
            stated = probed[("stated", key[0])] = _probe_key(home, c.item, old, changed)  # type: ignore[index]
        if key == stated:
            return run.decision
        found = probed.get(key)  # type: ignore[union-attr]
        if found is None:
            found = probed[key] = _probe_rerun(c, ruleset, run, typed, facts, changed, harm)  # type: ignore[index]
        return found
    return _probe_rerun(c, ruleset, run, typed, facts, changed, harm)


def _probe_rerun(c: Case, ruleset: Ruleset, run: _Run, typed: dict, facts: dict, changed: list[str],
                 harm: bool) -> Decision:
    """The decision on the probe `c` whose facts (`typed`, `facts`) differ from `run`'s at the paths `changed`:
    the decision rules alone when nothing before them reads those paths, else the case decided again."""
    home = run.home
    if harm or not set(changed).isdisjoint(_stage1_reads(home, c.item)):
        # the harm's facts dict is the stated one patched: stage 1 is sent them as `_decide` builds them
        return _rerun_stage1(c, ruleset, run, typed, _base_facts(c, home, typed) if harm else facts)
    facts2, handler, cands, jur_steps, lex_steps = run.stage2
    f2 = dict(facts2)
    for k in changed:
        if k in facts:
            f2[k] = facts[k]
        else:
            f2.pop(k, None)
    proposal = _proposal(c, run.chosen, False)
    steps2, flags, transfers, procedure, handler, _ = _decision_rules(c, home, run.chosen, f2, proposal, handler,
                                                                      cands)
    return _assemble(c, ruleset, home, run.chosen, handler, jur_steps, lex_steps, steps2, flags, transfers, procedure)


def _rerun_stage1(c: Case, ruleset: Ruleset, run: _Run, typed: dict, facts: dict) -> Decision:
    """The decision `_decide` gives the probe `c`, whose answer changes only the case's facts or harm (`typed` and
    `facts` as `_facts` and `_base_facts` give them): the versions, the item and the jurisdiction are `run`'s (they
    read neither), so stage 1 and what follows it alone run again."""
    prog, prog_act, home, code, old_code, repealed = _versions(c, ruleset)
    if code != c.item or home is not run.home:  # not the judged case's versions: decide it from the start
        return _decide(c, ruleset, strict_proposal=False, probe=True).decision
    stated2, handler, cands, jur_steps, _ = run.stage2
    chosen, lex_steps = _choose_version(c, ruleset, prog, prog_act, home, repealed, facts, typed, old_code)
    proposal = _proposal(c, chosen, False)
    facts2 = _decision_facts(facts, handler, stated2["handler.candidates"], chosen, stated2["versions.differ"])
    steps2, flags, transfers, procedure, handler, _ = _decision_rules(c, home, chosen, facts2, proposal, handler,
                                                                      cands)
    return _assemble(c, ruleset, home, chosen, handler, jur_steps, lex_steps, steps2, flags, transfers, procedure)


def _probe_key(home: Program, code: str, facts: Mapping, changed: list[str]) -> tuple | None:
    """What a decision on `facts` can turn on at the paths `changed`, when only conditions read them: whether each
    condition before the decision rules that reads one holds, and each decision-rule comparison of one (the other
    facts the decision rules see follow from the first). None when an amount, a requirement or anything but a
    fact or the harm changed (the decision may then turn on the values themselves).

    Two probes of one evaluation with equal keys decide alike in outcome, penalty, handler, flags and procedure.
    """
    index = _probe_index(home, code)
    quantities = index["quantities"]
    tests: list = []
    for k in sorted(changed):
        if not (k == "circumstances.harm" or k.startswith(("facts.", "undeterminable."))) or k in quantities:
            return None
        found = index.get(k)
        if found is None:
            found = index[k] = _path_tests(home, code, k)
        tests += found
    return (tuple(sorted(changed)),) + values_of(tests, facts)


def _probe_index(home: Program, code: str) -> dict:
    """Per program and item: the fact paths of its amounts and requirements (``quantities``), and, filled as asked,
    each path's tests (`_path_tests`)."""
    known = home.__dict__.setdefault("_probe_index", {})
    found = known.get(code)
    if found is None:
        found = known[code] = {"quantities": _stage1_quantities(home, code)}
    return found


def _path_tests(home: Program, code: str, path: str) -> list:
    """The tests of every condition before the decision rules that reads `path` for item `code` (stage-1 rules,
    benchmark grades, adjustments and factors, list entries, the item's own condition), then of every comparison
    of `path` in a decision rule."""
    conds = [r.cond for r in home.stage1] + _item_conds(home, code)
    # each condition's test is its compiled form's, built once per condition (rules serve every item)
    out = [compiled(x).holds for x in conds if x and path in paths_of(x)]
    return out + [t for r in home.stage2 if r.cond for t in _leaves_on(r.cond, path)]


def _beyond_facts(c: Case) -> tuple:
    """Everything a case states other than its facts and circumstances."""
    return (c.party, c.history, c.place, c.measures, c.proposed_fine, c.occurred_on, c.ended_on, c.discovered_on,
            c.decided_on)


def _stage1_reads(home: Program, code: str) -> frozenset[str]:
    """The fact paths anything before the decision rules may read for item `code`: the stage-1 rules, the item's
    benchmark and list-entry conditions and its own condition, and every fact its requirements, measures and
    amounts (statutory, benchmark ranges, scaled measures) name. Once per program and item."""
    known = home.__dict__.setdefault("_stage1_reads", {})
    out = known.get(code)
    if out is not None:
        return out
    paths: set[str] = set(home.matcher1.paths)
    for cond in _item_conds(home, code):
        paths.update(paths_of(cond))
    out = known[code] = frozenset(paths | _stage1_quantities(home, code))
    return out


def _item_conds(home: Program, code: str) -> list[tuple]:
    """The conditions of item `code` itself that stage 1 tests: its benchmark's grades and adjustments, the levels
    of its benchmark's factors, its list entries and its own condition."""
    conds: list = []
    bench = home.benchmarks.get(code)
    if bench is not None:
        conds += list(bench.conds) + [lv[2] for f in bench.factors for lv in f.levels]
    conds += [e.cond for e in home.entries.get(code, ())]
    conds.append(home.item_conditions.get(code))
    return [x for x in conds if x]


def _stage1_quantities(home: Program, code: str) -> frozenset[str]:
    """The fact paths (``facts.X`` and ``undeterminable.X``) of every fact the requirements, measures and amounts
    (statutory, benchmark ranges, scaled measures) of item `code` name: what stage 1 reads other than in
    conditions. Once per program and item."""
    known = home.__dict__.setdefault("_stage1_quantities", {})
    out = known.get(code)
    if out is not None:
        return out
    names: set[str] = set()

    def walk(node: Any) -> None:  # every `of` (an amount's quantity) and `requires` in the item and its benchmark
        if isinstance(node, (tuple, list)):
            for x in node:
                walk(x)
        elif isinstance(node, BaseModel):
            of = getattr(node, "of", None)
            if of is not None and hasattr(of, "name"):
                names.add(of.name)
            for ref in getattr(node, "requires", None) or ():
                names.add(getattr(ref, "name", ref))
            for f in type(node).model_fields:
                walk(getattr(node, f))

    walk(home.composite.items.get(code))
    walk(home.composite.benchmarks.get(code))
    out = known[code] = frozenset(p for n in names for p in (f"facts.{n}", f"undeterminable.{n}"))
    return out


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
    """An item's condition on the stated facts: True, False, or None when a fact it reads is not stated (whether
    a fact is stated is itself known: ``present`` and ``missing`` are always decided)."""
    return kleene(cond, facts, lambda leaf: leaf[0] not in ("present", "missing") and leaf[1] not in facts)


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
    if not c.measures:
        return []
    out = []
    item = prog.items[c.item]
    provided = {s.name.name for s in m.for_party(prog.statutory[c.item], c.party.kind) or ()}
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
                    facts: dict, typed: dict, old_code: str | None = None) -> tuple[Assessment, list[Step]]:
    """第三十七条: the act-time rules, unless the decision-time rules are lighter or no longer make it an offence."""
    if repealed:
        return (Assessment(program=home, code=c.item, outcome="no_penalty", has_penalty=False),
                [Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                      text=f"决定时施行的规定（{_since(prog)}）已不再将该行为列为违法行为（事项已废止），适用新的规定，"
                           f"不予行政处罚")])
    chosen = assess(c, prog, facts, typed)
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
    old = assess(c, prog_act, _base_facts(c, prog_act, typed), typed)
    if renumbered:
        note = Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                    text=f"本事项在{_since(prog)}中编为{chosen.code}（{'；'.join(prog.items[chosen.code].basis)}），"
                         f"行为时编为{old.code}（{'；'.join(prog_act.items[old.code].basis)}），为同一违法行为")
        chosen, old = chosen.with_steps_first(note), old.with_steps_first(note)
    if lighter(chosen.severity(), old.severity()):
        return chosen, [Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                             text=f"行为时适用{_since(prog_act)}的规定，决定时已修改（{_since(prog)}）；新的规定处罚较轻，"
                                  f"适用新的规定")]
    return old, [Step(rule="LEX-MITIOR", basis=f"{LAW}第三十七条",
                      text=f"适用违法行为发生时的规定（{_since(prog_act)}）；决定时的规定（{_since(prog)}）并不更轻")]


def _since(prog: Program) -> str:
    d = prog.composite.version
    return f"{d.year}年{d.month}月{d.day}日起施行的版本"


def _proposal(c: Case, chosen: Assessment, strict: bool) -> Decimal | None:
    """The proposed fine, checked against the computed range (a proposal outside it is a CaseError)."""
    p = c.proposed_fine
    if p is None:
        return None
    problem = None
    if not chosen.has_penalty or chosen.fine is None:
        problem = f"proposed_fine {dec(p)} yuan, but this decision imposes no fine"
    else:
        lo, hi = chosen.fine
        ceiling = chosen.reduced_ceiling
        if ceiling is not None and p >= ceiling:
            problem = (f"proposed_fine {dec(p)} yuan is not below the statutory minimum {dec(ceiling)} yuan, "
                       f"as 减轻处罚 requires")
        elif not lo <= p <= hi:
            problem = f"proposed_fine {dec(p)} yuan is outside the computed range {dec(lo)}-{dec(hi)} yuan"
    if problem is None:
        return p
    if not strict:
        return None
    raise CaseError([_problem("proposed_fine", problem, "proposal_out_of_range")], c.case_id)


def _decision_facts(facts: dict, handler: Handler, n_cands: int, chosen: Assessment, differ: bool) -> dict:
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
        f2.update(prepared(applied).penalty_facts(chosen.adjustment, chosen.graded, chosen.fine, chosen.kinds,
                                                  chosen.fixed))
    return f2


# the procedure step of a decision no rule gives the simplified procedure (art. 54), without and with conditional
# decision rules
_ORDINARY = Step(rule="PROCEDURE", basis=f"{LAW}第五十四条", text="不属于可以当场作出的行政处罚，适用普通程序")
_ORDINARY_CONDITIONAL = Step(rule="PROCEDURE", basis=f"{LAW}第五十四条", text="除依法可以当场作出的行政处罚外，适用普通程序")

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
            text = "拟罚款" + _OP_WORDS[node[2]].format(dec(Decimal(str(node[3]))))
            if text not in terms:
                terms.append(text)

    collect(cond)
    return "或者".join(terms) or "视拟罚款数额而定"


def _decision_rules(c: Case, home: Program, chosen: Assessment, f2: dict, proposal: Decimal | None,
                    handler: Handler, cands: list[m.Agency]):
    """Stage 2 on the computed decision: flags, transfers, county retention (51号) and the procedure (art. 51).

    With a proposed fine (or a fixed one) the thresholds are decided on it. Without one, the rules are tried at
    the points of `_proposal_points`: a rule that holds at all of them holds outright, one that holds at some is
    conditional and is stated with its condition, never as certain from the top of the range.
    """
    if chosen.fine is not None and (proposal is not None or chosen.fine[0] == chosen.fine[1]):
        f2["penalty.fine.proposed"] = scalar(proposal if proposal is not None else chosen.fine[0])
    prep = prepared(home)
    conditional: list[tuple[CRule, str]] = []
    if chosen.fine is None or "penalty.fine.proposed" in f2:
        surviving, overridden = fired(home, home.matcher2, f2)
    else:  # the rules are decided at the proposal points alone (a match without a proposal would be discarded)
        runs = []
        try:  # each point in turn on the same facts (a copy per point costs more than the match it feeds)
            for x in proposal_points(chosen, home):
                f2["penalty.fine.proposed"] = scalar(x)
                runs.append(tuple(home.matcher2.match(f2)))  # raises EvaluationError when the matcher fails
        finally:
            f2.pop("penalty.fine.proposed", None)
        surviving, overridden, sometimes = prep.across(tuple(runs))
        conditional = [(home.rules[i], prep.proposal_words(home.rules[i], f2, _proposal_condition)) for i in sometimes]
    flags = list(chosen.flags)
    transfers = list(chosen.transfers)
    procedure = "ordinary"
    steps2: list[Step] = [prep.set_aside(r, by) for r, by in overridden]
    for r in surviving:
        got = prep.stage2(r)
        if not got.retains or handler.route != "empowered":  # nothing here depends on the case: built once per rule
            flags += got.flags
            transfers += got.transfers
            if got.procedure is not None:
                procedure = got.procedure
            steps2.append(got.step)
            continue
        texts = []
        for act in r.actions:
            if act.kind == "flag":
                flags.append(FlagHit(act.arg or "", act.text or r.title, prep.basis(r)))
            elif act.kind == "procedure":
                procedure = act.arg or "ordinary"
            elif act.kind == "transfer":
                transfers.append(Transfer(to=act.arg or "", reason=act.text or r.title, basis=prep.basis(r)))
            elif act.kind == "retain" and handler.route == "empowered":
                new = _county_handler(c, chosen, cands)
                transfers.append(Transfer(to=new.agency, reason=act.text or r.title, basis=prep.basis(r)))
                flags.append(FlagHit("MAJOR_PENALTY_TRANSFER", f"{handler.agency}应将案件移送{new.agency}：{act.text or r.title}",
                                     prep.basis(r)))
                texts.append(f"{handler.agency}应及时移送{new.agency}")
                handler = new
            if act.text and act.kind not in ("flag", "retain"):
                texts.append(act.text)
        steps2.append(Step(rule=r.id, basis=prep.basis(r), text=r.title + (f"：{'；'.join(texts)}" if texts else "")))
    for r, cond in conditional:
        if handler.route != "empowered" or not prep.stage2(r).retains:
            cflags, step = prep.conditional(r, cond)
            flags += cflags
            steps2.append(step)
            continue
        texts = []
        for act in r.actions:
            if act.kind == "flag":
                flags.append(FlagHit(act.arg or "", act.text or r.title, prep.basis(r), cond))
            elif act.kind == "retain" and handler.route == "empowered":
                new = _county_handler(c, chosen, cands)
                flags.append(FlagHit("MAJOR_PENALTY_TRANSFER", f"{handler.agency}应将案件移送{new.agency}：{act.text or r.title}",
                                     prep.basis(r), cond))
            elif act.kind == "procedure" and act.arg == "simplified":
                texts.append("可以当场作出行政处罚决定（简易程序）")
            elif act.kind == "transfer":
                flags.append(FlagHit("TRANSFER", f"移送{act.arg}：{act.text or r.title}", prep.basis(r), cond))
            elif act.text:
                texts.append(act.text)
        steps2.append(Step(rule=r.id, basis=prep.basis(r),
                           text=f"{r.title}——{cond}的适用" + (f"：{'；'.join(texts)}" if texts else "")))
    if procedure == "ordinary" and chosen.has_penalty and not any(st.rule == "PROCEDURE" for st in steps2):
        steps2.append(_ORDINARY_CONDITIONAL if conditional else _ORDINARY)
    if procedure == "simplified":
        certain = {f.code for f in flags if f.condition is None}
        # a flag declared `ordinary` belongs to the ordinary procedure (arts. 54-65): 当场处罚 cannot carry it
        ordinary_checks = [code for code in prep.ordinary if code in certain]
        if ordinary_checks:
            # 当场处罚 cannot carry a legal review, a hearing notice, a collective discussion or a transfer: those
            # belong to the ordinary procedure of arts. 54-65
            procedure = "ordinary"
            decls = home.composite.flags
            labels = "、".join(decls[x].label if x in decls else x for x in ordinary_checks)
            steps2.append(Step(rule="PROCEDURE", basis=f"{LAW}第五十一条、第五十四条、第五十八条",
                               text=f"本案须{labels}，不适用当场处罚的简易程序，适用普通程序"))
    return steps2, flags, transfers, procedure, handler, conditional


def _county_handler(c: Case, chosen: Assessment, cands: list[m.Agency]) -> Handler:
    """The county body a township hands a major case to (51号)."""
    if len(cands) == 1:
        return agency_handler(cands[0], "retained-major")
    name = f"{c.place.county}县级行政执法部门"
    return Handler(agency=name, level="county", kind=chosen.program.categories[c.item], in_name_of=name,
                   route="retained-major")


def _assemble(c: Case, ruleset: Ruleset, home: Program, chosen: Assessment, handler: Handler,
              jur_steps: tuple[Step, ...], lex_steps: list[Step], steps2: list[Step], flags: list[FlagHit],
              transfers: list[Transfer], procedure: str) -> Decision:
    """The Decision as the contract shapes it: merged flags (one per code and condition), the explanation."""
    applied = chosen.program
    item_code = chosen.code or c.item
    steps1 = chosen.steps
    if not any(s.rule in OUTCOME_ORDER or s.rule.startswith("LIST:") for s in steps1) and chosen.outcome == "penalty":
        steps1 = (_OUTCOME_PENALTY,) + steps1
    merged: dict[tuple, list] = {}
    for code, reason, basis, cond in flags:
        entry = merged.get((code, cond))
        if entry is None:
            entry = merged[(code, cond)] = [[], []]
        if reason not in entry[0]:
            entry[0].append(reason)
        for part in basis.split("；") if basis else ():
            if part not in entry[1]:
                entry[1].append(part)
    # a flag that holds outright makes the same flag's conditional form redundant
    outright = {code for code, cond in merged if cond is None}
    prep = prepared(home)
    out_flags = tuple(prep.flag(code, cond, tuple(reasons), tuple(bases))
                      for (code, cond), (reasons, bases) in merged.items() if cond is None or code not in outright)
    penalty = None
    if chosen.has_penalty:
        penalty = _penalty(chosen.grade, chosen.adjustment, chosen.kinds, chosen.fine, tuple(chosen.measures))
    at = prepared(applied)
    return Decision(
        case_id=c.case_id, ruleset=f"{ruleset.name}@{at.version}", item=at.item(item_code),
        handler=handler, transfers=tuple(transfers), outcome=chosen.outcome, penalty=penalty, procedure=procedure,
        flags=out_flags, explanation=(*jur_steps, *steps1, *lex_steps, *steps2))


# the outcome step of a decision no rule, list or grade gave an outcome (art. 57(1)(一))
_OUTCOME_PENALTY = Step(rule="OUTCOME", basis=f"{LAW}第五十七条第一款第（一）项",
                        text="未发现依法不予处罚、可以不予处罚或者超过追责时效的情形，应当依法给予行政处罚")
# penalties already built: the open questions' re-decisions mostly give the stated case's penalty again, and the
# models are frozen, so decisions share them; bounded, as the fine ranges of a stream of cases are not
_PENALTIES: dict[tuple, Penalty] = Memo()


def _penalty(grade: str | None, adjustment: str, kinds: tuple[str, ...], fine: tuple[Decimal, Decimal] | None,
             measures: tuple) -> Penalty:
    """The decision's penalty (shared with the decisions that have the same)."""
    key = (grade, adjustment, kinds, fine, measures)
    got = _PENALTIES.get(key)
    if got is None:
        got = _PENALTIES[key] = Penalty(grade=grade, adjustment=adjustment, kinds=kinds,
                                        fine=Fine(min=dec(fine[0]), max=dec(fine[1])) if fine else None,
                                        measures=measures)
    return got


# ── what the decision rests on ───────────────────────────────────────────────
def _assumptions(c: Case, home: Program, chosen: Assessment, d: Decision,
                 conditional: list[tuple[CRule, str]], typed: Mapping) -> tuple[Assumption, ...]:
    """Premises not established: facts taken as given, and `unconfirmed` ruleset content this decision used."""
    out: list[Assumption] = []
    comp = home.composite
    prep = prepared(home)

    def add(what: str, rule: str, source: str, status: str) -> None:
        if not any(a.what == what for a in out):
            out.append(Assumption(what=what, rule=rule, source=source or "本规则集", status=status))

    def unconfirmed(meta: m.Meta, what: str, rule: str) -> None:  # the callers build `what` only for such a meta
        add(what + ("：" + "；".join(meta.notes) if meta.notes else ""), rule, "；".join(meta.sources), "unconfirmed")

    for what, rule, source in chosen.assumed:
        add(what, rule, source, "assumed")
    cond = home.item_conditions.get(c.item)
    if cond is not None and _applies(cond, {k: scalar(v) for k, v in typed.items()}) is None:
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
        item_meta, domain = prep.item_unconfirmed(c.item)  # the item's and its domain's meta, when unconfirmed
        if item_meta is not None:
            unconfirmed(item_meta, f"事项 {c.item} 的编码或罚则摘录", c.item)
        if domain is not None and d.handler.route in ("catalogue", "designated"):
            unconfirmed(comp.domains[domain].meta, f"“{domain}”领域由谁实施（事项类别）", c.item)
        if c.measures:
            conditional_measures = {ref.name: im for im in item.measures for ref in im.names}
            for name in c.measures:
                im = conditional_measures.get(name)
                for r in im.requires if im else ():
                    if f"facts.{r.name}" not in _typed_names(c):
                        add(f"拟作出的{name}以“{comp.facts[r.name].description or r.name}”为前提：案件未载明，按具备该前提处理",
                            "MEASURE", "；".join(item.basis), "assumed")
    h = d.handler
    for part in ("township", "zone") if h.route in ("empowered", "dispatched", "retained-major") else ():
        name = getattr(c.place, part)
        area = comp.areas.get(name) if name else None
        if area is not None:
            if area.meta.unconfirmed:
                unconfirmed(area.meta, f"{name}的执法模式或执法队伍", "JUR-" + h.route.upper())
            if h.route in ("empowered", "retained-major"):
                for lst in lists_with(comp, area, c.item, prep.list_items):
                    if lst.meta.unconfirmed:
                        unconfirmed(lst.meta, f"“{lst.title or lst.name}”包含本事项", "JUR-EMPOWERED")
    dispatched_for = area_agency(comp, c) if h.route == "dispatched" else None
    for ag in prep.unconfirmed_agencies:  # only an unconfirmed agency adds a premise
        if ag.name == h.agency or ag.name == dispatched_for:
            unconfirmed(ag.meta, f"办案主体“{ag.name}”的名称或作出决定的名义（{ag.in_name_of or ag.name}）",
                        "JUR-" + h.route.upper())
    bench = chosen.program.benchmarks.get(c.item)
    if bench is not None and bench.unconfirmed and (chosen.graded or any(s.rule == f"BENCH:{c.item}" for s in chosen.steps)):
        add(f"裁量基准（{c.item}）的阶次与幅度" + ("：" + "；".join(bench.notes) if bench.notes else ""),
            f"BENCH:{c.item}", "；".join(bench.sources), "unconfirmed")
    for s in chosen.steps if prep.unconfirmed_lists else ():  # only an unconfirmed list adds a premise
        if s.rule.startswith("LIST:"):
            pl = comp.penalty_lists.get(s.rule[5:])
            if pl is not None and pl.meta.unconfirmed:
                unconfirmed(pl.meta, f"“{pl.title or pl.name}”的条目与适用条件", s.rule)
    if not prep.unconfirmed_params:  # only an unconfirmed parameter adds a premise
        return tuple(out)
    # the rules used (applied or conditional) that read an unconfirmed parameter, unless set aside by an exception
    reading = prep.unconfirmed_param_rules
    params = set()
    if reading:
        used = reading.keys() & set(map(_RULE_OF, d.explanation))
        used.update(r.id for r, _ in conditional if r.id in reading)
        if used:  # fired, but set aside by an exception: not used
            used -= {st.rule for st in d.explanation if st.rule in used and SET_ASIDE in st.text}
        for rid in used:
            params.update(reading[rid])
    if d.penalty is not None and d.penalty.adjustment in ("lighter", "heavier"):
        params.add("裁量.从轻从重幅度")
    other = ".单位" if c.party.kind == "individual" else ".个人"
    for name in sorted(params & prep.unconfirmed_params):
        if name.endswith(other):  # a threshold declared per party kind: only this party's bears on the decision
            continue
        premise = prep.param_premises.get(name)
        if premise is None:  # the same words in every decision that uses the parameter: built once
            p = comp.parameters[name]
            meta = p.meta
            what = f"参数 {name} = {_param_text(p)}（{p.description or name}）"
            premise = prep.param_premises[name] = Assumption(
                what=what + ("：" + "；".join(meta.notes) if meta.notes else ""), rule=name,
                source="；".join(meta.sources) or "本规则集", status="unconfirmed")
        if not any(a.what == premise.what for a in out):
            out.append(premise)
    return tuple(out)


def _typed_names(c: Case) -> set[str]:
    return {f"facts.{k.strip()}" for k in c.facts}


def _param_text(p: m.Parameter) -> str:
    v = p.value
    if p.is_percent and isinstance(v, Decimal):
        return f"{dec(v * 100)}%"
    return dec(v) if isinstance(v, Decimal) else str(v)
