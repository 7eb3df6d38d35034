"""Is this goal behind, and why? What is still to report, and by when?

Pure functions on a `GoalSnapshot` (DOMAIN.md, "What behind means"). Each `Reason`
carries what a message needs (values, target, names, deadline), so the dialog layer
never has to reload anything to explain an answer.

Decisions on the edge cases (each one is pinned by a unit test):
- "The year" is the latest year among the snapshot's periods (the snapshot holds the
  year asked about and the year before); today's year when there are no periods.
- Periods that have not started by `today` are ignored: nothing in them can be behind.
- Latest assessment / forecast: the follow-up of the latest started period that has
  one, whatever its state (a manager's draft "ej uppfyllt" is already news). A
  forecast is superseded by an assessment of a later period, or by the assessment of
  the year-end period it shares a follow-up with: once the year is assessed, its
  forecasts say nothing more.
- Indicator values come from `history` and the snapshot's follow-ups (the latter win
  for the same period); a period's value without a total is "missing" and skipped.
  History from periods outside the snapshot counts as older than any in it.
- An indicator without a target cannot be off target and has no trend; a goal with
  no indicators is judged on its assessments, activities and reports alone.
- The trend is a least-squares line through this year's totals, placed at their
  periods' end dates, projected to the end of the year's last period. It needs two
  values and is only reported while the latest value is on target and the year's
  last period has no value yet (off target already says more; a year-end value
  needs no projection).
- An activity's status is the latest started follow-up's report of it, else the
  activity's own status; but done/cancelled on the activity itself always wins (an
  older report cannot undo a completion). Past its end date and not done/cancelled →
  overdue; otherwise marked delayed → delayed (one reason per activity).
- A report is missing when an OPEN period's deadline has passed (deadline < today)
  and the goal's follow-up is absent or neither submitted nor approved (returned
  counts as missing). Closed periods are history: their gaps can no longer be
  fixed here, so they do not keep a goal behind. Periods of years in which the goal
  is not valid are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from operator import attrgetter

from goals.model import (
    Activity,
    ActivityStatus,
    Direction,
    FollowUp,
    FollowUpState,
    Fulfilment,
    Indicator,
    Period,
)
from goals.ports import GoalSnapshot

REPORTED = (FollowUpState.SUBMITTED, FollowUpState.APPROVED)
FINISHED = (ActivityStatus.DONE, ActivityStatus.CANCELLED)
SHORT_OF_GOAL = (Fulfilment.PARTLY, Fulfilment.NOT)


class ReasonKind(StrEnum):
    ASSESSMENT = "assessment"
    FORECAST = "forecast"
    INDICATOR_OFF_TARGET = "indicator_off_target"
    INDICATOR_TREND = "indicator_trend"
    ACTIVITY_OVERDUE = "activity_overdue"
    ACTIVITY_DELAYED = "activity_delayed"
    REPORT_MISSING = "report_missing"


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    period_id: int | None = None
    indicator_id: int | None = None
    activity_id: int | None = None
    fulfilment: Fulfilment | None = None
    value: float | None = None
    target: float | None = None
    projected: float | None = None
    deadline: date | None = None  # a report's deadline, or an activity's end date
    name: str = ""  # indicator/activity title or period kind ("T1"), for messages


@dataclass(frozen=True)
class Due:
    goal_id: int
    period: Period
    state: FollowUpState | None  # None = not started


# --- rules shared with goals.assessment ------------------------------------------


def is_off_target(indicator: Indicator, value: float | None) -> bool:
    """Is `value` on the wrong side of the indicator's target? REACH counts as
    higher-is-better; no target or no value means nothing to judge."""
    if indicator.target is None or value is None:
        return False
    if indicator.direction == Direction.DECREASE:
        return value > indicator.target
    return value < indicator.target


def is_overdue(activity: Activity, status: ActivityStatus, today: date) -> bool:
    return activity.end < today and status not in FINISHED


def project(points: Sequence[tuple[float, float]], at: float) -> float | None:
    """Least-squares line through (x, y) points, evaluated at `at`; None with fewer
    than two distinct x values."""
    n = len(points)
    if n < 2:
        return None
    origin = points[0][0]  # shifting x keeps the sums small (dates are ordinals ~739 000)
    sx = sy = sxx = sxy = 0.0
    for x, y in points:  # one pass: this runs for every indicator of every goal asked about
        x -= origin
        sx += x
        sy += y
        sxx += x * x
        sxy += x * y
    spread = n * sxx - sx * sx
    if spread <= 0:
        return None
    slope = (n * sxy - sx * sy) / spread
    return (sy + slope * (n * (at - origin) - sx)) / n


# --- behind ------------------------------------------------------------------------


def behind_reasons(snapshot: GoalSnapshot, today: date) -> tuple[Reason, ...]:
    timeline = _Timeline(snapshot, today)
    return (
        *_assessment_reasons(timeline),
        *_indicator_reasons(snapshot, timeline),
        *_activity_reasons(snapshot, timeline, today),
        *_missing_reports(snapshot, timeline, today),
    )


def is_behind(snapshot: GoalSnapshot, today: date) -> bool:
    return bool(behind_reasons(snapshot, today))


# How much each reason weighs; "ej uppfyllt" outweighs "delvis" of the same kind.
_WEIGHT = {
    (ReasonKind.ASSESSMENT, Fulfilment.NOT): 100,
    (ReasonKind.ASSESSMENT, Fulfilment.PARTLY): 70,
    (ReasonKind.FORECAST, Fulfilment.NOT): 80,
    (ReasonKind.FORECAST, Fulfilment.PARTLY): 50,
    (ReasonKind.REPORT_MISSING, None): 60,
    (ReasonKind.INDICATOR_OFF_TARGET, None): 40,
    (ReasonKind.ACTIVITY_OVERDUE, None): 30,
    (ReasonKind.INDICATOR_TREND, None): 20,
    (ReasonKind.ACTIVITY_DELAYED, None): 10,
}
_MAX_SUM = 9_999


def severity(reasons: Sequence[Reason]) -> int:
    """Larger = further behind. The worst single reason decides first, the sum of all
    breaks ties, so one "ej uppfyllt" ranks above several delayed activities.
    Independent of order; adding a reason never lowers it; 0 for no reasons."""
    weights = [_weight(r) for r in reasons]
    if not weights:
        return 0
    return max(weights) * (_MAX_SUM + 1) + min(sum(weights), _MAX_SUM)


def _weight(reason: Reason) -> int:
    if reason.kind in (ReasonKind.ASSESSMENT, ReasonKind.FORECAST):
        return _WEIGHT.get((reason.kind, reason.fulfilment), _WEIGHT[(reason.kind, Fulfilment.PARTLY)])
    return _WEIGHT[(reason.kind, None)]


class _Timeline:
    """What every rule needs about one snapshot on one day, worked out once (the rules
    run for every goal of a city when someone asks what is behind)."""

    __slots__ = ("started", "reported", "year", "year_end", "period_ids")

    def __init__(self, snapshot: GoalSnapshot, today: date) -> None:
        self.started, self.year, self.year_end, self.period_ids = started, _, _, _ = _calendar(snapshot.periods, today)
        follow_ups = snapshot.follow_ups
        # (period, follow-up) of started periods, oldest first
        self.reported = [(p, f) for p in started if (f := follow_ups.get(p.id)) is not None] if follow_ups else []


def _calendar(periods: tuple[Period, ...], today: date) -> tuple[list[Period], int, date | None, frozenset[int]]:
    """(started periods by start, the year, the end of its last period, the period ids)
    of a snapshot's periods on `today`.

    The snapshots of one read share one periods tuple per organisation root, so the
    last answer is kept and reused while the same tuple comes again on the same day:
    a tuple of frozen periods cannot change, so identity is enough. Rules treat the
    result as read-only."""
    global _last_calendar
    last = _last_calendar
    if last is not None and last[0] is periods and last[1] == today:
        return last[2]
    # periods normally arrive sorted (GoalSnapshot's contract), so the sort is one cheap pass
    started = sorted([p for p in periods if p.start <= today], key=_start)
    year = max(map(_year, periods), default=today.year)
    year_end = max((p.end for p in periods if p.year == year), default=None)
    calendar = (started, year, year_end, frozenset(p.id for p in periods))
    _last_calendar = (periods, today, calendar)  # one assignment: readers see old or new, never half
    return calendar


_last_calendar: tuple[tuple[Period, ...], date, tuple] | None = None
_start = attrgetter("start")
_year = attrgetter("year")


def _assessment_reasons(timeline: _Timeline) -> list[Reason]:
    reasons: list[Reason] = []
    latest_assessment: tuple[int, Period, FollowUp] | None = None
    latest_forecast: tuple[int, Period, FollowUp] | None = None
    for index, (period, follow_up) in enumerate(timeline.reported):
        if follow_up.assessment is not None:
            latest_assessment = (index, period, follow_up)
        if follow_up.forecast is not None:
            latest_forecast = (index, period, follow_up)
    if latest_assessment is not None:
        _, period, follow_up = latest_assessment
        if follow_up.assessment in SHORT_OF_GOAL:
            reasons.append(
                Reason(ReasonKind.ASSESSMENT, period_id=period.id, fulfilment=follow_up.assessment, name=period.kind)
            )
    if latest_forecast is not None:
        index, period, follow_up = latest_forecast
        # Only an assessment of a later period, or the year-end assessment itself, makes
        # a forecast old news; during the year both stand side by side.
        superseded = latest_assessment is not None and (
            latest_assessment[0] > index or (latest_assessment[0] == index and period.is_year_end)
        )
        if follow_up.forecast in SHORT_OF_GOAL and not superseded:
            reasons.append(
                Reason(ReasonKind.FORECAST, period_id=period.id, fulfilment=follow_up.forecast, name=period.kind)
            )
    return reasons


def _totals(
    snapshot: GoalSnapshot, indicator_id: int, timeline: _Timeline, snapshot_ids: frozenset[int]
) -> list[tuple[Period | None, float]]:
    """(period, total) oldest first, skipping missing totals. Values of periods outside
    the snapshot come first with period None; those of unstarted periods are ignored."""
    history = snapshot.history.get(indicator_id)
    older: list[tuple[Period | None, float]]
    if history:
        older = [(None, m.total) for pid, m in history if pid not in snapshot_ids and m.total is not None]
        by_period = dict(history)
    else:
        older, by_period = [], {}
    for period, follow_up in timeline.reported:
        value = follow_up.indicator_values.get(indicator_id)
        if value is not None:
            by_period[period.id] = value
    if by_period:
        for period in timeline.started:
            value = by_period.get(period.id)
            if value is not None and value.total is not None:
                older.append((period, value.total))
    return older


def _indicator_reasons(snapshot: GoalSnapshot, timeline: _Timeline) -> list[Reason]:
    reasons: list[Reason] = []
    if not snapshot.goal.indicators:
        return reasons
    snapshot_ids = timeline.period_ids
    year, year_end = timeline.year, timeline.year_end
    for indicator in snapshot.goal.indicators:
        if indicator.target is None:
            continue
        values = _totals(snapshot, indicator.id, timeline, snapshot_ids)
        if not values:
            continue
        last_period, last_value = values[-1]
        if is_off_target(indicator, last_value):
            reasons.append(
                Reason(
                    ReasonKind.INDICATOR_OFF_TARGET,
                    period_id=last_period.id if last_period else None,
                    indicator_id=indicator.id,
                    value=last_value,
                    target=indicator.target,
                    name=indicator.name,
                )
            )
            continue
        if year_end is None or last_period is None or last_period.year != year or last_period.end >= year_end:
            continue
        this_year = [(p.end.toordinal(), v) for p, v in values if p is not None and p.year == year]
        projected = project(this_year, year_end.toordinal())
        if projected is not None and is_off_target(indicator, projected):
            reasons.append(
                Reason(
                    ReasonKind.INDICATOR_TREND,
                    period_id=last_period.id,
                    indicator_id=indicator.id,
                    value=last_value,
                    target=indicator.target,
                    projected=projected,
                    deadline=year_end,
                    name=indicator.name,
                )
            )
    return reasons


def activity_status(activity: Activity, reported: ActivityStatus | None) -> ActivityStatus:
    """The status to judge by: the latest report, unless the activity itself is finished."""
    if activity.status in FINISHED or reported is None:
        return activity.status
    return reported


def _activity_reasons(snapshot: GoalSnapshot, timeline: _Timeline, today: date) -> list[Reason]:
    reasons: list[Reason] = []
    if not snapshot.goal.activities:
        return reasons
    reports = [follow_up.activity_statuses for _, follow_up in timeline.reported if follow_up.activity_statuses]
    reports.reverse()  # latest first
    for activity in snapshot.goal.activities:
        reported = None
        for report in reports:
            reported = report.get(activity.id)
            if reported is not None:
                break
        status = activity_status(activity, reported)
        if is_overdue(activity, status, today):
            kind = ReasonKind.ACTIVITY_OVERDUE
        elif status == ActivityStatus.DELAYED:
            kind = ReasonKind.ACTIVITY_DELAYED
        else:
            continue
        reasons.append(Reason(kind, activity_id=activity.id, deadline=activity.end, name=activity.title))
    return reasons


def _missing_reports(snapshot: GoalSnapshot, timeline: _Timeline, today: date) -> list[Reason]:
    reasons: list[Reason] = []
    for period in timeline.started:
        if not period.is_open or period.deadline >= today or not snapshot.goal.is_valid_in(period.year):
            continue
        follow_up = snapshot.follow_ups.get(period.id)
        if follow_up is None or follow_up.state not in REPORTED:
            reasons.append(
                Reason(ReasonKind.REPORT_MISSING, period_id=period.id, deadline=period.deadline, name=period.kind)
            )
    return reasons


# --- still to report -----------------------------------------------------------------


def still_to_report(snapshot: GoalSnapshot, today: date) -> list[Due]:
    """Open, started periods (of years the goal is valid in) whose follow-up is not
    submitted or approved — a returned one is to report again — soonest deadline first.
    Periods that have not started are not yet reportable and are left out."""
    due = [
        Due(
            goal_id=snapshot.goal.id,
            period=period,
            state=snapshot.follow_ups[period.id].state if period.id in snapshot.follow_ups else None,
        )
        for period in snapshot.periods
        if period.is_open and period.start <= today and snapshot.goal.is_valid_in(period.year)
    ]
    return sorted((d for d in due if d.state not in REPORTED), key=lambda d: (d.period.deadline, d.period.start))
