"""``zhifa impact --changes FILE.xlsx``: the changed cases as a workbook a reviewer can filter (one row per case,
what changed, each decision field before and after side by side). ``zhifa evaluate --output x.xlsx`` is tested in
tests/test_batch.py."""

from __future__ import annotations

import json
import sys

import pytest

import engine
from benchmarks.archive import generate_archive, write_jsonl
from engine import excel, impact
from engine.cli import main

SC = "hangzhou/shangcheng"


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory):
    rs = engine.load_ruleset(SC)
    p = tmp_path_factory.mktemp("impact-xlsx") / "cases.jsonl"
    write_jsonl(generate_archive(rs, 120, seed=5, broken=1), p)
    return p


def test_impact_writes_the_changed_cases_as_a_workbook(archive_path, tmp_path, capsys):
    openpyxl = pytest.importorskip("openpyxl")
    base = ["impact", "--ruleset", SC, "--from", "2024-06-30", "--to", "2024-07-01", str(archive_path),
            "--scheduler", "none", "--format", "json"]
    jsonl, xlsx = tmp_path / "c.jsonl", tmp_path / "c.xlsx"
    assert main(base + ["--changes", str(jsonl)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert main(base + ["--changes", str(xlsx)]) == 0
    ws = openpyxl.load_workbook(xlsx).active
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    assert ws.title == "变化" and ws.freeze_panes == "A2" and ws.auto_filter.ref
    for col in ("案件编号", "事项编码", "乡镇（街道）", "变化种类", "变化", "处理结果（前）", "处理结果（后）",
                "罚款上限（前）", "罚款上限（后）", "待查明的事实（前）", "推定前提（后）", "错误（前）"):
        assert col in head
    assert summary["changed"] > 0 and len(rows) - 1 == summary["changed"]
    # the same cases, in the same order, as the JSON Lines form
    lines = [json.loads(x) for x in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [r[head.index("案件编号")] for r in rows[1:]] == [x["case_id"] for x in lines]
    for r, x in zip(rows[1:], lines):
        row = dict(zip(head, r))
        assert row["变化"] and row["变化种类"].split("、")[0] == x["changes"][0]["kind"]
        assert row["处理结果（前）"] == (x["before"] or {}).get("outcome")
        assert row["处理结果（后）"] == (x["after"] or {}).get("outcome")


def test_the_workbook_is_the_library_function_over_the_comparisons(archive_path, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from engine.archive import read_records

    changed = [c for c in impact.impact(read_records(archive_path), impact.Side.parse("2024-06-30", SC, None),
                                        impact.Side.parse("2024-07-01", SC, None)) if c.changes]
    out = tmp_path / "x.xlsx"
    impact.write_changes_xlsx(out, changed)
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) == len(changed) + 1 and rows[0] == tuple(h for h, _ in excel.CHANGE_COLUMNS)
    fine = next(c for c in changed if any(x.kind == "fine" for x in c.changes))
    row = dict(zip(rows[0], rows[1 + changed.index(fine)]))
    assert "罚款 " in row["变化"] and "→" in row["变化"]


def test_without_openpyxl_impact_refuses_a_workbook_before_running(archive_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    monkeypatch.setattr(impact, "excel_available", lambda: False)
    assert main(["impact", "--ruleset", SC, "--from", "2024-06-30", "--to", "2024-07-01", str(archive_path),
                 "--scheduler", "none", "--changes", str(tmp_path / "c.xlsx")]) == 2
    assert "pip install 'zhifa[excel]'" in capsys.readouterr().err and not (tmp_path / "c.xlsx").exists()
    with pytest.raises(excel.ExcelUnavailable):
        impact.write_changes_xlsx(tmp_path / "c.xlsx", [])
