"""A year's periods per profile, and which period is current."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goals.periods import current_period, periods_for_year
from goals.profiles import available_profiles, load_profile


@pytest.mark.parametrize("key", available_profiles())
@pytest.mark.parametrize("year", [2024, 2026])  # a leap year and a common one
def test_periods_tile_the_year_and_are_due_after_they_end(key: str, year: int) -> None:
    periods = periods_for_year(load_profile(key), root_id=7, year=year)
    assert periods[0].start == date(year, 1, 1)
    assert periods[-1].end == date(year, 12, 31)
    for before, after in zip(periods, periods[1:]):
        assert after.start == before.end + timedelta(days=1)
    for period in periods:
        assert (period.id, period.root_id, period.year, period.is_open) == (0, 7, year, True)
        assert period.deadline > period.end
    assert [p.is_year_end for p in periods] == [False] * (len(periods) - 1) + [True]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "stockholm_ils",
            [
                ("T1", date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 10)),
                ("T2", date(2026, 5, 1), date(2026, 8, 31), date(2026, 9, 10)),
                ("T3", date(2026, 9, 1), date(2026, 12, 31), date(2027, 1, 25)),
            ],
        ),
        (
            "malmo_2023",
            [
                ("interim", date(2026, 1, 1), date(2026, 8, 31), date(2026, 9, 15)),
                ("annual", date(2026, 9, 1), date(2026, 12, 31), date(2027, 2, 10)),
            ],
        ),
        (
            "haninge",
            [
                ("T1", date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 20)),
                ("interim", date(2026, 5, 1), date(2026, 8, 31), date(2026, 9, 20)),
                ("annual", date(2026, 9, 1), date(2026, 12, 31), date(2027, 2, 1)),
            ],
        ),
    ],
)
def test_periods_for_2026_per_profile(key: str, expected: list) -> None:
    periods = periods_for_year(load_profile(key), root_id=1, year=2026)
    assert [(p.kind, p.start, p.end, p.deadline) for p in periods] == expected


def _stockholm(year: int = 2026, *, closed: tuple[str, ...] = ()):
    periods = periods_for_year(load_profile("stockholm_ils"), root_id=1, year=year)
    return [replace(p, id=i + 1, is_open=p.kind not in closed) for i, p in enumerate(periods)]


@pytest.mark.parametrize(
    ("today", "closed", "expected"),
    [
        (date(2026, 1, 1), (), "T1"),  # first day
        (date(2026, 4, 30), (), "T1"),  # last day
        (date(2026, 5, 1), (), "T2"),  # the period containing today wins over T1's coming deadline
        (date(2026, 12, 31), (), "T3"),
        (date(2026, 5, 3), ("T2",), "T1"),  # T2 not opened yet: T1, due 10 May, is nearest
        (date(2026, 9, 5), ("T3",), "T2"),  # T2 due 10 Sep
        (date(2026, 6, 1), ("T2",), "T1"),  # T1's deadline (past) is nearer than T3's
        (date(2026, 10, 1), ("T3", "T1"), "T2"),
    ],
)
def test_current_period(today: date, closed: tuple[str, ...], expected: str) -> None:
    assert current_period(_stockholm(closed=closed), today).kind == expected


def test_no_open_period_means_no_current_period() -> None:
    assert current_period(_stockholm(closed=("T1", "T2", "T3")), date(2026, 6, 1)) is None
    assert current_period([], date(2026, 6, 1)) is None


def test_on_a_tie_the_coming_deadline_wins_over_the_past_one() -> None:
    a, b, _ = _stockholm()
    a = replace(a, deadline=date(2026, 6, 1), end=date(2026, 4, 30))
    b = replace(b, start=date(2026, 7, 1), deadline=date(2026, 6, 11))
    assert current_period([a, b], date(2026, 6, 6)).id == b.id


def test_last_years_year_end_period_is_current_until_this_years_periods_exist() -> None:
    last_year = _stockholm(2025)
    assert current_period(last_year, date(2026, 1, 10)).kind == "T3"
    assert current_period(last_year + _stockholm(2026), date(2026, 1, 10)).year == 2026


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), st.sampled_from(available_profiles()))
def test_every_day_of_the_year_is_in_exactly_one_period(day: date, key: str) -> None:
    periods = periods_for_year(load_profile(key), root_id=1, year=2026)
    containing = [p for p in periods if p.start <= day <= p.end]
    assert len(containing) == 1
    assert current_period(periods, day) == containing[0]


@given(st.integers(min_value=1990, max_value=2100), st.sampled_from(available_profiles()))
def test_any_year_is_tiled_and_each_deadline_falls_before_the_next_years_same_period(year: int, key: str) -> None:
    periods = periods_for_year(load_profile(key), root_id=1, year=year)
    assert sum((p.end - p.start).days + 1 for p in periods) == (date(year + 1, 1, 1) - date(year, 1, 1)).days
    assert all(p.end < p.deadline < date(year + 1, p.start.month, p.start.day) for p in periods)
