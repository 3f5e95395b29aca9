"""The decision: what `evaluate` returns, and how it reads as text.

Owns `Decision` and its parts exactly as the public contract names them, and `Decision.to_text()`,
the human view (handler, outcome, penalty range, flags, explanation). Imports nothing from `engine`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["Decision", "DecisionItem", "ErrorRecord", "Fine", "Flag", "Handler", "Penalty", "Step", "Transfer"]

OUTCOME_LABELS = {"penalty": "给予行政处罚", "no_penalty": "不予行政处罚", "may_waive": "可以不予行政处罚",
                  "time_barred": "超过追责时效，不再给予行政处罚"}
ADJUSTMENT_LABELS = {"none": "无", "lighter": "从轻", "reduced": "减轻", "heavier": "从重"}
ROUTE_LABELS = {"catalogue": "按执法事项目录", "empowered": "赋权乡镇（街道）以自身名义", "dispatched": "派驻执法队以派出机关名义",
                "retained-major": "重大处罚由县级部门管辖", "designated": "管辖争议，待协商或指定", "none": "无执法主体"}


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class DecisionItem(_Out):
    """The enforcement item as applied."""

    code: str
    name: str
    domain: str
    category: Literal["comprehensive", "specialist", "department"]


class Handler(_Out):
    """The recommended handling body and the route by which it was found."""

    agency: str
    level: Literal["city", "county", "township"]
    kind: Literal["comprehensive", "specialist", "department", "township"]
    in_name_of: str
    route: Literal["catalogue", "empowered", "dispatched", "retained-major", "designated", "none"]


class Transfer(_Out):
    """A body the case must be handed to (移送)."""

    to: str
    reason: str
    basis: str


class Fine(_Out):
    """A fine range in yuan, as exact decimal strings."""

    min: str
    max: str


class Penalty(_Out):
    """The penalty range the benchmark and the law allow."""

    grade: str | None
    adjustment: Literal["none", "lighter", "reduced", "heavier"]
    kinds: tuple[str, ...]
    fine: Fine | None


class Flag(_Out):
    """A legal check the decision needs."""

    code: str
    label: str
    reason: str
    basis: str


class Step(_Out):
    """One step of the reasoning: the rule's id, plain Chinese text, and the legal citation."""

    rule: str
    text: str
    basis: str


class Decision(_Out):
    """The engine's answer for one case."""

    case_id: str
    ruleset: str
    item: DecisionItem
    handler: Handler
    transfers: tuple[Transfer, ...]
    outcome: Literal["penalty", "no_penalty", "may_waive", "time_barred"]
    penalty: Penalty | None
    procedure: Literal["simplified", "ordinary"]
    flags: tuple[Flag, ...]
    explanation: tuple[Step, ...]

    def has_flag(self, code: str) -> bool:
        """Whether a flag with this code is present."""
        return any(f.code == code for f in self.flags)

    def to_text(self) -> str:
        """Render the decision for a person: handler, outcome, penalty range, flags and the reasoning."""
        h = self.handler
        lines = [f"案件 {self.case_id}  （规则集 {self.ruleset}）",
                 f"执法事项：{self.item.code} {self.item.name}（{self.item.domain}）",
                 f"办案主体：{h.agency}（" + (f"以{h.in_name_of}名义；" if h.in_name_of else "") + f"{ROUTE_LABELS[h.route]}）",
                 f"处理结果：{OUTCOME_LABELS[self.outcome]}"]
        if self.penalty is not None:
            p = self.penalty
            fine = f"罚款 {p.fine.min} 至 {p.fine.max} 元" if p.fine else "不罚款"
            lines.append(f"处罚幅度：{fine}；处罚种类：{'、'.join(p.kinds) or '无'}；"
                         f"裁量阶次：{p.grade or '未分阶次'}；调整：{ADJUSTMENT_LABELS[p.adjustment]}")
        lines.append(f"程序：{'简易程序（当场处罚）' if self.procedure == 'simplified' else '普通程序'}")
        for t in self.transfers:
            lines.append(f"移送：{t.to}——{t.reason}（{t.basis}）")
        if self.flags:
            lines.append("须办事项：")
            lines.extend(f"  [{f.code}] {f.label}：{f.reason}（{f.basis}）" for f in self.flags)
        lines.append("理由：")
        lines.extend(f"  {i}. {s.text}〔{s.rule}；{s.basis}〕" for i, s in enumerate(self.explanation, 1))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


class ErrorRecord(_Out):
    """What `evaluate_many` returns in place of a decision for a case that could not be evaluated."""

    case_id: str | None
    index: int
    error: str
    message: str
    problems: tuple[dict, ...] = ()
