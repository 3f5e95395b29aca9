"""Feature coverage: which parts of a ruleset the reviewers' scenarios exercise, and which they do not.

Owns the coverage report behind ``zhifa coverage``. The design is a log: while the feature files run
(``zhifa test --log FILE``, which `coverage_for` does in-process with the installed package; or pytest
with ``ZHIFA_FEATURE_LOG=FILE`` set), the step library appends one JSON line per evaluated case
(scenario, tags, ruleset, the case and the full `Decision`) and one per scenario result. This module
reads that log and compares it with what the ruleset declares. What counts as exercised is read from
the decisions themselves:

- a **rule** when its id appears in a decision's explanation (a rule set aside by an exception
  counts too, marked so: its conditions held);
- a **benchmark grade** when a decision for its item reports that grade; a benchmark's
  ``heavier``/``lighter`` clause when the explanation quotes it;
- a **list entry** when the explanation cites the list (``LIST:<name>``) for a decision on its item;
- an **item**, a **township or zone** and an **agency** when a decision is about, in or by it;
- a **provision** (a ``basis`` citation of a rule or an item) when an exercised rule or item cites it.

Which evaluations count: only those **under the reported ruleset**, i.e. whose ruleset is it or one
that extends it (a draft included). So ``lishui/jinyun``'s report counts only scenarios run on
缙云 (its province rules are not "covered" by another county's scenarios), while ``zhejiang``'s counts
every county's scenarios, since each of them runs the province's rules. Within those, an element
counts only if its layer is in the evaluation's chain. Elements of every dated version are listed,
with the versions they exist in. It runs the features through `reviewer`, never through pytest
(``run_features`` starts it as a process, for a checkout's own suite).
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable

from engine.decision import SET_ASIDE
from engine.errors import RulesetError
from engine.loader import load_chain
from engine.numbers import decimal_text
from engine.ruleset import Ruleset, load_ruleset

__all__ = ["Element", "Report", "build_report", "coverage_for", "read_log", "render_html", "render_markdown",
           "render_text",
           "run_features"]

LOG_ENV = "ZHIFA_FEATURE_LOG"
KIND_TITLES = {"rule": "规则", "grade": "裁量基准阶次与情形", "entry": "清单条目", "item": "执法事项",
               "area": "乡镇（街道）与功能区", "agency": "执法主体", "provision": "法律依据（规则与事项所引条文）"}
_PARTIES = {"individual": "个人", "organisation": "单位", "all": "全部"}


@dataclass
class Element:
    """One thing a ruleset declares that a scenario can exercise.

    Attributes:
        kind: ``rule``, ``grade``, ``entry``, ``item``, ``area``, ``agency`` or ``provision``.
        key: its identity within the kind (rule id, ``item/grade``, ``list/item`` ...).
        title: what a reviewer reads (the rule's title, the grade's range ...).
        layer: the ruleset layer that declares it (empty for provisions).
        versions: the version dates it exists in.
        scenarios: the scenarios that exercised it, as ``feature: scenario``.
        note: extra detail (e.g. "only as an overridden rule").
    """

    kind: str
    key: str
    title: str
    layer: str = ""
    versions: list[str] = field(default_factory=list)
    scenarios: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    note: str = ""
    cited_by: set[str] = field(default_factory=set)
    applied: bool = False
    overridden: bool = False

    @property
    def exercised(self) -> bool:
        """Whether at least one scenario's decision exercised this element."""
        return bool(self.scenarios)

    @property
    def description(self) -> str:
        """What the reports show beside the key: the title unless it only repeats the key, with the note."""
        title = self.title if self.title != self.key else ""
        if self.note:
            return f"{title}（{self.note}）" if title else self.note
        return title


@dataclass
class Report:
    """The coverage of one ruleset: its elements by kind, and the run they were measured on."""

    ruleset: str
    versions: tuple[str, ...]
    elements: dict[str, list[Element]]
    evaluations: int
    scenarios: int
    results: dict[str, int]
    unrelated: int
    direct: int = 0

    def counts(self, kind: str) -> tuple[int, int]:
        """(exercised, total) for one kind."""
        els = self.elements.get(kind, [])
        return sum(e.exercised for e in els), len(els)


# ── the log ─────────────────────────────────────────────────────────────────
def read_log(path: str | Path) -> list[dict]:
    """Read the JSON Lines log written by the feature suite (blank and malformed lines are skipped)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def run_features(features: str | Path, log: str | Path, *, quiet: bool = True) -> tuple[int, str]:
    """Run the feature suite with the evaluation log switched on; return pytest's exit code and its last line.

    The suite is ``tests/test_features.py`` of the project that holds `features` (its parent directory).

    Raises:
        FileNotFoundError: there is no ``tests/test_features.py`` next to the features directory.
    """
    features = Path(features).resolve()
    project = features.parent
    runner = project / "tests" / "test_features.py"
    if not runner.is_file():
        raise FileNotFoundError(f"no tests/test_features.py next to {features}")
    env = dict(os.environ, **{LOG_ENV: str(Path(log).resolve())})
    cmd = [sys.executable, "-m", "pytest", str(runner), "-q", "-p", "no:cacheprovider", "--no-header",
           "-o", f"bdd_features_base_dir={features}"]
    proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if not quiet:
        sys.stderr.write(proc.stdout + proc.stderr)
    return proc.returncode, lines[-1] if lines else proc.stderr.strip()


# ── what the ruleset declares ───────────────────────────────────────────────
def _add(table: dict, kind: str, key: str, title: str, layer: str, version: str) -> Element:
    el = table.get((kind, key))
    if el is None:
        el = table[(kind, key)] = Element(kind, key, title, layer)
    if version not in el.versions:
        el.versions.append(version)
    el.layer = layer or el.layer
    return el


def _inventory(rs: Ruleset) -> dict[tuple[str, str], Element]:
    table: dict[tuple[str, str], Element] = {}
    for v in rs.versions:
        prog = rs.program_at(date.fromisoformat(v))
        assert prog is not None
        comp = prog.composite
        lay = comp.layer_of
        for r in prog.rules.values():
            _add(table, "rule", r.id, r.title, r.layer, v)
            for b in r.basis:
                _add(table, "provision", b, b, "", v).cited_by.add(f"rule:{r.id}")
        for code, bm in comp.benchmarks.items():
            layer = lay.get(f"benchmarks:{code}", "")
            for g in bm.grades:
                rng = "；".join(f"{_PARTIES.get(gr.party, gr.party)} {_amount(gr.amount)}" for gr in g.ranges)
                _add(table, "grade", f"{code}/{g.name}", rng, layer, v)
            for a in bm.adjustments:
                word = "从重" if a.direction == "heavier" else "从轻"
                _add(table, "grade", f"{code}/{word}：{a.reason or ''}", f"{word}情形", layer, v)
        for pl in comp.penalty_lists.values():
            layer = lay.get(f"penalty_lists:{pl.name}", "")
            for e in pl.entries:
                _add(table, "entry", f"{pl.name}/{e.item.name}", e.note or "", layer, v)
        for code, it in comp.items.items():
            _add(table, "item", code, it.name, lay.get(f"items:{code}", ""), v)
            for b in it.basis:
                _add(table, "provision", b, b, "", v).cited_by.add(f"item:{code}")
        for a in comp.areas.values():
            if a.kind != "county":
                mode = {"empowered": "赋权", "dispatched": "派驻", "none": "无执法安排"}[a.mode]
                parent = a.parent.name if a.parent else ""
                _add(table, "area", f"{parent}/{a.name}", mode, lay.get(f"areas:{a.name}", ""), v)
        for ag in comp.agencies.values():
            if ag.serves:
                _add(table, "agency", ag.name, ag.in_name_of or ag.name, lay.get(f"agencies:{ag.name}", ""), v)
    return table


def _amount(a) -> str:
    """A benchmark grade's range in the report's notation: 200..500 元, 5%..10% × 工程造价, 1..3 倍 违法所得."""
    n = decimal_text
    if a.kind == "range":
        return f"{n(a.low)}..{n(a.high)} 元"
    if a.kind == "percent":
        return f"{n(a.low * 100)}%..{n(a.high * 100)}% × {a.of.name}"
    return f"{n(a.low)}..{n(a.high)} 倍 {a.of.name}"


# ── the chain of the ruleset a scenario used ────────────────────────────────
class _Lineage:
    """Layer names of the ruleset chains the logged scenarios used (drafts included), cached."""

    def __init__(self, search: Iterable[Path]):
        self.search = list(search)
        self.cache: dict[str, frozenset[str]] = {}

    def of_target(self, target: str) -> frozenset[str]:
        if target not in self.cache:
            names: frozenset[str] = frozenset()
            for cand in [target, *(str(d / target) for d in self.search)]:
                try:
                    files, _ = load_chain(cand)
                except (RulesetError, OSError):
                    continue
                names = frozenset(lf.layer.name for lf in files)
                break
            self.cache[target] = names
        return self.cache[target]

    def of_record(self, rec: dict) -> frozenset[str]:
        if rec.get("target"):
            return self.of_target(rec["target"])
        drafts = rec.get("draft_layers") or []
        names = {d["name"] for d in drafts}
        out = set(names)
        for d in drafts:
            ext = d.get("extends")
            if ext and ext not in names:
                out |= self.of_target(ext)
        return frozenset(out)


# ── the report ──────────────────────────────────────────────────────────────
def build_report(ruleset: str | Path | Ruleset, records: list[dict], *, search: Iterable[str | Path] = ()) -> Report:
    """Compare a ruleset's declarations with the logged evaluations.

    Args:
        ruleset: a loaded `Ruleset`, or a name or path for `load_ruleset`.
        records: the log (`read_log`).
        search: extra directories where ruleset names used by drafts are looked up (e.g. ``tests/fixtures``).

    Raises:
        RulesetError: the ruleset does not load.
    """
    rs = ruleset if isinstance(ruleset, Ruleset) else load_ruleset(ruleset)
    table = _inventory(rs)
    lineage = _Lineage(Path(s) for s in search)
    results: dict[str, str] = {}
    for rec in records:
        if rec.get("kind") == "result" and (rec.get("when") == "call" or rec.get("outcome") != "passed"):
            results[rec["test"]] = rec["outcome"]
    by_kind: dict[str, dict[str, Element]] = defaultdict(dict)
    for (kind, key), el in table.items():
        by_kind[kind][key] = el
    evaluations = unrelated = direct = 0
    scenarios: set[str] = set()
    for rec in records:
        if rec.get("kind") != "evaluation" or not rec.get("decision"):
            continue
        layers = lineage.of_record(rec)
        if rs.name not in layers:  # not evaluated under this ruleset: says nothing about its coverage
            unrelated += 1
            continue
        label = f"{rec.get('feature', '?')}: {rec.get('scenario', rec.get('test', '?'))}"
        failed = results.get(rec.get("test", ""), "passed") in ("failed", "error")
        hits = _hits(rec, by_kind, layers)
        if not hits:
            unrelated += 1
            continue
        evaluations += 1
        scenarios.add(label)
        if rec.get("ruleset") == rs.name:
            direct += 1
        for el, overridden in hits:
            if label not in el.scenarios:
                el.scenarios.append(label)
            if failed:
                el.failing.add(label)
            el.overridden |= overridden
            el.applied |= not overridden
    for el in by_kind["rule"].values():
        if el.overridden and not el.applied:
            el.note = "只在被例外规则排除时出现过，从未单独适用"
    exercised_by = {f"{k}:{e.key}" for k in ("rule", "item") for e in by_kind[k].values() if e.exercised}
    for prov in by_kind["provision"].values():
        prov.scenarios = sorted({s for c in prov.cited_by if c in exercised_by
                                 for s in by_kind[c.split(":")[0]][c.split(":", 1)[1]].scenarios})
    elements = {k: sorted(by_kind[k].values(), key=lambda e: (e.layer, e.key)) for k in KIND_TITLES if k in by_kind}
    tally: dict[str, int] = defaultdict(int)
    for outcome in results.values():
        tally[outcome] += 1
    return Report(rs.name, rs.versions, elements, evaluations, len(scenarios), dict(tally), unrelated, direct)


def _hits(rec: dict, by_kind: dict[str, dict[str, Element]], layers: frozenset[str]) -> list[tuple[Element, bool]]:
    """The elements one logged decision exercised, each with whether it appeared only as overridden."""
    d = rec["decision"]
    code = d["item"]["code"]
    out: list[tuple[Element, bool]] = []

    def take(kind: str, key: str, overridden: bool = False) -> None:
        el = by_kind[kind].get(key)
        if el is not None and el.layer in layers:
            out.append((el, overridden))

    take("item", code)
    for step in d.get("explanation", ()):
        rule, text = step["rule"], step["text"]
        if rule.startswith("LIST:"):
            take("entry", f"{rule[5:]}/{code}")
        elif rule.startswith("BENCH:"):
            for word in ("从重", "从轻"):
                marker = f"裁量基准规定{word}情形："
                if marker in text:
                    take("grade", f"{code}/{word}：{text.split(marker, 1)[1]}")
        else:
            take("rule", rule, SET_ASIDE in text)
    grade = (d.get("penalty") or {}).get("grade")
    if grade:
        take("grade", f"{code}/{grade}")
    place = rec.get("case", {}).get("place", {}) if isinstance(rec.get("case"), dict) else {}
    for part in ("township", "zone"):
        if isinstance(place, dict) and place.get(part):
            take("area", f"{place.get('county')}/{place[part]}")
    take("agency", d["handler"]["agency"])
    return out


# ── rendering ───────────────────────────────────────────────────────────────
def _pct(done: int, total: int) -> str:
    return f"{done}/{total}（{round(100 * done / total) if total else 100}%）"


def render_text(report: Report) -> str:
    """A plain-text summary: the counts per kind, then every element not exercised."""
    lines = [f"规则集 {report.ruleset}（版本 {'、'.join(report.versions)}）的场景覆盖",
             f"计入的评估：{report.evaluations} 次，来自 {report.scenarios} 个场景——只计在本规则集或以它为上级的规则集"
             f"（含草稿）下作出的评估；其中直接使用本规则集的 {report.direct} 次"
             + (f"；另有 {report.unrelated} 次评估不在本规则集下作出或没有用到它的内容，不计入" if report.unrelated else "")]
    if report.results:
        lines.append("场景运行结果：" + "、".join(f"{k} {v}" for k, v in sorted(report.results.items())))
    for kind, title in KIND_TITLES.items():
        if report.elements.get(kind):
            lines.append(f"  {title}：已覆盖 {_pct(*report.counts(kind))}")
    for kind, title in KIND_TITLES.items():
        missing = [e for e in report.elements.get(kind, []) if not e.exercised]
        if missing:
            lines.append(f"\n未覆盖的{title}（{len(missing)}）：")
            lines.extend(f"  - {e.key}" + (f"  {e.title}" if e.title and e.title != e.key else "")
                         + (f"  〔{e.layer}〕" if e.layer else "") for e in missing)
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """A Markdown report for reviewers: a summary table, then one table per kind with the scenarios."""
    out = [f"# 场景覆盖报告：{report.ruleset}", "",
           f"- 规则集版本：{'、'.join(report.versions)}",
           f"- 计入的评估：{report.evaluations} 次，来自 {report.scenarios} 个场景——只计在本规则集或以它为上级的"
           f"规则集（含草稿）下作出的评估；其中直接使用本规则集的 {report.direct} 次"
           + (f"（另有 {report.unrelated} 次评估不在本规则集下作出或没有用到它的内容，不计入）" if report.unrelated else "")]
    if report.results:
        out.append("- 场景运行结果：" + "、".join(f"{k} {v}" for k, v in sorted(report.results.items())))
    out += ["", "“已覆盖”指至少一个场景的决定用到了它（见 docs/features.md 的“覆盖报告”一节）。"
            "标 ✗ 的场景未通过。", "", "| 类别 | 已覆盖 |", "|---|---|"]
    for kind, title in KIND_TITLES.items():
        if report.elements.get(kind):
            out.append(f"| {title} | {_pct(*report.counts(kind))} |")
    for kind, title in KIND_TITLES.items():
        els = report.elements.get(kind)
        if not els:
            continue
        missing = [e for e in els if not e.exercised]
        out += ["", f"## {title}", ""]
        if missing:
            out.append(f"**未覆盖（{len(missing)}）**：" + "、".join(f"`{_cell(e.key)}`" for e in missing))
            out.append("")
        out += ["| | 编号 | 说明 | 所在层 | 版本 | 覆盖场景 |", "|---|---|---|---|---|---|"]
        for e in els:
            mark = "✅" if e.exercised else "❌"
            scen = "<br>".join(_cell(s) + (" ✗" if s in e.failing else "") for s in e.scenarios[:3])
            if len(e.scenarios) > 3:
                scen += f"<br>……共 {len(e.scenarios)} 个场景"
            out.append(f"| {mark} | {_cell(e.key)} | {_cell(e.description)} | {_cell(e.layer)} | {'、'.join(e.versions)} "
                       f"| {scen} |")
    return "\n".join(out) + "\n"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(report: Report) -> str:
    """A self-contained HTML page a reviewer can open: the summary, then per kind what is and is not exercised."""
    rows = "".join(f"<tr><td>{_e(title)}</td><td>{_e(_pct(*report.counts(kind)))}</td></tr>"
                   for kind, title in KIND_TITLES.items() if report.elements.get(kind))
    parts = [f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>场景覆盖报告：{_e(report.ruleset)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:.3em .6em;vertical-align:top;text-align:left}}
tr.no td:first-child{{color:#b00}}tr.yes td:first-child{{color:#070}}.fail{{color:#b00}}</style></head><body>
<h1>场景覆盖报告：{_e(report.ruleset)}</h1>
<p>规则集版本：{_e('、'.join(report.versions))}</p>
<p>计入的评估：{report.evaluations} 次，来自 {report.scenarios} 个场景。只计在本规则集或以它为上级的规则集（含草稿）下
作出的评估；其中直接使用本规则集的 {report.direct} 次。"""
             + (f"另有 {report.unrelated} 次评估不在本规则集下作出或没有用到它的内容，不计入。" if report.unrelated else "")
             + "</p>"
             + (f"<p>场景运行结果：{_e('、'.join(f'{k} {v}' for k, v in sorted(report.results.items())))}</p>"
                if report.results else "")
             + f"<table><tr><th>类别</th><th>已覆盖</th></tr>{rows}</table>"]
    for kind, title in KIND_TITLES.items():
        els = report.elements.get(kind)
        if not els:
            continue
        done, total = report.counts(kind)
        parts.append(f"<h2>{_e(title)}（已覆盖 {_e(_pct(done, total))}）</h2><table><tr><th></th><th>编号</th><th>说明</th>"
                     "<th>所在层</th><th>版本</th><th>覆盖场景</th></tr>")
        for e in sorted(els, key=lambda x: (x.exercised, x.layer, x.key)):
            scen = "<br>".join(f"<span class=\"fail\">{_e(s)} ✗</span>" if s in e.failing else _e(s)
                               for s in e.scenarios[:5])
            if len(e.scenarios) > 5:
                scen += f"<br>……共 {len(e.scenarios)} 个场景"
            parts.append(f"<tr class=\"{'yes' if e.exercised else 'no'}\"><td>{'已覆盖' if e.exercised else '未覆盖'}</td>"
                         f"<td>{_e(e.key)}</td><td>{_e(e.description)}</td><td>{_e(e.layer)}</td><td>{_e('、'.join(e.versions))}</td>"
                         f"<td>{scen}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def coverage_for(ruleset: str, features: str | Path, log: str | Path | None = None, *,
                 rulesets_root: str | None = None) -> tuple[Report, int, str]:
    """Run the features with ``zhifa test``'s runner (or read `log`) and build the report.

    Returns the report, 0 if every scenario passed (1 otherwise), and the run's summary line.
    """
    features = Path(features)
    search = [d / "tests" / "fixtures" for d in (Path.cwd(), *features.resolve().parents)
              if (d / "tests" / "fixtures").is_dir()]
    if log is not None:
        return build_report(ruleset, read_log(log), search=search), 0, ""
    from engine.reviewer import runner

    with tempfile.TemporaryDirectory(prefix="zhifa-coverage-") as tmp:
        path = Path(tmp) / "features.jsonl"
        path.touch()
        run = runner.run_paths([features], rulesets_root=rulesets_root, log=path)
        report = build_report(ruleset, read_log(path), search=search)
        return report, 0 if run.ok else 1, runner.render_summary(run)
