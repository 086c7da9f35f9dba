"""Reading amounts and decimal quantities as people type them: "150000", "150 000", "150,000.50", "150000,50"
(decimal comma), "1.500,50", with a leading or trailing "€" or "EUR".

One reader for every form of the portal (the calls' MoneyField, the budget table), so that an amount typed one
way is read the same everywhere. Hand-written because no library reads both the English and the French way of
writing an amount without being told the writer's locale, and applicants mix them (a French-speaking applicant
on the English interface types "150 000,50"; Babel's parse_decimal needs the locale and rejects the other way).

The rules, after removing spaces of every kind:
- digits with a decimal point: "150000.50";
- digits with a lone comma followed by one or two digits: a decimal comma, "150000,50";
- commas between groups of three digits: thousands, "150,000" and "150,000.50";
- dots between groups of three digits followed by a decimal comma: "1.500.000,50".
Anything else ("12,5,0", "1,50,0", "abc", "1e5") is not an amount; nothing is guessed."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Spaces of every kind (including the narrow no-break space of French number formatting) and underscores.
_SPACES = re.compile(r"[\s\u00a0\u202f_]")
_PLAIN = re.compile(r"[+-]?\d+(\.\d+)?|[+-]?\.\d+")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d{1,2}")
_COMMA_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+,\d+")


class AmountError(ValueError):
    """What was typed is not a number ("invalid"), has more decimals than allowed ("places"), or more digits
    than the database holds ("large"); the reason is in `reason`."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _normalise(text: str) -> str | None:
    """The number in Python's notation, or None when it is not written in one of the accepted ways."""
    if _PLAIN.fullmatch(text):
        return text
    if _DECIMAL_COMMA.fullmatch(text):
        return text.replace(",", ".")
    if _COMMA_THOUSANDS.fullmatch(text):
        return text.replace(",", "")
    if _DOT_THOUSANDS.fullmatch(text):
        return text.replace(".", "").replace(",", ".")
    return None


def parse_decimal(text: str | None, places: int = 2, whole_digits: int = 12) -> Decimal | None:
    """The number typed, quantized to `places` decimals; None when nothing was typed.

    Raises AmountError("invalid") for what is not a number written in an accepted way, AmountError("places") for
    more decimals than `places`, AmountError("large") for `whole_digits` digits or more before the decimal point
    (what the database column holds: Numeric(14, 2) money has 12). The sign is kept: callers decide whether a
    negative number makes sense."""
    cleaned = _SPACES.sub("", str(text or "")).replace("€", "").replace("EUR", "")
    if cleaned == "":
        return None
    normalised = _normalise(cleaned)
    if normalised is None:
        raise AmountError("invalid")
    try:
        value = Decimal(normalised)
    except InvalidOperation:  # pragma: no cover - the patterns above only let numbers through
        raise AmountError("invalid") from None
    if abs(value) >= Decimal(10) ** whole_digits:
        raise AmountError("large")
    step = Decimal(1).scaleb(-places)
    rounded = value.quantize(step)  # cannot exceed the context's precision: the whole part is bounded above
    if value != rounded:
        raise AmountError("places")
    return rounded
