"""Assertions on a decision, on a rejected case and on a batch of results.

Every check exists twice with one implementation: as its own step (那么 处理结果为 "不予处罚") and as a
row of the table step 那么 决定为： (处理结果 | 不予处罚), which suits scenario outlines. A failing
check tells the reviewer, in Chinese, what was expected, what the engine decided (``to_text()``) and
its reasoning. The table reports every row that does not hold at once, each with its line.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Callable

from engine.decision import SET_ASIDE
from engine.reviewer.library import World, row_line, then
from engine.reviewer.vocabulary import (ADJUSTMENTS, CATEGORIES, FLAGS, KINDS, LEVELS, OUTCOMES, PROCEDURES, REJECTED,
                                        ROUTES, Evaluation, Mismatch, StepFailure, Words, WritingError, check, code_of,
                                        decision_of, decision_text, describe_error, fail_decision, label_of, path_of,
                                        table_pairs)


def _flag_code(word: str) -> str:
    w = word.strip()
    if w in FLAGS:
        return FLAGS[w]
    if w in FLAGS.values() or re.fullmatch(r"[A-Z][A-Z0-9_]*", w):
        return w
    raise WritingError(f"不认识的标记“{w}”；可写代码（如 LEGAL_REVIEW）或中文名：{'、'.join(FLAGS)}")


def _flags_text(d) -> str:
    return "、".join(f"{f.code}（{f.label}" + (f"，条件：{f.condition}" if f.condition else "") + "）"
                    for f in d.flags) or "没有任何标记"


def _outright(d, code: str) -> bool:
    """A flag that applies outright; a conditional one (拟罚款达到门槛时) is checked with 有条件标记."""
    return any(f.code == code and f.condition is None for f in d.flags)


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[、，,]\s*", text.strip()) if w]


def _money(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise WritingError(f"罚款金额“{text}”不是数字") from None


# ── the checks ──────────────────────────────────────────────────────────────
def check_agency(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"办案主体为“{v}”")
    check(d.handler.agency == v, f"办案主体为“{v}”", f"办案主体为“{d.handler.agency}”", ev)


def check_level(ev: Evaluation, v: str) -> None:
    d, code = decision_of(ev, f"办案主体层级为“{v}”"), code_of(LEVELS, v, "办案主体层级")
    check(d.handler.level == code, f"办案主体层级为“{v}”", f"“{label_of(LEVELS, d.handler.level)}”", ev)


def check_kind(ev: Evaluation, v: str) -> None:
    d, code = decision_of(ev, f"办案主体类别为“{v}”"), code_of(KINDS, v, "办案主体类别")
    check(d.handler.kind == code, f"办案主体类别为“{v}”", f"“{label_of(KINDS, d.handler.kind)}”", ev)


def check_route(ev: Evaluation, v: str) -> None:
    d, code = decision_of(ev, f"管辖路径为“{v}”"), code_of(ROUTES, v, "管辖路径")
    check(d.handler.route == code, f"管辖路径为“{v}”（{code}）",
          f"管辖路径为“{label_of(ROUTES, d.handler.route)}”（{d.handler.route}）", ev)


def check_in_name_of(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"以“{v}”名义作出决定")
    check(d.handler.in_name_of == v, f"以“{v}”名义作出决定", f"以“{d.handler.in_name_of}”名义", ev)


def check_transfer(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"移送“{v}”")
    check(any(t.to == v for t in d.transfers), f"移送“{v}”",
          lambda: "移送：" + ("、".join(f"“{t.to}”" for t in d.transfers) or "无"), ev)


def check_no_transfer(ev: Evaluation, v: str = "") -> None:
    d = decision_of(ev, "不移送任何机关")
    check(not d.transfers, "不移送任何机关", lambda: "移送：" + "、".join(f"“{t.to}”" for t in d.transfers), ev)


def check_outcome(ev: Evaluation, v: str) -> None:
    d, code = decision_of(ev, f"处理结果为“{v}”"), code_of(OUTCOMES, v, "处理结果")
    check(d.outcome == code, f"处理结果为“{v}”", f"处理结果为“{label_of(OUTCOMES, d.outcome)}”", ev)


def check_grade(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"裁量阶次为“{v}”")
    grade = d.penalty.grade if d.penalty else None
    want = None if v in ("未分阶次", "无") else v
    check(grade == want, f"裁量阶次为“{v}”", f"裁量阶次为“{grade or '未分阶次'}”" if d.penalty else "没有处罚内容", ev)


def check_adjustment(ev: Evaluation, v: str) -> None:
    d, code = decision_of(ev, f"裁量调整为“{v}”"), code_of(ADJUSTMENTS, v, "裁量调整")
    got = d.penalty.adjustment if d.penalty else None
    check(got == code, f"裁量调整为“{v}”",
          f"裁量调整为“{label_of(ADJUSTMENTS, got)}”" if d.penalty else "没有处罚内容", ev)


def check_fine(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"罚款{v}")
    fine = d.penalty.fine if d.penalty else None
    got = f"罚款 {fine.min} 至 {fine.max} 元" if fine else ("不罚款" if d.penalty else "没有处罚内容")
    if v.strip() in ("不罚款", "无"):
        check(d.penalty is not None and fine is None, "给予处罚但不罚款", got, ev)
        return
    m = re.fullmatch(r"\s*([\d.,]+)\s*至\s*([\d.,]+)\s*元?\s*", v)
    if not m:
        raise WritingError(f"罚款应写成“500 至 600 元”或“不罚款”，而不是“{v}”")
    lo, hi = _money(m.group(1)), _money(m.group(2))
    check(fine is not None and Decimal(fine.min) == lo and Decimal(fine.max) == hi,
          f"罚款 {m.group(1)} 至 {m.group(2)} 元", got, ev)


def check_no_penalty_content(ev: Evaluation, v: str = "") -> None:
    d = decision_of(ev, "没有处罚内容")
    check(d.penalty is None, "没有处罚内容（不予处罚或超过时效时不确定处罚幅度）",
          lambda: f"处罚内容：{d.penalty.model_dump()}", ev)  # type: ignore[union-attr]


def check_kinds_include(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"处罚种类包括“{v}”")
    kinds = d.penalty.kinds if d.penalty else ()
    for w in _words(v):
        check(w in kinds, f"处罚种类包括“{w}”", f"处罚种类为“{'、'.join(kinds) or '无'}”", ev)


def check_kinds_exclude(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"处罚种类不包括“{v}”")
    kinds = d.penalty.kinds if d.penalty else ()
    for w in _words(v):
        check(w not in kinds, f"处罚种类不包括“{w}”", f"处罚种类为“{'、'.join(kinds) or '无'}”", ev)


def check_procedure(ev: Evaluation, v: str) -> None:
    d, code = decision_of(ev, f"适用{v}"), code_of(PROCEDURES, v, "程序")
    check(d.procedure == code, f"适用{v}", f"适用{label_of(PROCEDURES, d.procedure)}", ev)


def check_flags(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"有标记“{v}”")
    for w in _words(v):
        code = _flag_code(w)
        check(_outright(d, code), f"有标记“{w}”（{code}）", f"标记为：{_flags_text(d)}", ev)


def check_no_flags(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"没有标记“{v}”")
    for w in _words(v):
        code = _flag_code(w)
        check(not d.has_flag(code), f"没有标记“{w}”（{code}）", f"标记为：{_flags_text(d)}", ev)


def check_conditional_flags(ev: Evaluation, v: str) -> None:
    """有条件标记 "听证告知：拟罚款在2000元以上": the flag applies only under that condition."""
    d = decision_of(ev, f"有条件标记“{v}”")
    for w in re.split(r"[、,，]\s*", v):
        word, _, cond = w.partition("：")
        code = _flag_code(word)
        found = [f for f in d.flags if f.code == code and f.condition is not None]
        check(bool(found) and (not cond or any(f.condition == cond for f in found)),
              f"有条件标记“{word}”" + (f"（条件：{cond}）" if cond else ""), f"标记为：{_flags_text(d)}", ev)


def check_question(ev: Evaluation, v: str) -> None:
    """问题涉及 "circumstances.harm": the decision asks for that field."""
    d = decision_of(ev, f"问题涉及“{v}”")
    path = path_of(v) if not v.startswith(("facts.", "circumstances.", "party.", "proposed_fine")) else v
    asked = [q.field for q in d.questions]
    check(path in asked, f"待查明的事实包括“{v}”（{path}）", f"待查明的事实为：{'、'.join(asked) or '无'}", ev)


def check_no_question(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"没有问题涉及“{v}”")
    path = path_of(v) if not v.startswith(("facts.", "circumstances.", "party.", "proposed_fine")) else v
    asked = [q.field for q in d.questions]
    check(path not in asked, f"待查明的事实不包括“{v}”（{path}）", f"待查明的事实为：{'、'.join(asked) or '无'}", ev)


def check_assumption(ev: Evaluation, v: str) -> None:
    """推定前提包含 "较大数额罚款.个人": some assumption's text names it."""
    d = decision_of(ev, f"推定前提包含“{v}”")
    check(any(v in a.what for a in d.assumptions), f"推定前提包含“{v}”",
          f"推定前提为：{'；'.join(a.what for a in d.assumptions) or '无'}", ev)


def check_flag_reason(ev: Evaluation, flag: str, text: str) -> None:
    d = decision_of(ev, f"标记“{flag}”的理由包含“{text}”")
    code = _flag_code(flag)
    found = [f for f in d.flags if f.code == code]
    check(bool(found) and any(text in f.reason or text in f.basis for f in found),
          f"标记“{flag}”的理由包含“{text}”",
          lambda: f"标记“{flag}”的理由为“{found[0].reason}”（{found[0].basis}）" if found else f"没有标记“{flag}”", ev)


def _reasoning(d) -> str:
    return "\n".join(f"{s.rule} {s.text} {s.basis}" for s in d.explanation)


def check_reason_contains(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"理由包含“{v}”")
    check(v in _reasoning(d), f"理由包含“{v}”", "理由中没有这段文字", ev)


def check_reason_excludes(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"理由不包含“{v}”")
    check(v not in _reasoning(d), f"理由不包含“{v}”", "理由中有这段文字", ev)


def _applied(d, rule: str) -> bool:
    return any(s.rule == rule and SET_ASIDE not in s.text for s in d.explanation)


def check_rule_cited(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"理由引用规则“{v}”")
    for w in _words(v):
        check(_applied(d, w), f"理由引用规则“{w}”（该规则适用）",
              lambda: "理由引用的规则：" + "、".join(dict.fromkeys(s.rule for s in d.explanation)), ev)


def check_rule_not_cited(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"理由未引用规则“{v}”")
    for w in _words(v):
        check(not _applied(d, w), f"规则“{w}”不适用于本案",
              lambda: "理由引用的规则：" + "、".join(dict.fromkeys(s.rule for s in d.explanation)), ev)


def check_version(ev: Evaluation, v: str) -> None:
    d = decision_of(ev, f"适用规则集“{v}”")
    check(d.ruleset == v or d.ruleset.endswith("@" + v), f"适用规则集“{v}”", f"适用规则集“{d.ruleset}”", ev)


def check_category(ev: Evaluation, v: str) -> None:
    d, code = decision_of(ev, f"事项类别为“{v}”"), code_of(CATEGORIES, v, "事项类别")
    check(d.item.category == code, f"事项类别为“{v}”", f"事项类别为“{label_of(CATEGORIES, d.item.category)}”", ev)


CHECKS: dict[str, Callable[[Evaluation, str], None]] = {
    "办案主体": check_agency,
    "办案主体层级": check_level,
    "办案主体类别": check_kind,
    "管辖路径": check_route,
    "名义": check_in_name_of,
    "移送": check_transfer,
    "处理结果": check_outcome,
    "裁量阶次": check_grade,
    "裁量调整": check_adjustment,
    "罚款": check_fine,
    "处罚种类包括": check_kinds_include,
    "处罚种类不包括": check_kinds_exclude,
    "程序": check_procedure,
    "标记": check_flags,
    "无标记": check_no_flags,
    "条件标记": check_conditional_flags,
    "问题涉及": check_question,
    "推定前提包含": check_assumption,
    "理由包含": check_reason_contains,
    "理由不包含": check_reason_excludes,
    "引用规则": check_rule_cited,
    "未引用规则": check_rule_not_cited,
    "规则集版本": check_version,
    "事项类别": check_category,
}


# ── the steps ───────────────────────────────────────────────────────────────
def _ev(world: World) -> Evaluation:
    return world.need("evaluation")


@then("决定为：", arg="datatable")
def decided(world: World, datatable: list[list[str]]) -> None:
    """Check every row; report all rows that do not hold at once, each with its line."""
    ev = _ev(world)
    if ev.decision is None and ev.notes:
        fail_decision("决定为：表格", "案件被拒绝", ev)  # a value word slip explains it: say so once, not per row
    pairs = table_pairs(datatable)
    offset = len([r for r in datatable if r]) - len(pairs)
    mismatches: list[str] = []
    slips: list[str] = []
    for i, (key, value) in enumerate(pairs):
        where = row_line(world, i + offset)
        prefix = f"{where}  " if where else ""
        if key not in CHECKS:
            slips.append(f"{prefix}不认识的检查项“{key}”；可写：{'、'.join(CHECKS)}")
            continue
        if value in ("", "-", "—"):
            continue  # an empty cell in an outline's table: nothing to check
        try:
            CHECKS[key](ev, value)
        except Mismatch as exc:
            mismatches.append(f"{prefix}{key}\n    预期：{exc.expected}\n    实际：{exc.actual}")
        except StepFailure as exc:
            slips.append(f"{prefix}{exc.message.split(chr(10) + chr(10))[0]}")
    if slips:
        raise WritingError("决定为：表格中有写错的行：\n" + "\n".join(f"  {m}" for m in slips)
                           + (f"\n（另有 {len(mismatches)} 项与引擎的决定不符）" if mismatches else ""))
    if mismatches:
        n, total = len(mismatches), len([p for p in pairs if p[1] not in ("", "-", "—")])
        raise Mismatch(f"决定为：表格中的 {total} 项", f"{n} 项不符：\n" + "\n".join(f"  {m}" for m in mismatches),
                       decision_text(ev))


def _one(pattern: str, fn: Callable[[Evaluation, str], None]) -> None:
    then(Words(pattern, "v"))(lambda world, v: fn(_ev(world), v))


_one('办案主体为 "{机关}"', check_agency)
_one('办案主体层级为 "{市级/县级/乡镇级}"', check_level)
_one('办案主体类别为 "{综合执法/专业执法/部门/乡镇街道}"', check_kind)
_one('管辖路径为 "{目录/赋权/派驻/县级保留/指定管辖/无执法主体}"', check_route)
_one('以 "{机关}" 名义作出决定', check_in_name_of)
_one('移送 "{机关}"', check_transfer)
_one('处理结果为 "{给予处罚/不予处罚/可以不予处罚/超过时效}"', check_outcome)
_one('裁量阶次为 "{阶次}"', check_grade)
_one('裁量调整为 "{无/从轻/减轻/从重}"', check_adjustment)
_one("罚款幅度为 {下限 至 上限 元}", check_fine)
_one('处罚种类包括 "{处罚种类}"', check_kinds_include)
_one('处罚种类不包括 "{处罚种类}"', check_kinds_exclude)
_one('适用程序为 "{简易程序/普通程序}"', check_procedure)
_one('有标记 "{标记}"', check_flags)
_one('没有标记 "{标记}"', check_no_flags)
_one('有条件标记 "{标记：条件}"', check_conditional_flags)
_one('问题涉及 "{字段}"', check_question)
_one('没有问题涉及 "{字段}"', check_no_question)
_one('推定前提包含 "{文字}"', check_assumption)
_one('理由包含 "{文字}"', check_reason_contains)
_one('理由不包含 "{文字}"', check_reason_excludes)
_one('理由引用规则 "{规则编号}"', check_rule_cited)
_one('理由未引用规则 "{规则编号}"', check_rule_not_cited)
_one('适用规则集 "{名称@版本}"', check_version)
_one('事项类别为 "{综合/专业/部门}"', check_category)


@then("不移送任何机关")
def no_transfer(world: World) -> None:
    check_no_transfer(_ev(world))


@then("不得给予处罚")
def no_penalty_allowed(world: World) -> None:
    """Either the case is rejected (CaseError) or the outcome proposes no penalty."""
    evaluation = _ev(world)
    d = evaluation.decision
    if d is not None and d.outcome in ("penalty", "may_waive"):
        fail_decision("不得给予处罚（案件被拒绝，或处理结果为不予处罚、超过时效）",
                      f"处理结果为“{label_of(OUTCOMES, d.outcome)}”", evaluation)


@then("不罚款")
def no_fine(world: World) -> None:
    check_fine(_ev(world), "不罚款")


@then("没有处罚内容")
def no_penalty_content(world: World) -> None:
    check_no_penalty_content(_ev(world))


@then("适用简易程序")
def simplified(world: World) -> None:
    check_procedure(_ev(world), "简易程序")


@then("适用普通程序")
def ordinary(world: World) -> None:
    check_procedure(_ev(world), "普通程序")


@then(Words('标记 "{标记}" 的理由包含 "{文字}"', "flag", "text"))
def flag_reason(world: World, flag: str, text: str) -> None:
    check_flag_reason(_ev(world), flag, text)


# ── rejected cases ──────────────────────────────────────────────────────────
def _rejected(ev: Evaluation, path: str) -> None:
    expected = f"案件被拒绝（CaseError），问题字段为“{path}”"
    if ev.error is None:
        raise Mismatch(expected, "案件被接受并作出了决定", decision_text(ev))
    if not hasattr(ev.error, "problems"):
        raise Mismatch(expected, f"引擎报错但不是 CaseError：{describe_error(ev.error)}")
    paths = [p.path for p in ev.error.problems]  # type: ignore[union-attr]
    if path not in paths:
        raise Mismatch(expected, f"问题字段为：{'、'.join(paths) or '（无）'}", decision_text(ev))


@then(Words('案件被拒绝，问题字段为 "{字段路径}"', "path"))
def rejected(world: World, path: str) -> None:
    _rejected(_ev(world), path)


@then(Words('拒绝信息包含 "{文字}"', "text"))
def rejected_saying(world: World, text: str) -> None:
    evaluation = _ev(world)
    if evaluation.error is None:
        raise Mismatch(f"案件被拒绝，信息包含“{text}”", "案件被接受并作出了决定", decision_text(evaluation))
    if text not in str(evaluation.error):
        raise Mismatch(f"拒绝信息包含“{text}”", str(evaluation.error))


# ── batches ─────────────────────────────────────────────────────────────────
def _summary(ev: Evaluation) -> str:
    return REJECTED if ev.decision is None else label_of(OUTCOMES, ev.decision.outcome)


@then(Words('批量结果依次为 "{结果、结果……}"', "v"))
def batch_outcomes(world: World, v: str) -> None:
    batch = world.need("batch")
    want = _words(v)
    got = [_summary(e) for e in batch]
    if want != got:
        detail = "\n".join(f"  {i}. {_summary(e)}" + (f"——{describe_error(e.error)}" if e.error else "")
                           for i, e in enumerate(batch, 1))
        raise Mismatch(f"批量结果依次为 {'、'.join(want)}", f"{'、'.join(got)}\n{detail}")


@then(Words('批量第 {序号} 个案件被拒绝，问题字段为 "{字段路径}"', "n", "path"), converters={"n": int})
def batch_rejected(world: World, n: int, path: str) -> None:
    batch = world.need("batch")
    if not 1 <= n <= len(batch):
        raise WritingError(f"批量结果只有 {len(batch)} 个，没有第 {n} 个")
    _rejected(batch[n - 1], path)
