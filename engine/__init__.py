"""Zhifa (执法): a rules engine for Zhejiang's comprehensive administrative law enforcement.

Load a ruleset, evaluate cases::

    import engine
    rs = engine.load_ruleset("hangzhou/shangcheng")
    decision = engine.evaluate(case, rs)

Every error raised on purpose derives from `EngineError`: `RulesetError` (DSL text or semantics, with
file:line:col), `CaseError` (a case that does not fit, with field paths), `UnknownItem`, `EvaluationError`.
"""

from __future__ import annotations

from engine import browse
from engine.case import Case, Circumstances, Party, Place
from engine.decision import (Answer, Assumption, Decision, ErrorRecord, Flag, Handler, Penalty, Question, Step,
                             Transfer)
from engine.errors import CaseError, CaseProblem, Diagnostic, EngineError, EvaluationError, RulesetError, UnknownItem
from engine.batch import evaluate_many
from engine.evaluate import evaluate
from engine.ruleset import Area, Item, Ruleset, load_ruleset
from engine.source import Span

from engine._version import __version__

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
