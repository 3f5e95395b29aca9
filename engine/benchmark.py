"""Discretion benchmarks (裁量基准) applied to one case: the grade, its range, its measures, the factor sum.

Pure functions over a compiled benchmark (`compiler.CBenchmark`) and the case's facts: which grade applies
and why, the range it gives this kind of party (个人, 单位, 个体工商户), a warning-only or 不予处罚 grade, the
non-fine measures that scale with the grade (补种盗伐株数一倍以上二倍以下的树木), and the 裁量百分值 model
(several factors each adding a percentage that places the fine within the range). Each result carries the
explanation steps in a reviewer's words. `assess.assess` calls these; nothing here decides the outcome
of the case as a whole. `describe` is the one Chinese wording of an amount.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Mapping

from engine import model as m
from engine.conditions import paths_of
from engine.compiler import CBenchmark, CGrade
from engine.decision import ScaledMeasure, Step
from engine.numbers import CENT, decimal_text
from engine.vocabulary import BUILTIN

__all__ = ["BenchResult", "assess", "describe", "fact_label", "party_keys", "place_by_factors"]

_PARTY_WORDS = {"individual": "个人", "organisation": "单位", "sole_trader": "个体工商户"}


def _dec(x: Decimal) -> str:
    """A benchmark's amounts in its explanation: to the fen, half up, trailing zeros dropped (12.5元)."""
    return decimal_text(x, to_cent=ROUND_HALF_UP)


def _pct(x: Decimal) -> str:
    return f"{_dec(x * 100)}%"


def _words(comp) -> dict:
    """The words of `comp`'s facts this module builds (labels, units, amounts), each built once and kept with the
    composite (read-only once built, so they stay true as long as it lives)."""
    got = comp.__dict__.get("_benchmark_words")
    if got is None:
        got = comp.__dict__["_benchmark_words"] = {}
    return got


def _unit(comp, name: str) -> str:
    """The unit a declared fact is measured in: 元 for money, else the last （…） of its description."""
    words = _words(comp)
    key = ("unit", name)
    got = words.get(key)
    if got is None:
        decl = comp.facts.get(name)
        if decl is None:
            got = ""
        elif decl.type == "money":
            got = "元"
        else:
            found = re.search(r"（([^（）]{1,3})）$", decl.description or "")
            got = found.group(1) if found else ""
        words[key] = got
    return got


def fact_label(comp, name: str) -> str:
    """A fact's name as a reviewer reads it: the description without its unit, else the name."""
    words = _words(comp)
    key = ("label", name)
    got = words.get(key)
    if got is None:
        decl = comp.facts.get(name)
        desc = (decl.description if decl else None) or name
        got = words[key] = re.sub(r"（[^（）]{1,3}）$", "", desc)
    return got


def describe(amount: m.Amount, comp=None, number: Callable[[Decimal], str] = _dec) -> str:
    """An amount in Chinese words: 200元至500元, 林木价值的5倍至6倍, 工程造价的5%至10%. The one Chinese renderer of
    `model.Amount` (the DSL notation is `Amount.text`).

    Args:
        amount: the amount.
        comp: the composite, to name the quantity by its description (None: by its fact name).
        number: how each number is written (the decision's statutory range: `assess.dec`, to the fen as the
            fine strings are).

    Examples:
        >>> from engine.source import Span
        >>> sp = Span("x")
        >>> describe(m.Amount(kind="range", low=Decimal(200), high=Decimal(500), span=sp))
        '200元至500元'
        >>> describe(m.Amount(kind="percent", low=Decimal("0.05"), high=Decimal("0.1"), of=m.Ref("工程造价", sp), span=sp))
        '工程造价的5%至10%'
    """
    # the words of an amount depend on it, the composite's labels and `number` alone: built once per amount
    # (kept with the composite; without one, in a bounded memo that holds the amount, so its id stays its own)
    memo = _words(comp) if comp is not None else _DESCRIBED
    key = ("describe", id(amount), number)
    got = memo.get(key)
    if got is not None and got[0] is amount:
        return got[1]
    if comp is None and len(memo) >= 4096:
        memo.clear()
    text = _describe(amount, comp, number)
    memo[key] = (amount, text)
    return text


_DESCRIBED: dict = {}


def _describe(amount: m.Amount, comp, number: Callable[[Decimal], str]) -> str:
    of = amount.of.name if amount.of else ""
    label = fact_label(comp, of) if comp is not None and of else of
    if amount.kind == "range":
        unit = "元"
        return f"{number(amount.low)}{unit}至{number(amount.high)}{unit}" if amount.low != amount.high else \
            f"{number(amount.low)}{unit}"
    if amount.kind == "percent":
        return f"{label}的{number(amount.low * 100)}%至{number(amount.high * 100)}%"
    return f"{label}的{number(amount.low)}倍至{number(amount.high)}倍"


def party_keys(kind: str, sole_trader: bool | None) -> tuple[str, ...]:
    """The benchmark columns that apply to a party, most specific first: a 个体工商户 takes its own range where the
    benchmark gives one, else the individuals' (统计法 art. 41/44 第三款 treat it as a party of its own)."""
    if kind == "individual" and sole_trader:
        return ("sole_trader", "individual")
    return (kind,)


@dataclass
class BenchResult:
    """What a benchmark says about one case."""

    grade: str | None = None
    graded: bool = False
    amount: m.Amount | None = None  # the grade's fine range for this party (None: the statutory range applies)
    outcome: str | None = None  # "no_penalty" / "may_waive" when the grade imposes nothing
    warning_only: bool = False
    steps: list[Step] = field(default_factory=list)
    adjusts: list[tuple[str, str]] = field(default_factory=list)
    measures: list[ScaledMeasure] = field(default_factory=list)
    assumed: list[tuple[str, str, str]] = field(default_factory=list)  # (what, rule, source)
    open_paths: list[str] = field(default_factory=list)  # case fields that would change the grade's column


_YEARS = {"1": "一", "2": "二", "3": "三"}


def _fact_words(path: str, facts: Mapping, comp) -> str | None:
    """One stated fact in a reviewer's words (面积为3平方米, 违法所得无法确定, 二年内未因同一违法行为受过行政处罚)."""
    if path.startswith("facts.") and path in facts:
        name, v = path[len("facts."):], facts[path]
        shown = ("是" if v else "否") if isinstance(v, bool) else f"{v}{_unit(comp, name)}" \
            if isinstance(v, (int, float)) else f"“{v}”"
        return f"{fact_label(comp, name)}为{shown}"
    if path.startswith("undeterminable.") and facts.get(path):
        return f"{fact_label(comp, path[len('undeterminable.'):])}无法确定"
    if path.startswith("history.prior_") and path in facts:
        n = _YEARS.get(path[len("history.prior_"):-1], path[len("history.prior_"):-1])
        k = facts[path]
        return f"{n}年内因同一违法行为受过{k}次行政处罚" if k else f"{n}年内未因同一违法行为受过行政处罚"
    if path == "party.sole_trader" and path in facts:
        return "当事人为个体工商户" if facts[path] else "当事人不是个体工商户"
    if path.startswith("circumstances.") and path in facts:
        t = BUILTIN.get(path)
        v = facts[path]
        if isinstance(v, bool):  # a circumstance defaults to false: only one the case states as true is a reason
            return (t.description if t else path) if v else None
        return f"{t.description if t else path}为{v}"
    return None


def _why(g: CGrade, facts: Mapping, comp, bench: CBenchmark) -> str:
    """The stated facts the grade's condition read (for a closing grade: those of the grades before it)."""
    parts = [w for w in (_fact_words(p, facts, comp) for p in _why_paths(g, bench)) if w]
    if g.cond is None:
        return "不属于前列各阶次" + (f"：{'，'.join(parts)}" if parts else "")
    return "，".join(parts) or "符合该阶次的适用条件"


def _why_paths(g: CGrade, bench: CBenchmark) -> tuple[str, ...]:
    """The paths `_why` reads for grade `g` of `bench`, sorted; once per grade, kept with it (they depend on the
    conditions alone, so a benchmark shared by dated versions shares them too)."""
    got = g.__dict__.get("_why_paths")
    if got is None:
        conds = [g.cond] if g.cond is not None else [x.cond for x in bench.grades if x.cond is not None]
        got = g.__dict__["_why_paths"] = tuple(sorted(set().union(*(paths_of(c) for c in conds)))) if conds else ()
    return got


def _source(bench: CBenchmark) -> str:
    """The benchmark's sources as one citation, once per benchmark."""
    got = bench.__dict__.get("_source")
    if got is None:
        got = bench.__dict__["_source"] = "；".join(bench.sources)
    return got


def _column(g: CGrade, keys: tuple[str, ...]) -> tuple:
    """What grade `g` gives the party of benchmark columns `keys` (`party_keys`): its amount, its outcome, and the
    column that gives them; once per grade and party, kept with the grade."""
    known = g.__dict__.get("_columns")
    if known is None:
        known = g.__dict__["_columns"] = {}
    got = known.get(keys)
    if got is None:
        got = known[keys] = (next((g.ranges[k] for k in keys if k in g.ranges), None),
                             next((g.outcomes[k] for k in keys if k in g.outcomes), None),
                             next((k for k in keys if k in g.ranges or k in g.outcomes), keys[-1]))
    return got


def assess(bench: CBenchmark, code: str, kind: str, sole_trader: bool | None, facts: Mapping, typed: Mapping,
           comp) -> BenchResult:
    """Apply `bench` to a case: the first grade whose condition holds, what it gives this party, its scaled
    measures, and the benchmark's 从重 / 从轻 clauses, with the explanation steps."""
    out = BenchResult()
    rid, src = f"BENCH:{code}", _source(bench)
    keys = party_keys(kind, sole_trader)
    g = next((g for g in bench.grades if g.test(facts)), None)
    if g is None:
        if bench.grades:
            out.steps.append(Step(rule=rid, basis=src,
                                  text="案件事实不足以确定裁量基准阶次（缺少相关事实），按法定幅度裁量并说明理由"))
    else:
        why = _why(g, facts, comp, bench)
        amount, outcome, who = _column(g, keys)
        if kind == "individual" and sole_trader is None and ("sole_trader" in g.ranges or "sole_trader" in g.outcomes):
            out.open_paths.append("party.sole_trader")
            out.assumed.append((f"当事人不是个体工商户：案件未载明，按{_PARTY_WORDS['individual']}的幅度计算", rid, src))
        if outcome is not None and outcome.outcome in ("no_penalty", "may_waive"):
            out.grade, out.outcome = g.name, outcome.outcome
            label = "不予行政处罚" if outcome.outcome == "no_penalty" else "可以不予行政处罚"
            out.steps.append(Step(rule=rid, basis=src, text=f"依裁量基准，本案属“{g.name}”阶次（{why}）：{label}"
                                  + (f"（{outcome.reason}）" if outcome.reason else "")))
            return out
        if amount is None and outcome is None and not g.measures:
            out.steps.append(Step(rule=rid, basis=src, text=f"裁量基准“{g.name}”阶次未规定{_PARTY_WORDS[keys[-1]]}"
                                                            f"的幅度，按法定幅度裁量"))
        else:
            out.grade, out.graded = g.name, True
            party_note = f"，适用基准对{_PARTY_WORDS[who]}规定的幅度" if who == "sole_trader" else ""
            if outcome is not None:  # warning only
                out.warning_only = True
                out.steps.append(Step(rule=rid, basis=src, text=f"依裁量基准，本案情节属“{g.name}”阶次（{why}）"
                                      f"{party_note}：仅给予警告，不予罚款" + (f"（{outcome.reason}）" if outcome.reason else "")))
            elif amount is not None:
                said = describe(amount, comp)
                computed = _computed(amount, typed, comp)
                out.amount = amount
                out.steps.append(Step(rule=rid, basis=src, text=f"依裁量基准，本案情节属“{g.name}”阶次（{why}）"
                                      f"{party_note}，幅度为{said}" + (f"，{computed}" if computed else "")))
            else:
                out.steps.append(Step(rule=rid, basis=src, text=f"依裁量基准，本案情节属“{g.name}”阶次（{why}）"))
        for gm in g.measures:
            out.measures.append(_measure(gm, typed, comp, g.name))
            sm = out.measures[-1]
            out.steps.append(Step(rule=rid, basis=src, text=f"裁量基准规定“{g.name}”阶次的措施：{sm.text}"))
            if sm.min is None:
                out.assumed.append((f"{sm.name}的数量：案件未载明“{fact_label(comp, gm.amount.of.name)}”"  # type: ignore[union-attr]
                                    f"，只能给出倍数", rid, src))
    for direction, test, reason in bench.adjustments:
        if test(facts):
            out.adjusts.append((direction, rid))
            out.steps.append(Step(rule=rid, basis=src,
                                  text=f"裁量基准规定{'从重' if direction == 'heavier' else '从轻'}情形：{reason or ''}"))
    return out


def _computed(amount: m.Amount, typed: Mapping, comp) -> str:
    """The grade's multiple or percentage applied to the case's amount: 本案林木价值10000元，即50000元至60000元."""
    if amount.of is None:
        return ""
    q = typed.get(f"facts.{amount.of.name}")
    if q is None:
        return ""
    f = (lambda x: x) if amount.kind == "multiple" else (lambda x: x)
    lo, hi = f(amount.low) * q, f(amount.high) * q
    unit = _unit(comp, amount.of.name)
    return f"本案{fact_label(comp, amount.of.name)}{_dec(q)}{unit}，即{_dec(lo)}元至{_dec(hi)}元"


def _measure(gm: m.GradeMeasure, typed: Mapping, comp, grade: str) -> ScaledMeasure:
    """A scaled measure in words, with its quantity when the case states what it scales."""
    decl = comp.sanctions.get(gm.name.name)
    name = (decl.description if decl and decl.description else None) or gm.name.name
    a = gm.amount
    if a.of is None:  # a count: 10..20 (株)
        text = f"{name}{_dec(a.low)}至{_dec(a.high)}"
        return ScaledMeasure(name=gm.name.name, min=_dec(a.low), max=_dec(a.high), text=text)
    label, unit = fact_label(comp, a.of.name), _unit(comp, a.of.name)
    q = typed.get(f"facts.{a.of.name}")
    text = f"{name}：{label}的{_dec(a.low)}倍至{_dec(a.high)}倍"
    if q is None:
        return ScaledMeasure(name=gm.name.name, min=None, max=None, text=text + f"（案件未载明{label}）")
    lo, hi = a.low * q, a.high * q
    return ScaledMeasure(name=gm.name.name, min=_dec(lo), max=_dec(hi),
                         text=text + f"，本案{label}{_dec(q)}{unit}，即{_dec(lo)}{unit}至{_dec(hi)}{unit}")


def place_by_factors(bench: CBenchmark, code: str, facts: Mapping, lo: Decimal, hi: Decimal, comp
                     ) -> tuple[Decimal, list[Step], list[tuple[str, str, str]]]:
    """The 裁量百分值 model: each factor adds the percentage of its first level that holds; the sum places the
    fine at ``lo + (hi − lo) × sum``. A factor whose facts the case leaves open counts 0 % and is listed as
    assumed (its question is asked by the decision). Returns the fine, the steps and the assumptions."""
    rid, src = f"BENCH:{code}", _source(bench)
    steps: list[Step] = []
    assumed: list[tuple[str, str, str]] = []
    total = Decimal(0)
    for f in bench.factors:
        hit = next(((pct, cond) for test, pct, cond in f.levels if test(facts)), None)
        if hit is not None:
            total += hit[0]
            steps.append(Step(rule=rid, basis=src, text=f"裁量因子“{f.label}”：{_cond_words(hit[1], facts, comp)}，"
                                                        f"计{_pct(hit[0])}"))
            continue
        open_ = sorted({p for _, _, cond in f.levels if cond for p in paths_of(cond) if p not in facts})
        if open_:
            words = "、".join(fact_label(comp, p.split(".", 1)[-1]) if p.startswith("facts.") else p for p in open_)
            steps.append(Step(rule=rid, basis=src, text=f"裁量因子“{f.label}”：案件未载明{words}，按0%计"))
            assumed.append((f"裁量因子“{f.label}”按0%计算：案件未载明", rid, src))
        else:
            steps.append(Step(rule=rid, basis=src, text=f"裁量因子“{f.label}”：不属所列情形，计0%"))
    point = (lo + (hi - lo) * total).quantize(CENT, rounding=ROUND_HALF_UP)
    steps.append(Step(rule=rid, basis=src,
                      text=f"裁量百分值合计{_pct(total)}；罚款数额＝下限＋（上限－下限）×裁量百分值＝{_dec(lo)}＋"
                           f"（{_dec(hi)}－{_dec(lo)}）×{_pct(total)}＝{_dec(point)}元"))
    return point, steps, assumed


def _cond_words(cond: tuple | None, facts: Mapping, comp) -> str:
    """The stated values a factor level read, in a reviewer's words."""
    if not cond:
        return "符合"
    parts = [w for w in (_fact_words(p, facts, comp) for p in sorted(paths_of(cond))) if w]
    return "，".join(parts) or "符合"
