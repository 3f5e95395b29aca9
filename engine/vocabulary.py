"""The built-in fact paths a ruleset's conditions may read, with their types.

Owns the vocabulary that comes from the public contract (the `Case` fields) and from the decision
the engine computes (handler, outcome, penalty). Ruleset-declared facts (``facts.X``) and sanctions
(``measures.X``, ``penalty.kinds.X``) are added per ruleset by `check`. Imports nothing from `engine`.

Phase 1 paths describe the case; phase 2 paths describe the decision computed from phase 1, so a rule
that reads a phase 2 path runs after the penalty is known and may only add flags, transfers and the
procedure (it cannot change what it reads).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["BUILTIN", "CIRCUMSTANCES", "PathType", "phase_of"]


class PathType(NamedTuple):
    """The type of a fact path: one of money, number, integer, yes/no, text, enum (with members)."""

    type: str
    members: tuple[str, ...] = ()
    description: str = ""


CIRCUMSTANCES = {
    "first_offence": "初次违法",
    "corrected": "及时改正",
    "no_fault": "有证据足以证明没有主观过错",
    "coerced": "受他人胁迫或者诱骗实施违法行为",
    "self_reported": "主动供述行政机关尚未掌握的违法行为",
    "meritorious": "配合行政机关查处违法行为有立功表现",
    "mitigated_harm": "主动消除或者减轻违法行为危害后果",
    "life_health_or_finance": "涉及公民生命健康安全、金融安全",
    "suspected_crime": "涉嫌犯罪",
}

ROUTES = ("catalogue", "empowered", "dispatched", "retained-major", "designated", "none")

BUILTIN: dict[str, PathType] = {
    "party.kind": PathType("enum", ("individual", "organisation"), "当事人类型"),
    "party.age": PathType("integer", (), "当事人年龄（周岁，按行为发生日计算）"),
    "party.capacity": PathType("enum", ("full", "limited", "none"), "辨认或者控制能力"),
    "party.sole_trader": PathType("yes/no", (), "当事人为个体工商户"),
    # prior violations of the same item the case states (`history`), penalised within N years before this act:
    # "一年内再次发生" reads history.prior_1y >= 1; absent when the case does not state its history
    **{f"history.prior_{n}y": PathType("integer", (), f"{n}年内因同一违法行为受到行政处罚的次数（不含本次）")
       for n in (1, 2, 3)},
    **{f"circumstances.{k}": PathType("yes/no", (), v) for k, v in CIRCUMSTANCES.items()},
    "circumstances.harm": PathType("enum", ("none", "minor", "serious"), "危害后果"),
    "item.code": PathType("text", (), "执法事项编码"),
    "item.domain": PathType("text", (), "执法领域"),
    "item.category": PathType("enum", ("comprehensive", "specialist", "department"), "事项类别"),
    "place.county": PathType("text", (), "违法行为发生地（县级）"),
    "place.township": PathType("text", (), "违法行为发生地（乡镇/街道）"),
    "place.zone": PathType("text", (), "违法行为发生地（功能区）"),
    "place.mode": PathType("enum", ("empowered", "dispatched", "none"), "发生地乡镇/街道的执法模式"),
    "limitation.years_elapsed": PathType("integer", (), "自违法行为发生（或终了）至发现已满的整年数"),
    # phase 2: the decision as computed so far
    "handler.route": PathType("enum", ROUTES, "管辖路径"),
    "handler.level": PathType("enum", ("city", "county", "township"), "办案主体层级"),
    "handler.kind": PathType("enum", ("comprehensive", "specialist", "department", "township"), "办案主体类别"),
    "handler.candidates": PathType("integer", (), "有管辖权的主体个数"),
    "outcome": PathType("enum", ("penalty", "no_penalty", "may_waive", "time_barred"), "处理结果"),
    "penalty.adjustment": PathType("enum", ("none", "lighter", "reduced", "heavier"), "裁量调整"),
    "penalty.graded": PathType("yes/no", (), "已按裁量基准确定阶次"),
    "penalty.has_fine": PathType("yes/no", (), "含罚款"),
    "penalty.fine.min": PathType("money", (), "罚款下限（元）"),
    "penalty.fine.max": PathType("money", (), "罚款上限（元）"),
    # the handler's proposal; without one the engine tries the range's ends and thresholds and states each
    # consequence with its condition (see evaluate), so rules compare against this, not against the range
    "penalty.fine.proposed": PathType("money", (), "拟罚款金额（元）"),
    "penalty.fine.fixed": PathType("yes/no", (), "法定罚款为固定数额（无裁量幅度）"),
    "penalty.only_fine_or_warning": PathType("yes/no", (), "处罚仅为罚款或者警告"),
    "versions.differ": PathType("yes/no", (), "行为时与决定时的规则版本不同"),
}

_PHASE2_PREFIXES = ("handler.", "penalty.", "versions.")


def phase_of(path: str) -> int:
    """Return 2 for paths describing the computed decision, 1 for paths describing the case.

    Examples:
        >>> phase_of("party.age"), phase_of("penalty.fine.max"), phase_of("outcome")
        (1, 2, 2)
    """
    return 2 if path == "outcome" or path.startswith(_PHASE2_PREFIXES) else 1
