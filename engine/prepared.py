"""What decisions repeat, prepared once per compiled program: a rule's explanation step, flags and transfers.

Owns `FlagHit` and `prepared(prog)`, the `Prepared` texts of one `compiler.Program`, built lazily on first use
and kept with the program (it is read-only once built, so they stay true as long as it lives). A policy rule's
step, flags, transfers and procedure depend only on the rule (and, for a decision rule that holds under a
condition, on that condition's words), so they are built once and shared: the decision models are frozen, so
one `Step` or `Flag` can sit in many decisions without one caller's decision reaching another's. What depends
on the case (a township's county retention names both bodies) is left to the caller.

Besides, what one evaluation asks again as its open questions decide the case again (the jurisdiction at a place
and item, the rules that apply among the matched ones, the proposal points of a fine range, a conditional rule's
words) is remembered here, each memo bounded (`_BOUND` entries, then cleared), so a long stream of cases holds no
more than that.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Mapping, NamedTuple

from engine.conditions import paths_of, scalar
from engine.decision import SET_ASIDE, Assumption, DecisionItem, Flag, Handler, Step, Transfer
from engine.jurisdiction import decide_jurisdiction, list_items
from engine.model import for_party
from engine.numbers import CENT

if TYPE_CHECKING:
    from engine.case import Case
    from engine.compiler import CRule, Program

__all__ = ["FlagHit", "Memo", "Prepared", "Stage1Texts", "Stage2Texts", "prepared"]

# the outcomes a stage-1 action can give (the same keys as `assess.OUTCOME_ORDER`)
_OUTCOMES = frozenset({"time_barred", "no_penalty", "may_waive"})
# the most entries a per-case memo keeps (cleared when full): bounded memory however many cases a program serves
_BOUND = 4096


class Memo(dict):
    """A dict of remembered answers that starts again (is cleared) when a new key would make it hold more than
    `_BOUND` entries: however many cases a program serves, a memo holds no more than that."""

    __slots__ = ()

    def __setitem__(self, key, value) -> None:
        if len(self) >= _BOUND and key not in self:
            self.clear()
        dict.__setitem__(self, key, value)


_PROPOSED = "penalty.fine.proposed"
_ABSENT = object()  # a path the facts do not hold


class FlagHit(NamedTuple):
    """A legal-check flag a rule raised: its code, why, the rule's basis, and the condition it holds under
    (None: outright; else the proposed-fine condition in Chinese, e.g. 拟罚款在2000元以上)."""

    code: str
    reason: str
    basis: str
    condition: str | None = None


class Stage1Texts(NamedTuple):
    """What a stage-1 rule that applies contributes: outcomes and adjustments (kind, rule id), flags, transfers
    and its explanation step."""

    outcomes: tuple[tuple[str, str], ...]
    adjusts: tuple[tuple[str, str], ...]
    flags: tuple[FlagHit, ...]
    transfers: tuple[Transfer, ...]
    step: Step


class Stage2Texts(NamedTuple):
    """What a decision rule that applies outright contributes when it retains nothing for the county: flags,
    transfers, the procedure it sets (None: none) and its explanation step; and whether it has a ``retain``
    action (then, for a case an empowered township handles, the caller builds them with both bodies' names)."""

    flags: tuple[FlagHit, ...]
    transfers: tuple[Transfer, ...]
    procedure: str | None
    step: Step
    retains: bool


class Prepared:
    """The texts of one program's decisions, each built on first use (`prepared`)."""

    def __init__(self, prog: Program):
        # what the methods read of the program, not the program itself: it holds this object (no cycle to collect)
        self._comp, self._items_of = prog.composite, prog.items
        self._categories, self._rules = prog.categories, prog.rules
        self._statutory, self._fine_names = prog.statutory, prog.fine_names
        self.version = prog.version  # `Program.version`, written in every decision
        self.order2 = {r.id: i for i, r in enumerate(prog.stage2)}  # the decision rules' order
        # flags declared `ordinary` (they belong to the ordinary procedure), in declaration order
        self.ordinary = tuple(code for code, decl in prog.composite.flags.items() if decl.ordinary)
        # each side of every proposal threshold, to the fen (`assess.proposal_points`)
        self.threshold_points = tuple((t - CENT, t, t + CENT)
                                      for t in (Decimal(str(x)) for x in prog.proposal_thresholds))
        # the fact paths of the measures and penalty kinds some rule reads (`evaluate._base_facts`, `_decision_facts`)
        self.measure_keys = tuple((s, f"measures.{s}") for s in prog.read_measures)
        self.no_measures = {key: False for _, key in self.measure_keys}
        self.kind_keys = tuple((s, f"penalty.kinds.{s}") for s in prog.read_kinds)
        # the agencies whose name or 名义 is unconfirmed, in declaration order (the premises a handler adds)
        self.unconfirmed_agencies = tuple(ag for ag in prog.composite.agencies.values() if ag.meta.unconfirmed)
        self.unconfirmed_params = frozenset(n for n, p in prog.composite.parameters.items() if p.meta.unconfirmed)
        # the rules that read an unconfirmed parameter, with those parameters (`evaluate._assumptions`)
        self.unconfirmed_param_rules = {rid: frozenset(r.params) & self.unconfirmed_params
                                        for rid, r in prog.rules.items()
                                        if r.params and not self.unconfirmed_params.isdisjoint(r.params)}
        self.param_premises: dict[str, Assumption] = {}  # parameter → the premise it adds (`evaluate._assumptions`)
        # whether any penalty list is unconfirmed (only such a list adds a premise)
        self.unconfirmed_lists = any(pl.meta.unconfirmed for pl in prog.composite.penalty_lists.values())
        self.places_ok = Memo()  # (county, township, zone) checked without a problem (`evaluate._validate`)
        self.close_items = Memo()  # an unknown item code → the close codes offered for it (`evaluate._validate`)
        self._list_items: dict[str, frozenset[str]] = {}
        self._basis: dict[str, str] = {}
        self._stage1: dict[str, Stage1Texts] = {}
        self._stage2: dict[str, Stage2Texts] = {}
        self._cond: dict[tuple[str, str], tuple[tuple[FlagHit, ...], Step]] = {}
        self._aside: dict[tuple[str, tuple[str, ...]], Step] = {}
        self._flags: dict[tuple, Flag] = Memo()
        self._items: dict[str, DecisionItem] = Memo()
        self._jurisdiction: dict[tuple, tuple] = Memo()
        self._reads: dict[str, tuple[str, ...]] = {}
        self._words: dict[tuple, str] = Memo()
        self._fired: dict[tuple[str, ...], tuple] = Memo()
        self._points: dict[tuple, tuple[Decimal, ...]] = Memo()
        self._across: dict[tuple, tuple] = Memo()
        self._penalty: dict[tuple[str, str], tuple] = Memo()
        self._item_facts: dict[str, tuple[str, str]] = Memo()
        self._item_unconfirmed: dict[str, tuple] = Memo()
        self._penalty_facts: dict[tuple, dict] = Memo()

    def jurisdiction(self, c: Case, prog: Program) -> tuple[Handler, int, tuple[Step, ...], list]:
        """`jurisdiction.decide_jurisdiction` on this program (`prog`) for the case's place and item, remembered
        per place and item (the open questions decide a case again at the same place); the steps as a tuple, as
        they are shared."""
        p = c.place
        key = (p.county, p.township, p.zone, c.item)
        got = self._jurisdiction.get(key)
        if got is None:
            handler, n, steps, cands = decide_jurisdiction(c, prog)
            got = self._jurisdiction[key] = (handler, n, tuple(steps), cands)
        return got

    def penalty_of(self, code: str, party: str) -> tuple[str, tuple, tuple[str, ...], object]:
        """What item `code`'s article gives a `party` (``individual``/``organisation``): the item's basis as one
        text, its sanctions for the party, their names, and the fine among them that has an amount (None: none);
        remembered per item and party (bounded)."""
        key = (code, party)
        got = self._penalty.get(key)
        if got is None:
            sanctions = for_party(self._statutory[code], party) or ()
            decls = self._comp.sanctions
            fine = next((s for s in sanctions if decls[s.name.name].is_fine and s.amount), None)
            got = self._penalty[key] = ("；".join(self._items_of[code].basis), sanctions,
                                        tuple(s.name.name for s in sanctions), fine)
        return got

    def penalty_facts(self, adjustment: str, graded: bool, fine: tuple[Decimal, Decimal] | None,
                      kinds: tuple[str, ...], fixed: bool) -> dict:
        """The stage-2 facts of a penalty (`evaluate._decision_facts`), in the order they are written; remembered
        per penalty (bounded; read-only: callers copy them into their facts)."""
        key = (adjustment, graded, fine, kinds, fixed)
        got = self._penalty_facts.get(key)
        if got is None:
            got = {"penalty.adjustment": adjustment, "penalty.graded": graded, "penalty.has_fine": fine is not None}
            if fine is not None:
                got["penalty.fine.min"] = scalar(fine[0])
                got["penalty.fine.max"] = scalar(fine[1])
            got["penalty.only_fine_or_warning"] = all(k in self._fine_names or k == "警告" for k in kinds)
            for s, path in self.kind_keys:
                got[path] = s in kinds
            got["penalty.fine.fixed"] = fixed
            self._penalty_facts[key] = got
        return got

    def item_facts(self, code: str) -> tuple[str, str]:
        """Item `code`'s domain ("" without one) and category, as the stage-1 facts state them."""
        got = self._item_facts.get(code)
        if got is None:
            item = self._items_of[code]
            got = self._item_facts[code] = (item.domain.name if item.domain else "", self._categories[code])
        return got

    def item_unconfirmed(self, code: str) -> tuple:
        """Item `code`'s meta when it is unconfirmed (else None), and the name of its domain when the domain is
        declared and unconfirmed (else None): the premises `evaluate._assumptions` adds for the item."""
        got = self._item_unconfirmed.get(code)
        if got is None:
            item, domains = self._comp.items[code], self._comp.domains
            domain = item.domain.name if item.domain and item.domain.name in domains else None
            got = self._item_unconfirmed[code] = (
                item.meta if item.meta.unconfirmed else None,
                domain if domain is not None and domains[domain].meta.unconfirmed else None)
        return got

    def list_items(self, name: str) -> frozenset[str]:
        """The item codes of list `name`, with the lists it includes (`jurisdiction.list_items`)."""
        got = self._list_items.get(name)
        if got is None:
            got = self._list_items[name] = frozenset(list_items(self._comp, name))
        return got

    def basis(self, r: CRule) -> str:
        """A rule's legal basis as one text."""
        b = self._basis.get(r.id)
        if b is None:
            b = self._basis[r.id] = "；".join(r.basis)
        return b

    def stage1(self, r: CRule) -> Stage1Texts:
        """What stage-1 rule `r` contributes when it applies."""
        got = self._stage1.get(r.id)
        if got is not None:
            return got
        basis = self.basis(r)
        outcomes, adjusts, flags, transfers, texts = [], [], [], [], []
        for act in r.actions:
            if act.kind in _OUTCOMES:
                outcomes.append((act.kind, r.id))
            elif act.kind == "adjust":
                adjusts.append((act.arg or "", r.id))
            elif act.kind == "flag":
                flags.append(FlagHit(act.arg or "", act.text or r.title, basis))
            elif act.kind == "transfer":
                transfers.append(Transfer(to=act.arg or "", reason=act.text or r.title, basis=basis))
            if act.text and act.kind != "flag":
                texts.append(act.text)
        step = Step(rule=r.id, basis=basis, text=r.title + (f"：{'；'.join(texts)}" if texts else ""))
        got = self._stage1[r.id] = Stage1Texts(tuple(outcomes), tuple(adjusts), tuple(flags), tuple(transfers), step)
        return got

    def stage2(self, r: CRule) -> Stage2Texts:
        """What decision rule `r` contributes when it applies outright and retains nothing (no ``retain`` action,
        or the case is not handled by an empowered township): the caller handles a retention itself."""
        got = self._stage2.get(r.id)
        if got is not None:
            return got
        basis = self.basis(r)
        flags, transfers, texts = [], [], []
        procedure = None
        for act in r.actions:
            if act.kind == "flag":
                flags.append(FlagHit(act.arg or "", act.text or r.title, basis))
            elif act.kind == "procedure":
                procedure = act.arg or "ordinary"
            elif act.kind == "transfer":
                transfers.append(Transfer(to=act.arg or "", reason=act.text or r.title, basis=basis))
            if act.text and act.kind not in ("flag", "retain"):
                texts.append(act.text)
        step = Step(rule=r.id, basis=basis, text=r.title + (f"：{'；'.join(texts)}" if texts else ""))
        got = self._stage2[r.id] = Stage2Texts(tuple(flags), tuple(transfers), procedure, step,
                                               any(act.kind == "retain" for act in r.actions))
        return got

    def conditional(self, r: CRule, cond: str) -> tuple[tuple[FlagHit, ...], Step]:
        """The flags and step of decision rule `r` holding only under `cond` (the proposed fine's condition in
        Chinese), when it retains nothing for the county."""
        key = (r.id, cond)
        got = self._cond.get(key)
        if got is not None:
            return got
        basis = self.basis(r)
        flags, texts = [], []
        for act in r.actions:
            if act.kind == "flag":
                flags.append(FlagHit(act.arg or "", act.text or r.title, basis, cond))
            elif act.kind == "procedure" and act.arg == "simplified":
                texts.append("可以当场作出行政处罚决定（简易程序）")
            elif act.kind == "transfer":
                flags.append(FlagHit("TRANSFER", f"移送{act.arg}：{act.text or r.title}", basis, cond))
            elif act.text:
                texts.append(act.text)
        step = Step(rule=r.id, basis=basis, text=f"{r.title}——{cond}的适用" + (f"：{'；'.join(texts)}" if texts else ""))
        got = self._cond[key] = (tuple(flags), step)
        return got

    def set_aside(self, r: CRule, by: list[str]) -> Step:
        """The explanation step of rule `r`, which the exceptions `by` set aside."""
        key = (r.id, tuple(by))
        got = self._aside.get(key)
        if got is None:
            got = self._aside[key] = Step(rule=r.id, basis=self.basis(r),
                                          text=f"{r.title}——本案适用例外规则 {'、'.join(by)}，{SET_ASIDE}")
        return got

    def flag(self, code: str, cond: str | None, reasons: tuple[str, ...], bases: tuple[str, ...]) -> Flag:
        """The decision's flag `code` (under `cond`) with its merged reasons and bases; the label and, without a
        basis of its own, the basis its declaration gives."""
        key = (code, cond, reasons, bases)
        got = self._flags.get(key)
        if got is None:
            decls = self._comp.flags
            got = self._flags[key] = Flag(code=code, label=decls[code].label if code in decls else code,
                                          reason="；".join(reasons),
                                          basis="；".join(bases) or "；".join(decls[code].basis if code in decls else ()),
                                          condition=cond)
        return got

    def item(self, code: str) -> DecisionItem:
        """The decision's item `code` as this program states it."""
        got = self._items.get(code)
        if got is None:
            item = self._items_of[code]
            # a `Memo`: a catalogue of thousands of items keeps those of recent cases
            got = self._items[code] = DecisionItem(code=code, name=item.name,
                                                   domain=item.domain.name if item.domain else "",
                                                   category=self._categories[code])
        return got


    def proposal_words(self, r: CRule, facts: Mapping, words: Callable[[tuple, Mapping], str]) -> str:
        """`words(r.cond, facts)`, the Chinese condition on the proposed fine under which decision rule `r`
        holds, remembered per rule and the values of the other facts its condition reads (all it depends on)."""
        paths = self._reads.get(r.id)
        if paths is None:
            paths = self._reads[r.id] = tuple(sorted(paths_of(r.cond) - {_PROPOSED})) if r.cond else ()
        values = tuple(facts.get(p, _ABSENT) for p in paths)
        key = (r.id, values, tuple(map(type, values)))  # the type too: True == 1 in Python, not in the matcher
        try:
            got = self._words.get(key)
        except TypeError:  # a value that is no scalar: not remembered
            return words(r.cond, facts)
        if got is None:
            got = self._words[key] = words(r.cond, facts)
        return got

    def fired(self, ids: tuple[str, ...]) -> tuple[tuple[CRule, ...], tuple[tuple[CRule, list[str]], ...]]:
        """The rules of `ids` (one stage's matches) that apply, and those an exception among them sets aside
        (with the exceptions' ids): `assess.fired`'s answer, which depends on the ids alone."""
        key = ids
        got = self._fired.get(key)
        if got is None:
            rules = self._rules
            hits = [rules[i] for i in ids]
            ids_set = set(ids)
            overriders: dict[str, list[str]] = {}
            for r in hits:
                for t in r.exception_to:
                    if t in ids_set:
                        overriders.setdefault(t, []).append(r.id)
            got = self._fired[key] = (tuple(r for r in hits if r.id not in overriders),
                                      tuple((r, overriders[r.id]) for r in hits if r.id in overriders))
        return got

    def across(self, runs: tuple[tuple[str, ...], ...]) -> tuple[list, list, list[str]]:
        """The decision rules matched at several proposal points (`runs`, each point's matched ids): those that
        apply at every point, in rule order; those set aside at some point (with the exceptions' ids); and the ids
        of the rules that apply at some points only, in rule order. Remembered per `runs`."""
        got = self._across.get(runs)
        if got is None:
            fired = [self.fired(ids) for ids in runs]
            sets = [{r.id for r in s} for s, _ in fired]
            always = set.intersection(*sets)
            sometimes = set.union(*sets) - always
            order = self.order2
            surviving = sorted({r.id: r for s, _ in fired for r in s if r.id in always}.values(),
                               key=lambda r: order[r.id])
            overridden = list({r.id: (r, by) for _, o in fired for r, by in o if r.id not in always}.values())
            got = self._across[runs] = (surviving, overridden, sorted(sometimes, key=order.__getitem__))
        return got

    def proposal_points(self, lo: Decimal, hi: Decimal, ceiling: Decimal | None) -> tuple[Decimal, ...]:
        """`assess.proposal_points` for a fine range `lo`..`hi` (below `ceiling` under 减轻), remembered: the
        open questions decide a case again on the same range."""
        key = (lo, hi, ceiling)
        got = self._points.get(key)
        if got is None:
            pts = {lo, hi}
            for around in self.threshold_points:
                for x in around:
                    if lo <= x <= hi:
                        pts.add(x)
            if ceiling is not None:  # 减轻: the fine stays below the statutory minimum (本数 excluded)
                pts = {x for x in pts if x < ceiling} or {max(lo, ceiling - CENT)}
            got = self._points[key] = tuple(sorted(pts))
        return got


def prepared(prog: Program) -> Prepared:
    """The prepared texts of `prog`, built on first use and kept with it."""
    got = prog.__dict__.get("_prepared")
    if got is None:
        got = prog.__dict__["_prepared"] = Prepared(prog)
    return got
