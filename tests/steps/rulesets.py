"""Steps that choose the ruleset of a scenario: a named one, or a draft pasted into the feature file.

A draft is written to a temporary rulesets tree, one directory per ruleset name and one file per
effective date, exactly as ``rulesets/`` is laid out. So a scenario may paste several dated versions
of one draft (art. 37 scenarios), or a city draft and a county draft that extends it; a draft may also
``extends`` any embedded ruleset (``"zhejiang"``, ``"hangzhou"`` ...). The ruleset loaded is the one of
the last draft pasted. Uses only ``engine.load_ruleset`` and ``engine.RulesetError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_bdd import given, then, when

import engine
from tests.steps.vocabulary import Words, describe_error

REPO = Path(__file__).resolve().parents[2]

_NAME = re.compile(r'^\s*ruleset\s+"([^"]+)"', re.M)
_EXTENDS = re.compile(r'^\s*ruleset\s+"[^"]+"[^\n]*?\bextends\s+"([^"]+)"', re.M)
_EFFECTIVE = re.compile(r"\beffective\s+(\d{4}-\d{2}-\d{2})")


@dataclass
class RulesetSource:
    """Where the scenario's ruleset comes from: a name or path, or draft files in a temporary tree.

    Attributes:
        target: what is passed to ``engine.load_ruleset`` (a name, or an absolute directory path).
        draft_root: the temporary rulesets tree of a draft, else None.
        layers: for a draft, each pasted layer's name and the ruleset it extends (for the coverage log).
    """

    target: str | None = None
    draft_root: Path | None = None
    layers: list[dict] = field(default_factory=list)
    _loaded: engine.Ruleset | None = None
    _error: engine.RulesetError | None = None
    _tried: bool = False

    @property
    def is_draft(self) -> bool:
        return self.draft_root is not None

    def try_load(self) -> tuple[engine.Ruleset | None, engine.RulesetError | None]:
        """Load once; return the ruleset or the `RulesetError`."""
        if self.target is None:
            pytest.fail("场景没有选择规则集：请先写 假如 规则集 \"名称\" 或 假如 规则集草稿：（附规则文本）", pytrace=False)
        if not self._tried:
            self._tried = True
            key = self._draft_key()
            if key in _DRAFTS:
                self._loaded = _DRAFTS[key]
                return self._loaded, None
            try:
                # a draft lives in this scenario's temporary directory: never in the engine's cache
                self._loaded = engine.load_ruleset(self.target, cache=not self.is_draft)
            except engine.RulesetError as exc:
                self._error = exc
            else:
                if key is not None:
                    _DRAFTS[key] = self._loaded
        return self._loaded, self._error

    def _draft_key(self) -> tuple | None:
        """The draft's texts and layout: the same pasted draft (a feature's 背景) is compiled once per session."""
        if not self.is_draft:
            return None
        root = self.draft_root
        return tuple(sorted((str(p.relative_to(root)), p.read_text(encoding="utf-8"))  # type: ignore[arg-type]
                            for p in root.rglob("*.rules") if not p.relative_to(root).parts[0] in _FIXTURES)) + (
            str(self.target and Path(self.target).relative_to(root)),)

    def load(self) -> engine.Ruleset:
        """The loaded ruleset; fail the step, in Chinese, if it does not load."""
        rs, err = self.try_load()
        if rs is None:
            pytest.fail(f"规则集“{self.display}”无法加载，场景无法继续：\n{describe_error(err)}", pytrace=False)
        return rs

    @property
    def display(self) -> str:
        if self.is_draft:
            return f"草稿 {self.layers[-1]['name'] if self.layers else ''}".strip()
        return str(self.target)


# Loaded drafts by content (successful loads only, so an error always names this scenario's own file).
_DRAFTS: dict[tuple, engine.Ruleset] = {}


@dataclass
class LoadResult:
    """The result of 当 加载该规则集: the ruleset or the error."""

    source: RulesetSource
    ruleset: engine.Ruleset | None
    error: engine.RulesetError | None


@pytest.fixture
def ruleset_source() -> RulesetSource:
    """No ruleset chosen yet (the given steps below replace this fixture)."""
    return RulesetSource()


def _resolve(name: str) -> str:
    """A name under rulesets/ stays a name; a path in the repository (tests/fixtures/...) becomes absolute."""
    p = REPO / name
    if "/" in name and p.exists() and not (REPO / "rulesets" / name).exists():
        return str(p)
    return name


_FIXTURES = ("testcity",)  # tests/fixtures/* a draft may extend


def _new_draft(root: Path) -> RulesetSource:
    """An empty draft tree; the test fixtures are linked in, so a draft may ``extends "testcity/testcounty"``."""
    root.mkdir(parents=True)
    for name in _FIXTURES:
        (root / name).symlink_to(REPO / "tests" / "fixtures" / name, target_is_directory=True)
    return RulesetSource(draft_root=root)


@given(Words('规则集 "{名称或路径}"', "name"), target_fixture="ruleset_source")
def _(name: str) -> RulesetSource:
    return RulesetSource(target=_resolve(name))


@given("规则集草稿：", target_fixture="ruleset_source")
def _(docstring: str, ruleset_source: RulesetSource, tmp_path: Path) -> RulesetSource:
    src = ruleset_source if ruleset_source.is_draft else _new_draft(tmp_path / "rulesets")
    text = docstring if docstring.endswith("\n") else docstring + "\n"
    name_m, ext_m, eff_m = _NAME.search(text), _EXTENDS.search(text), _EFFECTIVE.search(text)
    name = name_m.group(1) if name_m and ".." not in name_m.group(1) else "草稿"
    if name.split("/")[0] in _FIXTURES:
        pytest.fail(f"草稿不能与测试夹具同名（“{name}”）：请给草稿另起名字", pytrace=False)
    directory = src.draft_root / name  # type: ignore[operator]
    directory.mkdir(parents=True, exist_ok=True)
    stem = eff_m.group(1) if eff_m else "draft"
    path, n = directory / f"{stem}.rules", 2
    while path.exists():
        path, n = directory / f"{stem}-{n}.rules", n + 1
    path.write_text(text, encoding="utf-8")
    src.target = str(directory)
    src.layers.append({"name": name, "extends": ext_m.group(1) if ext_m else None})
    src._tried, src._loaded, src._error = False, None, None
    return src


@when("加载该规则集", target_fixture="load_result")
def _(ruleset_source: RulesetSource) -> LoadResult:
    rs, err = ruleset_source.try_load()
    return LoadResult(ruleset_source, rs, err)


@then("规则集加载成功")
def _(load_result: LoadResult) -> None:
    if load_result.error is not None:
        pytest.fail(f"预期：规则集加载成功\n实际：{describe_error(load_result.error)}", pytrace=False)


def _failed(load_result: LoadResult, expected: str) -> engine.RulesetError:
    if load_result.error is None:
        rs = load_result.ruleset
        pytest.fail(f"预期：{expected}\n实际：规则集加载成功（{rs.name}@{rs.version}，"  # type: ignore[union-attr]
                    f"{len(rs.warnings)} 条警告）", pytrace=False)  # type: ignore[union-attr]
    return load_result.error


def _diagnostic_list(err: engine.RulesetError) -> str:
    return "\n".join(f"  - 第 {d.span.line} 行第 {d.span.column} 列 [{d.code}] {d.message}" for d in err.diagnostics)


@then(Words('规则集加载失败，错误代码为 "{错误代码}"，位于第 {行号} 行', "code", "line"), converters={"line": int})
def _(load_result: LoadResult, code: str, line: int) -> None:
    expected = f"规则集加载失败，错误代码为“{code}”，位于第 {line} 行"
    err = _failed(load_result, expected)
    if not any(d.code == code and d.span.line == line for d in err.errors):
        pytest.fail(f"预期：{expected}\n实际：加载失败，但错误为：\n{_diagnostic_list(err)}\n\n{err}", pytrace=False)


@then(Words('规则集加载失败，错误代码为 "{错误代码}"', "code"))
def _(load_result: LoadResult, code: str) -> None:
    expected = f"规则集加载失败，错误代码为“{code}”"
    err = _failed(load_result, expected)
    if not any(d.code == code for d in err.errors):
        pytest.fail(f"预期：{expected}\n实际：加载失败，但错误为：\n{_diagnostic_list(err)}\n\n{err}", pytrace=False)


@then(Words('加载错误信息包含 "{文字}"', "text"))
def _(load_result: LoadResult, text: str) -> None:
    err = _failed(load_result, f"规则集加载失败，错误信息包含“{text}”")
    if text not in str(err):
        pytest.fail(f"预期：加载错误信息包含“{text}”\n实际：\n{err}", pytrace=False)
