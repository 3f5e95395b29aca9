"""Open questions: the facts a case leaves open that would change its decision, with the decision under each answer.

Owns `open_questions`. A candidate is a fact some condition bearing on the case reads and the case does not
state (harm, age, a precondition, a grading fact, the prior violations, the proposed fine …); `three_valued`
tells which conditions it leaves undecided. The case is then decided again under each possible value (members,
or one value on each side of every threshold); only a fact whose values give different decisions becomes a
question, its answers grouped and worded as a reviewer reads them (2000元以上, 不足2000元).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, Callable, Iterator, Mapping, Protocol

from engine.assess import Assessment, basis_of, dec, proposal_points
from engine.case import Case, PriorViolation
from engine import _durable
from engine.conditions import paths_of
from engine.compiler import CRule, Program, predicate
from engine.decision import ADJUSTMENT_LABELS, OUTCOME_LABELS, Answer, Decision, Question, fine_text
from engine._durable import MatcherError
from engine.errors import CaseError, EvaluationError
from engine.numbers import CENT
from engine.periods import add_years

__all__ = ["Compiled", "Judged", "compiled", "kleene", "open_questions", "three_valued", "undecided_by", "values_of"]


class Judged(Protocol):
    """What the open-question analysis reads of an evaluation (`evaluate._Run`)."""

    decision: Decision
    home: Program
    chosen: Assessment
    facts1: dict
    facts2: dict
    conditional: list[tuple[CRule, str]]
    case: Case


_HARM = {"none": "未造成危害后果", "minor": "危害后果轻微", "serious": "危害后果严重"}


def open_questions(c: Case, run: Judged, decide: Callable[[Case], Decision],
                   propose: Callable[[Decimal], Decision]) -> tuple[Question, ...]:
    """Every fact the case leaves open that would change the decision, with the decision under each answer.

    A candidate is a fact the case does not state that some condition bearing on this case reads; it becomes a
    question only when evaluating the case under its possible values gives different decisions.

    Args:
        c: the case as judged.
        run: what the evaluation computed (`evaluate._Run`).
        decide: the decision on a patched case, without checking a proposed fine against the range.
        propose: the decision under a proposed fine inside the computed range (only the decision rules change).
    """
    home, chosen = run.home, run.chosen
    comp = home.composite
    scan = _scan(home, c.item)
    stated = run.facts1
    candidates: dict[str, list[str]] = {}
    individual = c.party.kind == "individual"

    def is_open(p: str) -> bool:
        return (p not in stated and not (p[:15] == "undeterminable." and "facts." + p[15:] in stated)
                and not (p == "party.age" and not individual))

    def note(cond: tuple, stage: int, provision: str, open_: list[str]) -> None:
        for path in undecided_by(cond, run.facts1 if stage == 1 else run.facts2, open_):
            found = candidates.setdefault(path, [])
            if provision not in found:
                found.append(provision)

    # the paths the policy rules read that this case leaves open, judged once per path, not once per rule: a rule
    # reading none of them is passed over by one set test
    open_rules = {p for p in scan.rule_paths if is_open(p)}
    for (cond, stage, provision, paths), reads in zip(scan.rules, scan.rule_reads):
        if not open_rules.isdisjoint(reads):
            note(cond, stage, provision, [p for p in paths if p in open_rules])
    for cond, stage, provision, paths in scan.own:
        open_ = [p for p in paths if is_open(p)]
        if open_:
            note(cond, stage, provision, open_)
    item = home.items[c.item]
    for req in item.requires:
        path = f"facts.{req.name}"
        if path not in stated:
            candidates.setdefault(path, []).insert(0, "；".join(item.basis))
    bench = home.benchmarks.get(c.item)
    for path in chosen.open_paths:  # the benchmark's column for 个体工商户
        candidates.setdefault(path, []).append("；".join(bench.sources) if bench else "")
    out = []
    said: dict[int, tuple[Decision, str]] = {}  # each decision's summary, once (probes share decisions)
    rank = {"party.age": 0, "circumstances.harm": 1}
    for path, provisions in sorted(candidates.items(), key=lambda kv: (rank.get(kv[0], 2), kv[0])):
        values = _values(path, comp, scan)
        q = _probe(c, run, decide, propose, path, values, said)
        if q is not None:
            # the case field a handler fills in: the amount (or "无法确定") and the history, not the derived paths
            shown = ("facts." + path[len("undeterminable."):] if path.startswith("undeterminable.") else
                     "history" if path.startswith("history.") else path)
            out.append(Question(field=shown, provision="；".join(dict.fromkeys(provisions)), why=_why(path, comp), answers=q))
    if run.conditional and c.proposed_fine is None and chosen.fine is not None:
        values = [(x, None) for x in proposal_points(chosen, home)]
        q = _probe(c, run, decide, propose, "proposed_fine", values, said)
        if q is not None:
            out.append(Question(field="proposed_fine", provision="；".join(dict.fromkeys(basis_of(r) for r, _ in run.conditional)),
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
    k = compiled(cond)
    try:
        return k.combine([None if path == unknown else test(facts) for _, path, test in k.leaves])
    except MatcherError as exc:
        raise _failed(exc) from None


def kleene(cond: tuple, facts: Mapping, undecided: Callable[[tuple], bool]) -> bool | None:
    """A resolved condition on `facts` in three values (Kleene's): a leaf for which `undecided(leaf)` is true is
    neither true nor false; every other leaf is tested as the matcher tests it, all of them, in order.

    Serves `three_valued` (one fact unknown) and `evaluate._applies` (every fact the case does not state).

    Examples:
        >>> c = ("or", [("cmp", "facts.a", ">", 1), ("missing", "facts.b")])
        >>> kleene(c, {"facts.b": 1}, lambda leaf: leaf[1] == "facts.a"), kleene(c, {"facts.b": 1}, lambda leaf: False)
        (None, False)
    """
    k = compiled(cond)
    try:
        return k.combine([None if undecided(leaf) else test(facts) for leaf, _, test in k.leaves])
    except MatcherError as exc:
        raise _failed(exc) from None


def undecided_by(cond: tuple, facts: Mapping, paths: list[str]) -> list[str]:
    """The paths of `paths` each of which, alone not known, leaves `cond` undecided on `facts`: those for which
    `three_valued(cond, facts, path)` is None, in the order given. Each leaf is tested once, not once per path.

    Examples:
        >>> c = ("or", [("cmp", "facts.a", "==", True), ("and", [("cmp", "facts.b", ">", 1), ("missing", "facts.c")])])
        >>> undecided_by(c, {"facts.b": 0}, ["facts.a", "facts.c"]), undecided_by(c, {"facts.b": 2}, ["facts.a", "facts.c"])
        (['facts.a'], ['facts.c'])
    """
    try:
        return _undecided_by(compiled(cond), facts, paths)
    except MatcherError as exc:
        raise _failed(exc) from None


def _undecided_by(k: Compiled, facts: Mapping, paths: list[str]) -> list[str]:
    leaves = k.leaves
    # every one of `paths` unknown, every other leaf tested in order as three_valued does (a failure raises alike)
    vals = [None if path in paths else test(facts) for _, path, test in leaves]
    # decided with all of them unknown, it is decided with any one unknown (knowing more never undecides)
    if k.combine(vals) is not None:
        return []
    if len(paths) == 1:  # the one unknown: that was three_valued itself
        return list(paths)
    out = []
    for p in paths:
        # a leaf on another of `paths`, tested (in order) only when some other path is the unknown one
        for j, (_, path, test) in enumerate(leaves):
            if vals[j] is None and path != p and path in paths:
                vals[j] = test(facts)
        if k.combine([None if path == p else v for (_, path, _), v in zip(leaves, vals)]) is None:
            out.append(p)
    return out


class Compiled:
    """A condition compiled for three-valued evaluation, once per condition: its leaves in the order the
    matcher's predicate tests them (each with its path and test) and `combine`, which folds the leaves' values
    (True, False or None for undecided) by the condition's and/or tree as Kleene's logic does. `combine` depends
    only on the tree's shape, so it is built once per shape, not per condition."""

    __slots__ = ("cond", "leaves", "combine")

    def __init__(self, cond: tuple) -> None:
        self.cond = cond  # kept: the cache is keyed by its id
        leaves: list[tuple] = []
        shape = _flatten(cond, leaves)
        try:  # the matcher's own tests: the callers turn its failure into an EvaluationError, as `predicate` does
            tests = [_durable.predicate(leaf) for leaf in leaves]
        except Exception:  # a leaf the matcher refuses: refused when it is tested, as before, not when compiled
            tests = [_deferred(leaf) for leaf in leaves]
        self.leaves = tuple((leaf, leaf[1], test) for leaf, test in zip(leaves, tests))
        combine = _SHAPES.get(shape)
        if combine is None:
            combine = _SHAPES[shape] = _combiner(cond)
        self.combine: Callable[[list], bool | None] = combine

    def holds(self, facts: Mapping) -> bool:
        """The condition on `facts` in two values, as the matcher's predicate (`compiler.predicate`) gives it."""
        try:
            return self.combine([test(facts) for _, _, test in self.leaves])  # type: ignore[return-value]
        except MatcherError as exc:
            raise _failed(exc) from None


def compiled(cond: tuple) -> Compiled:
    """The `Compiled` form of a resolved condition, built once per condition object (conditions live as long as
    their program; the object is kept beside its id so the id stays its own)."""
    got = _COMPILED.get(id(cond))
    if got is not None and got.cond is cond:
        return got
    if len(_COMPILED) >= 1 << 17:  # bounded: a process that loads ruleset after ruleset starts again
        _COMPILED.clear()
    got = _COMPILED[id(cond)] = Compiled(cond)
    return got


_COMPILED: dict[int, Compiled] = {}
_SHAPES: dict[str, Callable[[list], bool | None]] = {}


def _flatten(cond: tuple, leaves: list) -> str:
    """Append the leaves of `cond` to `leaves` in order; return its shape (the tree without its leaves)."""
    if cond[0] in ("and", "or"):
        return cond[0] + "(" + ",".join(_flatten(x, leaves) for x in cond[1]) + ")"
    leaves.append(cond)
    return "."


def values_of(tests: list, facts: Mapping) -> tuple[bool, ...]:
    """The values of `tests` (leaf tests of `Compiled.leaves`, or `Compiled.holds`) on `facts`, in order; a
    matcher failure is an `EvaluationError`, worded as `compiler.predicate` words it."""
    try:
        return tuple([test(facts) for test in tests])
    except MatcherError as exc:
        raise _failed(exc) from None


def _failed(exc: MatcherError) -> EvaluationError:
    """The error of a failing leaf test, worded as `compiler.predicate` words it."""
    return EvaluationError(f"the rule matcher failed: {exc}")


def _deferred(leaf: tuple) -> Callable[[Mapping], bool]:
    return lambda facts: predicate(leaf)(facts)


def _combiner(cond: tuple) -> Callable[[list], bool | None]:
    """A function of the leaves' values that folds them by the tree of `cond` (Kleene's and/or), as straight-line
    code: one call per condition instead of one per node."""
    lines: list[str] = []
    count = [0]

    def walk(node: tuple) -> str:
        if node[0] not in ("and", "or"):
            count[0] += 1
            return f"v[{count[0] - 1}]"
        parts = [walk(x) for x in node[1]]
        t = f"n{len(lines)}"
        tup = "(" + ", ".join(parts) + (",)" if parts else ")")
        no, yes = ("False", "True") if node[0] == "and" else ("True", "False")
        lines.append(f"{t} = {tup}; {t} = {no} if {no} in {t} else None if None in {t} else {yes}")
        return t

    root = walk(cond)
    src = "def combine(v):\n" + "".join(f"    {line}\n" for line in lines) + f"    return {root}\n"
    scope: dict = {}
    exec(compile(src, "<questions.combine>", "exec"), scope)  # noqa: S102 - built from the tree's shape alone
    return scope["combine"]


class _Scan:
    """What the open-question analysis reads of a program for one item, once: the conditions bearing on the item,
    each with the stage whose facts decide it (1 or 2), its provision and the sorted paths it reads that a case may
    leave open (the policy rules' part shared by every item of the program, then the item's own); and, filled as
    asked, the numbers each path is compared with."""

    __slots__ = ("rules", "own", "rule_reads", "rule_paths", "thresholds")

    def __init__(self, rules: tuple, own: tuple, rule_reads: tuple[frozenset, ...], rule_paths: frozenset) -> None:
        self.rules, self.own = rules, own
        # each rule's paths as a set, and all of them: shared by every item of the program (nothing per item)
        self.rule_reads, self.rule_paths = rule_reads, rule_paths
        self.thresholds: dict[str, list] | None = None

    @property
    def conds(self) -> Iterator[tuple[tuple, int, str, tuple[str, ...]]]:
        """The conditions in order: stage-1 rules, stage-2 rules, benchmark, list entries, the item's own."""
        yield from self.rules
        yield from self.own

    def compared_with(self, path: str) -> list:
        """Every number a condition of the item compares the fact at `path` with."""
        if self.thresholds is None:
            self.thresholds = {}
        found = self.thresholds.get(path)
        if found is None:
            found = self.thresholds[path] = [v for cond, _, _, _ in self.conds for v in _compared_with(cond, path)]
        return found


def _open_paths(cond: tuple) -> tuple[str, ...]:
    """The sorted paths `cond` reads that a case may leave open (sorted: set order differs between processes)."""
    return tuple(p for p in sorted(paths_of(cond)) if p.startswith(("facts.", "undeterminable.", "history.prior_"))
                 or p in ("circumstances.harm", "party.age", "party.sole_trader"))


def _scan(home: Program, code: str) -> _Scan:
    """The `_Scan` of item `code` in `home`, built once per program and item (the conditions live as long as the
    program): its stage-1 and stage-2 rules, benchmark conditions, list entries and own condition, in that order."""
    known = home.__dict__.setdefault("_question_scan", {})
    found = known.get(code)
    if found is not None:
        return found
    conds: list[tuple[tuple, int, str, tuple[str, ...]]] = []

    def add(cond: tuple | None, stage: int, provision: str) -> None:
        if cond:
            paths = _open_paths(cond)
            if paths:
                conds.append((cond, stage, provision, paths))

    shared = known.get(None)  # the policy rules' part, the same for every item: built once, shared
    if shared is None:
        for r in home.stage1:
            add(r.cond, 1, basis_of(r))
        for r in home.stage2:
            add(r.cond, 2, basis_of(r))
        rules = tuple(conds)
        reads = tuple(frozenset(paths) for _, _, _, paths in rules)
        shared = known[None] = (rules, reads, frozenset().union(*reads))
        conds.clear()
    bench = home.benchmarks.get(code)
    if bench is not None:
        sources = "；".join(bench.sources)
        for x in bench.conds:
            add(x, 1, sources)
    for e in home.entries.get(code, ()):
        add(e.cond, 1, e.list_title)
    if code in home.item_conditions:
        add(home.item_conditions[code], 1, "；".join(home.items[code].basis))
    rules, reads, paths = shared
    found = known[code] = _Scan(rules, tuple(conds), reads, paths)
    return found


def _values(path: str, comp, scan: _Scan) -> list[tuple[Any, str | None]]:
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
        counts = sorted({0, 1, 2} | {int(v) for v in scan.compared_with(path) if 0 <= v <= 5})
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
    consts = sorted({Decimal(str(v)) for v in scan.compared_with(path)})
    unit = Decimal(1) if t == "integer" else CENT
    pts = {Decimal(0)}
    for k in consts:
        pts.update(x for x in (k - unit, k, k + unit) if x >= 0)
    return [(x, None) for x in sorted(pts)]


def _compared_with(cond: tuple, path: str) -> list:
    """The numbers `cond` compares the fact at `path` with (its thresholds)."""
    if cond[0] in ("and", "or"):
        return [v for x in cond[1] for v in _compared_with(x, path)]
    return [cond[3]] if cond[0] == "cmp" and cond[1] == path and not isinstance(cond[3], (bool, str)) else []


def _patched(c: Case, path: str, value: Any) -> Case:
    """The case with the open fact at `path` answered by `value` (a history of `value` prior violations inside the
    window `history.prior_Ny` counts and outside the next narrower one)."""
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
        when = add_years(c.occurred_on, 1 - years) - timedelta(days=1)  # inside this window, outside the narrower
        return c.model_copy(update={"history": tuple(PriorViolation(decided_on=when) for _ in range(value))})
    return c.model_copy(update={"facts": {**c.facts, path[len("facts."):]: value}})


def _probe(c: Case, run: Judged, decide: Callable[[Case], Decision], propose: Callable[[Decimal], Decision], path: str,
           values: list, said: dict) -> tuple[Answer, ...] | None:
    """Evaluate the case under each value; None when every value gives the stated facts' decision. `said` holds
    the summaries of the decisions already met in this evaluation, by decision."""
    results: list[tuple[Any, str | None, str]] = []
    for value, label in values:
        try:
            if path == "proposed_fine":  # the points lie inside the computed range: only stage 2 changes
                d = propose(value)
            else:
                patched = _patched(c, path, value)
                # an answer that leaves the case as stated ("能够确定" without an amount) gives the decision itself
                d = run.decision if patched is c else decide(patched)
            got = said.get(id(d))
            if got is None or got[0] is not d:
                got = said[id(d)] = (d, _summary(d, run.decision))  # the decision kept: its id stays its own
            results.append((value, label, got[1]))
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


def _is_money(path: str, run: Judged) -> bool:
    """Whether the open fact is an amount of money (its answers then read in 元)."""
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
            return f"不足{dec(b)}{unit}", f"{dec(b)}{unit}以上"
        return f"{dec(a)}{unit}以下", f"超过{dec(a)}{unit}"

    last = len(groups) - 1
    if last == 0:
        return f"为{dec(vals[0])}{unit}至{dec(vals[-1])}{unit}"
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
    """Why the question is asked: what the case leaves open and what turns on it, in Chinese."""
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
