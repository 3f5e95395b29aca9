"""Zhifa (执法): a rules engine for Zhejiang's comprehensive administrative law enforcement.

Load a ruleset, evaluate cases::

    import engine
    rs = engine.load_ruleset("hangzhou/shangcheng")
    decision = engine.evaluate(case, rs)

Every error raised on purpose derives from `EngineError`: `RulesetError` (DSL text or semantics, with
file:line:col), `CaseError` (a case that does not fit, with field paths), `UnknownItem`, `EvaluationError`.
"""

from __future__ import annotations

import importlib as _importlib
import sys as _sys
import types as _types

from engine._version import __version__

# Names are imported when first used (PEP 562), so that `import engine` costs little and a command pays only for
# the modules its path needs: a CLI call that evaluates never imports the browser or the batch machinery.
_LAZY = {
    "browse": None,
    "Case": "engine.case", "Circumstances": "engine.case", "Party": "engine.case", "Place": "engine.case",
    "Answer": "engine.decision", "Assumption": "engine.decision", "Decision": "engine.decision",
    "ErrorRecord": "engine.decision", "Flag": "engine.decision", "Handler": "engine.decision",
    "Penalty": "engine.decision", "Question": "engine.decision", "Step": "engine.decision",
    "Transfer": "engine.decision",
    "CaseError": "engine.errors", "CaseProblem": "engine.errors", "Diagnostic": "engine.errors",
    "EngineError": "engine.errors", "EvaluationError": "engine.errors", "RulesetError": "engine.errors",
    "UnknownItem": "engine.errors",
    "evaluate_many": "engine.batch",
    "evaluate": "engine.evaluate",
    "Area": "engine.ruleset", "Item": "engine.ruleset", "Ruleset": "engine.ruleset", "load_ruleset": "engine.ruleset",
    "Span": "engine.source",
}


def __getattr__(name: str):
    """Import a public name (or the `browse` module) on first use."""
    where = _LAZY.get(name, ...)
    if where is ...:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = _importlib.import_module(f"engine.{name}") if where is None else getattr(_importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(_types.ModuleType):
    """The package object. Importing the submodule ``engine.evaluate`` binds the package attribute ``evaluate`` to
    that module; the public name is the function, so the function is bound instead (the module stays reachable in
    ``sys.modules``). Eager imports used to restore it by importing the function after the module."""

    def __setattr__(self, name: str, value) -> None:
        if name == "evaluate" and isinstance(value, _types.ModuleType):
            value = value.evaluate
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package


__all__ = [
    "__version__",
    "Answer",
    "Area",
    "Assumption",
    "Case",
    "CaseError",
    "CaseProblem",
    "Circumstances",
    "Decision",
    "Diagnostic",
    "EngineError",
    "ErrorRecord",
    "evaluate",
    "evaluate_many",
    "EvaluationError",
    "Flag",
    "Handler",
    "Item",
    "load_ruleset",
    "Party",
    "Penalty",
    "Place",
    "Question",
    "Ruleset",
    "RulesetError",
    "Span",
    "Step",
    "Transfer",
    "UnknownItem",
]
