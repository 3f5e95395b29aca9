"""Pytest and pytest-bdd hooks of the feature suite, the ``world`` fixture, and the evaluation log.

- Tags: the tags a feature file may use are declared in ``features/tags.txt`` (data, not Python) and
  registered here as markers, because pytest runs with ``--strict-markers``: a misspelt tag fails
  collection instead of silently selecting nothing. ``@known_issue`` marks a scenario whose
  expectation is the law's and the engine disagrees: it becomes ``xfail(strict=True)``, so the suite
  stays green while the disagreement lasts and turns red the day the engine is fixed.
- Unknown step wording fails with the closest known steps, in Chinese.
- ``world``: the `engine.reviewer.World` of one scenario. When the environment variable
  ``ZHIFA_FEATURE_LOG`` names a file, every evaluation and every scenario's result is appended to it
  (``engine/coverage.py`` reads it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from engine.reviewer.library import KEYWORDS, FeatureLog, World, closest_steps, known_steps
from engine.reviewer.runner import TAGS_FILE, read_tags

__all__ = ["KEYWORDS", "TAGS", "known_steps", "closest_steps"]

REPO = Path(__file__).resolve().parents[2]
TAGS, _TAG_PROBLEMS = read_tags(REPO / "features" / TAGS_FILE)


def pytest_configure(config: pytest.Config) -> None:
    if _TAG_PROBLEMS:
        raise pytest.UsageError("\n".join(p.render() for p in _TAG_PROBLEMS))
    for tag, description in TAGS.items():
        config.addinivalue_line("markers", f"{tag}: {description}")


def pytest_bdd_apply_tag(tag: str, function: Any) -> Any:
    if tag != "known_issue":
        return None
    marked = pytest.mark.known_issue(function)
    pytest.mark.xfail(strict=True, reason="known_issue：引擎与法律规定不一致，见场景说明")(marked)
    return True


def pytest_bdd_step_func_lookup_error(request: Any, feature: Any, scenario: Any, step: Any,
                                      exception: Exception) -> None:
    near = closest_steps(step.type, step.name)
    hint = ("最接近的已知步骤：\n" + "\n".join(f"  {s}" for s in near)) if near else "没有相近的已知步骤"
    pytest.fail(f"不认识的步骤：{step.keyword.strip()} {step.name}\n"
                f"（{feature.rel_filename} 第 {step.line_number} 行，场景“{scenario.name}”）\n{hint}\n"
                f"全部步骤见 docs/features.md。", pytrace=False)


_SCENARIO = pytest.StashKey[dict]()


def pytest_bdd_before_scenario(request: Any, feature: Any, scenario: Any) -> None:
    request.node.stash[_SCENARIO] = {"feature": feature.rel_filename, "scenario": scenario.name,
                                     "line": scenario.line_number, "tags": sorted(scenario.tags | feature.tags)}


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    """The scenario's shared state; ruleset paths in steps are relative to the repository."""
    info = request.node.stash.get(_SCENARIO, {})
    return World(bases=[REPO], feature=info.get("feature", ""), scenario=info.get("scenario", request.node.name),
                 line=info.get("line", 0), tags=info.get("tags", []), test_id=request.node.nodeid,
                 log=FeatureLog(os.environ.get("ZHIFA_FEATURE_LOG")), tmp_factory=lambda: tmp_path)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = os.environ.get("ZHIFA_FEATURE_LOG")
    if path and (report.when == "call" or report.outcome != "passed") and "test_features.py" in report.nodeid:
        outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome
        FeatureLog(path).write({"kind": "result", "test": report.nodeid, "when": report.when, "outcome": outcome})
