"""Tables a government office sends (catalogues, benchmark tables, empowerment lists), as CSV or Excel workbooks.

Every workbook here is a real .xlsx written by openpyxl in the test. The rendered diagnostics are golden files
under tests/golden/tables/ (re-record after a reviewed change of wording: ZHIFA_UPDATE_GOLDEN=1, then read the
diff). A workbook's problems are placed at ``file.xlsx[sheet]:row:column``, a CSV's at ``file:line:column``.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

import engine

from conftest import write_workbook

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "tables"
JINYUN = REPO / "rulesets" / "lishui" / "jinyun"
COMMON = "缙云县乡镇街道共性事项"
COMMON_CODES = ["ZJ-SR-11", "ZJ-SR-16", "ZJ-SR-17-1", "ZJ-SR-32-12", "ZJ-SR-32-34", "ZJ-DQ-119-1"]
INLINE = "  items ZJ-SR-11, ZJ-SR-16, ZJ-SR-17-1, ZJ-SR-32-12, ZJ-SR-32-34, ZJ-DQ-119-1\n"
# the columns of a government list (温州市综合行政执法事项目录, domain/FACTS.md §6.4): 序号 / 事项代码 / 事项名称 / 法律依据
HEAD = ["序号", "事项代码", "事项名称", "法律依据"]


def _workbook(path: Path, rows: list[list], sheet: str = "清单") -> None:
    write_workbook(path, rows, sheet)


def _write(path: Path, rows: list[list]) -> None:
    """The same rows as a workbook (.xlsx) or a CSV export (.csv)."""
    if path.suffix == ".xlsx":
        _workbook(path, rows)
    else:
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([["" if c is None else c for c in r] for r in rows])


def _names() -> dict[str, str]:
    comp = engine.load_ruleset("lishui/jinyun").current.composite
    return {c: comp.items[c].name for c in COMMON_CODES}


def _jinyun(tmp_path: Path, table: str) -> Path:
    """A copy of 缙云县's ruleset whose common list is read from `table` instead of written inline."""
    d = tmp_path / "jinyun"
    shutil.copytree(JINYUN, d)
    rules = d / "2022-01-01.rules"
    text = rules.read_text(encoding="utf-8")
    assert INLINE in text
    rules.write_text(text.replace(INLINE, f'  items from "{table}"\n'), encoding="utf-8")
    return d


def _draft(tmp_path: Path, clause: str) -> Path:
    """A one-file county under the province with one list read from a table."""
    d = tmp_path / "测试县"
    d.mkdir()
    (d / "2024-01-01.rules").write_text(
        f'ruleset "测试县" extends "zhejiang" effective 2024-01-01\nlist 测试清单 "测试清单" {clause}\n', encoding="utf-8")
    return d


def _golden(name: str, got: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("ZHIFA_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


def _fails(d: Path, tmp_path: Path, monkeypatch) -> engine.RulesetError:
    monkeypatch.chdir(tmp_path)  # positions relative to it: 测试县/清单.xlsx[清单]:3:2
    with pytest.raises(engine.RulesetError) as info:
        engine.load_ruleset(d.relative_to(tmp_path), cache=False)
    for e in info.value.diagnostics:
        assert e.span.line >= 1 and e.span.column >= 1
    return info.value


# ── empowerment lists ──────────────────────────────────────────────────────────
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_list_read_from_a_table_is_the_list_written_inline(tmp_path, suffix):
    names = _names()
    rows = [HEAD] + [[n, code, names[code], "《浙江省城市市容和环境卫生管理条例》"] for n, code in enumerate(COMMON_CODES, 1)]
    rows.insert(3, [None, None, None, None])  # a blank row, as Excel leaves them: skipped
    table = f"乡镇街道共性事项{suffix}"
    d = _jinyun(tmp_path, table)
    _write(d / table, rows)
    rs = engine.load_ruleset(d, cache=False)
    assert not [w for w in rs.warnings if w.code == "list-name-differs"]
    shipped = engine.load_ruleset("lishui/jinyun")
    for v in shipped.versions:
        got = rs.program_at(date.fromisoformat(v)).composite.lists[COMMON]
        want = shipped.program_at(date.fromisoformat(v)).composite.lists[COMMON]
        assert [r.name for r in got.items] == [r.name for r in want.items] == COMMON_CODES
    first = rs.current.composite.lists[COMMON].items[0]
    where = f"{table}[清单]" if suffix == ".xlsx" else table
    assert first.span.source.endswith(where)
    assert (first.span.line, first.span.column) == (2, 2 if suffix == ".xlsx" else 3)
    # the township decides the same: 五云街道 exercises a common-list item in its own name
    case = {"case_id": "t", "item": "ZJ-SR-16", "place": {"county": "缙云县", "township": "五云街道"},
            "occurred_on": "2024-03-01", "decided_on": "2024-04-01", "party": {"kind": "individual", "age": 40}}
    got, want = engine.evaluate(case, rs), engine.evaluate(case, shipped)
    assert got.handler == want.handler and got.handler.agency and got.penalty == want.penalty


def test_a_list_table_may_name_its_code_column_and_the_inline_items_stay(tmp_path):
    d = _draft(tmp_path, 'items ZJ-SR-11 items from "清单.xlsx" column "权力事项编码"')
    _workbook(d / "清单.xlsx", [["序号", "权力事项编码", "实施主体"], [1, "ZJ-SR-16", "乡镇（街道）"]])
    lst = engine.load_ruleset(d, cache=False).current.composite.lists["测试清单"]
    assert [r.name for r in lst.items] == ["ZJ-SR-11", "ZJ-SR-16"]


def test_a_list_table_is_read_once_per_content_and_again_when_it_changes(tmp_path):
    d = _draft(tmp_path, 'items from "清单.xlsx"')
    _workbook(d / "清单.xlsx", [HEAD, [1, "ZJ-SR-11", None, None]])
    assert [r.name for r in engine.load_ruleset(d, cache=False).current.composite.lists["测试清单"].items] == ["ZJ-SR-11"]
    _workbook(d / "清单.xlsx", [HEAD, [1, "ZJ-SR-11", None, None], [2, "ZJ-SR-16", None, None]])
    assert [r.name for r in engine.load_ruleset(d, cache=False).current.composite.lists["测试清单"].items] == \
        ["ZJ-SR-11", "ZJ-SR-16"]


def test_a_later_version_may_override_a_list_with_a_table_and_repeal_it(tmp_path):
    d = _draft(tmp_path, "items ZJ-SR-11")
    (d / "2025-01-01.rules").write_text(
        'ruleset "测试县" extends "zhejiang" effective 2025-01-01\n'
        'override list 测试清单 "测试清单（2025年）" items from "2025.csv"\n', encoding="utf-8")
    (d / "2025.csv").write_text("事项代码,事项名称\nZJ-SR-16,\nZJ-SR-17-1,\n", encoding="utf-8")
    (d / "2026-01-01.rules").write_text(
        'ruleset "测试县" extends "zhejiang" effective 2026-01-01\n'
        "repeal list 测试清单\n", encoding="utf-8")
    rs = engine.load_ruleset(d, cache=False)
    lists = lambda on: rs.program_at(date.fromisoformat(on)).composite.lists  # noqa: E731
    assert [r.name for r in lists("2024-06-01")["测试清单"].items] == ["ZJ-SR-11"]
    assert [r.name for r in lists("2025-06-01")["测试清单"].items] == ["ZJ-SR-16", "ZJ-SR-17-1"]
    assert "测试清单" not in lists("2026-06-01")


def test_a_name_in_a_list_table_that_is_not_the_catalogues_is_a_warning(tmp_path, monkeypatch):
    names = _names()
    d = _draft(tmp_path, 'items from "清单.xlsx"')
    _workbook(d / "清单.xlsx", [HEAD,
                               [1, "ZJ-SR-11", f"对{names['ZJ-SR-11']}的行政处罚", None],  # the official wrapper: same
                               [2, "ZJ-SR-16", "对违反规定饲养家畜家禽影响市容和环境卫生的行政处罚", None]])
    monkeypatch.chdir(tmp_path)
    rs = engine.load_ruleset(Path("测试县"), cache=False)
    got = [w.render() for w in rs.warnings if w.code == "list-name-differs"]
    _golden("list-name-differs", "\n".join(got) + "\n")


def test_the_shipped_rulesets_need_no_workbook(tmp_path):
    # openpyxl is an optional extra (zhifa[excel]): the embedded rulesets must load without it
    assert not [p for p in (REPO / "rulesets").rglob("*") if p.suffix.lower() == ".xlsx"]
    assert not [p for p in (REPO / "rulesets").rglob("*.rules") if ".xlsx" in p.read_text(encoding="utf-8")]


# each broken list table: its rows (or bytes), the clause naming it, and the golden file of its diagnostics
BROKEN_LISTS = {
    "list-missing-column": ("清单.xlsx", [["序号", "事项名称"], [1, "某事项"]], ""),
    "list-title-row": ("清单.xlsx", [["缙云县乡镇（街道）具体实施的综合行政执法事项目录清单（共性部分）"], HEAD,
                                    [1, "ZJ-SR-11", None, None]], ""),
    "list-named-column-missing": ("清单.xlsx", [["序号", "权力事项代码"], [1, "ZJ-SR-11"]], ' column "权力事项编码"'),
    "list-two-code-columns": ("清单.xlsx", [["事项编码", "事项代码"], ["ZJ-SR-11", "ZJ-SR-11"]], ""),
    "list-unknown-code": ("清单.xlsx", [HEAD, [1, "ZJ-SR-11", None, None], [2, "ZJ-SR-999", None, None],
                                       [3, "ZJ-SR-1b", None, None]], ""),
    "list-unknown-code-csv": ("清单.csv", [HEAD, [1, "ZJ-SR-11", None, None], [2, "ZJ-SR-999", None, None]], ""),
    "list-blank-code": ("清单.xlsx", [HEAD, ["一、市容环境卫生（共2项）", None, None, None], [1, "ZJ-SR-11", None, None],
                                     [2, "ZJ-SR-16", None, None], [None, None, None, None],
                                     ["注：本清单自发布之日起施行", None, None, None]], ""),
    "list-blank-code-csv": ("清单.csv", [HEAD, ["一、市容环境卫生（共2项）", None, None, None],
                                         [1, "ZJ-SR-11", None, None]], ""),
    "list-wrong-cell-type": ("清单.xlsx", [HEAD, [1, datetime(2024, 1, 2), None, None], [2, True, None, None],
                                          [3, 12.5, None, None], [4, 330275012000, None, None],
                                          [5, "ZJ-SR-16", None, None]], ""),
    "list-bad-code-text": ("清单.xlsx", [HEAD, [1, "ZJ-SR-11、ZJ-SR-16", None, None]], ""),
    "list-row-width-csv": ("清单.csv", None, ""),
}


@pytest.mark.parametrize("name", sorted(BROKEN_LISTS))
def test_a_broken_list_table_gets_positioned_diagnostics(tmp_path, monkeypatch, name):
    table, rows, extra = BROKEN_LISTS[name]
    d = _draft(tmp_path, f'items from "{table}"{extra}')
    if rows is None:  # a CSV row with more cells than its header
        (d / table).write_text("事项代码,事项名称\nZJ-SR-11,某事项,多余\n", encoding="utf-8")
    else:
        _write(d / table, rows)
    _golden(name, str(_fails(d, tmp_path, monkeypatch)) + "\n")


def test_a_file_named_xlsx_that_is_not_a_workbook(tmp_path, monkeypatch):
    pytest.importorskip("openpyxl")
    d = _draft(tmp_path, 'items from "清单.xlsx"')
    (d / "清单.xlsx").write_text("事项代码\nZJ-SR-11\n", encoding="utf-8")
    err = _fails(d, tmp_path, monkeypatch)
    [e] = err.diagnostics
    assert (e.code, e.span.source) == ("list-row", "测试县/清单.xlsx")
    assert e.message.startswith("the file is not an Excel workbook (.xlsx): ") and "Excel 工作簿" in e.hint


def test_without_openpyxl_a_workbook_is_refused_with_what_to_install(tmp_path, monkeypatch):
    d = _draft(tmp_path, 'items from "清单.xlsx"')
    _workbook(d / "清单.xlsx", [HEAD, [1, "ZJ-SR-11", None, None]])
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # `import openpyxl` now raises ImportError
    _golden("excel-missing", str(_fails(d, tmp_path, monkeypatch)) + "\n")


def test_a_list_table_outside_the_directory_or_of_another_format_is_refused(tmp_path, monkeypatch):
    d = _draft(tmp_path, 'items from "../清单.xlsx" items from "清单.xls" items from "没有.csv"')
    _golden("list-path", str(_fails(d, tmp_path, monkeypatch)) + "\n")


# ── benchmark tables ───────────────────────────────────────────────────────────
def _benchmark_rows() -> list[list]:
    with (JINYUN / "裁量基准.csv").open(encoding="utf-8") as f:
        return [r for r in csv.reader(f)]


def _jinyun_benchmarks(tmp_path: Path, rows: list[list]) -> Path:
    d = tmp_path / "jinyun"
    shutil.copytree(JINYUN, d)
    rules = d / "2022-01-01.rules"
    rules.write_text(rules.read_text(encoding="utf-8").replace('benchmarks "裁量基准.csv"', 'benchmarks "裁量基准.xlsx"'),
                     encoding="utf-8")
    _workbook(d / "裁量基准.xlsx", rows, sheet="裁量基准")
    return d


def _plain(bm) -> dict:
    """A benchmark without positions (they differ between a CSV and a workbook)."""
    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in ("span", "basis_spans")}
        if isinstance(x, (list, tuple)):
            return [strip(v) for v in x]
        return x
    return strip(bm.model_dump())


def test_a_benchmark_table_may_be_a_workbook(tmp_path):
    rows = _benchmark_rows()
    d = _jinyun_benchmarks(tmp_path, rows)
    got = engine.load_ruleset(d, cache=False).current.composite.benchmarks
    want = engine.load_ruleset("lishui/jinyun").current.composite.benchmarks
    assert {k: _plain(v) for k, v in got.items()} == {k: _plain(v) for k, v in want.items()}
    code = rows[1][rows[0].index("事项编码")]
    span = got[code].span
    assert span.source.endswith("裁量基准.xlsx[裁量基准]") and span.line == 2


BROKEN_BENCHMARKS = {
    # (what to do to the shipped table's rows)
    "benchmark-missing-column": lambda rows: [[c for i, c in enumerate(r) if i != rows[0].index("阶次")] for r in rows],
    "benchmark-bad-cells": lambda rows: rows[:1] + [
        _set(rows[0], rows[1], 适用条件="违法面积 >> 10"),
        _set(rows[0], rows[2], 事项编码=date(2024, 1, 2)),
        _set(rows[0], rows[3], 阶次=""),
    ] + rows[4:],
}


def _set(head: list[str], row: list, **cells) -> list:
    row = list(row)
    for k, v in cells.items():
        row[head.index(k)] = v
    return row


@pytest.mark.parametrize("name", sorted(BROKEN_BENCHMARKS))
def test_a_broken_benchmark_workbook_gets_the_csv_diagnostics_at_its_cells(tmp_path, monkeypatch, name):
    d = _jinyun_benchmarks(tmp_path, BROKEN_BENCHMARKS[name](_benchmark_rows()))
    _golden(name, str(_fails(d, tmp_path, monkeypatch)) + "\n")


# ── catalogues ─────────────────────────────────────────────────────────────────
def test_a_catalogue_workbook_refuses_a_code_excel_turned_into_a_date(tmp_path, monkeypatch):
    d = tmp_path / "目录"
    d.mkdir()
    (d / "2024-01-01.rules").write_text('ruleset "目录" extends "zhejiang" effective 2024-01-01\ncatalogue "事项.xlsx"\n',
                                        encoding="utf-8")
    _workbook(d / "事项.xlsx", [["事项编码", "事项名称", "执法领域", "法律依据", "全部"],
                               [datetime(2024, 1, 2), "事项一", "市容环境卫生", "《测试》第一条", "警告"],
                               ["X-2", "事项二", "市容环境卫生", "《测试》第二条", "警告"]], sheet="事项")
    _golden("catalogue-date-code", str(_fails(d, tmp_path, monkeypatch)) + "\n")
