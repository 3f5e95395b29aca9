"""Pytest and pytest-bdd hooks of the feature suite, and the evaluation log ``zhifa coverage`` reads.

- Tags: every tag a feature file may use is registered here (`TAGS`), because pytest runs with
  ``--strict-markers``: a misspelt provision tag fails collection instead of silently selecting
  nothing. ``@known_issue`` marks a scenario whose expectation is the law's and the engine disagrees:
  it becomes ``xfail(strict=True)``, so the suite stays green while the disagreement lasts and turns
  red the day the engine is fixed (then remove the tag).
- Unknown step wording fails with the closest known steps (difflib), in Chinese.
- `FeatureLog`: when the environment variable ``ZHIFA_FEATURE_LOG`` names a file, every evaluation
  (case, decision or error, scenario, tags) and every scenario's result is appended to it as JSON
  Lines. ``engine/coverage.py`` turns that log into the coverage report.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

# ── tags ────────────────────────────────────────────────────────────────────
# Provision tags: one per article (or paragraph) a scenario specifies. Add new ones here.
PROVISION_TAGS = {
    "行政处罚法第17条": "行政处罚由具有行政处罚权的行政机关实施（无执法主体）",
    "行政处罚法第22条": "违法行为发生地管辖",
    "行政处罚法第24条": "乡镇（街道）承接县级部门的行政处罚权",
    "行政处罚法第25条": "两个以上机关都有管辖权；管辖争议",
    "行政处罚法第27条": "涉嫌犯罪的移送司法机关",
    "行政处罚法第30条": "未成年人",
    "行政处罚法第31条": "精神病人、智力残疾人",
    "行政处罚法第32条": "应当从轻或者减轻",
    "行政处罚法第33条第1款": "轻微不罚（应当）与首违可不罚（可以）",
    "行政处罚法第33条第2款": "没有主观过错不罚",
    "行政处罚法第34条": "裁量基准；说明理由",
    "行政处罚法第36条": "追责时效",
    "行政处罚法第37条": "从旧兼从轻",
    "行政处罚法第38条": "没有依据的行政处罚无效",
    "行政处罚法第51条": "简易程序（当场处罚）",
    "行政处罚法第57条": "集体讨论",
    "行政处罚法第58条": "法制审核",
    "行政处罚法第63条": "听证告知",
    "浙江省综合行政执法条例第8条": "综合执法事项与专业领域纳入",
    "浙江省综合行政执法条例第9条": "乡镇（街道）赋权与派驻",
    "浙政办发2021第51号": "赋权乡镇（街道）的重大处罚仍由县级部门管辖",
}
# Arrangement and authoring tags.
OTHER_TAGS = {
    "上城": "杭州市上城区的执法安排（凯旋、南星赋权街道，杭州东站派驻队伍）",
    "滨江": "杭州高新区（滨江）的执法安排（农业划入综合执法，保留部门，派驻街道）",
    "缙云": "缙云县的执法安排（“1+8”，18 个赋权乡镇街道）",
    "义乌": "义乌市的执法安排（三类镇街）",
    "统计用区划代码": "案件以统计用区划代码（place.code）指明地点",
    "裁量基准": "裁量基准的阶次与幅度",
    "规则集编写": "规则集草稿的编写错误",
    "案件输入": "案件输入的校验",
    "known_issue": "引擎与法律（或种子文件）的规定不一致的场景：预期失败（xfail strict），引擎修正后去掉此标签",
}
TAGS = {**PROVISION_TAGS, **OTHER_TAGS}


def pytest_configure(config: pytest.Config) -> None:
    for tag, description in TAGS.items():
        config.addinivalue_line("markers", f"{tag}: {description}")


def pytest_bdd_apply_tag(tag: str, function: Any) -> Any:
    if tag != "known_issue":
        return None
    marked = pytest.mark.known_issue(function)
    pytest.mark.xfail(strict=True, reason="known_issue：引擎与法律规定不一致，见场景说明")(marked)
    return True


# ── unknown step wording ────────────────────────────────────────────────────
KEYWORDS = {"given": "假如", "when": "当", "then": "那么"}
_PREFIX = "pytestbdd_stepdef_"
_STEP_MODULES = ("tests.steps.rulesets", "tests.steps.cases", "tests.steps.decisions")


def known_steps() -> list[tuple[str, str]]:
    """Every step of the library as (type, pattern), read from the step modules' registered step fixtures."""
    out = []
    for modname in _STEP_MODULES:
        mod = sys.modules.get(modname)
        for key in vars(mod) if mod else ():
            if key.startswith(_PREFIX):
                type_, _, pattern = key[len(_PREFIX):].partition("_")
                out.append((type_, pattern))
    return sorted(set(out))


def _shape(text: str) -> str:
    """Step text with its arguments blanked, so that wording, not values, is compared."""
    text = re.sub(r'"[^"]*"', '"…"', text)
    text = re.sub(r"\{[^}]*\}", "…", text)
    return re.sub(r"-?\d+(\.\d+)?", "…", text)


def closest_steps(step_type: str, text: str, n: int = 5) -> list[str]:
    """The known steps closest to `text` (same keyword type first), written with their Chinese keyword."""
    steps = known_steps()
    shapes: dict[str, str] = {}
    for type_, pattern in steps:
        shapes.setdefault(_shape(pattern), f"{KEYWORDS.get(type_, type_)} {pattern}")
    found = difflib.get_close_matches(_shape(text), list(shapes), n=n, cutoff=0.3)
    same = [shapes[s] for s in found if shapes[s].startswith(KEYWORDS.get(step_type, "?"))]
    return same + [shapes[s] for s in found if shapes[s] not in same]


def pytest_bdd_step_func_lookup_error(request: Any, feature: Any, scenario: Any, step: Any,
                                      exception: Exception) -> None:
    near = closest_steps(step.type, step.name)
    hint = ("最接近的已知步骤：\n" + "\n".join(f"  {s}" for s in near)) if near else "没有相近的已知步骤"
    pytest.fail(f"不认识的步骤：{step.keyword.strip()} {step.name}\n"
                f"（{feature.rel_filename} 第 {step.line_number} 行，场景“{scenario.name}”）\n{hint}\n"
                f"全部步骤见 docs/features.md。", pytrace=False)


# ── the evaluation log for `zhifa coverage` ─────────────────────────────────
_SCENARIO = pytest.StashKey[dict]()


def pytest_bdd_before_scenario(request: Any, feature: Any, scenario: Any) -> None:
    request.node.stash[_SCENARIO] = {"feature": feature.rel_filename, "scenario": scenario.name,
                                     "line": scenario.line_number,
                                     "tags": sorted(scenario.tags | feature.tags)}


class FeatureLog:
    """Appends JSON Lines to the file named by ``ZHIFA_FEATURE_LOG``; does nothing when it is unset."""

    def __init__(self, path: str | None):
        self.path = Path(path) if path else None

    def write(self, record: dict) -> None:
        if self.path is None:
            return
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    def record(self, request: Any, source: Any, ruleset: Any, case: dict, decision: Any, error: Any) -> None:
        """Log one evaluation with the scenario it belongs to."""
        if self.path is None:
            return
        info = request.node.stash.get(_SCENARIO, {})
        err = None
        if error is not None:
            err = {"type": type(error).__name__, "message": str(error),
                   "paths": [p.path for p in getattr(error, "problems", ())]}
        self.write({"kind": "evaluation", "test": request.node.nodeid, **info,
                    "target": None if source.is_draft else source.target, "ruleset": ruleset.name,
                    "draft_layers": source.layers, "case": case,
                    "decision": decision.model_dump(mode="json") if decision is not None else None, "error": err})


@pytest.fixture(scope="session")
def feature_log() -> FeatureLog:
    """The evaluation log (inactive unless ``ZHIFA_FEATURE_LOG`` is set)."""
    return FeatureLog(os.environ.get("ZHIFA_FEATURE_LOG"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = os.environ.get("ZHIFA_FEATURE_LOG")
    if path and (report.when == "call" or report.outcome != "passed") and "test_features.py" in report.nodeid:
        outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome
        FeatureLog(path).write({"kind": "result", "test": report.nodeid, "when": report.when, "outcome": outcome})
