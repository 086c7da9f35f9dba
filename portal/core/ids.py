"""Numbers typed or posted as text: ids, versions, counts. `str.isdigit()` is true for "²" and "١٢٣", which `int()`
refuses or reads, and `int()` refuses strings of more than 4,300 digits; a number beyond the database's integers
fails in PostgreSQL. These helpers give None for anything but a short run of ASCII digits in range (found by
tests/fuzz)."""

from __future__ import annotations

MAX_ID = 2**31 - 1  # PostgreSQL's integer, the type of every id and version column


def digits(raw: object) -> bool:
    """True for a non-empty run of ASCII digits 0-9 (no sign, no space, no other script's digits)."""
    return isinstance(raw, str) and raw.isascii() and raw.isdigit()


def whole_number(raw: object, maximum: int = MAX_ID) -> int | None:
    """The whole number 0..maximum written in `raw` (surrounding spaces allowed), or None."""
    text = str(raw if raw is not None else "").strip()
    if not digits(text) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


def parse_id(raw: object) -> int | None:
    """A database id (1..MAX_ID) written in `raw`, or None: for `db.session.get` with a posted value."""
    value = whole_number(raw)
    return value if value else None
