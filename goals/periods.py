"""A year's reporting periods from a profile, and which one is current."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from goals.model import Period
from goals.profiles import Profile


def periods_for_year(profile: Profile, *, root_id: int, year: int) -> list[Period]:
    """The profile's default periods of `year` for one organisation root, not yet
    stored (id 0), open, sorted by start. The profile loader guarantees they tile
    the year and that each deadline falls after its period's end."""
    periods = [
        Period(
            id=0,
            root_id=root_id,
            kind=kind.key,
            year=year,
            start=date(year, *kind.start),
            end=date(year, *kind.end),
            deadline=date(year + 1 if kind.deadline_next_year else year, *kind.deadline),
            is_open=True,
            is_year_end=kind.is_year_end,
        )
        for kind in profile.period_kinds
    ]
    return sorted(periods, key=lambda p: p.start)


def current_period(periods: Sequence[Period], today: date) -> Period | None:
    """The open period containing `today`; otherwise the open period whose deadline
    is nearest to today (an upcoming deadline wins a tie with a past one), so that in
    the days after a period ends but before its successor is opened people are
    still offered the period they have to report. None when nothing is open."""
    open_periods = [p for p in periods if p.is_open]
    for period in open_periods:
        if period.start <= today <= period.end:
            return period
    if not open_periods:
        return None
    return min(open_periods, key=lambda p: (abs((p.deadline - today).days), p.deadline < today, p.start))
