"""Steps that describe a case and evaluate it with ``engine.evaluate`` or ``engine.evaluate_many``.

A case is written as a two-column table (字段 | 值, see `vocabulary.CASE_FIELDS`). There are no hidden
defaults except the case number (the scenario's name): every fact the engine judges is on the page,
or in the feature's 背景. Later steps may change (案件中 "X" 为 "Y"), add (案件补充) or remove
(案件中不填 "X") fields. Each evaluation is appended to the coverage log when one is being written.
"""

from __future__ import annotations

import copy

import pytest
from pytest_bdd import given, when

import engine
from tests.steps.hooks import FeatureLog
from tests.steps.rulesets import RulesetSource
from tests.steps.vocabulary import Evaluation, Words, set_field, table_pairs, unset_field


@pytest.fixture
def case() -> dict:
    """No case described yet."""
    pytest.fail("场景没有描述案件：请先写 假如 案件：（附 字段 | 值 表格）", pytrace=False)


@given("案件：", target_fixture="case")
def _(datatable: list[list[str]], request: pytest.FixtureRequest) -> dict:
    case: dict = {"case_id": request.node.name[:200]}
    for field_, value in table_pairs(datatable):
        set_field(case, field_, value)
    return case


@given("案件补充：", target_fixture="case")
def _(datatable: list[list[str]], case: dict) -> dict:
    for field_, value in table_pairs(datatable):
        set_field(case, field_, value)
    return case


@given(Words('案件中 "{字段}" 为 "{值}"', "field_", "value"), target_fixture="case")
def _(field_: str, value: str, case: dict) -> dict:
    set_field(case, field_, value)
    return case


@given(Words('案件中不填 "{字段}"', "field_"), target_fixture="case")
def _(field_: str, case: dict) -> dict:
    unset_field(case, field_)
    return case


@when("评估该案件", target_fixture="evaluation")
def _(ruleset_source: RulesetSource, case: dict, feature_log: FeatureLog,
      request: pytest.FixtureRequest) -> Evaluation:
    rs = ruleset_source.load()
    try:
        ev = Evaluation(case=case, decision=engine.evaluate(copy.deepcopy(case), rs))
    except engine.EngineError as exc:
        ev = Evaluation(case=case, error=exc)
    feature_log.record(request, ruleset_source, rs, ev.case, ev.decision, ev.error)
    return ev


@when("批量评估以下案件：", target_fixture="batch")
def _(datatable: list[list[str]], ruleset_source: RulesetSource, case: dict, feature_log: FeatureLog,
      request: pytest.FixtureRequest) -> list[Evaluation]:
    """Each row is a variant of the case: the header row names the 字段, each cell overrides the case."""
    header, rows = datatable[0], datatable[1:]
    cases = []
    for i, row in enumerate(rows, 1):
        c = copy.deepcopy(case)
        c["case_id"] = f"{case.get('case_id', 'case')}#{i}"
        for field_, value in zip(header, row):
            if value.strip() == "（不填）":
                unset_field(c, field_)
            else:
                set_field(c, field_, value)
        cases.append(c)
    rs = ruleset_source.load()
    results = engine.evaluate_many(copy.deepcopy(cases), rs)
    out = []
    for c, r in zip(cases, results):
        if isinstance(r, engine.Decision):
            out.append(Evaluation(case=c, decision=r))
            feature_log.record(request, ruleset_source, rs, c, r, None)
        else:
            problems = [engine.CaseProblem(**p) for p in r.problems]
            err = engine.CaseError(problems, r.case_id) if r.error == "CaseError" else engine.EngineError(r.message)
            out.append(Evaluation(case=c, error=err))
    if len(results) != len(cases):
        pytest.fail(f"预期：批量评估 {len(cases)} 个案件得到 {len(cases)} 个结果\n实际：{len(results)} 个结果", pytrace=False)
    return out
