"""Number input as unit managers type it (Swedish and English), and the women/men check."""

from __future__ import annotations

import math

import pytest
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.formatting import format_number
from dialogs.parsing import (
    NumberInputError,
    gender_split_warning,
    is_additive_unit,
    is_percent_unit,
    parse_number,
)


@pytest.mark.parametrize(
    ("text", "lang", "percent", "expected"),
    [
        ("12,5", "sv", False, 12.5),
        ("12.5", "sv", False, 12.5),
        ("12 %", "sv", True, 12.0),
        ("12%", "sv", True, 12.0),
        ("1 200", "sv", False, 1200.0),
        ("1\u00a0200", "sv", False, 1200.0),
        ("1\u202f200,5", "sv", False, 1200.5),
        ("1 200,5", "sv", False, 1200.5),
        ("−3", "sv", False, -3.0),
        ("-3", "sv", False, -3.0),
        ("– 3,5", "sv", False, -3.5),
        ("12,5 procent", "sv", True, 12.5),
        ("12.5 percent", "en", True, 12.5),
        ("1.200,5", "sv", False, 1200.5),
        ("1,200.5", "en", False, 1200.5),
        ("1,200", "en", False, 1200.0),
        ("1,200", "sv", False, 1.2),
        ("0", "sv", True, 0.0),
        ("100 %", "sv", True, 100.0),
        ("  7  ", "sv", False, 7.0),
    ],
)
def test_accepts_what_people_type(text, lang, percent, expected):
    assert parse_number(text, lang=lang, percent=percent) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "percent", "key"),
    [
        ("", False, "number.empty"),
        ("   ", False, "number.empty"),
        ("tolv", False, "number.malformed"),
        ("12 5", False, "number.malformed"),
        ("1 2345", False, "number.malformed"),
        ("1,2,3", False, "number.malformed"),
        ("12,5,", False, "number.malformed"),
        ("1e5", False, "number.malformed"),
        ("nan", False, "number.malformed"),
        ("12 %", False, "number.percent_not_expected"),
        ("101 %", True, "number.percent_range"),
        ("-1", True, "number.percent_range"),
        ("9" * 41, False, "number.too_long"),
        ("9" * 14, False, "number.out_of_range"),
    ],
)
def test_refuses_with_a_catalog_key(text, percent, key):
    with pytest.raises(NumberInputError) as err:
        parse_number(text, percent=percent)
    assert err.value.key == key


def test_non_text_values_from_cards():
    assert parse_number(12, percent=True) == 12.0
    with pytest.raises(NumberInputError):
        parse_number(True)
    with pytest.raises(NumberInputError):
        parse_number(None)
    with pytest.raises(NumberInputError):
        parse_number(float("inf"))


@settings(max_examples=400)
@given(st.text(max_size=60), st.sampled_from(["sv", "en"]), st.booleans())
def test_never_raises_anything_but_the_documented_error(text, lang, percent):
    try:
        value = parse_number(text, lang=lang, percent=percent)
    except NumberInputError as err:
        assert err.key.startswith("number.")
    else:
        assert math.isfinite(value)
        if percent:
            assert 0 <= value <= 100


@settings(max_examples=300)
@given(
    st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["sv", "en"]),
)
def test_round_trips_numbers_as_the_bot_formats_them(number, lang):
    text = format_number(float(number), lang, decimals=2)  # what the cards prefill
    assert parse_number(text, lang=lang) == pytest.approx(float(number), abs=1e-6)


@settings(max_examples=200)
@given(
    st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False, allow_infinity=False),
    st.sampled_from([("sv", "sv_SE"), ("en", "en_GB"), ("en", "en_US")]),
)
def test_round_trips_numbers_pasted_from_other_tools(number, langs):
    lang, locale = langs
    text = format_decimal(number, locale=locale, format="#,##0.###")
    assert parse_number(text, lang=lang) == pytest.approx(float(number), abs=1e-9)


@given(st.decimals(min_value=0, max_value=100, places=1))
def test_round_trips_percentages(number):
    text = format_decimal(number, locale="sv_SE", format="#,##0.#") + " %"
    assert parse_number(text, percent=True) == pytest.approx(float(number))


def test_gender_split_counts_must_add_up():
    assert gender_split_warning(total=120, women=70, men=50, additive=True) is None
    warning = gender_split_warning(total=120, women=70, men=60, additive=True)
    assert warning is not None and warning.key == "indicator.split_sum_mismatch"


def test_gender_split_rates_bracket_the_total():
    assert gender_split_warning(total=80, women=85, men=75, additive=False) is None
    warning = gender_split_warning(total=95, women=85, men=75, additive=False)
    assert warning is not None and warning.key == "indicator.split_outside_range"


def test_gender_split_needs_all_three_values():
    assert gender_split_warning(total=None, women=3, men=4, additive=True) is None
    assert gender_split_warning(total=7, women=None, men=4, additive=True) is None


def test_units_decide_percent_and_additivity():
    assert is_percent_unit("%") and is_percent_unit(" procent ")
    assert not is_percent_unit("antal")
    assert is_additive_unit("antal") and not is_additive_unit("%") and not is_additive_unit("andel")
