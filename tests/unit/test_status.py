"""Is a goal behind, and why; what is still to report. Table-driven: every reason for
"behind", and the situations that must not count as behind."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goals.model import (
    Activity,
    ActivityStatus,
    Direction,
    FollowUp,
    FollowUpState,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
)
from goals.periods import periods_for_year
from goals.ports import GoalSnapshot
from goals.profiles import load_profile
from goals.status import Reason, ReasonKind, behind_reasons, is_behind, project, severity, still_to_report

K = ReasonKind
F = Fulfilment
S = ActivityStatus
# Stockholm periods: 2025 T1/T2/T3 = ids 11/12/13, 2026 T1/T2/T3 = ids 1/2/3.
T1, T2, T3, LAST_T3 = 1, 2, 3, 13
STOCKHOLM = load_profile("stockholm_ils")


def periods(*, closed: tuple[int, ...] = ()):
    last_year = [replace(p, id=11 + i) for i, p in enumerate(periods_for_year(STOCKHOLM, root_id=1, year=2025))]
    this_year = [replace(p, id=1 + i) for i, p in enumerate(periods_for_year(STOCKHOLM, root_id=1, year=2026))]
    return tuple(replace(p, is_open=p.id not in closed) for p in last_year + this_year)


def indicator(target: float | None = 80, direction: Direction = Direction.INCREASE) -> Indicator:
    return Indicator(id=7, code="I7", name="Nöjda brukare", unit="%", direction=direction, target=target)


def activity(end: date = date(2026, 3, 31), status: ActivityStatus = S.ONGOING) -> Activity:
    return Activity(id=3, title="Utbilda personalen", start=date(2026, 1, 15), end=end, status=status)


def goal(*, indicators=(), activities=(), valid_from: int = 2026) -> Goal:
    return Goal(
        id=42,
        code="E-SOL-1",
        title="Brukarna är nöjda",
        level="enhet",
        owner_id=5,
        valid_from=valid_from,
        valid_to=2026,
        indicators=tuple(indicators),
        activities=tuple(activities),
    )


def fu(period_id: int, state: FollowUpState = FollowUpState.SUBMITTED, **fields) -> FollowUp:
    return FollowUp(id=100 + period_id, goal_id=42, period_id=period_id, state=state, **fields)


def values(**by_period: float | None) -> dict[int, tuple[tuple[int, Measurement], ...]]:
    """history for indicator 7: values(T1=70, T2=75) with period names as keys."""
    ids = {"T1": T1, "T2": T2, "T3": T3, "LAST_T3": LAST_T3, "OLD": 99}
    return {7: tuple((ids[name], Measurement(total=v)) for name, v in by_period.items())}


def snapshot(*, g: Goal | None = None, follow_ups=(), history=None, closed=(), reported=True) -> GoalSnapshot:
    """`reported`: every period without an explicit follow-up gets a submitted, empty one,
    so that a case about something else is not also "report missing"."""
    given = {f.period_id: f for f in follow_ups}
    all_periods = periods(closed=closed)
    defaults = {p.id: fu(p.id) for p in all_periods} if reported else {}
    return GoalSnapshot(
        goal=g or goal(),
        owner_name="Solgläntans förskola",
        periods=all_periods,
        follow_ups=defaults | given,
        history=history or {},
    )


def summary(reasons) -> list[tuple]:
    """The message-relevant part of each reason."""
    out = []
    for r in reasons:
        if r.kind in (K.ASSESSMENT, K.FORECAST):
            out.append((r.kind, r.period_id, r.fulfilment))
        elif r.kind is K.INDICATOR_OFF_TARGET:
            out.append((r.kind, r.indicator_id, r.value, r.target, r.period_id))
        elif r.kind is K.INDICATOR_TREND:
            out.append((r.kind, r.indicator_id, r.value, r.target, round(r.projected, 1)))
        elif r.kind in (K.ACTIVITY_OVERDUE, K.ACTIVITY_DELAYED):
            out.append((r.kind, r.activity_id, r.deadline))
        else:
            out.append((r.kind, r.period_id, r.deadline))
    return out


JUN_1 = date(2026, 6, 1)
SEP_20 = date(2026, 9, 20)
IND = goal(indicators=[indicator()])
IND_DOWN = goal(indicators=[indicator(target=10, direction=Direction.DECREASE)])
IND_REACH = goal(indicators=[indicator(target=100, direction=Direction.REACH)])
IND_NO_TARGET = goal(indicators=[indicator(target=None)])
ALL_REPORTED_BY_SEP = [fu(T1), fu(T2)]

CASES = [
    # --- assessment and forecast ---
    ("assessment not fulfilled", dict(follow_ups=[fu(T1, assessment=F.NOT)]), JUN_1, [(K.ASSESSMENT, T1, F.NOT)]),
    ("assessment partly", dict(follow_ups=[fu(T1, assessment=F.PARTLY)]), JUN_1, [(K.ASSESSMENT, T1, F.PARTLY)]),
    ("assessment fulfilled", dict(follow_ups=[fu(T1, assessment=F.FULFILLED)]), JUN_1, []),
    ("a draft's assessment already counts", dict(follow_ups=[fu(T1, FollowUpState.DRAFT, assessment=F.NOT)]), date(2026, 5, 5), [(K.ASSESSMENT, T1, F.NOT)]),
    ("the latest assessment wins", dict(follow_ups=[fu(T1, assessment=F.NOT), fu(T2, assessment=F.FULFILLED)]), SEP_20, []),
    ("a later bad assessment wins", dict(follow_ups=[fu(T1, assessment=F.FULFILLED), fu(T2, assessment=F.PARTLY)]), SEP_20, [(K.ASSESSMENT, T2, F.PARTLY)]),
    ("an unstarted period's assessment is ignored", dict(follow_ups=[fu(T2, FollowUpState.DRAFT, assessment=F.NOT)]), date(2026, 4, 1), []),
    ("last year's assessment counts until this year's", dict(g=goal(valid_from=2025), follow_ups=[fu(LAST_T3, assessment=F.NOT)]), date(2026, 2, 1), [(K.ASSESSMENT, LAST_T3, F.NOT)]),
    ("forecast not fulfilled", dict(follow_ups=[fu(T1, forecast=F.NOT)]), JUN_1, [(K.FORECAST, T1, F.NOT)]),
    ("forecast partly", dict(follow_ups=[fu(T1, forecast=F.PARTLY)]), JUN_1, [(K.FORECAST, T1, F.PARTLY)]),
    ("forecast fulfilled", dict(follow_ups=[fu(T1, forecast=F.FULFILLED)]), JUN_1, []),
    ("a bad forecast stands beside a good assessment", dict(follow_ups=[fu(T1, assessment=F.FULFILLED, forecast=F.NOT)]), JUN_1, [(K.FORECAST, T1, F.NOT)]),
    ("a later assessment supersedes a forecast", dict(follow_ups=[fu(T1, forecast=F.NOT), fu(T2, assessment=F.FULFILLED)]), SEP_20, []),
    ("the year-end assessment supersedes its forecast", dict(follow_ups=[fu(T1), fu(T2), fu(T3, assessment=F.FULFILLED, forecast=F.NOT)]), date(2027, 1, 30), []),
    # --- indicator on the wrong side of its target ---
    ("increase: below target", dict(g=IND, history=values(T1=70)), JUN_1, [(K.INDICATOR_OFF_TARGET, 7, 70, 80, T1)]),
    ("increase: at target", dict(g=IND, history=values(T1=80)), JUN_1, []),
    ("increase: above target", dict(g=IND, history=values(T1=85)), JUN_1, []),
    ("decrease: above target", dict(g=IND_DOWN, history=values(T1=12)), JUN_1, [(K.INDICATOR_OFF_TARGET, 7, 12, 10, T1)]),
    ("decrease: below target", dict(g=IND_DOWN, history=values(T1=9)), JUN_1, []),
    ("reach counts as increase", dict(g=IND_REACH, history=values(T1=90)), JUN_1, [(K.INDICATOR_OFF_TARGET, 7, 90, 100, T1)]),
    ("no target, nothing to judge", dict(g=IND_NO_TARGET, history=values(T1=1, T2=0)), SEP_20, []),
    ("the latest value wins", dict(g=IND, history=values(T1=70, T2=85)), SEP_20, []),
    ("a missing total is skipped", dict(g=IND, history=values(T1=70, T2=None)), SEP_20, [(K.INDICATOR_OFF_TARGET, 7, 70, 80, T1)]),
    ("no values at all", dict(g=IND), JUN_1, []),
    ("the follow-up's value wins over history", dict(g=IND, history=values(T1=90), follow_ups=[fu(T1, indicator_values={7: Measurement(total=70)})]), JUN_1, [(K.INDICATOR_OFF_TARGET, 7, 70, 80, T1)]),
    ("values of periods before the snapshot count", dict(g=IND, history=values(OLD=50)), JUN_1, [(K.INDICATOR_OFF_TARGET, 7, 50, 80, None)]),
    ("a value for an unstarted period is ignored", dict(g=IND, history=values(T1=90, T2=10)), date(2026, 4, 30), []),
    # --- indicator trend ---
    ("trend falls below target by year end", dict(g=IND, history=values(T1=85, T2=82)), SEP_20, [(K.INDICATOR_TREND, 7, 82, 80, 79.0)]),
    ("trend rising", dict(g=IND, history=values(T1=80, T2=90)), SEP_20, []),
    ("decrease: trend rises above target", dict(g=IND_DOWN, history=values(T1=5, T2=8)), SEP_20, [(K.INDICATOR_TREND, 7, 8, 10, 11.0)]),
    ("one value is no trend", dict(g=IND, history=values(T1=81)), JUN_1, []),
    ("last year's values are not this year's trend", dict(g=IND, history=values(LAST_T3=100, T1=85)), JUN_1, []),
    ("the year-end value needs no projection", dict(g=IND, history=values(T1=90, T2=85, T3=81), follow_ups=[fu(T1), fu(T2), fu(T3)]), date(2027, 1, 30), []),
    ("off target says more than the trend", dict(g=IND, history=values(T1=79, T2=70)), SEP_20, [(K.INDICATOR_OFF_TARGET, 7, 70, 80, T2)]),
    # --- activities ---
    ("activity past its end and not done", dict(g=goal(activities=[activity()])), date(2026, 4, 1), [(K.ACTIVITY_OVERDUE, 3, date(2026, 3, 31))]),
    ("activity ends today", dict(g=goal(activities=[activity()])), date(2026, 3, 31), []),
    ("activity done", dict(g=goal(activities=[activity(status=S.DONE)])), JUN_1, []),
    ("activity cancelled", dict(g=goal(activities=[activity(status=S.CANCELLED)])), JUN_1, []),
    ("activity not started, past its end", dict(g=goal(activities=[activity(status=S.NOT_STARTED)])), date(2026, 4, 2), [(K.ACTIVITY_OVERDUE, 3, date(2026, 3, 31))]),
    ("activity marked delayed", dict(g=goal(activities=[activity(end=date(2026, 11, 30), status=S.DELAYED)])), JUN_1, [(K.ACTIVITY_DELAYED, 3, date(2026, 11, 30))]),
    ("delayed and past its end is overdue, once", dict(g=goal(activities=[activity(status=S.DELAYED)])), date(2026, 4, 2), [(K.ACTIVITY_OVERDUE, 3, date(2026, 3, 31))]),
    ("reported done in the follow-up", dict(g=goal(activities=[activity()]), follow_ups=[fu(T1, activity_statuses={3: S.DONE})]), JUN_1, []),
    ("reported delayed in the follow-up", dict(g=goal(activities=[activity(end=date(2026, 11, 30))]), follow_ups=[fu(T1, activity_statuses={3: S.DELAYED})]), JUN_1, [(K.ACTIVITY_DELAYED, 3, date(2026, 11, 30))]),
    ("the latest report of an activity wins", dict(g=goal(activities=[activity(end=date(2026, 11, 30))]), follow_ups=[fu(T1, activity_statuses={3: S.DELAYED}), fu(T2, activity_statuses={3: S.ONGOING})]), SEP_20, []),
    ("an older report cannot undo a completion", dict(g=goal(activities=[activity(status=S.DONE)]), follow_ups=[fu(T1, activity_statuses={3: S.DELAYED})]), JUN_1, []),
    # --- missing reports ---
    ("no follow-up after the deadline", dict(reported=False), date(2026, 5, 11), [(K.REPORT_MISSING, T1, date(2026, 5, 10))]),
    ("on the deadline day it is not missing yet", dict(reported=False), date(2026, 5, 10), []),
    ("a draft after the deadline", dict(reported=False, follow_ups=[fu(T1, FollowUpState.DRAFT)]), date(2026, 5, 11), [(K.REPORT_MISSING, T1, date(2026, 5, 10))]),
    ("a returned follow-up after the deadline", dict(reported=False, follow_ups=[fu(T1, FollowUpState.RETURNED)]), date(2026, 5, 11), [(K.REPORT_MISSING, T1, date(2026, 5, 10))]),
    ("submitted", dict(reported=False, follow_ups=[fu(T1, FollowUpState.SUBMITTED)]), date(2026, 5, 11), []),
    ("approved", dict(reported=False, follow_ups=[fu(T1, FollowUpState.APPROVED)]), date(2026, 5, 11), []),
    ("a closed period is history", dict(reported=False, closed=(T1,)), JUN_1, []),
    ("two periods missing", dict(reported=False), SEP_20, [(K.REPORT_MISSING, T1, date(2026, 5, 10)), (K.REPORT_MISSING, T2, date(2026, 9, 10))]),
    ("last year's open year-end report", dict(reported=False, g=goal(valid_from=2025), follow_ups=[fu(11), fu(12)]), date(2026, 1, 26), [(K.REPORT_MISSING, LAST_T3, date(2026, 1, 25))]),
    ("a year the goal is not valid in", dict(reported=False), date(2026, 1, 26), []),
    # --- nothing behind ---
    ("a goal without indicators or activities, reported", dict(follow_ups=[fu(T1, assessment=F.FULFILLED, forecast=F.FULFILLED)]), JUN_1, []),
    ("nothing has started yet", dict(g=goal(indicators=[indicator()], activities=[activity()])), date(2025, 12, 31), []),
    ("all on track", dict(g=goal(indicators=[indicator()], activities=[activity(status=S.DONE)]), history=values(T1=82, T2=84), follow_ups=[fu(T1, assessment=F.FULFILLED), fu(T2, forecast=F.FULFILLED)]), SEP_20, []),
]


@pytest.mark.parametrize(("case", "parts", "today", "expected"), CASES, ids=[c[0] for c in CASES])
def test_behind_reasons(case, parts, today, expected) -> None:
    reasons = behind_reasons(snapshot(**parts), today)
    assert summary(reasons) == expected
    assert is_behind(snapshot(**parts), today) is bool(expected)


def test_reasons_carry_the_names_a_message_needs() -> None:
    g = goal(indicators=[indicator()], activities=[activity()])
    reasons = {r.kind: r for r in behind_reasons(snapshot(g=g, history=values(T1=70), reported=False), date(2026, 5, 11))}
    assert reasons[K.INDICATOR_OFF_TARGET].name == "Nöjda brukare"
    assert reasons[K.ACTIVITY_OVERDUE].name == "Utbilda personalen"
    assert reasons[K.REPORT_MISSING].name == "T1"


def test_several_reasons_at_once_come_in_a_stable_order() -> None:
    g = goal(indicators=[indicator()], activities=[activity()])
    s = snapshot(g=g, history=values(T1=70), follow_ups=[fu(T1, FollowUpState.RETURNED, assessment=F.PARTLY, forecast=F.NOT)])
    kinds = [r.kind for r in behind_reasons(s, date(2026, 5, 11))]
    assert kinds == [K.ASSESSMENT, K.FORECAST, K.INDICATOR_OFF_TARGET, K.ACTIVITY_OVERDUE, K.REPORT_MISSING]


# --- severity -------------------------------------------------------------------------


def r(kind: ReasonKind, fulfilment: Fulfilment | None = None) -> Reason:
    return Reason(kind, fulfilment=fulfilment)


@pytest.mark.parametrize(
    ("worse", "better"),
    [
        ([r(K.ASSESSMENT, F.NOT)], [r(K.ASSESSMENT, F.PARTLY)]),
        ([r(K.FORECAST, F.NOT)], [r(K.FORECAST, F.PARTLY)]),
        ([r(K.ASSESSMENT, F.NOT)], [r(K.ACTIVITY_DELAYED)] * 20),
        ([r(K.REPORT_MISSING)], [r(K.INDICATOR_OFF_TARGET)]),
        ([r(K.INDICATOR_OFF_TARGET)], [r(K.INDICATOR_TREND)]),
        ([r(K.ACTIVITY_OVERDUE)], [r(K.ACTIVITY_DELAYED)]),
        ([r(K.INDICATOR_OFF_TARGET), r(K.INDICATOR_OFF_TARGET)], [r(K.INDICATOR_OFF_TARGET)]),
        ([r(K.ACTIVITY_DELAYED)], []),
    ],
)
def test_severity_ranks_further_behind_higher(worse, better) -> None:
    assert severity(worse) > severity(better)


reasons_strategy = st.lists(
    st.builds(Reason, kind=st.sampled_from(list(ReasonKind)), fulfilment=st.sampled_from([F.PARTLY, F.NOT, None])),
    max_size=30,
)


@given(reasons_strategy, reasons_strategy, st.randoms())
def test_severity_is_order_free_and_adding_a_reason_never_lowers_it(a, b, rnd) -> None:
    shuffled = list(a)
    rnd.shuffle(shuffled)
    assert severity(shuffled) == severity(a)
    assert severity(a + b) >= max(severity(a), severity(b))
    assert (severity(a) == 0) is (not a)


# --- trend projection -------------------------------------------------------------------


@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=6),
    st.floats(min_value=0.01, max_value=1e6),
)
def test_raising_the_latest_value_never_lowers_the_projection(ys, bump) -> None:
    xs = [100.0 * (i + 1) for i in range(len(ys))]
    at = xs[-1] + 120
    before = project(list(zip(xs, ys)), at)
    after = project(list(zip(xs, ys[:-1] + [ys[-1] + bump])), at)
    assert after >= before - 1e-6 * max(1.0, abs(before))


@given(st.floats(min_value=-1e6, max_value=1e6), st.integers(min_value=2, max_value=6))
def test_a_flat_series_projects_flat(y, n) -> None:
    assert project([(float(i), y) for i in range(n)], 10.0) == pytest.approx(y, abs=1e-6)


def test_projection_needs_two_distinct_points() -> None:
    assert project([(1.0, 5.0)], 3.0) is None
    assert project([(1.0, 5.0), (1.0, 7.0)], 3.0) is None


@given(st.floats(min_value=80, max_value=1000), st.floats(min_value=0, max_value=1000))
def test_a_rising_indicator_on_target_is_never_behind(first, rise) -> None:
    s = snapshot(g=IND, history=values(T1=first, T2=first + rise), follow_ups=ALL_REPORTED_BY_SEP)
    assert behind_reasons(s, SEP_20) == ()


# --- still to report ------------------------------------------------------------------------


def due(s: GoalSnapshot, today: date) -> list[tuple]:
    return [(d.goal_id, d.period.id, d.state) for d in still_to_report(s, today)]


DUE_CASES = [
    ("nothing started yet", dict(), date(2025, 12, 31), []),
    ("current period without follow-up", dict(), date(2026, 2, 1), [(42, T1, None)]),
    ("ordered by deadline, unstarted T3 left out", dict(), JUN_1, [(42, T1, None), (42, T2, None)]),
    ("a draft is still to report", dict(follow_ups=[fu(T1, FollowUpState.DRAFT)]), JUN_1, [(42, T1, FollowUpState.DRAFT), (42, T2, None)]),
    ("a returned one is to report again", dict(follow_ups=[fu(T1, FollowUpState.RETURNED)]), JUN_1, [(42, T1, FollowUpState.RETURNED), (42, T2, None)]),
    ("submitted is done", dict(follow_ups=[fu(T1, FollowUpState.SUBMITTED)]), JUN_1, [(42, T2, None)]),
    ("approved is done", dict(follow_ups=[fu(T1, FollowUpState.APPROVED)]), JUN_1, [(42, T2, None)]),
    ("closed periods cannot be reported", dict(closed=(T1,)), JUN_1, [(42, T2, None)]),
    ("last year's open period comes first", dict(g=goal(valid_from=2025), follow_ups=[fu(11), fu(12)]), date(2026, 1, 10), [(42, LAST_T3, None), (42, T1, None)]),
    ("not last year's when the goal is new", dict(), date(2026, 1, 10), [(42, T1, None)]),
]


@pytest.mark.parametrize(("case", "parts", "today", "expected"), DUE_CASES, ids=[c[0] for c in DUE_CASES])
def test_still_to_report(case, parts, today, expected) -> None:
    assert due(snapshot(reported=False, **parts), today) == expected


def test_goals_sharing_one_periods_tuple_are_each_judged_on_the_day_asked() -> None:
    # A bulk read hands every goal of an organisation root the same periods tuple, and
    # the rules reuse what they worked out for it; another day must not get that answer.
    g = goal(indicators=[indicator()], activities=[activity(end=date(2026, 5, 20))])
    shared = snapshot(g=g, history=values(T1=70, T2=85), reported=False)
    other_goal = replace(shared, goal=replace(g, id=43))
    for today in (date(2026, 4, 1), SEP_20, date(2026, 4, 1), JUN_1, JUN_1):
        fresh = snapshot(g=g, history=values(T1=70, T2=85), reported=False)  # its own, equal, tuple
        assert fresh.periods is not shared.periods
        expected = summary(behind_reasons(fresh, today))
        assert summary(behind_reasons(shared, today)) == expected
        assert summary(behind_reasons(other_goal, today)) == expected
    assert summary(behind_reasons(shared, date(2026, 4, 1))) != summary(behind_reasons(shared, SEP_20))
