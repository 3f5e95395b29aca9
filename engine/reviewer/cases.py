"""Steps that describe a case and evaluate it with ``engine.evaluate`` or ``engine.evaluate_many``.

A case is written as a two-column table (字段 | 值, see `vocabulary.CASE_FIELDS`). There are no hidden
defaults except the case number (the scenario's name): every fact the engine judges is on the page,
or in the feature's 背景. Later steps may change (案件中 "X" 为 "Y"), add (案件补充) or remove
(案件中不填 "X") fields. Each evaluation is appended to the evaluation log when one is being written.
"""

from __future__ import annotations

import copy

import engine
from engine.reviewer.library import World, given, row_line, when
from engine.reviewer.rulesets import RulesetSource
from engine.reviewer.vocabulary import (Evaluation, Mismatch, Words, path_of, set_field, table_pairs, unknown_word,
                                        unset_field)


def _set(world: World, case: dict, field_: str, value: str, where: str = "") -> None:
    set_field(case, field_, value)
    note = unknown_word(path_of(field_), value)
    if note:
        world.notes.append(f"{where + '：' if where else ''}{field_} {note}")


def _rows(world: World, datatable: list[list[str]]) -> list[tuple[str, str, str]]:
    """The (字段, 值) pairs of a table with the line of each (a header row 字段 | 值 skipped)."""
    pairs = table_pairs(datatable)
    offset = len([r for r in datatable if r]) - len(pairs)
    return [(f, v, row_line(world, i + offset)) for i, (f, v) in enumerate(pairs)]


@given("案件：", arg="datatable")
def new_case(world: World, datatable: list[list[str]]) -> None:
    case: dict = {"case_id": world.scenario[:200]}
    world.notes = []
    for field_, value, where in _rows(world, datatable):
        _set(world, case, field_, value, where)
    world.case = case


@given("案件补充：", arg="datatable")
def add_to_case(world: World, datatable: list[list[str]]) -> None:
    case = world.need("case")
    for field_, value, where in _rows(world, datatable):
        _set(world, case, field_, value, where)


@given(Words('案件中 "{字段}" 为 "{值}"', "field_", "value"))
def change_case(world: World, field_: str, value: str) -> None:
    _set(world, world.need("case"), field_, value)


@given(Words('案件中不填 "{字段}"', "field_"))
def unset_case(world: World, field_: str) -> None:
    unset_field(world.need("case"), field_)


def _ruleset_source(world: World) -> RulesetSource:
    if world.ruleset_source is None:
        world.ruleset_source = RulesetSource(root=world.rulesets_root)
    return world.ruleset_source


@when("评估该案件")
def evaluate(world: World) -> None:
    case = world.need("case")
    source = _ruleset_source(world)
    rs = source.load()
    try:
        ev = Evaluation(case=case, decision=engine.evaluate(copy.deepcopy(case), rs), notes=tuple(world.notes))
    except engine.EngineError as exc:
        ev = Evaluation(case=case, error=exc, notes=tuple(world.notes))
    world.log.record(world, source, rs, ev.case, ev.decision, ev.error)
    world.evaluation = ev


@when("批量评估以下案件：", arg="datatable")
def evaluate_batch(world: World, datatable: list[list[str]]) -> None:
    """Each row is a variant of the case: the header row names the 字段, each cell overrides the case."""
    case = world.need("case")
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
    source = _ruleset_source(world)
    rs = source.load()
    results = engine.evaluate_many(copy.deepcopy(cases), rs)
    out = []
    for c, r in zip(cases, results):
        if isinstance(r, engine.Decision):
            out.append(Evaluation(case=c, decision=r))
            world.log.record(world, source, rs, c, r, None)
        else:
            problems = [engine.CaseProblem(**p) for p in r.problems]
            err = engine.CaseError(problems, r.case_id) if r.error == "CaseError" else engine.EngineError(r.message)
            out.append(Evaluation(case=c, error=err))
    if len(results) != len(cases):
        raise Mismatch(f"批量评估 {len(cases)} 个案件得到 {len(cases)} 个结果", f"{len(results)} 个结果")
    world.batch = out
