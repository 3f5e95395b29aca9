"""Stage 1 of a decision: what one version of the rules says about the outcome and the penalty.

Owns `assess` and its result `Assessment`, an immutable value `evaluate` compares between versions
(`lighter`, 行政处罚法 art. 37) and hands to the decision rules. Three steps, each a function:
`_stage1_outcome` (the stage-1 policy rules, the no-penalty and reduced-penalty lists, the item's
preconditions and a benchmark grade that gives 不予处罚: arts. 28-36), `_grade` (the kinds of penalty the
article gives this party, art. 38, the benchmark grade and the fine it is computed from) and `adjust_range`,
the pure arithmetic of 从轻, 减轻 and 从重 (arts. 30-32) in exact `Decimal`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Iterable, NamedTuple

from engine import benchmark as bench_
from engine import model as m
from engine.case import Case
from engine.compiler import CRule, Program
from engine.decision import LAW, ScaledMeasure, Step, Transfer
from engine.errors import CaseError, CaseProblem
from engine.numbers import CENT, decimal_text
from engine.prepared import FlagHit, Memo, prepared

__all__ = ["OUTCOME_ORDER", "Assessment", "FlagHit", "RangeNote", "RangeResult", "adjust_range", "assess",
           "basis_of", "dec", "fired", "lighter", "proposal_points"]

OUTCOME_ORDER = {"time_barred": 0, "no_penalty": 1, "may_waive": 2}  # the combination of outcomes, strongest first
_MITIGATING = frozenset({"lighter", "reduced", "lighter_or_reduced"})


def dec(x: Decimal) -> str:
    """An amount of money as a decision writes it: to the fen, a whole number without a point (``200``, ``12.50``).

    Examples:
        >>> dec(Decimal("200.00")), dec(Decimal("12.5")), dec(Decimal("0.125"))
        ('200', '12.50', '0.12')
    """
    return decimal_text(x, to_cent=ROUND_HALF_EVEN, trim=False)


@dataclass(frozen=True, slots=True)
class Assessment:
    """What one version of the rules says about outcome and penalty (immutable: art. 37 compares two of them)."""

    program: Program
    code: str = ""  # the item code assessed (a renumbered item's old or new code, see `evaluate._versions`)
    outcome: str = "penalty"
    grade: str | None = None
    graded: bool = False
    adjustment: str = "none"
    kinds: tuple[str, ...] = ()
    fine: tuple[Decimal, Decimal] | None = None
    steps: tuple[Step, ...] = ()
    flags: tuple[FlagHit, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    has_penalty: bool = True
    fixed: bool = False
    reduced_ceiling: Decimal | None = None  # 减轻: the statutory minimum, which the fine must stay below
    assumed: tuple[tuple[str, str, str], ...] = ()  # (what, rule, source) taken as given
    measures: tuple[ScaledMeasure, ...] = ()  # the benchmark grade's scaled measures
    open_paths: tuple[str, ...] = ()  # case fields the benchmark's party column turns on

    def severity(self) -> tuple:
        """How heavily these rules punish, in the order `lighter` compares: (has a penalty, fine ceiling, fine
        floor, number of kinds)."""
        if self.outcome in ("no_penalty", "time_barred") or not self.has_penalty:
            return (0, Decimal(0), Decimal(0), 0)
        hi, lo = (self.fine[1], self.fine[0]) if self.fine else (Decimal(0), Decimal(0))
        return (1, hi, lo, len(self.kinds))

    def with_steps_first(self, *steps: Step) -> Assessment:
        """The same assessment with `steps` before its own (a note that holds for the whole assessment)."""
        return dataclasses.replace(self, steps=steps + self.steps)


def lighter(new: tuple, old: tuple) -> bool:
    """第三十七条: whether the new rules punish less than the old ones ("新的规定处罚较轻").

    A severity (`Assessment.severity`) is (has a penalty, fine ceiling, fine floor, number of penalty kinds),
    compared in that order: no penalty is lighter than any; then the lower ceiling; then the lower floor; then
    fewer kinds. Equal is not lighter, so the act-time rules stay.

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


# ── matching ─────────────────────────────────────────────────────────────────
def basis_of(rule: CRule) -> str:
    """A rule's legal basis as one text."""
    return "；".join(rule.basis)


def fired(prog: Program, matcher, facts: dict) -> tuple[list[CRule], list[tuple[CRule, list[str]]]]:
    """The rules of one stage that hold on `facts`: those that apply, and those set aside by an exception that
    also holds (with the exceptions' ids). Exceptions are declared (``exception to``), never "first wins".

    Raises:
        EvaluationError: the matcher failed.
    """
    ids = matcher.match(facts)  # raises EvaluationError when the matcher fails (compiler.StageMatcher)
    surviving, overridden = prepared(prog).fired(tuple(ids))  # remembered per ids
    return list(surviving), list(overridden)


# ── stage 1 ──────────────────────────────────────────────────────────────────
def assess(c: Case, prog: Program, facts: dict, typed: dict) -> Assessment:
    """What `prog` says about the case's outcome and penalty.

    Args:
        c: the case, its item as `prog` codes it.
        prog: the version of the rules applied.
        facts: the stage-1 facts (`evaluate._base_facts`).
        typed: the case's facts, typed (`evaluate._facts`).

    Raises:
        CaseError: the fine is computed from an amount the case does not state, or states as 无法确定.
        EvaluationError: the matcher failed.
    """
    first = _stage1_outcome(c, prog, facts, typed)
    if first.outcome in ("no_penalty", "time_barred"):
        return Assessment(program=prog, code=c.item, outcome=first.outcome, has_penalty=False, steps=first.steps,
                          flags=first.flags, transfers=first.transfers, assumed=first.assumed)
    return _grade(c, prog, facts, typed, first)


class _Outcome(NamedTuple):
    """Stage 1 before the penalty: the combined outcome and what the rules asked for on the way."""

    outcome: str
    adjusts: tuple[tuple[str, str], ...]  # (adjustment kind, rule or list id)
    steps: tuple[Step, ...]
    flags: tuple[FlagHit, ...]
    transfers: tuple[Transfer, ...]
    assumed: tuple[tuple[str, str, str], ...]
    bench: bench_.BenchResult | None


def _stage1_outcome(c: Case, prog: Program, facts: dict, typed: dict) -> _Outcome:
    """Whether to penalise (arts. 28-36): the stage-1 rules, the lists of 不予处罚, 可以不予处罚 and 减轻 items
    (art. 33), the item's preconditions (no precondition, no fine) and a benchmark grade that imposes nothing.
    Several outcomes combine to the strongest: time-barred, then 不予处罚, then 可以不予处罚."""
    code = c.item
    item = prog.items[code]
    steps: list[Step] = []
    flags: list[FlagHit] = []
    transfers: list[Transfer] = []
    assumed: list[tuple[str, str, str]] = []
    outcomes: list[tuple[str, str]] = []
    adjusts: list[tuple[str, str]] = []
    surviving, overridden = fired(prog, prog.matcher1, facts)
    prep = prepared(prog)
    if overridden:
        steps += (prep.set_aside(r, by) for r, by in overridden)
    for r in surviving:
        got = prep.stage1(r)  # nothing a rule contributes depends on the case: built once per rule
        outcomes += got.outcomes
        adjusts += got.adjusts
        flags += got.flags
        transfers += got.transfers
        steps.append(got.step)
    for e in prog.entries.get(code, ()):
        if e.test(facts):
            rid = f"LIST:{e.list_name}"
            basis = e.list_title + (f"（{'；'.join(e.sources)}）" if e.sources else "")
            note = f"：{e.note}" if e.note else ""
            if e.kind == "reduced":
                adjusts.append(("reduced", rid))
                steps.append(Step(rule=rid, basis=basis, text="本事项列入减轻行政处罚清单且符合适用条件" + note))
            else:
                outcomes.append((e.kind, rid))
                label = "不予行政处罚" if e.kind == "no_penalty" else "可以不予行政处罚"
                steps.append(Step(rule=rid, basis=basis, text=f"本事项列入轻微违法{label}清单且符合适用条件" + note))
    item_basis = "；".join(item.basis) if item.requires else ""
    for req in item.requires:
        v = typed.get(f"facts.{req.name}")
        desc = prog.composite.facts[req.name].description or req.name
        if v is False:
            outcomes.append(("no_penalty", "REQUIRES"))
            steps.append(Step(rule="REQUIRES", basis=item_basis,
                              text=f"法定罚则以“{desc}”为前提，本案不具备该前提：责令改正，不予罚款"))
        elif v is None:
            steps.append(Step(rule="REQUIRES", basis=item_basis,
                              text=f"法定罚则以“{desc}”为前提；案件未载明，按具备该前提计算（见推定前提与待查明事实）"))
            assumed.append((f"按具备“{desc}”的前提计算罚则：案件未载明", "REQUIRES", item_basis))
    bench = prog.benchmarks.get(code)
    bres = bench_.assess(bench, code, c.party.kind, c.party.sole_trader, facts, typed, prog.composite) if bench else None
    if bres is not None and bres.outcome is not None:  # a grade that gives 不予处罚 / 可以不予处罚 is an outcome
        outcomes.append((bres.outcome, f"BENCH:{code}"))
        steps += bres.steps
    outcome = min(outcomes, key=lambda o: OUTCOME_ORDER[o[0]])[0] if outcomes else "penalty"
    return _Outcome(outcome, tuple(adjusts), tuple(steps), tuple(flags), tuple(transfers), tuple(assumed), bres)


def _grade(c: Case, prog: Program, facts: dict, typed: dict, first: _Outcome) -> Assessment:
    """The penalty: the kinds the article gives this party (art. 38: none given, none imposed), the benchmark
    grade, and the fine range from the statutory amount, the grade and the adjustments (`adjust_range`)."""
    code = c.item
    party = c.party.kind
    item_basis, sanctions, kinds, fine_s = prepared(prog).penalty_of(code, party)
    steps = list(first.steps)
    if not sanctions:
        # 第三十八条: a penalty without a legal basis is void; the article names no penalty for this party.
        who = "个人" if party == "individual" else "单位"
        steps.append(Step(rule="NO-BASIS", basis=f"{item_basis}；{LAW}第三十八条第一款",
                          text=f"所引法律条文未对{who}规定行政处罚，没有处罚依据，不得给予行政处罚"))
        return Assessment(program=prog, code=code, outcome="no_penalty", has_penalty=False, steps=tuple(steps),
                          flags=first.flags, transfers=first.transfers, assumed=first.assumed)
    adjusts = list(first.adjusts)
    assumed = list(first.assumed)
    bres = first.bench
    grade, graded, grade_amount, measures, open_paths = None, False, None, (), ()
    if bres is not None and bres.outcome is None:
        steps += bres.steps
        adjusts += bres.adjusts
        assumed += bres.assumed
        open_paths, measures = tuple(bres.open_paths), tuple(bres.measures)
        grade, graded, grade_amount = bres.grade, bres.graded, bres.amount
        if bres.warning_only:  # 仅给予警告: the grade drops the fine and every other kind
            fine_s, kinds = None, ("警告",)
    fine, fixed, ceiling, adjustment = None, False, None, "none"
    if fine_s is not None:
        stat_lo, stat_hi = _yuan(fine_s.amount, typed, code)
        fixed = stat_lo == stat_hi
        steps.append(_statutory_step(fine_s.amount, stat_lo, stat_hi, item_basis))
        lo, hi = _yuan(grade_amount, typed, code) if grade_amount is not None else (stat_lo, stat_hi)
        bench = prog.benchmarks.get(code)
        if bench is not None and bench.factors and bres is not None and bres.outcome is None:
            lo, fsteps, fassumed = bench_.place_by_factors(bench, code, facts, max(lo, stat_lo), min(hi, stat_hi),
                                                           prog.composite)
            hi, graded = lo, True  # the factor model places the fine: the benchmark decided it
            steps += fsteps
            assumed += fassumed
        share = prog.params.get("裁量.从轻从重幅度")
        r = adjust_range((stat_lo, stat_hi), (lo, hi), frozenset(k for k, _ in adjusts),
                         share if isinstance(share, Decimal) else None)
        for n in r.notes:
            basis = (item_basis if n.grounds == "item" else
                     _rules_basis(prog, adjusts, n.grounds) if n.grounds in ("lighter", "reduced", "heavier") else n.grounds)
            steps.append(Step(rule=n.rule, basis=basis, text=n.text))
        fine, adjustment, ceiling = r.fine, r.adjustment, r.reduced_ceiling
        if fine is None:
            kinds = tuple(k for k in kinds if k not in prog.fine_names)
    elif adjusts:
        adjustment = _adjustment_without_fine(k for k, _ in adjusts)
    return Assessment(program=prog, code=code, outcome=first.outcome, grade=grade, graded=graded,
                      adjustment=adjustment, kinds=kinds, fine=fine, steps=tuple(steps), flags=first.flags,
                      transfers=first.transfers, fixed=fixed, reduced_ceiling=ceiling, assumed=tuple(assumed),
                      measures=measures, open_paths=open_paths)


# statutory-range steps and adjusted ranges already worked out: many items share an amount, a range and its
# adjustments, and the open questions decide a case again on the same; bounded, as a stream's amounts are not
_STATUTORY: dict[tuple, Step] = Memo()
_RANGES: dict[tuple, RangeResult] = Memo()


def _statutory_step(amount: m.Amount, stat_lo: Decimal, stat_hi: Decimal, item_basis: str) -> Step:
    """The step that states the article's fine range (as the article words it, to the fen) and, for an amount
    computed from the case, what it comes to."""
    said = bench_.describe(amount, number=dec)  # as the article words it, to the fen
    # dec() writes a number by its value alone (to the fen), so equal amounts give equal words
    key = (said, stat_lo, stat_hi, item_basis)
    got = _STATUTORY.get(key)
    if got is None:
        computed = f"{dec(stat_lo)}元至{dec(stat_hi)}元" if stat_lo != stat_hi else f"{dec(stat_lo)}元"
        got = _STATUTORY[key] = Step(rule="RANGE-STATUTORY", basis=item_basis,
                                     text=f"法定罚款幅度：{said}" + ("" if said == computed else f"，即{computed}"))
    return got


def _adjustment_without_fine(kinds: Iterable[str]) -> str:
    """The adjustment a penalty without a fine records: 减轻 over 从轻 over 从重 (no range to adjust).

    Examples:
        >>> _adjustment_without_fine(["heavier", "lighter_or_reduced"]), _adjustment_without_fine(["heavier"])
        ('lighter', 'heavier')
    """
    kinds = set(kinds)
    return "reduced" if "reduced" in kinds else "lighter" if kinds & {"lighter", "lighter_or_reduced"} else "heavier"


# ── the fine range ───────────────────────────────────────────────────────────
class RangeNote(NamedTuple):
    """One explanation step of `adjust_range`. `grounds` names what it cites: ``item`` (the item's article),
    ``lighter``/``reduced``/``heavier`` (the rules that asked for that adjustment), or a citation in full."""

    rule: str
    grounds: str
    text: str


class RangeResult(NamedTuple):
    """The fine range after the adjustments: `lo`..`hi` in yuan, rounded inward to the fen (both None when no
    fine is left), the adjustment applied, the ceiling 减轻 must stay below, and the explanation steps."""

    lo: Decimal | None
    hi: Decimal | None
    adjustment: str
    reduced_ceiling: Decimal | None
    notes: tuple[RangeNote, ...]

    @property
    def fine(self) -> tuple[Decimal, Decimal] | None:
        """(lo, hi), or None when no fine is imposed."""
        return None if self.lo is None else (self.lo, self.hi)  # type: ignore[return-value]


def adjust_range(statutory: tuple[Decimal, Decimal], graded: tuple[Decimal, Decimal], kinds: frozenset[str],
                 share: Decimal | None) -> RangeResult:
    """从轻, 减轻 and 从重 applied to a fine range, as 《行政处罚法》 arts. 30-32 are applied here.

    Args:
        statutory: the article's range in yuan (a fixed amount when both ends are equal).
        graded: the range after the benchmark grade (or the statutory one).
        kinds: the adjustments the rules ask for: ``lighter`` 从轻, ``reduced`` 减轻, ``lighter_or_reduced``
            (应当从轻或者减轻, arts. 30 and 32), ``heavier`` 从重.
        share: ``裁量.从轻从重幅度``, the part of the range 从轻 keeps at its lower end and 从重 at its upper
            end; None keeps the whole range.

    The rules, in order:
    - a ground to 从轻 or 减轻 excludes 从重 (arts. 30, 32 say 应当);
    - a fixed amount leaves no room to 从轻, so 应当从轻或者减轻 is 减轻;
    - with no lower bound there is nothing to go below, so 减轻 reads as 从轻;
    - 减轻 (art. 32's sense of going below the minimum) allows 0 up to, not including, the statutory minimum;
    - 从轻 and 从重 take the lower or upper `share` of the graded range, and stay within the statutory one;
    - the range is rounded inward to the fen; a range under one fen leaves no fine at all.

    Examples:
        Fixed 200 yuan and 从轻或者减轻 ⇒ 减轻, 0 up to (not including) 200:

        >>> D = Decimal
        >>> r = adjust_range((D(200), D(200)), (D(200), D(200)), frozenset({"lighter_or_reduced"}), D("0.5"))
        >>> r.lo, r.hi, r.adjustment, r.reduced_ceiling
        (Decimal('0.00'), Decimal('200.00'), 'reduced', Decimal('200'))
        >>> [n.text for n in r.notes][0]
        '法定罚款为固定数额，无从轻余地；应当从轻或者减轻的，予以减轻'

        No lower bound ⇒ 减轻 reads as 从轻, the lower half of 0..1000:

        >>> r = adjust_range((D(0), D(1000)), (D(0), D(1000)), frozenset({"reduced"}), D("0.5"))
        >>> r.fine, r.adjustment
        ((Decimal('0.00'), Decimal('500.00')), 'lighter')

        从重 with a ground to 从轻 ⇒ 从轻 only; 从重 alone ⇒ the upper 30 %:

        >>> adjust_range((D(200), D(1000)), (D(200), D(1000)), frozenset({"heavier", "lighter"}), D("0.3")).fine
        (Decimal('200.00'), Decimal('440.00'))
        >>> adjust_range((D(200), D(1000)), (D(200), D(1000)), frozenset({"heavier"}), D("0.3")).fine
        (Decimal('760.00'), Decimal('1000.00'))

        A benchmark grade beyond the statute is held to it; a multiple of a tiny amount is no fine:

        >>> adjust_range((D(200), D(1000)), (D(100), D(2000)), frozenset(), None).fine
        (Decimal('200.00'), Decimal('1000.00'))
        >>> r = adjust_range((D("0.001"), D("0.004")), (D("0.001"), D("0.004")), frozenset(), None)
        >>> r.fine, r.notes[-1].rule
        (None, 'RANGE-ZERO')
    """
    # a pure function of its arguments, remembered (bounded); the one result that keeps an argument's own form,
    # the 减轻 ceiling (the statutory minimum), is given back as this call's
    key = (statutory, graded, kinds, share)
    got = _RANGES.get(key)
    if got is None:
        got = _RANGES[key] = _adjust_range(statutory, graded, kinds, share)
    if got.reduced_ceiling is not None:
        got = got._replace(reduced_ceiling=statutory[0])
    return got


def _adjust_range(statutory: tuple[Decimal, Decimal], graded: tuple[Decimal, Decimal], kinds: frozenset[str],
                  share: Decimal | None) -> RangeResult:
    """`adjust_range`, worked out."""
    stat_lo, stat_hi = statutory
    lo, hi = graded
    kinds = set(kinds)
    notes: list[RangeNote] = []
    mitigating = kinds & _MITIGATING
    adjustment, ceiling = "none", None
    if "heavier" in kinds and mitigating:
        notes.append(RangeNote("RANGE-ADJUST", f"{LAW}第三十条、第三十二条", "同时存在应当从轻或者减轻的情形，不再从重"))
        kinds.discard("heavier")
    if stat_lo == stat_hi and "lighter_or_reduced" in kinds and "reduced" not in kinds and stat_lo > 0:
        # a fixed amount leaves no room to 从轻: the mandatory 从轻或者减轻 can only be 减轻
        kinds.add("reduced")
        notes.append(RangeNote("RANGE-ADJUST", "lighter", "法定罚款为固定数额，无从轻余地；应当从轻或者减轻的，予以减轻"))
    if "reduced" in kinds and stat_lo == 0:
        notes.append(RangeNote("RANGE-ADJUST", "item", "法定罚款无下限，减轻处罚即在幅度内从轻"))
        kinds.discard("reduced")
        kinds.add("lighter")
    if "reduced" in kinds:
        adjustment = "reduced"
        lo, hi = Decimal(0), stat_lo
        ceiling = stat_lo
        notes.append(RangeNote("RANGE-ADJUST", "reduced",
                               f"减轻处罚：罚款数额应低于法定最低罚款{dec(stat_lo)}元（不含{dec(stat_lo)}元本数），"
                               f"或者依法不处罚款"))
    elif mitigating:
        adjustment = "lighter"
        if share is not None:
            hi = lo + (hi - lo) * share
        notes.append(RangeNote("RANGE-ADJUST", "lighter",
                               f"从轻处罚：在幅度内选择较低限度（下端{_pct(share)}），即{dec(lo)}元至{dec(hi)}元"))
    elif "heavier" in kinds:
        adjustment = "heavier"
        if share is not None:
            lo = hi - (hi - lo) * share
        notes.append(RangeNote("RANGE-ADJUST", "heavier",
                               f"从重处罚：在幅度内选择较高限度（上端{_pct(share)}），即{dec(lo)}元至{dec(hi)}元"))
    if adjustment != "reduced":
        # 从轻、从重 and benchmark grades stay inside the statutory range; only 减轻 goes below it (art. 32)
        lo, hi = max(lo, stat_lo), min(hi, stat_hi)
    lo, hi = max(lo, Decimal(0)), max(hi, Decimal(0))
    lo, hi = lo.quantize(CENT, rounding=ROUND_CEILING), hi.quantize(CENT, rounding=ROUND_FLOOR)
    if hi <= 0 or lo > hi:
        # a multiple of a small amount can round to less than a cent: there is then no fine to impose
        notes.append(RangeNote("RANGE-ZERO", "item", f"按本案数额计算的罚款不足一分钱（{dec(lo)}元至{dec(hi)}元），不处罚款"))
        return RangeResult(None, None, adjustment, ceiling, tuple(notes))
    return RangeResult(lo, hi, adjustment, ceiling, tuple(notes))


def proposal_points(chosen: Assessment, home: Program) -> list[Decimal]:
    """Where to try the decision rules when no fine is proposed: both ends of the range and each side of every
    threshold inside it, so a rule that holds for part of the range is found and stated with its condition."""
    lo, hi = chosen.fine  # type: ignore[misc]
    return list(prepared(home).proposal_points(lo, hi, chosen.reduced_ceiling))


def _yuan(amount: m.Amount, typed: dict, code: str) -> tuple[Decimal, Decimal]:
    """An amount in yuan for this case: a yuan range as it is, a percentage or multiple of the stated quantity.

    Raises:
        CaseError: the quantity is not stated, or stated as 无法确定.
    """
    if amount.kind == "range":
        return amount.low, amount.high
    name = amount.of.name  # type: ignore[union-attr]
    q = typed.get(f"facts.{name}")
    if q is None and typed.get(f"undeterminable.{name}"):
        raise CaseError([CaseProblem(path=f"facts.{name}", code="undeterminable_amount",
                                     message=f"the case states {name!r} 无法确定, but item {code} computes its fine "
                                             f"from it: the item (or benchmark grade) for an undeterminable amount "
                                             f"applies")])
    if q is None:
        raise CaseError([CaseProblem(path=f"facts.{name}", code="missing_fact",
                                     message=f"item {code} computes its fine from {name!r}; declare it in facts")])
    return amount.low * q, amount.high * q


def _pct(share: Decimal | None) -> str:
    return f"{dec(share * 100)}%" if share is not None else "全幅度（未设定比例参数）"


def _rules_basis(prog: Program, adjusts: list[tuple[str, str]], kind: str) -> str:
    """The bases of the rules (or list ids) that asked for adjustment `kind` (从轻或者减轻 counts as 从轻)."""
    out = []
    for k, rid in adjusts:
        if k == kind or (kind == "lighter" and k == "lighter_or_reduced"):
            out.append(basis_of(prog.rules[rid]) if rid in prog.rules else rid)
    return "；".join(dict.fromkeys(out)) or LAW


