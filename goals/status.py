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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from operator import attrgetter

from goals.model import (
    Activity,
    ActivityStatus,
    Direction,
    FollowUpState,
    Fulfilment,
    Goal,
    Indicator,
    Period,
)
from goals.periods import current_period
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


@dataclass(frozen=True, slots=True)  # slots: a summary keeps ~15,000 of them (one object each, no __dict__)
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
    return _judge(snapshot, today)[0]


def behind_and_severity(snapshot: GoalSnapshot, today: date) -> tuple[tuple[Reason, ...], int]:
    """`behind_reasons` and the `severity` of them, in one go: each reason's weight is
    known where the reason is found, so nothing is looked at twice (a summary does
    this for every goal of an administration)."""
    return _judge(snapshot, today)


def is_behind(snapshot: GoalSnapshot, today: date) -> bool:
    return bool(_judge(snapshot, today)[0])


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
# The same weights as lookups by kind alone (one dict probe per reason, not a tuple key):
# kinds weighed by fulfilment (anything but "ej uppfyllt" weighs as "delvis"), and the rest.
_BY_FULFILMENT = {
    kind: {f: w for (k, f), w in _WEIGHT.items() if k == kind}
    for kind in (ReasonKind.ASSESSMENT, ReasonKind.FORECAST)
}
_BY_KIND = {k: w for (k, f), w in _WEIGHT.items() if k not in _BY_FULFILMENT}
_W_ASSESSMENT_NOT, _W_ASSESSMENT = _WEIGHT[(ReasonKind.ASSESSMENT, Fulfilment.NOT)], _WEIGHT[(ReasonKind.ASSESSMENT, Fulfilment.PARTLY)]
_W_FORECAST_NOT, _W_FORECAST = _WEIGHT[(ReasonKind.FORECAST, Fulfilment.NOT)], _WEIGHT[(ReasonKind.FORECAST, Fulfilment.PARTLY)]
_W_MISSING = _BY_KIND[ReasonKind.REPORT_MISSING]
_W_OFF_TARGET = _BY_KIND[ReasonKind.INDICATOR_OFF_TARGET]
_W_TREND = _BY_KIND[ReasonKind.INDICATOR_TREND]
_W_OVERDUE = _BY_KIND[ReasonKind.ACTIVITY_OVERDUE]
_W_DELAYED = _BY_KIND[ReasonKind.ACTIVITY_DELAYED]


def severity(reasons: Sequence[Reason]) -> int:
    """Larger = further behind. The worst single reason decides first, the sum of all
    breaks ties, so one "ej uppfyllt" ranks above several delayed activities.
    Independent of order; adding a reason never lowers it; 0 for no reasons."""
    top = total = 0
    for reason in reasons:
        by_fulfilment = _BY_FULFILMENT.get(reason.kind)
        if by_fulfilment is not None:
            weight = by_fulfilment.get(reason.fulfilment, by_fulfilment[Fulfilment.PARTLY])
        else:
            weight = _BY_KIND[reason.kind]
        total += weight
        if weight > top:
            top = weight
    return _ranked(top, total) if reasons else 0


def _ranked(top: int, total: int) -> int:
    return top * (_MAX_SUM + 1) + min(total, _MAX_SUM)


# A Reason without its dataclass __init__: a frozen dataclass sets each of its ten
# fields through object.__setattr__ with keyword handling (~3.7 us a reason, ~15,000
# reasons in a city's summary); setting the slots straight takes ~1.6 us. Equality,
# repr, hashing and dataclasses.replace see exactly what __init__ would have made
# (pinned by tests/unit/test_status_reference.py, which compares every field and its type).
_new = object.__new__
(_s_kind, _s_period_id, _s_indicator_id, _s_activity_id, _s_fulfilment, _s_value, _s_target, _s_projected,
 _s_deadline, _s_name) = (Reason.__dict__[f.name].__set__ for f in fields(Reason))


def _reason(kind, period_id, indicator_id, activity_id, fulfilment, value, target, projected, deadline, name) -> Reason:
    reason = _new(Reason)
    _s_kind(reason, kind)
    _s_period_id(reason, period_id)
    _s_indicator_id(reason, indicator_id)
    _s_activity_id(reason, activity_id)
    _s_fulfilment(reason, fulfilment)
    _s_value(reason, value)
    _s_target(reason, target)
    _s_projected(reason, projected)
    _s_deadline(reason, deadline)
    _s_name(reason, name)
    return reason


_ASSESSMENT, _FORECAST = ReasonKind.ASSESSMENT, ReasonKind.FORECAST
_OFF_TARGET, _TREND = ReasonKind.INDICATOR_OFF_TARGET, ReasonKind.INDICATOR_TREND
_OVERDUE, _DELAYED = ReasonKind.ACTIVITY_OVERDUE, ReasonKind.ACTIVITY_DELAYED
_MISSING = ReasonKind.REPORT_MISSING
_NOT, _DECREASE = Fulfilment.NOT, Direction.DECREASE
_DONE, _CANCELLED, _DELAYED_STATUS = ActivityStatus.DONE, ActivityStatus.CANCELLED, ActivityStatus.DELAYED


def _judge(snapshot: GoalSnapshot, today: date) -> tuple[tuple[Reason, ...], int]:
    """All the rules in one pass over the snapshot, in the order of the reasons:
    assessment, forecast, indicators, activities, missing reports."""
    calendar = _calendar(snapshot.periods, today)
    goal = snapshot.goal
    follow_ups = snapshot.follow_ups
    reasons: list[Reason] = []
    top = total = 0
    # (period, follow-up) of started periods, oldest first
    reported = [(p, f) for p in calendar.started if (f := follow_ups.get(p.id)) is not None] if follow_ups else ()

    if reported:
        # The latest assessment and the latest forecast, from the newest follow-up back.
        assessed = forecast_at = -1
        index = len(reported) - 1
        while index >= 0 and (assessed < 0 or forecast_at < 0):
            follow_up = reported[index][1]
            if assessed < 0 and follow_up.assessment is not None:
                assessed = index
            if forecast_at < 0 and follow_up.forecast is not None:
                forecast_at = index
            index -= 1
        if assessed >= 0:
            period, follow_up = reported[assessed]
            fulfilment = follow_up.assessment
            if fulfilment in SHORT_OF_GOAL:
                reasons.append(calendar.fulfilment_reason(_ASSESSMENT, period, fulfilment))
                top = total = _W_ASSESSMENT_NOT if fulfilment == _NOT else _W_ASSESSMENT
        if forecast_at >= 0:
            period, follow_up = reported[forecast_at]
            fulfilment = follow_up.forecast
            # Only an assessment of a later period, or the year-end assessment itself, makes
            # a forecast old news; during the year both stand side by side.
            superseded = assessed > forecast_at or (assessed == forecast_at and period.is_year_end)
            if fulfilment in SHORT_OF_GOAL and not superseded:
                reasons.append(calendar.fulfilment_reason(_FORECAST, period, fulfilment))
                weight = _W_FORECAST_NOT if fulfilment == _NOT else _W_FORECAST
                total += weight
                if weight > top:
                    top = weight

    if goal.indicators:
        history = snapshot.history
        year, year_end = calendar.year, calendar.year_end
        for indicator in goal.indicators:
            target = indicator.target
            if target is None:
                continue
            indicator_id = indicator.id
            by_period = None
            if history and (points := history.get(indicator_id)):
                # History and the follow-ups, the follow-up's value winning for its period.
                by_period = dict(points)
                for period, follow_up in reported:
                    value = follow_up.indicator_values.get(indicator_id)
                    if value is not None:
                        by_period[period.id] = value
                for last_period in reversed(calendar.started):
                    measurement = by_period.get(last_period.id)
                    if measurement is not None and (last_value := measurement.total) is not None:
                        break
                else:
                    # None in a started period: the latest of periods outside the snapshot,
                    # which count as older than any in it.
                    period_ids = calendar.period_ids
                    for pid, measurement in reversed(points):
                        if pid not in period_ids and (last_value := measurement.total) is not None:
                            last_period = None
                            break
                    else:
                        continue
            else:
                # Only the follow-ups hold values: the latest with a total is the last value.
                for last_period, follow_up in reversed(reported):
                    measurement = follow_up.indicator_values.get(indicator_id)
                    if measurement is not None and (last_value := measurement.total) is not None:
                        break
                else:
                    continue
            if last_value > target if indicator.direction == _DECREASE else last_value < target:
                reasons.append(_reason(_OFF_TARGET, last_period.id if last_period else None, indicator_id, None,
                                       None, last_value, target, None, None, indicator.name))
                total += _W_OFF_TARGET
                if _W_OFF_TARGET > top:
                    top = _W_OFF_TARGET
                continue
            if year_end is None or last_period is None or last_period.year != year or last_period.end >= year_end:
                continue
            # This year's totals at their periods' ends, oldest first.
            if by_period is not None:
                this_year = [(end, m.total) for pid, end in calendar.this_year
                             if (m := by_period.get(pid)) is not None and m.total is not None]
            else:
                this_year = [(p.end.toordinal(), m.total) for p, f in reported if p.year == year
                             and (m := f.indicator_values.get(indicator_id)) is not None and m.total is not None]
            projected = project(this_year, calendar.year_end_ordinal)
            if projected is not None and is_off_target(indicator, projected):
                reasons.append(_reason(_TREND, last_period.id, indicator_id, None, None, last_value, target,
                                       projected, year_end, indicator.name))
                total += _W_TREND
                if _W_TREND > top:
                    top = _W_TREND

    if goal.activities:
        reports = [f.activity_statuses for _, f in reversed(reported) if f.activity_statuses]  # latest first
        for activity in goal.activities:
            status = activity.status
            # done/cancelled on the activity itself wins; else the latest report, if any
            if status != _DONE and status != _CANCELLED:
                for report in reports:
                    reported_status = report.get(activity.id)
                    if reported_status is not None:
                        status = reported_status
                        break
            if activity.end < today and status not in FINISHED:
                reasons.append(_reason(_OVERDUE, None, None, activity.id, None, None, None, None, activity.end,
                                       activity.title))
                weight = _W_OVERDUE
            elif status == _DELAYED_STATUS:
                reasons.append(_reason(_DELAYED, None, None, activity.id, None, None, None, None, activity.end,
                                       activity.title))
                weight = _W_DELAYED
            else:
                continue
            total += weight
            if weight > top:
                top = weight

    if calendar.due:
        valid_from, valid_to = goal.valid_from, goal.valid_to
        for period, reason in calendar.due:
            if not valid_from <= period.year <= valid_to:
                continue
            follow_up = follow_ups.get(period.id)
            if follow_up is None or follow_up.state not in REPORTED:
                reasons.append(reason)
                total += _W_MISSING
                if _W_MISSING > top:
                    top = _W_MISSING

    return tuple(reasons), (_ranked(top, total) if reasons else 0)


class _Calendar:
    """What every rule needs about one periods tuple on one day, worked out once (the
    rules run for every goal of a city when someone asks what is behind). Read-only
    for the rules."""

    __slots__ = ("started", "year", "year_end", "year_end_ordinal", "this_year", "period_ids", "due",
                 "_fulfilment_reasons")

    def __init__(self, periods: tuple[Period, ...], today: date) -> None:
        # periods normally arrive sorted (GoalSnapshot's contract), so the sort is one cheap pass
        self.started = sorted([p for p in periods if p.start <= today], key=_start)
        self.year = max(map(_year, periods), default=today.year)
        self.year_end = max((p.end for p in periods if p.year == self.year), default=None)
        self.year_end_ordinal = self.year_end.toordinal() if self.year_end is not None else None
        # (id, end as an ordinal) of the year's started periods, oldest first: where a trend's points sit
        self.this_year = [(p.id, p.end.toordinal()) for p in self.started if p.year == self.year]
        self.period_ids = frozenset(p.id for p in periods)
        # Open started periods past their deadline, with the one "report missing" reason
        # each: the same for every goal that has not reported (a Reason is immutable).
        self.due = [
            (p, _reason(_MISSING, p.id, None, None, None, None, None, None, p.deadline, p.kind))
            for p in self.started
            if p.is_open and p.deadline < today
        ]
        self._fulfilment_reasons: dict[tuple, Reason] = {}

    def fulfilment_reason(self, kind: ReasonKind, period: Period, fulfilment: object) -> Reason:
        """The assessment/forecast reason of a period: one shared instance per value, and
        per type (a fulfilment read as a plain string stays a string in the reason)."""
        key = (kind, period.id, fulfilment, type(fulfilment))
        reason = self._fulfilment_reasons.get(key)
        if reason is None:
            reason = self._fulfilment_reasons[key] = _reason(
                kind, period.id, None, None, fulfilment, None, None, None, None, period.kind
            )
        return reason


def _calendar(periods: tuple[Period, ...], today: date) -> _Calendar:
    """The `_Calendar` of a snapshot's periods on `today`.

    The snapshots of one read share one periods tuple per organisation root, so the
    last answer is kept and reused while the same tuple comes again on the same day:
    a tuple of frozen periods cannot change, so identity is enough."""
    global _last_calendar
    last = _last_calendar
    if last is not None and last[0] is periods and last[1] == today:
        return last[2]
    calendar = _Calendar(periods, today)
    _last_calendar = (periods, today, calendar)  # one assignment: readers see old or new, never half
    return calendar


_last_calendar: tuple[tuple[Period, ...], date, _Calendar] | None = None
_start = attrgetter("start")
_year = attrgetter("year")


def activity_status(activity: Activity, reported: ActivityStatus | None) -> ActivityStatus:
    """The status to judge by: the latest report, unless the activity itself is finished."""
    if activity.status in FINISHED or reported is None:
        return activity.status
    return reported


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


# --- a goal's whole status on one day ------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoalStatus:
    """Everything the status questions say about one goal on one day: the reasons it is
    behind, what is left to report, and the period to report now. Derived from a
    `GoalSnapshot` and the day alone, so it can be kept while neither changes
    (goals/status_memo.py)."""

    goal: Goal
    owner_name: str
    reasons: tuple[Reason, ...]  # empty = on track
    severity: int  # severity of the reasons; 0 = on track
    due: tuple[Due, ...]  # open periods still to report, soonest deadline first
    period: Period | None  # the period to report now (goals.periods.current_period)
    state: FollowUpState | None  # that period's follow-up state; None = not started

    @property
    def is_behind(self) -> bool:
        return bool(self.reasons)


def goal_status_of(snapshot: GoalSnapshot, today: date) -> GoalStatus:
    reasons, rank = _judge(snapshot, today)
    period = current_period(snapshot.periods, today)
    follow_up = snapshot.follow_ups.get(period.id) if period else None
    return GoalStatus(
        goal=snapshot.goal,
        owner_name=snapshot.owner_name,
        reasons=reasons,
        severity=rank,
        due=tuple(still_to_report(snapshot, today)),
        period=period,
        state=follow_up.state if follow_up else None,
    )


def sorted_by_severity(statuses: Iterable[GoalStatus]) -> list[GoalStatus]:
    """Most behind first; ties by owner name, goal number and id, so pages stay stable."""
    return sorted(statuses, key=_severity_order)


def _severity_order(status: GoalStatus) -> tuple:
    return (-status.severity, status.owner_name, status.goal.number, status.goal.id)
