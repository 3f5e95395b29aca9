"""Steps that choose the ruleset of a scenario: a named one, or a draft pasted into the feature file.

A draft is written to a temporary rulesets tree, one directory per ruleset name and one file per
effective date, exactly as ``rulesets/`` is laid out. So a scenario may paste several dated versions
of one draft (art. 37 scenarios), or a city draft and a county draft that extends it; a draft may also
``extends`` any embedded ruleset (``"zhejiang"``, ``"hangzhou"`` ...). The ruleset loaded is the one of
the last draft pasted. Uses only ``engine.load_ruleset`` and ``engine.RulesetError``.

A ruleset path in a step (``tests/fixtures/testcity/testcounty``) is looked up in the current directory
and in the directories above the feature file; a draft may extend the test fixtures
(``tests/fixtures/testcity``) when such a directory is found there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import engine
from engine.reviewer.library import World, given, then, when
from engine.reviewer.vocabulary import Mismatch, Words, WritingError, describe_error

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
    fixtures: Path | None = None
    root: str | None = None
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
            raise WritingError("场景没有选择规则集：请先写 假如 规则集 \"名称\" 或 假如 规则集草稿：（附规则文本）")
        if not self._tried:
            self._tried = True
            key = self._draft_key()
            if key in _DRAFTS:
                self._loaded = _DRAFTS[key]
                return self._loaded, None
            try:
                # a draft lives in this scenario's temporary directory: never in the engine's cache
                self._loaded = engine.load_ruleset(self.target, self.root, cache=not self.is_draft)
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
        linked = _fixture_names(self.fixtures)
        return tuple(sorted((str(p.relative_to(root)), p.read_text(encoding="utf-8"))  # type: ignore[arg-type]
                            for p in root.rglob("*.rules") if p.relative_to(root).parts[0] not in linked)) + (
            str(self.target and Path(self.target).relative_to(root)),)

    def load(self) -> engine.Ruleset:
        """The loaded ruleset.

        Raises:
            Mismatch: it does not load (the message says why, in Chinese).
        """
        rs, err = self.try_load()
        if rs is None:
            raise Mismatch("规则集可以加载", f"规则集“{self.display}”无法加载，场景无法继续", describe_error(err))
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


def _resolve(name: str, bases: list[Path]) -> str:
    """A name of an embedded ruleset stays a name; a path found in one of `bases` becomes absolute."""
    if "/" not in name:
        return name
    for base in bases:
        p = base / name
        if p.exists() and not (base / "rulesets" / name).exists():
            return str(p.resolve())
    return name


def fixtures_dir(bases: list[Path]) -> Path | None:
    """The test fixtures (``tests/fixtures``) a draft may extend, if one of `bases` holds them."""
    for base in bases:
        if (base / "tests" / "fixtures").is_dir():
            return (base / "tests" / "fixtures").resolve()
    return None


def _fixture_names(fixtures: Path | None) -> tuple[str, ...]:
    if fixtures is None:
        return ()
    return tuple(sorted(p.name for p in fixtures.iterdir() if p.is_dir() and any(p.rglob("*.rules"))))


def _new_draft(root: Path, fixtures: Path | None, rulesets_root: str | None = None) -> RulesetSource:
    """An empty draft tree; the test fixtures are linked in, so a draft may ``extends "testcity/testcounty"``."""
    root.mkdir(parents=True)
    for name in _fixture_names(fixtures):
        (root / name).symlink_to(fixtures / name, target_is_directory=True)  # type: ignore[operator]
    return RulesetSource(draft_root=root, fixtures=fixtures, root=rulesets_root)


def _source(world: World) -> RulesetSource:
    if world.ruleset_source is None:
        world.ruleset_source = RulesetSource(root=world.rulesets_root)
    return world.ruleset_source


@given(Words('规则集 "{名称或路径}"', "name"))
def choose(world: World, name: str) -> None:
    world.ruleset_source = RulesetSource(target=_resolve(name, world.bases), root=world.rulesets_root)


@given("规则集草稿：", arg="docstring")
def paste_draft(world: World, docstring: str) -> None:
    current = _source(world)
    src = current if current.is_draft else _new_draft(world.tmp_path() / "rulesets", fixtures_dir(world.bases),
                                                               world.rulesets_root)
    text = docstring if docstring.endswith("\n") else docstring + "\n"
    name_m, ext_m, eff_m = _NAME.search(text), _EXTENDS.search(text), _EFFECTIVE.search(text)
    name = name_m.group(1) if name_m and ".." not in name_m.group(1) else "草稿"
    if name.split("/")[0] in _fixture_names(src.fixtures):
        raise WritingError(f"草稿不能与测试夹具同名（“{name}”）：请给草稿另起名字")
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
    world.ruleset_source = src


@when("加载该规则集")
def load(world: World) -> None:
    source = _source(world)
    rs, err = source.try_load()
    world.load_result = LoadResult(source, rs, err)


@then("规则集加载成功")
def loaded(world: World) -> None:
    result: LoadResult = world.need("load_result")
    if result.error is not None:
        raise Mismatch("规则集加载成功", describe_error(result.error))


def _failed(world: World, expected: str) -> engine.RulesetError:
    load_result: LoadResult = world.need("load_result")
    if load_result.error is None:
        rs = load_result.ruleset
        raise Mismatch(expected, f"规则集加载成功（{rs.name}@{rs.version}，"  # type: ignore[union-attr]
                       f"{len(rs.warnings)} 条警告）")  # type: ignore[union-attr]
    return load_result.error


def _diagnostic_list(err: engine.RulesetError) -> str:
    return "\n".join(f"  - 第 {d.span.line} 行第 {d.span.column} 列 [{d.code}] {d.message}" for d in err.diagnostics)


@then(Words('规则集加载失败，错误代码为 "{错误代码}"，位于第 {行号} 行', "code", "line"), converters={"line": int})
def failed_at(world: World, code: str, line: int) -> None:
    expected = f"规则集加载失败，错误代码为“{code}”，位于第 {line} 行"
    err = _failed(world, expected)
    if not any(d.code == code and d.span.line == line for d in err.errors):
        raise Mismatch(expected, f"加载失败，但错误为：\n{_diagnostic_list(err)}", str(err))


@then(Words('规则集加载失败，错误代码为 "{错误代码}"', "code"))
def failed_with(world: World, code: str) -> None:
    expected = f"规则集加载失败，错误代码为“{code}”"
    err = _failed(world, expected)
    if not any(d.code == code for d in err.errors):
        raise Mismatch(expected, f"加载失败，但错误为：\n{_diagnostic_list(err)}", str(err))


@then(Words('加载错误信息包含 "{文字}"', "text"))
def failed_saying(world: World, text: str) -> None:
    err = _failed(world, f"规则集加载失败，错误信息包含“{text}”")
    if text not in str(err):
        raise Mismatch(f"加载错误信息包含“{text}”", f"\n{err}")
