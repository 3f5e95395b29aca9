"""Batch results as an Excel workbook a reviewer can filter: ``zhifa evaluate --output results.xlsx``, and the
changed cases of ``zhifa impact`` (`write_changes`).

One row per case, in input order; the decision's fields in columns (Chinese headings); questions,
assumptions, flags (with their conditions) and transfers joined in one cell each; an error record
fills the 错误 column instead. The header row is frozen and filterable. Needs openpyxl (the optional
extra ``zhifa[excel]``). Works on the JSON form of decisions and error records, so it imports nothing
from the engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

__all__ = ["CHANGE_COLUMNS", "COLUMNS", "write_changes", "write_results", "ExcelUnavailable"]


class ExcelUnavailable(RuntimeError):
    """openpyxl is not installed."""


def _join(items: Iterable[str]) -> str:
    return "\n".join(i for i in items if i)


def _flag(f: dict) -> str:
    return f"{f['code']} {f.get('label', '')}" + (f"（条件：{f['condition']}）" if f.get("condition") else "")


def _fine(d: dict, key: str) -> Any:
    fine = (d.get("penalty") or {}).get("fine") or {}
    v = fine.get(key)
    try:
        return float(v) if v is not None and "." in str(v) else (int(v) if v is not None else None)
    except ValueError:
        return v


# (heading, value of a decision's JSON form)
COLUMNS: list[tuple[str, Callable[[dict], Any]]] = [
    ("案件编号", lambda d: d.get("case_id")),
    ("规则集", lambda d: d.get("ruleset")),
    ("事项编码", lambda d: (d.get("item") or {}).get("code")),
    ("事项名称", lambda d: (d.get("item") or {}).get("name")),
    ("事项类别", lambda d: (d.get("item") or {}).get("category")),
    ("办案主体", lambda d: (d.get("handler") or {}).get("agency")),
    ("以谁的名义", lambda d: (d.get("handler") or {}).get("in_name_of")),
    ("办案主体层级", lambda d: (d.get("handler") or {}).get("level")),
    ("办案主体类别", lambda d: (d.get("handler") or {}).get("kind")),
    ("管辖路径", lambda d: (d.get("handler") or {}).get("route")),
    ("处理结果", lambda d: d.get("outcome")),
    ("裁量阶次", lambda d: (d.get("penalty") or {}).get("grade")),
    ("裁量调整", lambda d: (d.get("penalty") or {}).get("adjustment")),
    ("罚款下限", lambda d: _fine(d, "min")),
    ("罚款上限", lambda d: _fine(d, "max")),
    ("处罚种类", lambda d: "、".join((d.get("penalty") or {}).get("kinds") or ())),
    ("程序", lambda d: d.get("procedure")),
    ("标记", lambda d: _join(_flag(f) for f in d.get("flags") or ())),
    ("移送", lambda d: _join(f"{t.get('to')}：{t.get('reason', '')}" for t in d.get("transfers") or ())),
    ("待查明的事实", lambda d: _join(f"{q.get('field')}：{q.get('why', '')}（{q.get('provision', '')}）"
                                    for q in d.get("questions") or ())),
    ("推定前提", lambda d: _join(a.get("what", "") for a in d.get("assumptions") or ())),
    ("理由", lambda d: _join(f"{s.get('rule')}：{s.get('text')}（{s.get('basis')}）" for s in d.get("explanation") or ())),
    ("错误", lambda d: _join([d.get("error", ""), d.get("message", "")] + [
        f"{p.get('path')}：{p.get('message')}" for p in d.get("problems") or ()]) if "error" in d else None),
]


def write_results(path: str | Path, results: list[dict]) -> None:
    """Write decisions and error records (their JSON form) to a workbook, one row per case.

    Raises:
        ExcelUnavailable: openpyxl is missing.
    """
    _write(path, "决定", COLUMNS, results)


def _change(c: dict) -> str:
    # as `engine.impact` words a change in its summary
    if c.get("kind") == "fine":
        return f"罚款 {c.get('before')} → {c.get('after')}"
    if c.get("kind") != "assumptions" and c.get("before") is not None and c.get("after") is not None:
        return f"{c['key'].split(':')[0]} {c['before']} → {c['after']}"
    return c.get("key", "")


# (heading, value of a case comparison's JSON form): where the case is and what changed, then each decision column
# under the first side (前) and the second (后), side by side, so that a filter on one shows the other
_SIDE_SKIP = ("案件编号", "规则集")
CHANGE_COLUMNS: list[tuple[str, Callable[[dict], Any]]] = [
    ("序号", lambda c: c.get("index")),
    ("案件编号", lambda c: c.get("case_id")),
    ("事项编码", lambda c: c.get("item")),
    ("县（市、区）", lambda c: c.get("county")),
    ("乡镇（街道）", lambda c: c.get("township")),
    ("变化种类", lambda c: "、".join(dict.fromkeys(x.get("kind", "") for x in c.get("changes") or ()))),
    ("变化", lambda c: _join(_change(x) for x in c.get("changes") or ())),
    ("规则集（前）", lambda c: (c.get("before") or {}).get("ruleset")),
    ("规则集（后）", lambda c: (c.get("after") or {}).get("ruleset")),
] + [(f"{h}（{word}）", (lambda fn, side: lambda c: fn(c.get(side) or {}) if c.get(side) else None)(fn, side))
     for h, fn in COLUMNS if h not in _SIDE_SKIP for word, side in (("前", "before"), ("后", "after"))]


def write_changes(path: str | Path, comparisons: list[dict]) -> None:
    """Write the case comparisons of ``zhifa impact`` (`engine.impact.CaseComparison`, JSON form) to a workbook: one
    row per case, where it is, what changed, and the decision's fields under both sides in adjacent columns.

    Raises:
        ExcelUnavailable: openpyxl is missing.
    """
    _write(path, "变化", CHANGE_COLUMNS, comparisons)


def _write(path: str | Path, title: str, columns: list[tuple[str, Callable[[dict], Any]]], records: list[dict]) -> None:
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter
    except ImportError:
        raise ExcelUnavailable("writing .xlsx needs openpyxl: pip install 'zhifa[excel]'") from None
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append([h for h, _ in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in records:
        ws.append([fn(r) for _, fn in columns])
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(records) + 1}"
    for i, (heading, _) in enumerate(columns, 1):
        # CJK characters are about twice as wide as Latin ones; cap long text columns and wrap them
        longest = max([len(heading)] + [max((len(x) for x in str(c.value or "").split("\n")), default=0)
                                        for c in ws[get_column_letter(i)][1:200]])
        ws.column_dimensions[get_column_letter(i)].width = min(2 * longest + 2, 60)
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, str) and "\n" in c.value:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
