"""Swedish working days for reminders, from the `holidays` package.

Not working: Saturdays, Sundays, the public holidays (helgdagar) and the de facto
holidays Midsommarafton, Julafton and Nyårsafton, when municipal offices are closed
even though the law does not say so. Half days ("från kl. 14.00") are working
days: a 09:00 reminder reaches people before they leave.

goals/reminders.py takes the result as a plain `is_working_day(date) -> bool`, so
the domain rules stay standard library and tests can pass any calendar.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

CATEGORIES = ("public", "de_facto")


@lru_cache(maxsize=32)
def _closed_days(year: int) -> frozenset[date]:
    calendar = holidays.country_holidays("SE", years=year, categories=CATEGORIES)
    return frozenset(calendar)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _closed_days(day.year)


def holiday_name(day: date, language: str = "sv") -> str | None:
    """The holiday's name ("Midsommarafton"), for tests and operator output."""
    calendar = holidays.country_holidays("SE", years=day.year, categories=CATEGORIES, language=language)
    return calendar.get(day)
