"""Source positions: `Span` and caret excerpts.

Owns where a piece of ruleset text came from. Imports nothing from `engine`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic_core import core_schema

__all__ = ["CELL", "EXCERPT_WIDTH", "Span", "as_is_schema", "excerpt"]

CELL = "<cell>"
"""The source of a span measured from the start of a catalogue cell rather than of a file (see `Span.inside`)."""


class Span(NamedTuple):
    """A region of a source file, 1-based lines and columns; the end column is exclusive (as in lark).

    A plain immutable tuple rather than a pydantic model: a 5,000-item catalogue has tens of thousands of
    positioned nodes, and a span is only ever built by the parser from values it already checked. In a model
    a span is accepted as it is and dumps as a dict.
    """

    source: str
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return as_is_schema(cls)

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"

    def inside(self, outer: Span) -> Span:
        """Place a span measured within a catalogue cell (source `CELL`) at the cell `outer`.

        A catalogue repeats the same few thousand penalty texts over thousands of rows; their parsed form is
        shared between rows, so positions inside it count from the cell, and the row's clause says where the
        cell is. Any other span is already absolute and is returned as it is.

        Examples:
            >>> print(Span(source=CELL, line=1, column=4).inside(Span(source="items.csv", line=7, column=30)))
            items.csv:7:33
        """
        if self.source != CELL:
            return self

        def col(line: int, column: int | None) -> int | None:
            return outer.column + column - 1 if line == 1 and column is not None else column

        end_line = outer.line + self.end_line - 1 if self.end_line is not None else None
        return Span(source=outer.source, line=outer.line + self.line - 1, column=col(self.line, self.column),
                    end_line=end_line, end_column=col(self.end_line or 0, self.end_column))


def as_is_schema(cls: type) -> core_schema.CoreSchema:
    """The pydantic schema of a NamedTuple a model field holds as it is (checked by type, not field by field)
    and dumps as a dict."""
    return core_schema.is_instance_schema(cls, serialization=core_schema.plain_serializer_function_ser_schema(
        lambda value: value._asdict()))


EXCERPT_WIDTH = 120
"""The most characters of a source line an excerpt shows: a longer line is cut around the column."""


def excerpt(text: str, span: Span) -> str:
    """Render the line of `span` with carets under it (at most `EXCERPT_WIDTH` characters of it).

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
    if len(line) > EXCERPT_WIDTH:  # a long line is clipped around the column, marked with "…" where cut
        width = min(width, EXCERPT_WIDTH // 2)
        lo = max(0, min(start - EXCERPT_WIDTH // 3, len(line) - EXCERPT_WIDTH))
        hi = lo + EXCERPT_WIDTH
        line = ("…" if lo else "") + line[lo:hi] + ("…" if hi < len(line) else "")
        start = start - lo + (1 if lo else 0)
    pad = "".join("\t" if ch == "\t" else " " for ch in line[:start])
    # CJK characters take two terminal columns: widen the padding and carets to match.
    pad = "".join(c + (" " if _wide(ch) else "") for c, ch in zip(pad, line[:start]))
    marked = line[start : start + width]
    carets = "".join("^^" if _wide(ch) else "^" for ch in marked) or "^"
    return f"{gutter}{line}\n{' ' * (len(gutter) - 2)}| {pad}{carets}"


def _wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")
