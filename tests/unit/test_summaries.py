"""The channel summary of an org node for a period: goals by assessment, behind with
reasons, units not yet reported, largest movements since last year."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from goals.model import (
    Direction,
    FollowUp,
    FollowUpState,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
    OrgKind,
    OrgNode,
)
from goals.periods import periods_for_year
from goals.ports import GoalSnapshot
from goals.profiles import load_profile
from goals.status import ReasonKind
from goals.summaries import summarise, summary_period

STOCKHOLM = load_profile("stockholm_ils")
# 2025 T1/T2/T3 = ids 11/12/13, 2026 T1/T2/T3 = ids 1/2/3.
LAST_YEAR = [replace(p, id=11 + i) for i, p in enumerate(periods_for_year(STOCKHOLM, root_id=1, year=2025))]
THIS_YEAR = [replace(p, id=1 + i) for i, p in enumerate(periods_for_year(STOCKHOLM, root_id=1, year=2026))]
PERIODS = tuple(LAST_YEAR + THIS_YEAR)
T1 = THIS_YEAR[0]
TODAY = date(2026, 5, 20)  # after T1's deadline, during T2

ROOT = OrgNode(1, "K", "Kommunen", OrgKind.MUNICIPALITY)
ADMIN = OrgNode(2, "F", "Äldreförvaltningen", OrgKind.ADMINISTRATION, parent_id=1)
DEPT = OrgNode(3, "A", "Avdelning hemtjänst", OrgKind.DEPARTMENT, parent_id=2)
NODES = [ADMIN, DEPT, *(OrgNode(10 + i, f"U{i}", f"Enhet {i}", OrgKind.UNIT, parent_id=3) for i in range(4))]


def indicator(iid: int, *, direction: Direction = Direction.INCREASE, target: float | None = 80, kpi: str | None = None):
    return Indicator(id=iid, code=f"I{iid}", name=f"Indikator {iid}", unit="%", direction=direction, target=target,
                     kpi_id=kpi)


def goal(gid: int, owner: int, *, year: int = 2026, indicators=()) -> Goal:
    return Goal(id=gid, code=f"G{gid}", title=f"Mål {gid}", level="enhet", owner_id=owner, valid_from=year,
                valid_to=year, number=1, indicators=tuple(indicators))


def follow_up(g: Goal, period_id: int, state: FollowUpState, *, assessment=None, forecast=None, values=None):
    return FollowUp(id=g.id * 100 + period_id, goal_id=g.id, period_id=period_id, state=state, assessment=assessment,
                    forecast=forecast, indicator_values={k: Measurement(total=v) for k, v in (values or {}).items()})


def snapshot(g: Goal, *follow_ups: FollowUp) -> GoalSnapshot:
    return GoalSnapshot(goal=g, owner_name=f"Enhet {g.owner_id - 10}", periods=PERIODS,
                        follow_ups={f.period_id: f for f in follow_ups})


def test_counts_goals_by_assessment_only_once_submitted_or_approved():
    goals = [goal(i, 10 + i % 4) for i in range(1, 6)]
    snaps = [
        snapshot(goals[0], follow_up(goals[0], 1, FollowUpState.APPROVED, assessment=Fulfilment.FULFILLED)),
        snapshot(goals[1], follow_up(goals[1], 1, FollowUpState.SUBMITTED, assessment=Fulfilment.PARTLY)),
        # a forecast alone counts as what it forecasts
        snapshot(goals[2], follow_up(goals[2], 1, FollowUpState.SUBMITTED, forecast=Fulfilment.NOT)),
        # a draft's assessment is not yet an assessment
        snapshot(goals[3], follow_up(goals[3], 1, FollowUpState.DRAFT, assessment=Fulfilment.FULFILLED)),
        snapshot(goals[4]),
    ]
    summary = summarise(node=ADMIN, nodes=NODES, period=T1, snapshots=snaps, today=TODAY)
    assert summary.goals == 5
    assert summary.by_assessment == {Fulfilment.FULFILLED: 1, Fulfilment.PARTLY: 1, Fulfilment.NOT: 1, None: 2}


def test_units_not_reported_are_those_with_a_missing_draft_or_returned_follow_up():
    a, b, c, d = goal(1, 10), goal(2, 11), goal(3, 12), goal(4, 12)
    snaps = [
        snapshot(a, follow_up(a, 1, FollowUpState.APPROVED, assessment=Fulfilment.FULFILLED)),
        snapshot(b, follow_up(b, 1, FollowUpState.RETURNED, assessment=Fulfilment.FULFILLED)),
        snapshot(c, follow_up(c, 1, FollowUpState.SUBMITTED, assessment=Fulfilment.FULFILLED)),
        snapshot(d),
    ]
    summary = summarise(node=ADMIN, nodes=NODES, period=T1, snapshots=snaps, today=TODAY)
    assert [(u.unit.name, u.missing, u.goals) for u in summary.not_reported] == [("Enhet 1", 1, 1), ("Enhet 2", 1, 2)]
    assert {u.department for u in summary.not_reported} == {"Avdelning hemtjänst"}
    assert (summary.units_with_goals, summary.reported_units) == (3, 1)


def test_goals_behind_come_most_behind_first_with_their_reasons():
    on_track, partly, missing = goal(1, 10), goal(2, 11), goal(3, 12)
    snaps = [
        snapshot(on_track, follow_up(on_track, 1, FollowUpState.APPROVED, assessment=Fulfilment.FULFILLED)),
        snapshot(partly, follow_up(partly, 1, FollowUpState.SUBMITTED, assessment=Fulfilment.NOT)),
        snapshot(missing),  # T1's deadline has passed without a report
    ]
    summary = summarise(node=ADMIN, nodes=NODES, period=T1, snapshots=snaps, today=TODAY)
    assert {b.goal.id for b in summary.behind} == {2, 3}
    assert [b.severity for b in summary.behind] == sorted((b.severity for b in summary.behind), reverse=True)
    kinds = {b.goal.id: {r.kind for r in b.reasons} for b in summary.behind}
    assert ReasonKind.ASSESSMENT in kinds[2]
    assert kinds[3] == {ReasonKind.REPORT_MISSING}
    assert 1 not in kinds


def test_only_goals_below_the_node_count():
    inside, outside = goal(1, 10), goal(2, 99)
    summary = summarise(node=DEPT, nodes=NODES[1:], period=T1, snapshots=[snapshot(inside), snapshot(outside)], today=TODAY)
    assert summary.goals == 1


def test_movements_compare_with_last_years_goal_of_the_same_unit_and_respect_direction():
    share = indicator(1, kpi="U001")
    sick = indicator(2, direction=Direction.DECREASE, target=5)
    this_year = goal(1, 10, indicators=[share, replace(sick, id=2)])
    last_year = goal(9, 10, year=2025, indicators=[replace(share, id=91), replace(sick, id=92, code="I2")])
    now = snapshot(this_year, follow_up(this_year, 1, FollowUpState.SUBMITTED, values={1: 75.0, 2: 6.0}))
    before = snapshot(last_year, follow_up(last_year, 11, FollowUpState.APPROVED, values={91: 70.0, 92: 4.0}))
    summary = summarise(node=ADMIN, nodes=NODES, period=T1, snapshots=[now], previous=[before], today=TODAY)
    # sick days 4 → 6 is +50 %, the share 70 → 75 about +7 %: sick days first, and worse
    assert [(m.indicator.id, m.before, m.after, m.better) for m in summary.movements] == [
        (2, 4.0, 6.0, False),
        (1, 70.0, 75.0, True),
    ]


def test_a_multi_year_goal_moves_against_its_own_history():
    share = indicator(1)
    g = Goal(id=1, code="G1", title="Mål", level="bidrag", owner_id=10, valid_from=2025, valid_to=2026,
             indicators=(share,))
    snap = snapshot(
        g,
        follow_up(g, 11, FollowUpState.APPROVED, values={1: 60.0}),
        follow_up(g, 1, FollowUpState.SUBMITTED, values={1: 50.0}),
    )
    summary = summarise(node=ADMIN, nodes=NODES, period=T1, snapshots=[snap], today=TODAY)
    assert [(m.before, m.after, m.better) for m in summary.movements] == [(60.0, 50.0, False)]


def test_summary_period_is_the_started_one_with_the_nearest_deadline_ahead():
    assert summary_period(PERIODS, date(2026, 5, 5)) == T1  # T2 has started, T1 is still being reported
    assert summary_period(PERIODS, date(2026, 6, 1)) == THIS_YEAR[1]
    assert summary_period(PERIODS, date(2026, 1, 10)) == LAST_YEAR[2]  # last year's T3 is due in January
    assert summary_period(THIS_YEAR, date(2025, 12, 1)) is None


def test_scheduled_posts_after_a_deadline_and_weekly_in_the_reporting_window():
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from bot.summary_jobs import SummarySchedule, occasions

    tz = ZoneInfo("Europe/Stockholm")
    schedule = SummarySchedule(weekday=0, hour=9, window_days=14, deadline_grace_days=7)

    def at(day: date, hour: int = 10) -> list[tuple[int, str]]:
        return [(p.id, o) for p, o in occasions(THIS_YEAR, datetime(day.year, day.month, day.day, hour, tzinfo=tz), schedule)]

    monday_in_window = date(2026, 4, 27)  # T1 ends 30 April, its deadline is 10 May
    assert monday_in_window.weekday() == 0
    assert at(monday_in_window) == [(T1.id, "week:2026-W18")]
    assert at(monday_in_window, hour=8) == [], "not before the set hour"
    assert at(monday_in_window + timedelta(days=1)) == [], "only on the set weekday"
    assert at(date(2026, 4, 13)) == [], "before the window opens"
    assert at(T1.deadline + timedelta(days=1)) == [(T1.id, "deadline")]
    assert at(T1.deadline + timedelta(days=8)) == [], "too late for a deadline post"
    closed = [replace(p, is_open=False) for p in THIS_YEAR]
    assert occasions(closed, datetime(2026, 5, 11, 10, tzinfo=tz), schedule) == []


def test_units_only_gives_the_same_counts_and_units_without_status_or_movements():
    a, b = goal(1, 10, indicators=[indicator(1)]), goal(2, 11)
    snaps = [snapshot(a, follow_up(a, 1, FollowUpState.SUBMITTED, assessment=Fulfilment.NOT, values={1: 50.0})),
             snapshot(b)]
    full = summarise(node=ADMIN, nodes=NODES, period=T1, snapshots=snaps, today=TODAY)
    units = summarise(node=ADMIN, nodes=NODES, period=T1, snapshots=snaps, today=TODAY, units_only=True)
    assert (units.goals, units.by_assessment, units.not_reported, units.units_with_goals) == (
        full.goals, full.by_assessment, full.not_reported, full.units_with_goals)
    assert full.behind and (units.behind, units.movements) == ((), ())
