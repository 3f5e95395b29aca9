"""``zhifa test``: run feature files for a legal reviewer, without pytest, and report in Chinese.

Parses each file with ``gherkin-official`` (the parser pytest-bdd uses), runs every scenario (outlines
expanded, 背景 included) through the step library (`library.STEPS`), and prints per scenario: passed,
or at which file:line what was expected against what the engine said. A ``决定为：`` table reports all
its rows that do not hold at once.

Slips a reviewer makes are reported at file:line with the fix, and never stop the other files:

- a full-width colon after a keyword (``功能：``) or a missing ``# language: zh-CN`` line: reported, then
  the file is run as if written correctly;
- an ASCII colon ending a step (``案件:``), Chinese quotes (``“不予处罚”``), an unknown step (with the
  nearest known steps), an unknown word: the scenario fails at that step with a 写法错误;
- a tag not declared in ``tags.txt`` (next to the features or above them), with the nearest tags;
- a file Gherkin cannot parse at all: its errors, each at its line.

A scenario tagged ``@known_issue`` is expected to fail (the law and the engine disagree): its failure
is shown as 已知问题 and does not fail the run; its passing does (remove the tag).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

from gherkin.errors import CompositeParserException, ParserException
from gherkin.parser import Parser
from gherkin.pickles.compiler import Compiler
from gherkin.token_matcher import TokenMatcher
from gherkin.token_scanner import TokenScanner

from engine.reviewer import cases, decisions, rulesets  # noqa: F401  (they register the steps)
from engine.errors import close_names
from engine.reviewer.library import KEYWORDS, FeatureLog, World, closest_steps, match
from engine.reviewer.vocabulary import StepFailure, WritingError

__all__ = ["Problem", "ScenarioResult", "FileResult", "Run", "read_tags", "lint", "run_file", "run_paths",
           "render", "TAGS_FILE"]

TAGS_FILE = "tags.txt"
LANGUAGE = "zh-CN"
KNOWN_ISSUE = "known_issue"
_BLOCK_KEYWORDS = ("场景大纲", "剧本大纲", "功能", "背景", "场景", "剧本", "例子")
_FULLWIDTH = re.compile(r"^(\s*)(" + "|".join(_BLOCK_KEYWORDS) + r")(\s*)：")
_TYPES = {"Context": "given", "Action": "when", "Outcome": "then"}


@dataclass
class Problem:
    """A slip in a feature file: where, what, and how to fix it (all in Chinese)."""

    path: str
    line: int
    message: str
    fix: str = ""

    def render(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" + (f"\n    改法：{self.fix}" if self.fix else "")


@dataclass
class ScenarioResult:
    """One scenario (one row of an outline's examples) and how it ended.

    Attributes:
        status: ``passed``, ``failed`` (the engine decided otherwise), ``slip`` (a 写法错误 in the file),
            ``error`` (an unexpected error), ``xfailed`` (a known issue still failing) or ``xpassed``.
        line: the scenario's line; `step_line` and `step` the step that failed.
    """

    name: str
    line: int
    tags: list[str]
    status: str = "passed"
    step_line: int = 0
    step: str = ""
    message: str = ""
    example_line: int = 0


@dataclass
class FileResult:
    """A feature file: the problems found in it and its scenarios' results."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    scenarios: list[ScenarioResult] = field(default_factory=list)


@dataclass
class Run:
    """Every file run by ``zhifa test``."""

    files: list[FileResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            for s in f.scenarios:
                out[s.status] = out.get(s.status, 0) + 1
        return out

    @property
    def problems(self) -> int:
        return sum(len(f.problems) for f in self.files)

    @property
    def ok(self) -> bool:
        """No problem in any file, and every scenario passed (or is a known issue still failing)."""
        return not self.problems and all(s.status in ("passed", "xfailed") for f in self.files for s in f.scenarios)


# ── tags ────────────────────────────────────────────────────────────────────
def read_tags(path: Path) -> tuple[dict[str, str], list[Problem]]:
    """The tags declared in a ``tags.txt`` (``@标签  说明`` per line; ``#`` starts a comment)."""
    tags: dict[str, str] = {}
    problems: list[Problem] = []
    for n, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, description = line.partition(" ")
        if not name.startswith("@") or len(name) < 2:
            problems.append(Problem(str(path), n, f"不是标签：“{line}”", "每行写“@标签  说明”，例如：@行政处罚法第30条  未成年人"))
            continue
        if name[1:] in tags:
            problems.append(Problem(str(path), n, f"标签“{name}”登记了两次", "删去其中一行"))
        tags[name[1:]] = description.strip()
    return tags, problems


def find_tags(start: Path) -> Path | None:
    """The ``tags.txt`` in the directory of `start` or the nearest directory above it."""
    for d in [start if start.is_dir() else start.parent, *start.resolve().parents]:
        if (d / TAGS_FILE).is_file():
            return d / TAGS_FILE
    return None


# ── slips found before parsing ──────────────────────────────────────────────
def lint(text: str, path: str) -> tuple[str, list[Problem]]:
    """Find the slips Gherkin would report in English (or not at all); return the corrected text with them.

    The corrections keep every line where it was, so the lines of later messages stay right.
    """
    problems: list[Problem] = []
    lines = text.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), 0)
    if not re.match(r"\s*#\s*language\s*:", lines[first] if lines else ""):
        problems.append(Problem(path, first + 1, "文件缺少语言行，关键词（功能、场景、假如……）无法识别",
                                f"在文件第一行写：# language: {LANGUAGE}"))
    for i, ln in enumerate(lines):
        m = _FULLWIDTH.match(ln)
        if m:
            problems.append(Problem(path, i + 1, f"关键词“{m.group(2)}”后面用了中文冒号“：”",
                                    f"关键词后用英文冒号：{m.group(2)}:（步骤中的“案件：”“决定为：”等仍用中文冒号）"))
            lines[i] = f"{m.group(1)}{m.group(2)}{m.group(3)}:" + ln[m.end():]
    return "\n".join(lines), problems


def _parse(text: str, path: str) -> tuple[dict | None, list[Problem]]:
    try:
        return Parser().parse(TokenScanner(text), TokenMatcher(LANGUAGE)), []
    except CompositeParserException as exc:
        errors = exc.errors
    except ParserException as exc:
        errors = [exc]
    out = []
    for e in errors:
        loc = getattr(e, "location", None) or {}
        detail = str(e).split(": ", 1)[-1]
        if "inconsistent cell count" in detail:
            detail = "表格各行的格子数不一致，每行都要以竖线 | 开始和结束"
        elif "got '" in detail:
            detail = "这里不能写“" + detail.rsplit("got '", 1)[1].rstrip("'") + "”"
        out.append(Problem(path, int(loc.get("line") or 1), f"Gherkin 无法解析这一行：{detail}",
                           "检查关键词（功能: 背景: 场景: 场景大纲: 例子:）后的英文冒号、缩进与表格的竖线"))
    return None, out


def _index(node: Any, out: dict[str, dict]) -> dict[str, dict]:
    """Every AST node with an id and a location, by id."""
    if isinstance(node, dict):
        if "id" in node and "location" in node:
            out[node["id"]] = node
        for v in node.values():
            _index(v, out)
    elif isinstance(node, list):
        for v in node:
            _index(v, out)
    return out


def _tag_nodes(nodes: dict[str, dict]) -> list[dict]:
    """The tags written in the file (feature, scenario and examples tags), in line order."""
    tags = [n for n in nodes.values() if isinstance(n.get("name"), str) and n["name"].startswith("@")
            and "keyword" not in n]
    return sorted(tags, key=lambda t: (t["location"]["line"], t["location"]["column"]))


def _step_slip(type_: str | None, text: str) -> WritingError:
    """Why no step matches `text`: a quote or colon slip with its fix, else the nearest known steps."""
    fixed = text.replace("“", '"').replace("”", '"').replace("„", '"')
    if fixed != text and match(type_ or "then", fixed):
        return WritingError(f"步骤中用了中文引号“”：{text}\n改法：引号用英文双引号 \"…\"：{fixed}")
    if text.endswith(":") and match(type_ or "then", text[:-1] + "："):
        return WritingError(f"步骤末尾用了英文冒号“:”：{text}\n改法：步骤中用中文冒号：{text[:-1]}：")
    near = closest_steps(type_ or "then", text)
    hint = ("最接近的已知步骤：\n" + "\n".join(f"  {s}" for s in near)) if near else "没有相近的已知步骤"
    return WritingError(f"不认识的步骤：{KEYWORDS.get(type_ or '', '')} {text}\n{hint}\n全部步骤见 docs/features.md 第 3 节，"
                        "或运行 zhifa test --steps")


# ── running ─────────────────────────────────────────────────────────────────
def _argument(pickle_step: dict, ast_step: dict | None) -> tuple[dict[str, Any], list[int]]:
    arg = pickle_step.get("argument") or {}
    if "dataTable" in arg:
        rows = [[c["value"] for c in r["cells"]] for r in arg["dataTable"]["rows"]]
        ast_rows = ((ast_step or {}).get("dataTable") or {}).get("rows", [])
        return {"datatable": rows}, [r["location"]["line"] for r in ast_rows]
    if "docString" in arg:
        return {"docstring": arg["docString"]["content"]}, []
    return {}, []


def run_file(path: Path, *, display: str | None = None, tags: dict[str, str] | None = None,
             rulesets_root: str | None = None, log: FeatureLog | None = None,
             select: Callable[[str, list[str]], bool] | None = None) -> FileResult:
    """Run one feature file; never raises for anything in the file.

    Args:
        tags: the declared tags (None: do not check tags).
        select: keep a scenario only if ``select(name, tags)`` (``-k``, ``--tag``).
    """
    shown = display or str(path)
    result = FileResult(shown)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        result.problems.append(Problem(shown, 1, f"无法读取文件（{exc}）", "以 UTF-8 编码保存"))
        return result
    text, result.problems = lint(raw, shown)
    doc, parse_problems = _parse(text, shown)
    result.problems += parse_problems
    if doc is None:
        return result
    doc["uri"] = shown
    nodes = _index(doc, {})
    if tags is None:
        used = sorted({(t["location"]["line"], t["name"]) for t in _tag_nodes(nodes)})
        if used:
            result.problems.append(Problem(shown, used[0][0], f"没有找到 {TAGS_FILE}，标签 {used[0][1]} 等无处登记",
                                           f"在场景目录（或其上级目录）中建 {TAGS_FILE}，每行“@标签  说明”"))
    else:
        for t in _tag_nodes(nodes):
            name = t["name"].lstrip("@")
            if name not in tags:
                # worded for the reviewer in Chinese, so not `suggest`; the looser cutoff is kept as it was when
                # the reviewer goldens (tests/golden/reviewer) were recorded
                near = close_names(name, tags, cutoff=0.4)
                result.problems.append(Problem(
                    shown, t["location"]["line"], f"标签“@{name}”没有登记",
                    (f"是不是：{'、'.join('@' + n for n in near)}？" if near else "")
                    + f"新标签先写进 {TAGS_FILE}（每行“@标签  说明”）"))
    result.problems.sort(key=lambda p: p.line)
    try:
        pickles = Compiler().compile(doc)
    except Exception as exc:  # noqa: BLE001 - a malformed outline must not stop the other files
        result.problems.append(Problem(shown, 1, f"无法展开场景（{exc}）"))
        return result
    bases = [Path.cwd(), *path.resolve().parents]
    for pickle in pickles:
        scenario_tags = sorted(t["name"].lstrip("@") for t in pickle.get("tags", ()))
        if select is not None and not select(pickle["name"], scenario_tags):
            continue
        ids = pickle.get("astNodeIds", [])
        line = nodes.get(ids[0], {}).get("location", {}).get("line", 0) if ids else 0
        example_line = nodes.get(ids[1], {}).get("location", {}).get("line", 0) if len(ids) > 1 else 0
        sr = ScenarioResult(pickle["name"], line, scenario_tags, example_line=example_line)
        world = World(bases=bases, rulesets_root=rulesets_root, feature=shown, scenario=pickle["name"], line=line,
                      tags=scenario_tags, test_id=f"{shown}:{example_line or line}", log=log or FeatureLog(None))
        try:
            _run_pickle(pickle, nodes, world, sr)
        finally:
            world.close()
        if KNOWN_ISSUE in scenario_tags:
            if sr.status == "passed":
                sr.status, sr.message = "xpassed", ("标为 @known_issue 的场景通过了：引擎已与法律一致，"
                                                    "请去掉这个标签")
            elif sr.status in ("failed", "error"):
                sr.status = "xfailed"
        if log is not None:
            log.write({"kind": "result", "test": world.test_id, "when": "call",
                       "outcome": {"slip": "failed", "xpassed": "failed"}.get(sr.status, sr.status)})
        result.scenarios.append(sr)
    return result


def _wording_slips(pickle: dict, nodes: dict[str, dict]) -> list[str]:
    """Every step of the scenario no known step matches, with its line and fix (so all are reported at once)."""
    out, last_type = [], None
    for ps in pickle["steps"]:
        ast_step = nodes.get(ps["astNodeIds"][0]) if ps.get("astNodeIds") else None
        line = (ast_step or {}).get("location", {}).get("line", 0)
        type_ = _TYPES.get(ps.get("type", ""), last_type)
        last_type = type_
        if match(type_ or "then", ps["text"].strip()) is None:
            out.append(f"第 {line} 行  " + _step_slip(type_, ps["text"].strip()).message.replace("\n", "\n    "))
    return out


def _run_pickle(pickle: dict, nodes: dict[str, dict], world: World, sr: ScenarioResult) -> None:
    slips = _wording_slips(pickle, nodes)
    if len(slips) > 1:
        sr.status, sr.message = "slip", f"场景中有 {len(slips)} 个步骤写错了：\n" + "\n".join(slips)
        return
    last_type: str | None = None
    for ps in pickle["steps"]:
        ast_step = nodes.get(ps["astNodeIds"][0]) if ps.get("astNodeIds") else None
        step_line = (ast_step or {}).get("location", {}).get("line", 0)
        keyword = ((ast_step or {}).get("keyword") or "").strip()
        type_ = _TYPES.get(ps.get("type", ""), last_type)
        last_type = type_
        text = ps["text"].strip()
        extra, world.table_lines = _argument(ps, ast_step)
        try:
            found = match(type_ or "then", text)
            if found is None:
                raise _step_slip(type_, text)
            step, args = found
            if step.arg and step.arg not in extra:
                below = "表格（| 字段 | 值 |）" if step.arg == "datatable" else '用 """ 括起的文本'
                raise WritingError(f"这一步下面要写{below}")
            if step.arg:
                args[step.arg] = extra[step.arg]
            step.func(world, **args)
        except StepFailure as exc:
            sr.status = "slip" if isinstance(exc, WritingError) else "failed"
            sr.step_line, sr.step, sr.message = step_line, f"{keyword} {text}", exc.message
            return
        except Exception as exc:  # noqa: BLE001 - an engine bug is reported for this scenario, the run goes on
            sr.status = "error"
            sr.step_line, sr.step = step_line, f"{keyword} {text}"
            sr.message = f"引擎出错（{type(exc).__name__}）：{exc}\n这是引擎的缺陷，不是场景的写法问题：请报告给负责引擎的人"
            return


def feature_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """The ``.feature`` files of files and folders (sorted), and a problem for each path that is neither."""
    out: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(p.rglob("*.feature"))
            if not found:
                problems.append(Problem(str(p), 1, "这个目录下没有 .feature 文件"))
            out += found
        elif p.is_file():
            if p.suffix != ".feature":
                problems.append(Problem(str(p), 1, "不是场景文件", "场景文件以 .feature 结尾"))
            else:
                out.append(p)
        else:
            problems.append(Problem(str(p), 1, "没有这个文件或目录"))
    return list(dict.fromkeys(out)), problems


def run_paths(paths: Iterable[str | Path], *, rulesets_root: str | None = None, log: str | Path | None = None,
              keyword: str | None = None, tag: str | None = None,
              progress: Callable[[FileResult], None] | None = None) -> Run:
    """Run the feature files of `paths`; `progress` is called after each file."""
    files, problems = feature_files(paths)
    run = Run()
    if problems:
        run.files.append(FileResult("（命令行）", problems))
    feature_log = FeatureLog(log) if log else None
    tag_cache: dict[Path | None, tuple[dict[str, str] | None, list[Problem]]] = {}

    def select(name: str, tags: list[str]) -> bool:
        return (keyword is None or keyword in name) and (tag is None or tag.lstrip("@") in tags)

    for f in files:
        tags_path = find_tags(f)
        if tags_path not in tag_cache:
            tag_cache[tags_path] = read_tags(tags_path) if tags_path else (None, [])
            if tag_cache[tags_path][1]:
                run.files.append(FileResult(str(tags_path), tag_cache[tags_path][1]))
        declared = tag_cache[tags_path][0]
        fr = run_file(f, display=_display(f), tags=declared, rulesets_root=rulesets_root, log=feature_log,
                      select=select if keyword or tag else None)
        run.files.append(fr)
        if progress is not None:
            progress(fr)
    return run


def _display(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


# ── output ──────────────────────────────────────────────────────────────────
_MARKS = {"passed": "✓ 通过", "failed": "✗ 不符", "slip": "✗ 写法错误", "error": "✗ 出错", "xfailed": "○ 已知问题",
          "xpassed": "✗ 已知问题已修正"}
_WORDS = {"passed": "通过", "failed": "不符", "slip": "写法错误", "error": "出错", "xfailed": "已知问题（预期失败）",
          "xpassed": "已知问题却通过"}


def render_file(fr: FileResult, *, verbose: bool = False) -> str:
    """One file's problems and scenarios, in Chinese. Passed scenarios are listed only when `verbose`."""
    out: list[str] = []
    for p in fr.problems:
        out.append(p.render())
    for s in fr.scenarios:
        if s.status == "passed" and not verbose:
            continue
        where = f"{fr.path}:{s.example_line or s.line}"
        out.append(f"{_MARKS[s.status]}  {s.name}  （{where}）")
        if s.status != "passed":
            if s.step:
                out.append(f"    {fr.path}:{s.step_line}: {s.step}")
            out.extend("    " + ln if ln else "" for ln in s.message.split("\n"))
    return "\n".join(out)


def render_summary(run: Run) -> str:
    """The closing line: how many scenarios and files, by outcome."""
    counts = run.counts()
    total = sum(counts.values())
    parts = [f"{_WORDS[k]} {counts[k]}" for k in _WORDS if counts.get(k)]
    line = f"{sum(1 for f in run.files if f.path.endswith('.feature'))} 个文件，{total} 个场景：" + ("，".join(parts) or "无")
    if run.problems:
        line += f"；文件中的写法问题 {run.problems} 处"
    return line


def render(run: Run, *, verbose: bool = False, out: TextIO | None = None) -> str:
    """The whole report: each file's problems and failing scenarios, then the summary."""
    blocks = [b for b in (render_file(f, verbose=verbose) for f in run.files) if b]
    return "\n\n".join(blocks + [render_summary(run)]) + "\n"
