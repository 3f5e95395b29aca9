"""Source positions: `Span` and caret excerpts.

Owns where a piece of ruleset text came from. Imports nothing from `engine`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Span", "excerpt"]


class Span(BaseModel):
    """A region of a source file, 1-based lines and columns; the end column is exclusive (as in lark)."""

    model_config = ConfigDict(frozen=True)

    source: str
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


def excerpt(text: str, span: Span) -> str:
    """Render the line of `span` with carets under it.

    Examples:
        >>> print(excerpt("a\\nrule X when y\\n", Span(source="f", line=2, column=8, end_line=2, end_column=12)))
           2 | rule X when y
             |        ^^^^
    """
    lines = text.splitlines()
    if not 1 <= span.line <= len(lines):
        return ""
    line = lines[span.line - 1]
    start = max(span.column - 1, 0)
    if span.end_line == span.line and span.end_column and span.end_column > span.column:
        width = span.end_column - span.column
    else:
        width = 1
    gutter = f"{span.line:>4} | "
    pad = "".join("\t" if ch == "\t" else " " for ch in line[:start])
    # CJK characters take two terminal columns: widen the padding and carets to match.
    pad = "".join(c + (" " if _wide(ch) else "") for c, ch in zip(pad, line[:start]))
    marked = line[start : start + width]
    carets = "".join("^^" if _wide(ch) else "^" for ch in marked) or "^"
    return f"{gutter}{line}\n{' ' * (len(gutter) - 2)}| {pad}{carets}"


def _wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")
