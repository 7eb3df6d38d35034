"""Which period "exportera …" means, in the periods of Stockholm's and Malmö's models, and
what an unknown one is answered with."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from dialogs.export_dialog import ConsentContext, PeriodChoice, _no_such_period, choose_period, upload_url_allowed
from dialogs.texts import Texts
from goals.periods import periods_for_year
from goals.profiles import load_profile

TODAY = date(2026, 11, 23)


def _periods(profile: str):
    by_year = {}
    for year in (2025, 2026):
        made = periods_for_year(load_profile(profile), root_id=1, year=year)
        by_year[year] = [replace(p, id=year * 10 + i) for i, p in enumerate(made, start=1)]
    return lambda year: by_year.get(year, [])


def _kind_year(choice: PeriodChoice) -> tuple[str, int] | None:
    return (choice.period.kind, choice.period.year) if choice.period else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("exportera T2", ("T2", 2026)),
        ("export t1", ("T1", 2026)),
        ("exportera tertial 2 2025", ("T2", 2025)),
        ("exportera T2 förra året", ("T2", 2025)),
        ("export T2 last year", ("T2", 2025)),
        ("exportera årsanalysen", ("T3", 2026)),  # Stockholm's year-end period
        ("exportera", ("T3", 2026)),  # in November, T3 is being reported
        ("exportera förra året", ("T3", 2025)),
    ],
)
def test_stockholm(text, expected):
    assert _kind_year(choose_period(text, _periods("stockholm_ils"), TODAY)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("exportera delårsrapporten", ("interim", 2026)),
        ("exportera årsanalysen 2025", ("annual", 2025)),
        ("exportera", ("annual", 2026)),
    ],
)
def test_malmo(text, expected):
    assert _kind_year(choose_period(text, _periods("malmo_2023"), TODAY)) == expected


def test_an_unknown_period_lists_the_years_periods_in_the_persons_words():
    choice = choose_period("exportera delårsrapporten", _periods("stockholm_ils"), TODAY)
    assert choice.period is None
    text = _no_such_period(Texts("sv"), choice)
    assert text.startswith("Jag hittar ingen period ”Delårsrapport” för 2026.")
    assert "Tertial 1, Tertial 2, Tertial 3 (verksamhetsberättelse)" in text
    choice = choose_period("export T7", _periods("malmo_2023"), TODAY)
    assert _no_such_period(Texts("en"), choice) == (
        "I can't find a period \"T7\" for 2026. The periods are: Interim report, Annual analysis. "
        "Write, for example, \"export interim report\"."
    )
    assert _no_such_period(Texts("sv"), choose_period("exportera T2 2031", _periods("stockholm_ils"), TODAY)) == (
        "Det finns inga uppföljningsperioder för 2031 att exportera."
    )


def test_the_consent_context_round_trips_and_nothing_else_parses():
    context = ConsentContext(7, "d0000000-0000-4000-8000-000000000002", "tenant", TODAY)
    assert ConsentContext.parse(context.to_json()) == context
    good = context.to_json()
    for bad in ({**good, "period_id": True}, {**good, "period_id": 0}, {**good, "issued": "igår"},
                {**good, "tenant": "x" * 101}, [good], None):
        assert ConsentContext.parse(bad) is None, bad


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://tenant-my.sharepoint.com/upload?token=x", True),
        ("http://127.0.0.1:8080/upload", True),
        ("http://localhost/upload", True),
        ("http://tenant-my.sharepoint.com/upload", False),
        ("ftp://127.0.0.1/upload", False),
        ("file:///etc/passwd", False),
        (None, False),
    ],
)
def test_only_https_or_this_machine_gets_the_file(url, allowed):
    assert upload_url_allowed(url) is allowed
