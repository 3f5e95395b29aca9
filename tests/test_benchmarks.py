"""Discretion-benchmark shapes (issue 19): the checker's diagnostics, benchmark tables and their positions,
and the arithmetic of grades, scaled measures and the 裁量百分值 factor model."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.errors import RulesetError

HEAD = '''ruleset "t" effective 2024-01-01
domain 林业 category department
sanction 警告 "警告"
sanction 罚款 "罚款" fine
sanction 补种 "责令限期补种树木" measure
fact 价值: money "林木价值（元）"
fact 株数: integer "盗伐株数（株）"
fact 影响: one of "小", "大"
county 甲县 "甲县"
agency 甲县林业局 level county kind department serves 甲县 handles domain 林业
item I-1 "盗伐林木" domain 林业 basis "《中华人民共和国森林法》第七十六条第一款"
  penalty 全部: 罚款 5..10 times 价值
item I-2 "拒绝检查" domain 林业 basis "《中华人民共和国森林法》第八十条"
  penalty 个人: 罚款 up to 5000
  penalty 单位: 警告, 罚款 up to 50000
'''


def _load(tmp_path: Path, body: str, files: dict[str, str] | None = None):
    d = tmp_path / "t"
    d.mkdir()
    (d / "2024-01-01.rules").write_text(HEAD + body, encoding="utf-8")
    for name, text in (files or {}).items():
        (d / name).write_text(text, encoding="utf-8")
    return engine.load_ruleset(d, cache=False)


def _codes(tmp_path: Path, body: str, files=None) -> list[str]:
    with pytest.raises(RulesetError) as err:
        _load(tmp_path, body, files)
    return [d.code for d in err.value.errors]


def test_factor_percentages_over_100_are_refused(tmp_path):
    body = '''benchmark I-2 source "s"
  factor 甲 when facts.影响 == "大": 60%
  factor 乙 when facts.株数 >= 3: 50%
'''
    assert "factor-over-100" in _codes(tmp_path, body)


def test_factor_facts_must_be_declared(tmp_path):
    body = '''benchmark I-2 source "s"
  factor 甲 when facts.影晌 == "大": 60%
'''
    assert "unknown-fact" in _codes(tmp_path, body)


def test_warning_grade_needs_a_warning_in_the_article(tmp_path):
    assert "grade-no-warning" in _codes(tmp_path, '''benchmark I-2 source "s"
  grade 轻微 when facts.株数 < 3: 个人 warning
''')


def test_grades_lighter_than_a_warning_after_it_are_not_monotone(tmp_path):
    assert "grade-not-monotone" in _codes(tmp_path, '''benchmark I-2 source "s"
  grade 一般 when facts.株数 < 3: 单位 1000..2000
  grade 轻微 when facts.株数 >= 3: 单位 warning
''')


def test_scaled_measures_must_grow(tmp_path):
    assert "grade-not-monotone" in _codes(tmp_path, '''benchmark I-1 source "s"
  grade 较轻 when facts.株数 < 10: 5..6 times 价值; measure 补种 2..3 times 株数
  grade 较重 when facts.株数 >= 10: 6..8 times 价值; measure 补种 1..2 times 株数
''')


def test_multiples_outside_the_statute_are_refused(tmp_path):
    assert "grade-outside-statute" in _codes(tmp_path, '''benchmark I-1 source "s"
  grade 严重 otherwise: 8..12 times 价值
''')


def test_a_no_penalty_grade_sets_nothing_else(tmp_path):
    assert "grade-mixed" in _codes(tmp_path, '''benchmark I-2 source "s"
  grade 免罚 when facts.株数 < 1: no_penalty "首违"; 单位 1..2
''')


def test_is_missing_in_a_benchmark_is_a_warning(tmp_path):
    rs = _load(tmp_path, '''benchmark I-2 source "s"
  grade 无法确定 when facts.价值 is missing: 单位 up to 10000
''')
    assert rs is not None
    from engine.check import check as run_check  # the warning is reported by the checker, loading goes on
    from engine.ruleset import Ruleset  # noqa: F401
    diags = run_check(rs.program_at(rs.first.composite.version).composite).diagnostics
    assert any(d.code == "missing-as-fact" and d.severity == "warning" for d in diags)


def test_benchmark_table_errors_are_positioned_inside_the_cell(tmp_path):
    table = "事项编码,阶次,适用条件,单位\nI-2,轻微,facts.株数 < 3,up to 1000\nI-2,一般,facts.株薮 >= 3,1000..oops\n"
    with pytest.raises(RulesetError) as err:
        _load(tmp_path, 'benchmarks "b.csv"\n', {"b.csv": table})
    d = err.value.errors[0]
    assert (d.span.source.endswith("b.csv"), d.span.line) == (True, 3)
    assert d.span.column == len("I-2,一般,facts.株薮 >= 3,1000..") + 1


def test_benchmark_table_unknown_fact_at_its_column(tmp_path):
    table = "事项编码,阶次,适用条件,单位\nI-2,轻微,facts.株薮 < 3,up to 1000\n"
    with pytest.raises(RulesetError) as err:
        _load(tmp_path, 'benchmarks "b.csv"\n', {"b.csv": table})
    d = next(x for x in err.value.errors if x.code == "unknown-fact")
    assert (d.span.line, d.span.column) == (2, len("I-2,轻微,") + 1)


def test_benchmark_table_problems_in_repeated_cells_are_each_at_their_row(tmp_path):
    # a table's repeated cell texts are read once and shared (fast); a problem the checker then finds inside one
    # is reported at every row that holds it, exactly as when each cell is read where it stands
    table = ("事项编码,阶次,适用条件,单位,来源\n"
             "I-2,轻微,facts.株薮 < 3,up to 1000,某基准\n"
             "I-2,一般,facts.株数 >= 3,up to 2000,某基准\n"
             "I-1,轻微,facts.株薮 < 3,5..6 times 价值,某基准\n")
    with pytest.raises(RulesetError) as err:
        _load(tmp_path, 'benchmarks "b.csv"\n', {"b.csv": table})
    unknown = [(d.span.source.rsplit("/", 1)[-1], d.span.line, d.span.column, d.span.end_column)
               for d in err.value.errors if d.code == "unknown-fact"]
    column = len("I-2,轻微,") + 1
    assert unknown == [("b.csv", 2, column, column + len("facts.株薮")), ("b.csv", 4, column, column + len("facts.株薮"))]


def test_benchmark_table_warnings_in_repeated_cells_are_at_their_rows(tmp_path):
    table = ("事项编码,阶次,适用条件,单位,来源\n"
             "I-2,无法确定,facts.价值 is missing,up to 1000,某基准\n"
             "I-1,无法确定,facts.价值 is missing,5..6 times 价值,某基准\n")
    rs = _load(tmp_path, 'benchmarks "b.csv"\n', {"b.csv": table})
    found = sorted((d.span.source.rsplit("/", 1)[-1], d.span.line, d.span.column) for d in rs.warnings
                   if d.code == "missing-as-fact")
    column = len("I-2,无法确定,") + 1
    assert found == [("b.csv", 2, column), ("b.csv", 3, column)]


def test_a_clean_benchmark_table_shares_one_reading_per_cell_text(tmp_path):
    table = ("事项编码,阶次,适用条件,单位,来源\n"
             "I-2,轻微,facts.株数 < 3,up to 1000,某基准\n"
             "I-2,一般,facts.株数 >= 3,up to 2000,某基准\n"
             "I-1,轻微,facts.株数 < 3,5..6 times 价值,某基准\n"
             "I-1,一般,facts.株数 >= 3,6..10 times 价值,某基准\n")
    rs = _load(tmp_path, 'benchmarks "b.csv"\n', {"b.csv": table})
    assert not [d for d in rs.warnings if d.span.source == "<cell>"]
    bms = rs.program_at(rs.first.composite.version).composite.benchmarks
    assert bms["I-2"].grades[0].when is bms["I-1"].grades[0].when
    assert bms["I-2"].grades[0].span.line == 2 and bms["I-1"].grades[0].span.line == 4  # the rows keep their places
    case = {"case_id": "c", "item": "I-1", "place": {"county": "甲县"}, "occurred_on": "2024-03-01",
            "decided_on": "2024-03-02", "party": {"kind": "organisation"}, "facts": {"株数": 5, "价值": 100}}
    assert engine.evaluate(case, rs).penalty.fine.model_dump() == {"min": "600", "max": "1000"}


_CASE = {"case_id": "c", "item": "I-2", "place": {"county": "甲县"}, "occurred_on": "2024-03-01",
         "decided_on": "2024-03-02", "party": {"kind": "organisation"}}


def test_a_table_s_heavier_and_lighter_columns_are_the_clauses(tmp_path):
    # 从重情形 / 从轻情形: the benchmark's `heavier when` / `lighter when`, the same decisions as written in the language
    table = ("事项编码,阶次,适用条件,单位,从重情形,从轻情形,来源\n"
             'I-2,轻微,facts.株数 < 3,up to 1000,facts.价值 >= 100 "价值较大",,某基准\n'
             'I-2,一般,facts.株数 >= 3,1000..2000,facts.价值 >= 100 "价值较大",facts.影响 == "小" "影响较小",某基准\n')
    dsl = ('benchmark I-2 source "某基准"\n'
           "  grade 轻微 when facts.株数 < 3: 单位 up to 1000\n"
           "  grade 一般 when facts.株数 >= 3: 单位 1000..2000\n"
           '  heavier when facts.价值 >= 100 "价值较大"\n'
           '  lighter when facts.影响 == "小" "影响较小"\n')
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    from_table = _load(tmp_path / "a", 'benchmarks "b.csv"\n', {"b.csv": table})
    from_dsl = _load(tmp_path / "b", dsl)
    adjustments = from_table.program_at(from_table.first.composite.version).composite.benchmarks["I-2"].adjustments
    assert [(a.direction, a.reason, a.span.line) for a in adjustments] == [("heavier", "价值较大", 2),
                                                                          ("lighter", "影响较小", 3)]
    for facts in ({"株数": 1, "价值": 500}, {"株数": 5, "价值": 50, "影响": "小"}, {"株数": 5, "价值": 50, "影响": "大"}):
        case = {**_CASE, "facts": facts}
        a, b = engine.evaluate(case, from_table), engine.evaluate(case, from_dsl)
        assert a.model_dump(exclude={"ruleset"}) == b.model_dump(exclude={"ruleset"})
    assert engine.evaluate({**_CASE, "facts": {"株数": 1, "价值": 500}}, from_table).penalty.adjustment == "heavier"


def test_a_heavier_cell_is_checked_and_placed_like_any_cell(tmp_path):
    table = ("事项编码,阶次,适用条件,单位,从重情形,来源\n"
             'I-2,轻微,facts.株数 < 3,up to 1000,facts.价直 >= 100 "价值较大",某基准\n'
             'I-2,一般,facts.株数 >= 3,1000..2000,facts.价直 >= 100 "价值较大",某基准\n')
    (tmp_path / "a").mkdir()
    with pytest.raises(RulesetError) as err:
        _load(tmp_path / "a", 'benchmarks "b.csv"\n', {"b.csv": table})
    column = len("I-2,轻微,facts.株数 < 3,up to 1000,") + 1
    assert [(d.code, d.span.line, d.span.column) for d in err.value.errors] == [("unknown-fact", 2, column)]
    bad = "事项编码,阶次,适用条件,单位,从轻情形,来源\nI-2,轻微,facts.株数 < 3,up to 1000,facts.株数 <,某基准\n"
    (tmp_path / "b").mkdir()
    with pytest.raises(RulesetError) as err:
        _load(tmp_path / "b", 'benchmarks "b.csv"\n', {"b.csv": bad})
    d = err.value.errors[0]
    assert (d.code, d.span.line) == ("syntax", 2) and d.span.column > len("I-2,轻微,facts.株数 < 3,up to 1000,")


def test_grade_multiple_and_scaled_measure_in_the_decision(tmp_path):
    rs = _load(tmp_path, '''benchmark I-1 source "s"
  grade 较轻 when facts.株数 < 10: 5..6 times 价值; measure 补种 1..2 times 株数
  grade 较重 otherwise: 6..8 times 价值; measure 补种 2..3 times 株数
''')
    d = engine.evaluate({"case_id": "c", "item": "I-1", "place": {"county": "甲县"}, "occurred_on": "2024-02-01",
                         "decided_on": "2024-03-01", "party": {"kind": "individual", "age": 30},
                         "facts": {"价值": 1000, "株数": 12}}, rs)
    assert (d.penalty.grade, d.penalty.fine.min, d.penalty.fine.max) == ("较重", "6000", "8000")
    assert [(m.name, m.min, m.max) for m in d.penalty.measures] == [("补种", "24", "36")]
    assert "measures" in d.model_dump()["penalty"]


def test_decisions_without_scaled_measures_keep_the_json_of_0_2(tmp_path):
    rs = _load(tmp_path, "")
    d = engine.evaluate({"case_id": "c", "item": "I-2", "place": {"county": "甲县"}, "occurred_on": "2024-02-01",
                         "decided_on": "2024-03-01", "party": {"kind": "organisation"}}, rs)
    assert "measures" not in d.model_dump()["penalty"]


def test_factor_sum_places_the_fine(tmp_path):
    rs = _load(tmp_path, '''benchmark I-2 source "s"
  factor 影响 when facts.影响 == "大": 40%
  factor 株数 when facts.株数 >= 3: 10%
''')
    d = engine.evaluate({"case_id": "c", "item": "I-2", "place": {"county": "甲县"}, "occurred_on": "2024-02-01",
                         "decided_on": "2024-03-01", "party": {"kind": "organisation"},
                         "facts": {"影响": "大", "株数": 5}}, rs)
    assert (d.penalty.fine.min, d.penalty.fine.max) == ("25000", "25000")


def test_undeterminable_amount_is_stated_not_missing(tmp_path):
    rs = _load(tmp_path, '''benchmark I-2 source "s"
  grade 无法确定 when facts.价值 is undeterminable: 单位 up to 10000
''')
    base = {"case_id": "c", "item": "I-2", "place": {"county": "甲县"}, "occurred_on": "2024-02-01",
            "decided_on": "2024-03-01", "party": {"kind": "organisation"}}
    stated = engine.evaluate({**base, "facts": {"价值": "无法确定"}}, rs)
    assert stated.penalty.grade == "无法确定"
    silent = engine.evaluate(base, rs)
    assert silent.penalty.grade is None
    assert any(q.field == "facts.价值" for q in silent.questions)
    given = engine.evaluate({**base, "facts": {"价值": 500}}, rs)
    assert given.penalty.grade is None and not any(q.field == "facts.价值" for q in given.questions)


def test_history_window_counts_from_the_act(tmp_path):
    from engine.case import parse_case
    from engine.evaluate import prior_count
    c = parse_case({"case_id": "c", "item": "I-2", "place": {"county": "甲县"}, "occurred_on": "2024-03-01",
                    "decided_on": "2024-04-01", "party": {"kind": "organisation"},
                    "history": [{"decided_on": "2023-03-01"}, {"decided_on": "2023-02-28"}, {"decided_on": "2022-03-01"}]})
    assert [prior_count(c, n) for n in (1, 2, 3)] == [1, 3, 3]


def test_history_after_the_act_is_refused(tmp_path):
    rs = _load(tmp_path, "")
    with pytest.raises(engine.CaseError) as err:
        engine.evaluate({"case_id": "c", "item": "I-2", "place": {"county": "甲县"}, "occurred_on": "2024-02-01",
                         "decided_on": "2024-03-01", "party": {"kind": "organisation"},
                         "history": [{"decided_on": "2024-02-15"}]}, rs)
    assert err.value.problems[0].path == "history.0.decided_on"


def test_a_benchmark_table_has_the_catalogue_s_size_limits():
    # both tables are read by one CSV front (loader._csv_table): the limits of issue 14 hold for benchmarks too
    from engine.loader import MAX_CELL, MAX_COLUMNS, MAX_ROWS, read_benchmarks

    cases = {
        "cell": "code,grade,all\nZJ-SR-12,一般," + "1" * (MAX_CELL + 1) + "\n",
        "columns": ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n",
        "rows": "code,grade,all\n" + "ZJ-SR-12,一般,200..500\n" * (MAX_ROWS + 1),
    }
    for what, text in cases.items():
        diags: list = []
        assert read_benchmarks(text, f"{what}.csv", diags) == [], what
        assert [d.code for d in diags] == ["too-large"], (what, diags)
