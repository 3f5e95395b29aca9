"""The decision: what `evaluate` returns, and how it reads as text.

Owns `Decision` and its parts exactly as the public contract names them, and `Decision.to_text()`,
the human view (handler, outcome, penalty range, flags, explanation).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer

__all__ = ["SET_ASIDE", "Answer", "Assumption", "Decision", "DecisionItem", "ErrorRecord", "Fine", "Flag", "Handler",
           "Penalty", "Question", "ScaledMeasure", "Step", "Transfer"]

# The words a Step ends with when its rule fired but an exception rule set it aside: evaluate writes them,
# and coverage and the reviewers' steps read them to tell an applied rule from one that was set aside.
SET_ASIDE = "此规则不适用"

OUTCOME_LABELS = {"penalty": "给予行政处罚", "no_penalty": "不予行政处罚", "may_waive": "可以不予行政处罚",
                  "time_barred": "超过追责时效，不再给予行政处罚"}
# the statute every decision cites for its general rules (jurisdiction, outcome, range, procedure)
LAW = "《中华人民共和国行政处罚法》"
ADJUSTMENT_LABELS = {"none": "无", "lighter": "从轻", "reduced": "减轻", "heavier": "从重"}
ROUTE_LABELS = {"catalogue": "按执法事项目录", "empowered": "赋权乡镇（街道）以自身名义", "dispatched": "派驻执法队以派出机关名义",
                "retained-major": "重大处罚由县级部门管辖", "designated": "管辖争议，待协商或指定", "none": "无执法主体"}


def fine_text(fine: "Fine | None") -> str:
    """A fine range in Chinese: "罚款200元至1000元", "罚款50元" for a fixed amount, "不罚款" for none."""
    if fine is None:
        return "不罚款"
    if fine.min == fine.max:
        return f"罚款{fine.min}元"
    return f"罚款{fine.min}元至{fine.max}元"


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


class ScaledMeasure(_Out):
    """A non-fine measure the benchmark grade scales (补种盗伐株数一倍以上二倍以下的树木): its legal name, the
    range as computed for the case (decimal strings; null when the quantity it scales is not stated) and the text."""

    name: str
    min: str | None
    max: str | None
    text: str


class Penalty(_Out):
    """The penalty range the benchmark and the law allow."""

    grade: str | None
    adjustment: Literal["none", "lighter", "reduced", "heavier"]
    kinds: tuple[str, ...]
    fine: Fine | None
    measures: tuple[ScaledMeasure, ...] = ()  # 0.3: only in the JSON when the grade scales a measure

    @model_serializer(mode="wrap")
    def _drop_empty_measures(self, handler):
        # an addition of 0.3: a decision without scaled measures keeps the JSON of 0.2 exactly
        out = handler(self)
        if isinstance(out, dict) and not out.get("measures"):
            out.pop("measures", None)
        return out


class Flag(_Out):
    """A legal check the decision needs: outright (`condition` null) or only under `condition`."""

    code: str
    label: str
    reason: str
    basis: str
    condition: str | None = None


class Answer(_Out):
    """One possible value of an open fact and the decision it leads to (both in Chinese)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    if_: str = Field(alias="if", serialization_alias="if")
    then: str


class Question(_Out):
    """A fact the case leaves open that would change the decision."""

    field: str
    provision: str
    why: str
    answers: tuple[Answer, ...]


class Assumption(_Out):
    """A premise the decision rests on that is not established."""

    what: str
    rule: str
    source: str
    status: Literal["unconfirmed", "assumed"]


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
    questions: tuple[Question, ...] = ()
    assumptions: tuple[Assumption, ...] = ()

    def has_flag(self, code: str) -> bool:
        """Whether a flag with this code is present."""
        return any(f.code == code for f in self.flags)

    def to_text(self) -> str:
        """Render the decision for a person: handler, outcome, penalty range, flags, reasoning, open questions and
        the premises it rests on."""
        h = self.handler
        if h.route == "none":
            who = "本地规则集未明确本事项的执法主体，须由县级人民政府明确管辖"
        else:
            who = f"{h.agency}（" + (f"以{h.in_name_of}名义；" if h.in_name_of else "") + f"{ROUTE_LABELS[h.route]}）"
        lines = [f"案件 {self.case_id}  （规则集 {self.ruleset}）",
                 f"执法事项：{self.item.code} {self.item.name}（{self.item.domain}）",
                 f"办案主体：{who}",
                 f"处理结果：{OUTCOME_LABELS[self.outcome]}"]
        if self.penalty is not None:
            p = self.penalty
            lines.append(f"处罚幅度：{fine_text(p.fine)}；处罚种类：{'、'.join(p.kinds) or '无'}；"
                         f"裁量阶次：{p.grade or '未分阶次'}；调整：{ADJUSTMENT_LABELS[p.adjustment]}")
            lines.extend(f"裁量措施：{sm.text}" for sm in p.measures)
            lines.append(f"程序：{'简易程序（当场处罚）' if self.procedure == 'simplified' else '普通程序'}")
        for t in self.transfers:
            lines.append(f"移送：{t.to}——{t.reason}（{t.basis}）")
        if self.flags:
            lines.append("须办事项：")
            lines.extend(f"  [{f.code}] {f.label}" + (f"（条件：{f.condition}）" if f.condition else "")
                         + f"：{f.reason}（{f.basis}）" for f in self.flags)
        lines.append("理由：")
        lines.extend(f"  {i}. {s.text}〔{s.rule}；{s.basis}〕" for i, s in enumerate(self.explanation, 1))
        if self.questions:
            lines.append("待查明的事实（以上结论取决于这些事实）：")
            for q in self.questions:
                lines.append(f"  - {q.why}〔{q.field}；{q.provision}〕")
                lines.extend(f"      若{a.if_}：{a.then}" for a in q.answers)
        if self.assumptions:
            lines.append("所依据的未经证实或推定的前提：")
            lines.extend(f"  - [{'未经证实' if a.status == 'unconfirmed' else '推定'}] {a.what}〔{a.rule}；{a.source}〕"
                         for a in self.assumptions)
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
