"""The largest movements, as optimised (values read straight from follow-ups, most
candidates dropped early), must be exactly those of the plain rule: every indicator's
value for the period against the same period a year earlier (the goal's own value,
else last year's goal of the same owner with the same indicator name), all ranked,
the first `limit` kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from goals.model import Direction, FollowUp, FollowUpState, Goal, Indicator, Measurement
from goals.periods import periods_for_year
from goals.ports import GoalSnapshot
from goals.profiles import load_profile
from goals.summaries import largest_movements

STOCKHOLM = load_profile("stockholm_ils")
LAST_YEAR = [replace(p, id=11 + i) for i, p in enumerate(periods_for_year(STOCKHOLM, root_id=1, year=2025))]
THIS_YEAR = [replace(p, id=1 + i) for i, p in enumerate(periods_for_year(STOCKHOLM, root_id=1, year=2026))]
PERIODS = tuple(LAST_YEAR + THIS_YEAR)
T1, LAST_T1 = THIS_YEAR[0], LAST_YEAR[0]


def reference(snapshots, previous, period, limit):
    """Straight from the rule, no shortcuts."""
    earlier = next(p for p in PERIODS if p.kind == period.kind and p.year == period.year - 1)

    def value(snapshot, period_id, indicator_id):
        follow_up = snapshot.follow_ups.get(period_id)
        measurement = follow_up.indicator_values.get(indicator_id) if follow_up else None
        if measurement is not None and measurement.total is not None:
            return measurement.total
        for pid, m in reversed(snapshot.history.get(indicator_id, ())):
            if pid == period_id and m.total is not None:
                return m.total
        return None

    def name(indicator):
        return (indicator.kpi_id or indicator.code or indicator.name).strip().casefold()

    last_year = {}
    for snapshot in previous:
        for indicator in snapshot.goal.indicators:
            v = value(snapshot, earlier.id, indicator.id)
            if v is not None:
                last_year.setdefault((snapshot.goal.owner_id, name(indicator)), v)
    ranked = []
    for snapshot in snapshots:
        for indicator in snapshot.goal.indicators:
            after = value(snapshot, period.id, indicator.id)
            if after is None:
                continue
            before = value(snapshot, earlier.id, indicator.id)
            if before is None:
                before = last_year.get((snapshot.goal.owner_id, name(indicator)))
            if before is None or before == after:
                continue
            relative = abs(after - before) / abs(before) if before else abs(after - before)
            ranked.append(((-relative, snapshot.owner_name, snapshot.goal.number, indicator.id),
                           (snapshot.goal.id, indicator.id, before, after)))
    ranked.sort(key=lambda item: item[0])
    return [found for _, found in ranked[:limit]]


values = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.0, 5.0, 10.0, 50.0, 80.0, 100.0]))


@st.composite
def goals(draw, year: int, ids):
    owner = draw(st.integers(10, 13))
    number = draw(st.integers(1, 3))
    indicators = tuple(
        Indicator(id=next(ids), code=f"I{k}", name=f"Indikator {k}", unit="%",
                  direction=draw(st.sampled_from(list(Direction))), kpi_id=draw(st.sampled_from([None, f"U{k}"])))
        for k in draw(st.lists(st.integers(1, 3), unique=True, max_size=3))
    )
    goal = Goal(id=next(ids), code="G", title="Mål", level="enhet", owner_id=owner, valid_from=year, valid_to=year,
                number=number, indicators=indicators)
    follow_ups = {}
    for period in draw(st.sets(st.sampled_from([T1, LAST_T1]))):
        follow_ups[period.id] = FollowUp(
            id=next(ids), goal_id=goal.id, period_id=period.id, state=FollowUpState.SUBMITTED,
            indicator_values={i.id: Measurement(total=draw(values))
                              for i in indicators if draw(st.booleans())},
        )
    history = {}
    if indicators and draw(st.booleans()):
        for i in indicators:
            pids = draw(st.lists(st.sampled_from([T1.id, LAST_T1.id, 2, 99]), unique=True, max_size=3))
            history[i.id] = tuple((pid, Measurement(total=draw(values))) for pid in pids)
    return GoalSnapshot(goal=goal, owner_name=f"Enhet {owner}", periods=PERIODS, follow_ups=follow_ups,
                        history=history)


@st.composite
def cities(draw):
    ids = iter(range(1000, 10**6))
    snapshots = draw(st.lists(goals(2026, ids), max_size=40))
    previous = draw(st.lists(goals(2025, ids), max_size=40))
    return snapshots, previous, draw(st.integers(0, 4))


@settings(max_examples=300, deadline=None)
@given(cities())
def test_the_largest_movements_are_those_of_the_plain_rule(city) -> None:
    snapshots, previous, limit = city
    found = [(m.goal.id, m.indicator.id, m.before, m.after)
             for m in largest_movements(snapshots, previous, T1, limit=limit)]
    assert found == reference(snapshots, previous, T1, limit)


def test_an_equal_change_seen_late_still_ranks_by_its_owner() -> None:
    # Thirty goals with the same relative change, the owners coming in reverse order of
    # name: the two kept are the first by name, though they come last.
    snapshots = []
    for n in range(30):
        i = Indicator(id=100 + n, code="I1", name="Indikator", unit="%", direction=Direction.INCREASE)
        goal = Goal(id=n + 1, code="G", title="Mål", level="enhet", owner_id=10, valid_from=2026, valid_to=2026,
                    number=1, indicators=(i,))
        follow_ups = {
            T1.id: FollowUp(id=1000 + n, goal_id=goal.id, period_id=T1.id, indicator_values={i.id: Measurement(60.0)}),
            LAST_T1.id: FollowUp(id=2000 + n, goal_id=goal.id, period_id=LAST_T1.id,
                                 indicator_values={i.id: Measurement(50.0)}),
        }
        snapshots.append(GoalSnapshot(goal=goal, owner_name=f"Enhet {99 - n:02d}", periods=PERIODS,
                                      follow_ups=follow_ups))
    found = largest_movements(snapshots, [], T1, limit=2)
    assert [m.owner_name for m in found] == ["Enhet 70", "Enhet 71"]
    assert [(m.goal.id, m.indicator.id, m.before, m.after) for m in found] == reference(snapshots, [], T1, 2)
