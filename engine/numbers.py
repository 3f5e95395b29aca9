"""Numbers as a person writes them in a Chinese penalty document, and nothing else.

Owns `parse_number` (and `parse_money`, the same rule under the name callers of money amounts use), `clip`,
which shortens an echoed value, and `decimal_text`, the one way a number is written back.

Accepted: a JSON number (int, Decimal or float), or text of ASCII digits with an optional leading ``-``,
an optional fraction after ``.``, and commas only between groups of three (``1000``, ``1000.5``,
``1,000``, ``12,500.50``). Refused, because no one writes them in a 处罚决定书 and each has surprised a
parser before: ``1_000`` (Python's digit separator), exponents (``1e3``), ``+5``, hex (``0x10``), full-width
or other non-ASCII digits (``１２``), leading zeros (``007``), a bare ``.5`` or ``5.``, blanks inside,
``NaN``/``Infinity``, and text longer than `MAX_TEXT` characters.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["CENT", "MAX_TEXT", "clip", "decimal_text", "parse_money", "parse_number"]

CENT = Decimal("0.01")
"""One fen (分), the smallest amount of money a decision states."""

MAX_TEXT = 40
"""The longest number text read (a 13-digit amount with commas and cents is 20 characters)."""

# ASCII: a bare \d also takes full-width and other scripts' digits (１２３, ٣), which Decimal would read
_WRITTEN = re.compile(r"-?(0|[1-9]\d*|[1-9]\d{0,2}(,\d{3})+)(\.\d+)?", re.ASCII)


def clip(text: str, width: int = 40) -> str:
    """`text` as it is when short, else its start and end around ``…`` with the length (for messages).

    Examples:
        >>> clip("1" * 100, 20)
        '11111111…11111111 (100 characters)'
    """
    if len(text) <= width:
        return text
    half = max((width - 4) // 2, 1)
    return f"{text[:half]}…{text[-half:]} ({len(text)} characters)"


def parse_number(value: object) -> Decimal:
    """The exact value of a number given as a JSON number or as text a person would write.

    Raises:
        ValueError: with a message that says what is accepted (the value is echoed clipped).

    Examples:
        >>> parse_number("12,500.50"), parse_number(3)
        (Decimal('12500.50'), Decimal('3'))
        >>> parse_number("1_000")
        Traceback (most recent call last):
        ...
        ValueError: must be a number written with ASCII digits (commas only between groups of three), got '1_000'
    """
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, str):
        if len(value) > MAX_TEXT or not _WRITTEN.fullmatch(value):
            raise ValueError("must be a number written with ASCII digits (commas only between groups of three), "
                             f"got {clip(repr(value))}")
        return Decimal(value.replace(",", ""))
    if isinstance(value, (int, float, Decimal)):
        d = Decimal(value)
        if not d.is_finite():
            raise ValueError("must be a finite number")
        return d
    raise ValueError(f"must be a number, not {type(value).__name__}")


def parse_money(value: object) -> Decimal:
    """An amount of money (元): `parse_number`, and never negative.

    Raises:
        ValueError: not a number as a person writes one, or negative.
    """
    d = parse_number(value)
    if d < 0:
        raise ValueError("cannot be negative")
    return d


def decimal_text(x: Decimal, *, to_cent: str | None = None, trim: bool = True) -> str:
    """A number as a penalty document writes it: a whole number without a point, any other in plain digits.

    Args:
        x: the number.
        to_cent: round to the fen first, with this `decimal` rounding mode (``ROUND_HALF_EVEN``,
            ``ROUND_HALF_UP`` …); None writes the number as it is.
        trim: drop the zeros that end a fraction (``12.5``, not ``12.50``).

    Examples:
        >>> decimal_text(Decimal("200.00")), decimal_text(Decimal("12.50")), decimal_text(Decimal("1E+3"))
        ('200', '12.5', '1000')
        >>> decimal_text(Decimal("24.505"), to_cent="ROUND_HALF_UP"), decimal_text(Decimal("24.505"), to_cent=ROUND_HALF_EVEN, trim=False)
        ('24.51', '24.50')
    """
    if to_cent is not None:
        x = x.quantize(CENT, rounding=to_cent)
    if x == x.to_integral_value():
        return str(int(x))
    return format(x.normalize() if trim else x, "f")
