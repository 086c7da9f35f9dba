"""Numbers posted as text (portal/core/ids.py): only short runs of ASCII digits in the database's range are read."""

from __future__ import annotations

import pytest

from portal.core.ids import MAX_ID, digits, parse_id, whole_number

NOT_NUMBERS = ["²", "١٢٣", "-1", "+1", "1.0", "", " ", "1 2", "9" * 5000, str(MAX_ID + 1), None, "0x1"]


@pytest.mark.parametrize("raw", NOT_NUMBERS)
def test_what_is_not_a_database_number(raw):
    assert whole_number(raw) is None
    assert parse_id(raw) is None


def test_what_is():
    assert whole_number(" 42 ") == 42 and parse_id("42") == 42
    assert whole_number("0") == 0 and parse_id("0") is None
    assert whole_number(str(MAX_ID)) == MAX_ID
    assert whole_number("6", maximum=5) is None and whole_number("5", maximum=5) == 5
    assert digits("0123") and not digits("²") and not digits(12)
