"""The step registry of the reviewers' feature files, and the `World` a scenario's steps share.

One vocabulary, declared once: `rulesets`, `cases` and `decisions` register their steps here with
`given` / `when` / `then`; ``zhifa test`` (`runner`) runs them directly, and the project's pytest-bdd
suite (``tests/steps/``) wraps the same functions. A step function takes the `World` and its named
arguments (``datatable`` for a table, ``docstring`` for a pasted text) and raises a `StepFailure`
(`Mismatch` or `WritingError`) when it does not hold.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from engine.errors import close_names
from engine.reviewer.vocabulary import Evaluation, Words, WritingError

__all__ = ["KEYWORDS", "STEPS", "StepDef", "World", "FeatureLog", "given", "when", "then", "match", "known_steps", "closest_steps", "row_line"]

KEYWORDS = {"given": "假如", "when": "当", "then": "那么"}


@dataclass(frozen=True)
class StepDef:
    """One step of the vocabulary: its type (given/when/then), its wording and its function.

    Attributes:
        pattern: the wording as the docs show it (``处理结果为 "{给予处罚/…}"``).
        words: the parser of a wording with placeholders, else None (the wording is matched exactly).
        arg: ``"datatable"``, ``"docstring"`` or None: what the step needs below it.
        converters: argument name → conversion of its text (e.g. ``int``).
    """

    type: str
    pattern: str
    func: Callable[..., Any]
    words: Words | None = None
    arg: str | None = None
    converters: tuple[tuple[str, Callable[[str], Any]], ...] = ()

    def parse(self, text: str) -> dict[str, Any] | None:
        """The step's named arguments if `text` is this step's wording, else None."""
        if self.words is None:
            return {} if text == self.pattern else None
        found = self.words.parse_arguments(text)
        if found is None:
            return None
        conv = dict(self.converters)
        try:
            return {k: conv.get(k, str)(v) for k, v in found.items()}
        except ValueError:
            return None

    @property
    def names(self) -> tuple[str, ...]:
        return self.words.names if self.words else ()


STEPS: list[StepDef] = []


def _register(type_: str, wording: str | Words, arg: str | None, converters: dict | None):
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        words = wording if isinstance(wording, Words) else None
        pattern = wording.name if isinstance(wording, Words) else wording
        STEPS.append(StepDef(type_, pattern, fn, words, arg, tuple((converters or {}).items())))
        return fn
    return deco


def given(wording: str | Words, *, arg: str | None = None, converters: dict | None = None):
    """Register a 假如 step."""
    return _register("given", wording, arg, converters)


def when(wording: str | Words, *, arg: str | None = None, converters: dict | None = None):
    """Register a 当 step."""
    return _register("when", wording, arg, converters)


def then(wording: str | Words, *, arg: str | None = None, converters: dict | None = None):
    """Register a 那么 step."""
    return _register("then", wording, arg, converters)


def match(type_: str, text: str) -> tuple[StepDef, dict[str, Any]] | None:
    """The step of this type (or, failing that, of any type) whose wording `text` is, with its arguments."""
    for wanted in (type_, None):
        for s in STEPS:
            if wanted is not None and s.type != wanted:
                continue
            args = s.parse(text)
            if args is not None:
                return s, args
    return None


class FeatureLog:
    """Appends JSON Lines (one per evaluation, one per scenario result) to a file; does nothing without one.

    ``engine/coverage.py`` reads this log (``zhifa coverage``, ``zhifa test --log FILE``).
    """

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None

    def write(self, record: dict) -> None:
        if self.path is None:
            return
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    def record(self, world: "World", source: Any, ruleset: Any, case: dict, decision: Any, error: Any) -> None:
        """Log one evaluation with the scenario it belongs to."""
        if self.path is None:
            return
        err = None
        if error is not None:
            err = {"type": type(error).__name__, "message": str(error),
                   "paths": [p.path for p in getattr(error, "problems", ())]}
        self.write({"kind": "evaluation", "test": world.test_id, "feature": world.feature, "scenario": world.scenario,
                    "line": world.line, "tags": world.tags,
                    "target": None if source.is_draft else source.target, "ruleset": ruleset.name,
                    "draft_layers": source.layers, "case": case,
                    "decision": decision.model_dump(mode="json") if decision is not None else None, "error": err})


@dataclass
class World:
    """What one scenario's steps share: the ruleset chosen, the case, the results, and where it runs.

    Attributes:
        bases: directories a ruleset path in a step (``tests/fixtures/...``) is looked up in, in order.
        rulesets_root: where ruleset names are looked up (``zhifa test --rulesets DIR``); None: the embedded ones.
        feature, scenario, line, tags, test_id: the scenario, for the evaluation log.
        table_lines: the file line of each row of the current step's table (empty when unknown).
    """

    bases: list[Path] = field(default_factory=list)
    rulesets_root: str | None = None
    feature: str = ""
    scenario: str = ""
    line: int = 0
    tags: list[str] = field(default_factory=list)
    test_id: str = ""
    log: FeatureLog = field(default_factory=lambda: FeatureLog(None))
    table_lines: list[int] = field(default_factory=list)
    ruleset_source: Any = None
    case: dict | None = None
    evaluation: Evaluation | None = None
    load_result: Any = None
    batch: list[Evaluation] | None = None
    notes: list[str] = field(default_factory=list)
    _tmp: tempfile.TemporaryDirectory | None = None
    tmp_factory: Callable[[], Path] | None = None

    def tmp_path(self) -> Path:
        """A temporary directory for this scenario (removed by `close`)."""
        if self.tmp_factory is not None:
            return self.tmp_factory()
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="zhifa-scenario-")
        return Path(self._tmp.name)

    def close(self) -> None:
        """Remove the scenario's temporary directory."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def need(self, what: str) -> Any:
        """A result an earlier step must have produced, or a `WritingError` saying which step is missing."""
        value = getattr(self, what)
        if value is None:
            raise WritingError({
                "case": "场景没有描述案件：请先写 假如 案件：（附 字段 | 值 表格）",
                "evaluation": "场景还没有评估案件：请先写 当 评估该案件",
                "load_result": "场景还没有加载规则集：请先写 当 加载该规则集",
                "batch": "场景还没有批量评估：请先写 当 批量评估以下案件：（附表格）",
            }[what])
        return value


def row_line(world: World, index: int) -> str:
    """“第 N 行” for row `index` of the current table, or an empty string when lines are unknown."""
    return f"第 {world.table_lines[index]} 行" if 0 <= index < len(world.table_lines) else ""


def known_steps() -> list[tuple[str, str]]:
    """Every step of the vocabulary as (type, wording)."""
    return sorted({(s.type, s.pattern) for s in STEPS})


def _shape(text: str) -> str:
    """Step text with its arguments blanked, so that wording, not values, is compared."""
    text = re.sub(r'["“”][^"“”]*["“”]', '"…"', text)
    text = re.sub(r"\{[^}]*\}", "…", text)
    return re.sub(r"-?\d+(\.\d+)?", "…", text)


def closest_steps(step_type: str, text: str, n: int = 5) -> list[str]:
    """The known steps closest to `text` (same keyword type first), written with their Chinese keyword."""
    shapes: dict[str, str] = {}
    for type_, pattern in known_steps():
        shapes.setdefault(_shape(pattern), f"{KEYWORDS.get(type_, type_)} {pattern}")
    # a step is matched on its shape (arguments blanked), so a reworded step shares less text than a misspelt
    # name does: a looser cutoff than names', and more than three candidates
    found = close_names(_shape(text), shapes, cutoff=0.3, n=n)
    same = [shapes[s] for s in found if shapes[s].startswith(KEYWORDS.get(step_type, "?"))]
    return same + [shapes[s] for s in found if shapes[s] not in same]
