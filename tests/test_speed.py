"""Speed work (issue 16) that must not change what the engine reads or answers."""

from __future__ import annotations

import importlib

from engine.syntax import parse_cell_as, parse_cells_as


def test_a_repeated_table_cell_is_parsed_once_and_placed_where_it_stands():
    # parse_cells_as parses each distinct text once and moves a copy to every cell: the result must be exactly
    # what parsing each cell at its own place gives (positions, values, pydantic equality)
    cells = [("facts.面积 < 10", 2, 15), ("facts.次数 >= 2 and facts.次数 < 3", 3, 15), ("facts.面积 < 10", 9, 40),
             ("circumstances.first_offence == yes", 11, 7), ("facts.面积 < 10", 12, 1)]
    got = parse_cells_as(cells, "cond_cell", "t.csv")
    for (text, line, column), result in zip(cells, got):
        want = parse_cell_as(text, "cond_cell", "t.csv", line, column)
        assert result == want and repr(result) == repr(want)
    assert got[0] is not got[2] and got[0].span != got[2].span
    grades = [("个人 200..500; 单位 1000..5000", 4, 20), ("1..3 times 货值金额", 5, 20), ("个人 200..500; 单位 1000..5000", 6, 33),
              ("measure 补种树木 1..2 times 盗伐株数", 7, 3)]
    got = parse_cells_as(grades, "grade_cell", "t.csv")
    for (text, line, column), result in zip(grades, got):
        want = parse_cell_as(text, "grade_cell", "t.csv", line, column)
        assert result == want and repr(result) == repr(want)


def test_a_bad_cell_among_repeated_ones_is_reported_at_its_own_place():
    cells = [("facts.面积 < 10", 2, 5), ("facts.面积 <", 3, 5), ("facts.面积 < 10", 4, 5)]
    got = parse_cells_as(cells, "cond_cell", "t.csv")
    assert got[0] == parse_cell_as("facts.面积 < 10", "cond_cell", "t.csv", 2, 5)
    err = got[1]
    assert isinstance(err, Exception) and err.diagnostics[0].span.line == 3
    assert got[2].span.line == 4


def test_import_engine_imports_names_on_first_use():
    import engine

    assert callable(engine.evaluate) and engine.evaluate.__module__ == "engine.evaluate"
    assert importlib.import_module("engine.evaluate").evaluate is engine.evaluate
    assert engine.browse.__name__ == "engine.browse"
    assert set(engine.__all__) <= set(dir(engine))
