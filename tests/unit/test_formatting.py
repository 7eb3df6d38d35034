"""Numbers and dates the way Swedish readers expect them."""

from __future__ import annotations

from datetime import date

import pytest

from dialogs.formatting import format_date, format_number

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "swedish", "english"),
    [
        (12.5, "12,5", "12.5"),
        (12.0, "12", "12"),
        (0.25, "0,2", "0.2"),
        (1200, f"1{NBSP}200", "1,200"),
        (1234567.8, f"1{NBSP}234{NBSP}567,8", "1,234,567.8"),
    ],
)
def test_numbers(value, swedish, english):
    assert format_number(value, "sv") == swedish
    assert format_number(value, "en") == english


def test_negative_numbers_keep_their_sign():
    assert format_number(-3.5, "sv").replace("\u2212", "-") == "-3,5"


def test_more_decimals_on_request():
    assert format_number(2 / 3, "sv", decimals=2) == "0,67"


@pytest.mark.parametrize(
    ("day", "swedish", "english"),
    [
        (date(2026, 5, 15), "15 maj 2026", "15 May 2026"),
        (date(2026, 1, 1), "1 januari 2026", "1 January 2026"),
        (date(2026, 12, 31), "31 december 2026", "31 December 2026"),
    ],
)
def test_dates(day, swedish, english):
    assert format_date(day, "sv") == swedish
    assert format_date(day, "en") == english
