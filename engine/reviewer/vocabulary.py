"""The reviewers' words mapped onto the public contract, the case builder and the failure messages.

Everything a feature file may write in Chinese (field names, outcomes, routes, flags ...) is listed
here once, so the steps, the docs (``docs/features.md``) and the error messages agree. The English
contract values are accepted as well, so a reviewer can copy them from a JSON decision.
Imports only the public `engine` API; never pytest (the pytest-bdd suite wraps these steps, see
``tests/steps/``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import engine

# ── case fields ─────────────────────────────────────────────────────────────
# 字段 → the contract's path in the case (dotted). "facts.X" and "measures" are handled apart.
CASE_FIELDS: dict[str, str] = {
    "案件编号": "case_id",
    "事项": "item",
    "县": "place.county",
    "区": "place.county",
    "街道": "place.township",
    "乡镇": "place.township",
    "功能区": "place.zone",
    "区划代码": "place.code",
    "行为日期": "occurred_on",
    "终了日期": "ended_on",
    "发现日期": "discovered_on",
    "决定日期": "decided_on",
    "当事人类型": "party.kind",
    "年龄": "party.age",
    "能力": "party.capacity",
    "个体工商户": "party.sole_trader",
    # 此前受到行政处罚的决定日期（同一事项），以“、”分隔；写“无”表示载明没有
    "前次处罚日期": "history",
    "初次违法": "circumstances.first_offence",
    "及时改正": "circumstances.corrected",
    "没有主观过错": "circumstances.no_fault",
    "受胁迫或诱骗": "circumstances.coerced",
    "主动供述": "circumstances.self_reported",
    "立功表现": "circumstances.meritorious",
    "主动消除或减轻危害后果": "circumstances.mitigated_harm",
    "涉及生命健康或金融安全": "circumstances.life_health_or_finance",
    "涉嫌犯罪": "circumstances.suspected_crime",
    "危害后果": "circumstances.harm",
    "措施": "measures",
    "拟罚款": "proposed_fine",
}

PARTY_KINDS = {"个人": "individual", "单位": "organisation"}
CAPACITIES = {"完全": "full", "尚未完全丧失": "limited", "限制": "limited", "不能辨认或控制": "none", "无": "none"}
HARMS = {"无": "none", "轻微": "minor", "严重": "serious"}
YES_NO = {"是": True, "否": False, "yes": True, "no": False, "true": True, "false": False}

# ── decision values ─────────────────────────────────────────────────────────
OUTCOMES = {"给予处罚": "penalty", "不予处罚": "no_penalty", "可以不予处罚": "may_waive", "超过时效": "time_barred"}
ROUTES = {"目录": "catalogue", "赋权": "empowered", "派驻": "dispatched", "县级保留": "retained-major",
          "指定管辖": "designated", "无执法主体": "none"}
ADJUSTMENTS = {"无": "none", "从轻": "lighter", "减轻": "reduced", "从重": "heavier"}
PROCEDURES = {"简易程序": "simplified", "普通程序": "ordinary"}
LEVELS = {"市级": "city", "县级": "county", "乡镇级": "township"}
KINDS = {"综合执法": "comprehensive", "专业执法": "specialist", "部门": "department", "乡镇街道": "township"}
CATEGORIES = {"综合": "comprehensive", "专业": "specialist", "部门": "department"}
# The contract's flag codes with their Chinese labels (CONTRACT.md, "Flag codes every Zhejiang ruleset provides").
FLAGS = {"法制审核": "LEGAL_REVIEW", "集体讨论": "COLLECTIVE_DISCUSSION", "听证告知": "HEARING_NOTICE",
         "移送司法机关": "CRIMINAL_TRANSFER", "重大处罚移送县级": "MAJOR_PENALTY_TRANSFER",
         "管辖争议": "JURISDICTION_DISPUTE", "裁量说明理由": "REASONS_REQUIRED", "从旧兼从轻": "LEX_MITIOR",
         "无执法主体": "NO_HANDLER"}

REJECTED = "被拒绝"  # a batch result that is an error record


def code_of(table: dict[str, str], word: str, what: str) -> str:
    """Translate a reviewer's word (Chinese label or contract code) into the contract code.

    Raises:
        WritingError: the word is neither, with the accepted words.
    """
    word = word.strip()
    if word in table:
        return table[word]
    if word in table.values():
        return word
    raise WritingError(f"不认识的{what}“{word}”；可写：{'、'.join(table)}（或对应的代码 "
                       f"{'、'.join(dict.fromkeys(table.values()))}）")


def label_of(table: dict[str, str], code: str | None) -> str:
    """The Chinese word for a contract code (the code itself if it has none)."""
    for word, c in table.items():
        if c == code:
            return word
    return str(code)


# ── step wording ────────────────────────────────────────────────────────────
class Words:
    """A step pattern as the reviewer reads it: each ``{占位}`` is a value, named by `names` in order.

    The placeholder's text documents what to write (``"{给予处罚/不予处罚/可以不予处罚/超过时效}"``) and
    is what the docs and the unknown-step suggestions show; the step function receives ``names[i]``.

    Examples:
        >>> Words('办案主体为 "{机关}"', "v").parse_arguments('办案主体为 "甲县综合行政执法局"')
        {'v': '甲县综合行政执法局'}
    """

    def __init__(self, display: str, *names: str) -> None:
        self.name = display
        parts = re.split(r"\{[^}]*\}", display)
        if len(parts) - 1 != len(names):
            raise ValueError(f"{display!r}: {len(parts) - 1} placeholders, {len(names)} names")
        rx = re.escape(parts[0])
        for name, part in zip(names, parts[1:]):
            rx += f"(?P<{name}>.*?)" + re.escape(part)
        self.names = names
        self.regex = re.compile(rx)

    def parse_arguments(self, name: str) -> dict[str, Any] | None:
        m = self.regex.fullmatch(name)
        return m.groupdict() if m else None

    def is_matching(self, name: str) -> bool:
        return bool(self.regex.fullmatch(name))


# ── the case builder ────────────────────────────────────────────────────────
def _number(text: str) -> Any:
    """An ASCII number as int or Decimal; anything else unchanged, so that the engine judges it."""
    t = text.strip()
    if re.fullmatch(r"-?\d+", t):
        return int(t)
    try:
        if re.fullmatch(r"-?\d+\.\d+", t):
            return Decimal(t)
    except InvalidOperation:
        pass
    return text


def _value(path: str, text: str) -> Any:
    """Convert a table cell into the JSON-like value of `path`; leave unconvertible text as is.

    The engine, not this step library, must reject a bad value: so a cell such as 年龄 = "很大" goes
    through as the string and the case is expected to fail with a `CaseError` at ``party.age``.
    """
    t = text.strip()
    if path == "measures":
        return [m for m in re.split(r"[、，,]\s*", t) if m]
    if path == "history":
        return [] if t == "无" else [{"decided_on": d} for d in re.split(r"[、，,]\s*", t) if d]
    if path == "party.sole_trader":
        return YES_NO.get(t, t)
    if t in ("空", "null"):
        return None
    if path == "party.kind":
        return PARTY_KINDS.get(t, t)
    if path == "party.capacity":
        return CAPACITIES.get(t, t)
    if path == "circumstances.harm":
        return HARMS.get(t, t)
    if path == "party.age":
        return _number(t)
    if path.startswith("circumstances."):
        return YES_NO.get(t, t)
    if path.startswith("facts."):
        if t in YES_NO:
            return YES_NO[t]
        return _number(t)
    return t


def path_of(field: str) -> str:
    """The case path of a 字段: a Chinese field name, ``事实.X`` / ``facts.X``, or a contract path."""
    f = field.strip()
    if f in CASE_FIELDS:
        return CASE_FIELDS[f]
    if f.startswith("事实."):
        return "facts." + f[3:]
    if f.startswith("facts.") or f in CASE_FIELDS.values():
        return f
    raise WritingError(f"不认识的案件字段“{f}”；可写：{'、'.join(CASE_FIELDS)}、事实.<事实名>"
                       "（或合同中的路径，如 party.age）")


def set_field(case: dict, field: str, text: str) -> None:
    """Set one 字段 of a case dict (creating the nested objects) from its table text."""
    path = path_of(field)
    value = _value(path, text)
    parts = path.split(".", 1) if path.startswith("facts.") else path.split(".")
    node = case
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def unset_field(case: dict, field: str) -> None:
    """Remove one 字段 from a case dict (so that the engine sees it missing)."""
    path = path_of(field)
    parts = path.split(".", 1) if path.startswith("facts.") else path.split(".")
    node = case
    for p in parts[:-1]:
        node = node.get(p, {})
    node.pop(parts[-1], None)


def table_pairs(datatable: list[list[str]]) -> list[tuple[str, str]]:
    """The (字段, 值) rows of a two-column table; a header row ``字段 | 值`` is skipped."""
    rows = [r for r in datatable if r]
    if rows and [c.strip() for c in rows[0][:2]] in (["字段", "值"], ["项目", "预期"]):
        rows = rows[1:]
    out = []
    for r in rows:
        if len(r) != 2:
            raise WritingError(f"表格每行应有两列（字段 | 值），这一行有 {len(r)} 列：{' | '.join(r)}")
        out.append((r[0].strip(), r[1].strip()))
    return out


# ── results and failure messages ────────────────────────────────────────────
class StepFailure(Exception):
    """A step did not hold. `message` is the Chinese text the reviewer reads (no traceback)."""

    kind = "不符"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Mismatch(StepFailure):
    """The engine decided otherwise than the feature file expects.

    Attributes:
        expected, actual: one line each; `body` is the engine's decision (``to_text()``) or its error.
    """

    def __init__(self, expected: str, actual: str, body: str = ""):
        self.expected, self.actual, self.body = expected, actual, body
        super().__init__(f"预期：{expected}\n实际：{actual}" + (f"\n\n——引擎的决定——\n{body}" if body else ""))


class WritingError(StepFailure):
    """The feature file is written wrongly (an unknown word, a malformed value): the reviewer's slip."""

    kind = "写法错误"


def unknown_word(path: str, text: str) -> str | None:
    """A note when `text` is not one of the words a reviewer may write for the enumerated case field `path`.

    The value still goes to the engine (input-validation scenarios send bad values on purpose); the note
    explains a later failure that the engine's rejection would otherwise leave unexplained.
    """
    t = text.strip()
    table = {"party.kind": PARTY_KINDS, "party.capacity": CAPACITIES, "circumstances.harm": HARMS}.get(path)
    if table is None and path.startswith("circumstances."):
        table = {k: v for k, v in YES_NO.items() if k in ("是", "否")}
    if table is None or t in table or t in table.values() or t in ("空", "null"):
        return None
    codes = "、".join(str(v).lower() for v in dict.fromkeys(table.values()))
    return f"“{t}”不是可写的值（{path}）；可写：{'、'.join(table)}（或 {codes}）"


@dataclass
class Evaluation:
    """The result of evaluating one case: the decision, or the engine error that rejected the case.

    `notes` are the value words of the case the vocabulary did not know (`unknown_word`), with their lines.
    """

    case: dict
    decision: engine.Decision | None = None
    error: engine.EngineError | None = None
    notes: tuple[str, ...] = ()


def describe_error(exc: BaseException) -> str:
    """An engine error for a reviewer: class, field paths or file:line, message."""
    if isinstance(exc, engine.CaseError):
        probs = "\n".join(f"  - {p.path or '<案件>'}：{p.message}" for p in exc.problems)
        return f"案件被拒绝（CaseError）：\n{probs}"
    if isinstance(exc, engine.RulesetError):
        return f"规则集无法加载（RulesetError）：\n{exc}"
    return f"{type(exc).__name__}：{exc}"


def decision_text(ev: Evaluation) -> str:
    """What the engine decided, for a failure message: ``to_text()`` with the reasoning, or the error."""
    if ev.decision is None:
        return describe_error(ev.error) if ev.error else "（没有评估结果）"
    d = ev.decision
    body = d.to_text()
    if not all(s.text in body for s in d.explanation):  # to_text() normally ends with the reasoning
        body += "\n理由：\n" + "\n".join(f"  {s.rule}：{s.text}（{s.basis}）" for s in d.explanation)
    return body


def fail_decision(expected: str, actual: str, ev: Evaluation) -> None:
    """Fail the step with what was expected, what the engine decided (``to_text()``) and the reasoning.

    Raises:
        Mismatch: always.
        WritingError: the case was rejected and it holds value words the vocabulary does not know, so the
            likelier cause is the feature file, not the engine.
    """
    if ev.decision is None and ev.notes:
        raise WritingError("案件中有写错的值，引擎因此拒绝了案件：\n" + "\n".join(f"  {n}" for n in ev.notes)
                           + f"\n（若是有意检验输入校验，请写 那么 案件被拒绝，问题字段为 \"…\"）\n\n{decision_text(ev)}")
    raise Mismatch(expected, actual, decision_text(ev))


def decision_of(ev: Evaluation, expected: str) -> engine.Decision:
    """The decision of an evaluation, or fail saying the case was rejected instead."""
    if ev.decision is None:
        fail_decision(expected, "没有作出决定，案件被拒绝", ev)
    return ev.decision  # type: ignore[return-value]


def check(ok: bool, expected: str, actual: Callable[[], str] | str, ev: Evaluation) -> None:
    """Fail with the reviewer's message unless `ok`."""
    if not ok:
        fail_decision(expected, actual() if callable(actual) else actual, ev)
