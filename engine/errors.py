"""The error hierarchy every caller of `engine` sees.

Owns `EngineError` and its subclasses, `Diagnostic`, the structured form of one problem, and the engine's one
did-you-mean (`close_names`, `suggest`).

Hierarchy::

    EngineError              every error raised on purpose; catch this at the edge of an application
    ├── RulesetError         DSL text or ruleset semantics; `.diagnostics` (≥1 error, sorted by position)
    ├── CaseError            the case does not fit the ruleset; `.problems` with a field path each
    ├── UnknownItem          an item code that is not in the catalogue (also a `KeyError`)
    └── EvaluationError      a failure while evaluating (the matcher failed, no version in force ...)
"""

from __future__ import annotations

import difflib
import heapq
from typing import Iterable, Literal

from pydantic import BaseModel, ConfigDict

from engine.source import Span, excerpt

__all__ = [
    "CaseError",
    "CaseProblem",
    "Diagnostic",
    "EngineError",
    "EvaluationError",
    "RulesetError",
    "UnknownItem",
    "render_all",
    "suggest",
]

Severity = Literal["error", "warning"]

MAX_MESSAGE = 400
"""Characters of a diagnostic's message rendered in full; a longer one (a name 100,000 characters long) is cut."""
MAX_RENDERED = 100
"""Diagnostics rendered one by one per ruleset; the rest are summarised by code in one line."""


def render_all(diagnostics: Iterable[Diagnostic], texts: dict[str, str] | None = None,
               limit: int = MAX_RENDERED) -> list[str]:
    """Render the first `limit` diagnostics in full and the rest as one summary line."""
    diagnostics = list(diagnostics)
    out = [d.render((texts or {}).get(d.span.source)) for d in diagnostics[:limit]]
    rest = diagnostics[limit:]
    if rest:
        counts: dict[str, int] = {}
        for d in rest:
            counts[f"{d.severity}[{d.code}]"] = counts.get(f"{d.severity}[{d.code}]", 0) + 1
        out.append(f"… and {len(rest):,} more: " + ", ".join(f"{n:,} {k}" for k, n in counts.items())
                   + f" (the first {limit} are shown)")
    return out


class Diagnostic(BaseModel):
    """One problem found in a ruleset: a stable kebab-case `code`, a plain `message`, where, and a hint."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    span: Span
    severity: Severity = "error"
    hint: str | None = None

    def render(self, text: str | None = None) -> str:
        """Render as ``file:line:col: severity[code]: message``, then an excerpt with carets and the hint."""
        message = self.message if len(self.message) <= MAX_MESSAGE else \
            f"{self.message[:MAX_MESSAGE // 2]} … ({len(self.message):,} characters)"
        out = [f"{self.span}: {self.severity}[{self.code}]: {message}"]
        if text is not None:
            ex = excerpt(text, self.span)
            if ex:
                out.append(ex)
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)


NAME_CUTOFF = 0.6
"""How close a name must be to be offered for a misspelt code or name in a case (items, places, facts, files)."""

HINT_CUTOFF = 0.5
"""How close a name must be to be offered in a ruleset diagnostic's hint (`suggest`). Looser than `NAME_CUTOFF`
as recorded in the golden diagnostics and `zhifa check` output: one cutoff for both would change those hints."""


def close_names(name: str, known: Iterable[str], cutoff: float = NAME_CUTOFF, n: int = 3) -> list[str]:
    """The (up to `n`) known names closest to a misspelt `name`: the one did-you-mean of the engine.

    Every suggestion goes through here (or `suggest`, which words it as a hint); no other module calls difflib.

    Examples:
        >>> close_names("ZJ-SR-61", ["ZJ-SR-16", "ZJ-SR-12", "HZ-LJ-65"])
        ['ZJ-SR-16', 'ZJ-SR-12']
    """
    # difflib.get_close_matches scores every candidate with SequenceMatcher.ratio(); against a catalogue of
    # thousands of similar codes (HZ34-00109 …) that took ~60 ms a case. The same answer, cheaper: ratio() is
    # never above quick_ratio(), so candidates are scored in falling quick_ratio order and the scoring stops
    # once no candidate left can reach the n-th best score (ties rank by the name, as in difflib).
    if n <= 0:
        raise ValueError(f"n must be > 0: {n!r}")
    if not 0.0 <= cutoff <= 1.0:
        raise ValueError(f"cutoff must be in [0.0, 1.0]: {cutoff!r}")
    s = difflib.SequenceMatcher()
    s.set_seq2(name)
    bounded = []
    for x in known:
        s.set_seq1(x)
        if s.real_quick_ratio() >= cutoff:
            q = s.quick_ratio()
            if q >= cutoff:
                bounded.append((q, x))
    bounded.sort(reverse=True)
    best: list[tuple[float, str]] = []  # a heap of the n best (ratio, name) so far
    for q, x in bounded:
        if len(best) == n and q < best[0][0]:
            break
        s.set_seq1(x)
        r = s.ratio()
        if r >= cutoff:
            if len(best) < n:
                heapq.heappush(best, (r, x))
            elif (r, x) > best[0]:
                heapq.heapreplace(best, (r, x))
    return [x for _, x in sorted(best, reverse=True)]


def suggest(name: str, known: Iterable[str]) -> str | None:
    """A hint naming the known names closest to a misspelt `name` (``did you mean 'a', 'b'?``), or None.

    Examples:
        >>> suggest("facts.影晌", ["facts.影响", "party.age"])
        "did you mean 'facts.影响'?"
        >>> suggest("zzz", ["party.age"]) is None
        True
    """
    close = close_names(name, known, cutoff=HINT_CUTOFF)
    return f"did you mean {', '.join(repr(c) for c in close)}?" if close else None


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class RulesetError(EngineError):
    """A ruleset that cannot be parsed or fails its static checks.

    Attributes:
        diagnostics: every problem found (errors and warnings), sorted by position.
        texts: the source texts by file name, for rendering excerpts.
    """

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...], texts: dict[str, str] | None = None):
        self.diagnostics = tuple(sorted(diagnostics, key=lambda d: (d.span.source, d.span.line, d.span.column)))
        self.texts = dict(texts or {})
        first = self.errors[0] if self.errors else self.diagnostics[0]
        super().__init__(f"{first.span}: {first.message}")

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics of severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def file(self) -> str:
        """The file of the first error."""
        return (self.errors or self.diagnostics)[0].span.source

    @property
    def line(self) -> int:
        """The line of the first error."""
        return (self.errors or self.diagnostics)[0].span.line

    @property
    def column(self) -> int:
        """The column of the first error."""
        return (self.errors or self.diagnostics)[0].span.column

    @property
    def message(self) -> str:
        """The message of the first error."""
        return (self.errors or self.diagnostics)[0].message

    def __str__(self) -> str:
        return "\n".join(render_all(self.diagnostics, self.texts))


class CaseProblem(BaseModel):
    """One problem with a case: the field path (e.g. ``party.age``), a message and the offending input."""

    model_config = ConfigDict(frozen=True)

    path: str
    message: str
    code: str = "invalid"


class CaseError(EngineError):
    """A case that does not fit the ruleset: unknown item or place, wrong fact type, impossible dates ...

    Attributes:
        problems: each problem with its field path.
        case_id: the case's identifier when it could be read.
    """

    def __init__(self, problems: list[CaseProblem] | tuple[CaseProblem, ...], case_id: str | None = None):
        self.problems = tuple(problems)
        self.case_id = case_id
        super().__init__("; ".join(f"{p.path or '<case>'}: {p.message}" for p in self.problems))

    @property
    def path(self) -> str:
        """The field path of the first problem."""
        return self.problems[0].path


class UnknownItem(EngineError, KeyError):
    """An enforcement-item code that is not in the ruleset's catalogue."""

    def __init__(self, code: str, suggestions: tuple[str, ...] = ()):
        self.code = code
        self.suggestions = suggestions
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown item {code!r}{hint}")

    def __str__(self) -> str:
        return self.args[0]


class EvaluationError(EngineError):
    """A failure while evaluating a valid case against a valid ruleset (e.g. the matcher failed)."""
