"""The bulk read behind "which goals are behind?": the right periods, follow-ups
and indicator history per goal, in a fixed number of statements."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import date

from goals.model import (
    Activity,
    ActivityStatus,
    ExpectedResult,
    FollowUp,
    FollowUpState,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
    OrgKind,
    OrgNode,
    Period,
)
from storage.repositories.status import STATEMENTS

TERTIALS = (("T1", (1, 1), (4, 30)), ("T2", (5, 1), (8, 31)), ("T3", (9, 1), (12, 31)))


async def _periods(uow, root: OrgNode, years) -> dict[tuple[int, str], Period]:
    periods = {}
    for year in years:
        for kind, (sm, sd), (em, ed) in TERTIALS:
            period = Period(0, root.id, kind, year, date(year, sm, sd), date(year, em, ed), date(year, em, ed), year >= 2026)
            periods[year, kind] = await uow.periods.add(period)
    return periods


def _goal(owner: OrgNode, code: str, *, valid_from=2026, valid_to=2026, children=1) -> Goal:
    return Goal(
        0, code, f"Mål {code}", "enhet", owner.id, valid_from, valid_to,
        expected_results=tuple(ExpectedResult(0, f"Resultat {i}") for i in range(children)),
        indicators=tuple(Indicator(0, f"{code}-I{i}", f"Indikator {i}", "%", target=80.0) for i in range(children)),
        activities=tuple(Activity(0, f"Aktivitet {i}", date(2026, 1, 1), date(2026, 3, 1)) for i in range(children)),
    )  # fmt: skip


async def _report(uow, goal: Goal, period: Period, value: float, **fields) -> FollowUp:
    values = {indicator.id: Measurement(value, value + 1, value - 1) for indicator in goal.indicators}
    statuses = {activity.id: ActivityStatus.DELAYED for activity in goal.activities}
    return await uow.follow_ups.add(
        FollowUp(0, goal.id, period.id, analysis=f"Analys {value}", indicator_values=values, activity_statuses=statuses, **fields)
    )


def _status_of(follow_up: FollowUp) -> tuple:
    """What the status rules read of a follow-up (a snapshot carries no free texts)."""
    return (
        follow_up.id,
        follow_up.goal_id,
        follow_up.period_id,
        follow_up.state,
        follow_up.assessment,
        follow_up.forecast,
        follow_up.indicator_values,
        follow_up.activity_statuses,
        follow_up.version,
    )


async def test_snapshots_hold_the_goal_its_roots_periods_follow_ups_and_history(uow_factory):
    async with uow_factory() as uow:
        city = await uow.orgs.add(OrgNode(0, "city", "Staden", OrgKind.MUNICIPALITY, tenant_id="t"))
        dept = await uow.orgs.add(OrgNode(0, "dep", "Avdelning förskola", OrgKind.DEPARTMENT, city.id, "t"))
        sol = await uow.orgs.add(OrgNode(0, "sol", "Förskolan Solen", OrgKind.UNIT, dept.id, "t"))
        other = await uow.orgs.add(OrgNode(0, "town", "Grannkommunen", OrgKind.MUNICIPALITY, tenant_id="t2"))
        periods = await _periods(uow, city, (2024, 2025, 2026))
        other_periods = await _periods(uow, other, (2026,))

        reading = await uow.goals.add(_goal(sol, "E-1", valid_from=2025, valid_to=2026, children=2))
        await uow.goals.add(_goal(sol, "E-old", valid_from=2024, valid_to=2025))
        dept_goal = await uow.goals.add(_goal(dept, "A-1"))
        other_goal = await uow.goals.add(_goal(other, "X-1"))

        await _report(uow, reading, periods[2024, "T3"], 10.0)  # outside year-1..year
        t1 = await _report(uow, reading, periods[2026, "T1"], 40.0, state=FollowUpState.SUBMITTED)
        t3_last = await _report(
            uow, reading, periods[2025, "T3"], 30.0, assessment=Fulfilment.PARTLY, forecast=Fulfilment.NOT
        )
        t2_last = await _report(uow, reading, periods[2025, "T2"], 20.0)
        other_t1 = await _report(uow, other_goal, other_periods[2026, "T1"], 5.0)
        await uow.commit()

    async with uow_factory() as uow:
        snapshots = await uow.status.snapshots([sol.id, dept.id, other.id], 2026)
        stored_reading = await uow.goals.get(reading.id)

    by_code = {snapshot.goal.code: snapshot for snapshot in snapshots}
    assert set(by_code) == {"E-1", "A-1", "X-1"}  # E-old is not valid in 2026
    snapshot = by_code["E-1"]
    assert snapshot.goal == stored_reading
    assert snapshot.owner_name == "Förskolan Solen"
    assert by_code["A-1"].owner_name == "Avdelning förskola" and by_code["A-1"].goal == dept_goal
    expected_periods = [periods[year, kind] for year in (2025, 2026) for kind in ("T1", "T2", "T3")]
    assert list(snapshot.periods) == expected_periods
    assert by_code["A-1"].periods == snapshot.periods
    assert by_code["A-1"].follow_ups == {} and by_code["A-1"].history == {}

    assert {period_id: _status_of(f) for period_id, f in snapshot.follow_ups.items()} == {
        periods[2025, "T2"].id: _status_of(t2_last),
        periods[2025, "T3"].id: _status_of(t3_last),
        periods[2026, "T1"].id: _status_of(t1),
    }
    first_indicator = reading.indicators[0].id
    assert snapshot.history[first_indicator] == (
        (periods[2025, "T2"].id, Measurement(20.0, 21.0, 19.0)),
        (periods[2025, "T3"].id, Measurement(30.0, 31.0, 29.0)),
        (periods[2026, "T1"].id, Measurement(40.0, 41.0, 39.0)),
    )
    assert set(snapshot.history) == {indicator.id for indicator in reading.indicators}

    # another organisation root: its own periods, nothing of the city's
    assert list(by_code["X-1"].periods) == [other_periods[2026, kind] for kind in ("T1", "T2", "T3")]
    assert {p: _status_of(f) for p, f in by_code["X-1"].follow_ups.items()} == {
        other_periods[2026, "T1"].id: _status_of(other_t1)
    }
    assert by_code["X-1"].owner_name == "Grannkommunen"


async def test_snapshots_of_owners_without_goals_are_empty(uow_factory):
    async with uow_factory() as uow:
        city = await uow.orgs.add(OrgNode(0, "city", "Staden", OrgKind.MUNICIPALITY, tenant_id="t"))
        assert await uow.status.snapshots([city.id], 2026) == []
        assert await uow.status.snapshots([], 2026) == []


@asynccontextmanager
async def _counting(uow):
    """The statements the database driver runs on the unit of work's connection,
    counted by the driver itself (asyncpg's query logger, SQLite's trace callback):
    the status reader talks to the driver directly, so SQLAlchemy's events would
    not see them."""
    connection = await uow.status.session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    statements: list[str] = []
    if connection.dialect.name == "postgresql":
        log = lambda query: statements.append(query.query)  # noqa: E731
        driver.add_query_logger(log)
        try:
            yield statements
        finally:
            await asyncio.sleep(0)  # asyncpg hands queries to its loggers with call_soon
            driver.remove_query_logger(log)
    else:
        await driver.set_trace_callback(statements.append)
        try:
            yield statements
        finally:
            await driver.set_trace_callback(None)


async def _city_with_goals(uow_factory, units: int, goals_per_unit: int) -> list[int]:
    async with uow_factory() as uow:
        city = await uow.orgs.add(OrgNode(0, "city", "Staden", OrgKind.MUNICIPALITY, tenant_id="t"))
        periods = await _periods(uow, city, (2025, 2026))
        owners = []
        for u in range(units):
            unit = await uow.orgs.add(OrgNode(0, f"u{u}", f"Enhet {u}", OrgKind.UNIT, city.id, "t"))
            owners.append(unit.id)
            for g in range(goals_per_unit):
                goal = await uow.goals.add(_goal(unit, f"u{u}-g{g}", children=2))
                for key in ((2025, "T3"), (2026, "T1")):
                    await _report(uow, goal, periods[key], 50.0)
        await uow.commit()
    return owners


async def test_the_number_of_statements_does_not_grow_with_the_number_of_goals(uow_factory):
    owners = await _city_with_goals(uow_factory, units=6, goals_per_unit=5)
    counts = {}
    for owner_count in (1, 6):
        async with uow_factory() as uow:
            # asyncpg looks up the int[] parameter type once per connection (three
            # statements of its own); the count is of a call on a connection that knows it
            await uow.status.snapshots(owners[:1], 2026)
            async with _counting(uow) as statements:
                snapshots = await uow.status.snapshots(owners[:owner_count], 2026)
            counts[owner_count] = len(statements)
        assert len(snapshots) == owner_count * 5
        assert all(len(s.follow_ups) == 2 and len(s.history) == 2 for s in snapshots)
    assert counts[1] == counts[6] == STATEMENTS
