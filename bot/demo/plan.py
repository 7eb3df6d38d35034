"""Turn a demo spec into dated data relative to `today` (pure, no database).

The demo must mean the same thing whenever it is loaded, so nothing here is a
fixed date: the periods are the profile's for this year and the two before
(goals.periods.periods_for_year), and each goal's follow-ups, indicator values
and activity dates are placed around `today`:

- every period whose deadline has passed holds an approved follow-up (the
  history), except the most recent one for goals playing REPORT_MISSING;
- that most recent passed period stays open (late reports are still taken until
  the next deadline passes); older passed periods are closed;
- the current period (goals.periods.current_period) shows the goal's scenario;
- periods not yet started hold nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from goals.model import (
    Activity,
    ActivityStatus,
    CrossSectoral,
    Direction,
    FollowUpState,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
    Period,
    Role,
)
from goals.periods import current_period, periods_for_year
from goals.profiles import Profile

from bot.demo.spec import ActivityPlan, DemoSpec, GoalSpec, IndicatorSpec, NodeSpec, Scenario

HISTORY_YEARS = 2
_TZ = ZoneInfo("Europe/Stockholm")
_FIRST_MANDATE_YEAR = 2023  # Swedish councils sit four years: 2023–2026, 2027–2030, …

PeriodKey = tuple[int, str]  # (year, kind)


@dataclass(frozen=True)
class PlannedGoal:
    goal: Goal  # ids 0; owner_id/parent_id resolved by the loader from the codes below
    owner_code: str
    parent_code: str | None
    area_code: str | None
    spec: GoalSpec


@dataclass(frozen=True)
class PlannedFollowUp:
    goal_code: str
    period: PeriodKey
    state: FollowUpState
    forecast: Fulfilment | None
    assessment: Fulfilment | None
    analysis: str
    actions: str
    evidence_note: str
    resource_use: str
    cross_sectoral: dict[CrossSectoral, str]
    values: dict[str, Measurement]  # indicator code -> value
    activity_statuses: dict[int, ActivityStatus]  # activity position in the goal -> status
    author: int | None  # person number
    approver: int | None
    submitted_at: datetime | None
    decided_at: datetime | None


@dataclass(frozen=True)
class Plan:
    today: date
    year: int
    periods: tuple[Period, ...]  # root_id 0, with is_open as it should be today
    current: PeriodKey | None
    goals: tuple[PlannedGoal, ...]
    follow_ups: tuple[PlannedFollowUp, ...]


def plan_demo(spec: DemoSpec, profile: Profile, today: date) -> Plan:
    year = today.year
    periods = _periods(profile, year, today)
    current = current_period(periods, today)
    current_key = (current.year, current.kind) if current else None
    people = _responsible_people(spec.root)
    goals: list[PlannedGoal] = []
    follow_ups: list[PlannedFollowUp] = []
    for node in spec.root.walk():
        for goal_spec in node.goals:
            planned = _planned_goal(goal_spec, node, year, today)
            goals.append(planned)
            follow_ups.extend(
                _follow_ups(spec, profile, planned, node, periods, current_key, today, people, year)
            )
    return Plan(
        today=today,
        year=year,
        periods=tuple(periods),
        current=current_key,
        goals=tuple(goals),
        follow_ups=tuple(follow_ups),
    )


# --- periods ---------------------------------------------------------------------------


def _periods(profile: Profile, year: int, today: date) -> list[Period]:
    periods = [
        period
        for y in range(year - HISTORY_YEARS, year + 1)
        for period in periods_for_year(profile, root_id=0, year=y)
    ]
    passed = [p for p in periods if p.deadline < today]
    last_passed = max(passed, key=lambda p: p.deadline, default=None)
    return [replace(p, is_open=not (p.deadline < today and p is not last_passed)) for p in periods]


def last_passed_period(periods: tuple[Period, ...] | list[Period], today: date) -> Period | None:
    return max((p for p in periods if p.deadline < today), key=lambda p: p.deadline, default=None)


# --- goals -----------------------------------------------------------------------------


def mandate_years(year: int) -> tuple[int, int]:
    start = _FIRST_MANDATE_YEAR + 4 * ((year - _FIRST_MANDATE_YEAR) // 4)
    return start, start + 3


def _planned_goal(spec: GoalSpec, owner: NodeSpec, year: int, today: date) -> PlannedGoal:
    if spec.valid is None:
        start, end = mandate_years(year)
        valid_from, valid_to = min(start, year - HISTORY_YEARS), end
    else:
        valid_from, valid_to = year + spec.valid[0], year + spec.valid[1]
    goal = Goal(
        id=0,
        code=spec.code,
        title=spec.title,
        level=spec.level,
        owner_id=0,
        valid_from=valid_from,
        valid_to=valid_to,
        description=spec.description,
        expected_results=spec.results,
        indicators=tuple(
            Indicator(
                id=0,
                code=i.code,
                name=i.name,
                unit=i.unit,
                direction=i.direction,
                target=i.target,
                baseline=i.baseline if i.baseline is not None else i.start,
                gender_split=i.gender_split,
                kpi_id=i.kpi_id,
            )
            for i in spec.indicators
        ),
        activities=tuple(_activities(spec, today)),
    )
    return PlannedGoal(goal=goal, owner_code=owner.code, parent_code=spec.parent, area_code=spec.area, spec=spec)


def _activities(spec: GoalSpec, today: date) -> list[Activity]:
    day = timedelta(days=1)
    activities = []
    scenario_activity = _scenario_activity_index(spec)
    for index, activity in enumerate(spec.activities):
        if activity.plan is ActivityPlan.DONE:
            start, end, status = today - 150 * day, today - 30 * day, ActivityStatus.DONE
        elif activity.plan is ActivityPlan.PLANNED:
            start, end, status = today + 14 * day, today + 90 * day, ActivityStatus.NOT_STARTED
        else:
            start, end, status = today - 60 * day, today + 45 * day, ActivityStatus.ONGOING
        if index == scenario_activity and spec.scenario is Scenario.ACTIVITY_OVERDUE:
            start, end = today - 100 * day, today - 12 * day
        if index == scenario_activity and spec.scenario is Scenario.ACTIVITY_DELAYED:
            status = ActivityStatus.DELAYED
        activities.append(Activity(id=0, title=activity.title, start=start, end=end, status=status))
    return activities


def _scenario_activity_index(spec: GoalSpec) -> int | None:
    """The activity an activity scenario is about: the goal's first ongoing one."""
    return next((i for i, a in enumerate(spec.activities) if a.plan is ActivityPlan.ONGOING), None)


# --- people ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Responsible:
    author: int | None
    approver: int | None


def _responsible_people(root: NodeSpec) -> dict[str, _Responsible]:
    """Who writes and who approves the follow-ups of each node's goals: a unit's
    manager writes and the department head approves; an administration's staff
    write and its director approves. Goals of the municipality (KF goals) are the
    city's own, recorded by the system."""
    result: dict[str, _Responsible] = {}

    def holder(node: NodeSpec, role: Role) -> int | None:
        return next((p.number for p, r in node.people if r is role), None)

    def visit(node: NodeSpec, department_head: int | None) -> None:
        head = holder(node, Role.DEPARTMENT_HEAD) or department_head
        if holder(node, Role.UNIT_MANAGER) is not None:
            result[node.code] = _Responsible(holder(node, Role.UNIT_MANAGER), head)
        elif holder(node, Role.DIRECTOR) is not None:
            result[node.code] = _Responsible(holder(node, Role.STAFF), holder(node, Role.DIRECTOR))
        else:
            result[node.code] = _Responsible(None, None)
        for child in node.children:
            visit(child, head)

    visit(root, None)
    return result


# --- follow-ups --------------------------------------------------------------------------


def _follow_ups(
    spec: DemoSpec,
    profile: Profile,
    planned: PlannedGoal,
    owner: NodeSpec,
    periods: list[Period],
    current: PeriodKey | None,
    today: date,
    people: dict[str, _Responsible],
    year: int,
) -> list[PlannedFollowUp]:
    goal_spec = planned.spec
    scenario = goal_spec.scenario
    last_passed = last_passed_period(periods, today)
    valid = [p for p in periods if planned.goal.is_valid_in(p.year) and p.start <= today]
    unreported = current if scenario is Scenario.INDICATOR_TREND and _ends_year(current, periods) else None
    values = _indicator_values(goal_spec, valid, current, unreported, year)
    responsible = people[owner.code]
    is_unit = any(r is Role.UNIT_MANAGER for _, r in owner.people)
    result = []
    for period in valid:
        key = (period.year, period.kind)
        passed = period.deadline < today
        if passed and period is last_passed and scenario is Scenario.REPORT_MISSING:
            continue
        if key == current:
            state = _current_state(scenario, goal_spec.code)
            if state is None or key == unreported:
                continue  # nothing reported yet (a year-end value would end the trend's projection)
        else:
            state = FollowUpState.APPROVED if passed else FollowUpState.SUBMITTED
        scenario_here = scenario if key == current else Scenario.ON_TRACK
        judgement = _judgement(scenario_here)
        year_is_over = period.is_year_end and today > period.end
        submitted = _at(min(period.deadline - timedelta(days=4), today - timedelta(days=2)))
        approved = state is FollowUpState.APPROVED
        result.append(
            PlannedFollowUp(
                goal_code=goal_spec.code,
                period=key,
                state=state,
                forecast=None if year_is_over else judgement,
                assessment=judgement if year_is_over else None,
                analysis=_analysis(goal_spec, scenario_here, values, key),
                actions=goal_spec.actions if scenario_here is not Scenario.ON_TRACK else "",
                evidence_note=_evidence_note(scenario_here),
                resource_use=spec.resource_use if is_unit and profile.requirements.resource_use else "",
                cross_sectoral={CrossSectoral(k): v for k, v in spec.cross_sectoral.items()},
                values={code: by_period[key] for code, by_period in values.items() if key in by_period},
                activity_statuses=_activity_statuses(planned.goal, period, scenario_here, goal_spec, today),
                author=responsible.author,
                approver=responsible.approver if approved else None,
                submitted_at=submitted if state is not FollowUpState.DRAFT else None,
                decided_at=submitted + timedelta(days=1) if approved else None,
            )
        )
    return result


def _ends_year(key: PeriodKey | None, periods: list[Period]) -> bool:
    period = next((p for p in periods if (p.year, p.kind) == key), None)
    return period is not None and period.end == max(p.end for p in periods if p.year == period.year)


def _current_state(scenario: Scenario, code: str) -> FollowUpState | None:
    if scenario in (Scenario.NOT_REPORTED, Scenario.REPORT_MISSING):
        return None
    if scenario is Scenario.STARTED:
        return FollowUpState.DRAFT
    if scenario is Scenario.ON_TRACK:
        # some approved already, some waiting for the department head
        return FollowUpState.APPROVED if sum(map(ord, code)) % 2 else FollowUpState.SUBMITTED
    return FollowUpState.SUBMITTED


def _judgement(scenario: Scenario) -> Fulfilment | None:
    if scenario is Scenario.FORECAST_PARTLY:
        return Fulfilment.PARTLY
    if scenario is Scenario.FORECAST_NOT:
        return Fulfilment.NOT
    if scenario is Scenario.STARTED:
        return None  # a draft: the judgement is not made yet
    return Fulfilment.FULFILLED


def _evidence_note(scenario: Scenario) -> str:
    if scenario is Scenario.INDICATOR_OFF_TARGET:
        return "Vi bedömer att målvärdet nås till årets slut när åtgärderna fått effekt."
    return ""


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), tzinfo=_TZ)


def _activity_statuses(
    goal: Goal, period: Period, scenario: Scenario, spec: GoalSpec, today: date
) -> dict[int, ActivityStatus]:
    """What the follow-up reports about each activity that had started by the time
    it was written; the scenario's activity is reported ongoing (overdue) or delayed."""
    statuses = {}
    as_of = min(period.end, today)
    scenario_activity = _scenario_activity_index(spec)
    for index, activity in enumerate(goal.activities):
        if activity.start > as_of:
            continue
        if activity.status is ActivityStatus.DONE and activity.end <= as_of:
            status = ActivityStatus.DONE
        elif index == scenario_activity and scenario is Scenario.ACTIVITY_DELAYED:
            status = ActivityStatus.DELAYED
        else:
            status = ActivityStatus.ONGOING
        statuses[index] = status
    return statuses


# --- indicator values --------------------------------------------------------------------------


def _indicator_values(
    spec: GoalSpec, periods: list[Period], current: PeriodKey | None, unreported: PeriodKey | None, year: int
) -> dict[str, dict[PeriodKey, Measurement]]:
    """Each indicator's value for every started period: from `start` two years ago
    to `good` about two thirds of the way, then holding there (so whichever of the
    recent reports is the latest, it is on target); the scenario bends the first
    indicator's latest values."""
    keys = [(p.year, p.kind) for p in periods]
    n = len(keys)
    reached = max(1, round(0.6 * (n - 1)))
    result = {}
    for position, indicator in enumerate(spec.indicators):
        totals = {}
        for i, key in enumerate(keys):
            share = min(1.0, i / reached)
            wobble = (0.4 if i % 2 else -0.4) * _step(indicator) if 0 < i < reached else 0.0
            totals[key] = indicator.start + (indicator.good - indicator.start) * share + wobble
        if position == 0 and keys:
            reported = [k for k in keys if k != unreported]
            _bend(spec.scenario, indicator, totals, reported, current, year)
        result[indicator.code] = {key: _measurement(indicator, total) for key, total in totals.items()}
    return result


def _step(indicator: IndicatorSpec) -> float:
    return max(abs(indicator.target) * 0.03, 1.0)


def _better(indicator: IndicatorSpec) -> float:
    """+1 when higher is better, -1 when lower is."""
    return -1.0 if indicator.direction is Direction.DECREASE else 1.0


def _bend(
    scenario: Scenario,
    indicator: IndicatorSpec,
    totals: dict[PeriodKey, float],
    keys: list[PeriodKey],
    current: PeriodKey | None,
    year: int,
) -> None:
    step, better = _step(indicator), _better(indicator)
    if scenario is Scenario.INDICATOR_OFF_TARGET and current in totals:
        totals[current] = indicator.target - better * 2.5 * step
    elif scenario is Scenario.INDICATOR_TREND:
        # On target every time, but each value closer to the line than the one
        # before: the least-squares line crosses the target before the year ends.
        this_year = [k for k in keys if k[0] == year]
        for distance, key in zip((1.0, 4.0, 6.0), reversed(this_year), strict=False):
            totals[key] = indicator.target + better * distance * step


def _measurement(indicator: IndicatorSpec, total: float) -> Measurement:
    counted = indicator.unit in ("antal", "gram") or abs(indicator.target) >= 100
    total = float(round(total)) if counted else round(total, 1)
    if not indicator.gender_split:
        return Measurement(total=total)
    if indicator.unit == "antal":
        women = float(round(total / 2 + indicator.women_offset))
        return Measurement(total=total, women=women, men=total - women)
    return Measurement(
        total=total,
        women=round(total + indicator.women_offset, 1),
        men=round(total - indicator.women_offset, 1),
    )


# --- analysis text -------------------------------------------------------------------------------


def _analysis(
    spec: GoalSpec, scenario: Scenario, values: dict[str, dict[PeriodKey, Measurement]], key: PeriodKey
) -> str:
    if scenario is not Scenario.ON_TRACK and spec.analysis:
        return spec.analysis
    if scenario is Scenario.STARTED:
        return ""
    sentences = []
    for indicator in spec.indicators:
        by_period = values.get(indicator.code, {})
        now = by_period.get(key)
        before = by_period.get((key[0] - 1, key[1]))
        if now is None or now.total is None:
            continue
        text = f"{indicator.name}: {_number(now.total)} {indicator.unit}"
        if before is not None and before.total is not None:
            text += f" (samma period förra året {_number(before.total)} {indicator.unit})"
        sentences.append(text + ".")
    sentences.append(
        "Arbetet går enligt plan och resultaten rör sig åt rätt håll. Vi bedömer att det förväntade "
        "resultatet nås för helåret, eftersom arbetssättet är etablerat i hela verksamheten."
    )
    return " ".join(sentences)


def _number(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")
