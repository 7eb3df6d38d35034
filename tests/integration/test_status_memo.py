"""The status memo never gives a stale answer (SQLite and PostgreSQL).

`uow.status.statuses` with the engine's shared memo (goals/status_memo.py) is held
to a fresh computation — the same reader without a memo, i.e. `goal_status_of`
over `uow.status.snapshots` — comparing whole GoalStatus objects:

- after every write of random sequences (hypothesis) made through the services
  (save, submit, approve, return, activity status) and in raw SQL (deadlines,
  opening/closing periods, renames, validity, activity end dates, targets, deleted
  follow-ups), and as the day moves on without any write;
- after a unit of work that read statuses of its own uncommitted write rolled back;
- across two engines (two processes' memos) on one database;
- when a write commits between the memo's stamps read and its data read;
- and on the "few changed" path, which must re-read only the changed goals.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from goals import services
from goals.access import Actor, identify
from goals.clock import FixedClock
from goals.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    PeriodClosed,
    PermissionDenied,
    ValidationFailed,
)
from goals.model import (
    Activity,
    ActivityStatus,
    Direction,
    FollowUpState,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
    OrgKind,
    Role,
)
from goals.status import ReasonKind, goal_status_of
from storage.repositories import status as status_module
from storage.repositories.status import SqlStatusReader
from storage.session import create_engine, make_sessionmaker
from storage.unit_of_work import status_memo_of
from storage.unit_of_work import uow_factory as make_uow_factory

STOCKHOLM = ZoneInfo("Europe/Stockholm")
START = date(2026, 4, 27)  # T1 (Jan-Apr) ends on the 30th, its deadline is 10 May; T2 starts 1 May
REFUSED = (ConcurrencyConflict, InvalidTransition, PeriodClosed, PermissionDenied, ValidationFailed)


def clock_at(day: date) -> FixedClock:
    return FixedClock(datetime(day.year, day.month, day.day, 10, tzinfo=STOCKHOLM))


# --- a small city per example, built through the services --------------------------


@dataclass
class City:
    uow_factory: object
    tenant: str
    head_oid: str
    dept: int
    units: list[int]
    periods: dict[str, int]  # kind -> id, 2026
    goals: list[Goal]
    today: date = START
    head: Actor | None = field(default=None, repr=False)

    @property
    def owner_ids(self) -> list[int]:
        return [self.dept, *self.units]


async def build_city(uow_factory, *, goals_per_unit: int = 2, units: int = 3) -> City:
    make, clock = uow_factory, clock_at(START)
    tag = uuid.uuid4().hex[:8]
    tenant = str(uuid.uuid4())
    root = await services.create_org_node(
        make(), actor=None, code=f"K{tag}", name="Kommunen", kind=OrgKind.MUNICIPALITY, tenant_id=tenant,
        profile="stockholm_ils", clock=clock,
    )  # fmt: skip
    dept = await services.create_org_node(
        make(), actor=None, code=f"D{tag}", name="Avdelningen", kind=OrgKind.DEPARTMENT, parent_id=root.id, clock=clock
    )
    unit_ids = []
    for n in range(units):
        unit = await services.create_org_node(
            make(), actor=None, code=f"U{n}{tag}", name=f"Enhet {n}", kind=OrgKind.UNIT, parent_id=dept.id, clock=clock
        )
        unit_ids.append(unit.id)
    head_oid = str(uuid.uuid4())
    head = await services.add_person(make(), actor=None, tenant_id=tenant, entra_object_id=head_oid, name="Chef", clock=clock)
    await services.assign_role(
        make(), actor=None, person_id=head.id, org_node_id=dept.id, role=Role.DEPARTMENT_HEAD, clock=clock
    )
    periods = {}
    for kind in ("T1", "T2", "T3"):
        period = await services.create_period(make(), actor=None, root_id=root.id, kind=kind, year=2026, clock=clock)
        periods[kind] = period.id
    goals = []
    for u, unit_id in enumerate(unit_ids):
        for g in range(goals_per_unit):
            code = f"G{u}{g}"
            spec = Goal(
                0, code, f"Mål {code}", "enhet", unit_id, 2025, 2026,
                indicators=(
                    Indicator(0, f"{code}-I1", "Nöjda", "%", direction=Direction.INCREASE, target=80.0),
                    Indicator(0, f"{code}-I2", "Väntetid", "dagar", direction=Direction.DECREASE, target=10.0),
                ),
                activities=(
                    Activity(0, "Tidig", date(2026, 1, 10), date(2026, 4, 28) + timedelta(days=g), status=ActivityStatus.ONGOING),
                    Activity(0, "Sen", date(2026, 2, 1), date(2026, 6, 1), status=ActivityStatus.NOT_STARTED),
                ),
            )  # fmt: skip
            goals.append(await services.create_goal(make(), actor=None, goal=spec, clock=clock))
    city = City(uow_factory, tenant, head_oid, dept.id, unit_ids, periods, goals)
    city.head = await identify(make(), tenant_id=tenant, entra_object_id=head_oid)
    return city


# --- the comparison ------------------------------------------------------------------


async def memo_and_fresh(city: City, owner_ids: list[int] | None = None, today: date | None = None):
    owner_ids = city.owner_ids if owner_ids is None else owner_ids
    today = city.today if today is None else today
    async with city.uow_factory() as uow:
        kept = await uow.status.statuses(owner_ids, today)
    async with city.uow_factory() as uow:
        fresh = await SqlStatusReader(uow.session, memo=None).statuses(owner_ids, today)
        by_rules = [goal_status_of(s, today) for s in await uow.status.snapshots(owner_ids, today.year)]
    assert fresh == by_rules
    return kept, fresh


async def assert_memo_is_fresh(city: City, owner_ids: list[int] | None = None, today: date | None = None) -> list:
    kept, fresh = await memo_and_fresh(city, owner_ids, today)
    assert [s.goal.code for s in kept] == [s.goal.code for s in fresh]
    for mine, theirs in zip(kept, fresh, strict=True):
        assert mine == theirs, f"stale status for {mine.goal.code}"
    assert kept == fresh
    return kept


# --- writes ------------------------------------------------------------------------


async def _follow_up(city: City, goal: Goal, period: str):
    try:
        return await services.open_follow_up(
            city.uow_factory(), actor=city.head, goal_id=goal.id, period_id=city.periods[period], clock=clock_at(city.today)
        )
    except REFUSED:
        return None


async def _save(city: City, goal: Goal, period: str, changes: services.FollowUpChanges):
    follow_up = await _follow_up(city, goal, period)
    if follow_up is None:
        return None
    return await services.save_follow_up(
        city.uow_factory(), actor=city.head, follow_up_id=follow_up.id, expected_version=follow_up.version,
        changes=changes, clock=clock_at(city.today),
    )  # fmt: skip


def _complete(goal: Goal, a: int) -> services.FollowUpChanges:
    return services.FollowUpChanges(
        assessment=list(Fulfilment)[a % len(Fulfilment)],
        forecast=Fulfilment.PARTLY if a % 2 else Fulfilment.FULFILLED,
        analysis=" ".join(["Arbetet går framåt enligt plan men personalen behöver mer tid"] * 3),
        actions="Vi fortsätter och följer upp varje vecka.",
        evidence_note="Underlaget finns i verksamhetens egen uppföljning.",
        resource_use="Inom befintlig budget.",
        indicator_values={goal.indicators[0].id: Measurement(60.0 + 10 * a), goal.indicators[1].id: Measurement(8.0 + a)},
    )


async def _decide(city: City, goal: Goal, period: str, approve: bool) -> None:
    async with city.uow_factory() as uow:
        follow_up = await uow.follow_ups.find(goal.id, city.periods[period])
    if follow_up is None:
        return
    make, clock = city.uow_factory, clock_at(city.today)
    if approve:
        await services.approve_follow_up(
            make(), actor=city.head, follow_up_id=follow_up.id, expected_version=follow_up.version, clock=clock
        )
    else:
        await services.return_follow_up(
            make(), actor=city.head, follow_up_id=follow_up.id, expected_version=follow_up.version,
            comment="Komplettera analysen.", clock=clock,
        )  # fmt: skip


async def _sql(city: City, sql: str, **parameters) -> None:
    async with city.uow_factory() as uow:
        await uow.session.execute(text(sql), parameters)
        await uow.commit()


PERIODS = ("T1", "T2")


async def apply(city: City, op: tuple[str, int, int, int]) -> None:
    kind, g, a, b = op
    goal = city.goals[g % len(city.goals)]
    period = PERIODS[b % 2]
    try:
        if kind == "save":
            changes = [
                services.FollowUpChanges(assessment=Fulfilment.NOT),
                services.FollowUpChanges(assessment=Fulfilment.FULFILLED, forecast=Fulfilment.PARTLY),
                services.FollowUpChanges(indicator_values={goal.indicators[0].id: Measurement(40.0 + 15 * b)}),
                services.FollowUpChanges(indicator_values={goal.indicators[1].id: Measurement(5.0 + 3 * b)}),
                services.FollowUpChanges(indicator_values={goal.indicators[0].id: Measurement()}),  # removes it
                services.FollowUpChanges(forecast=Fulfilment.NOT),
            ][a % 6]
            await _save(city, goal, period, changes)
        elif kind == "submit":
            saved = await _save(city, goal, period, _complete(goal, a))
            if saved is not None:
                await services.submit_follow_up(
                    city.uow_factory(), actor=city.head, follow_up_id=saved.id, expected_version=saved.version,
                    clock=clock_at(city.today),
                )  # fmt: skip
        elif kind == "approve":
            await _decide(city, goal, period, approve=True)
        elif kind == "return":
            await _decide(city, goal, period, approve=False)
        elif kind == "activity_status":
            activity = goal.activities[a % 2]
            status = [ActivityStatus.DELAYED, ActivityStatus.DONE, ActivityStatus.ONGOING, ActivityStatus.CANCELLED][b % 4]
            await _save(city, goal, period, services.FollowUpChanges(activity_statuses={activity.id: status}))
        elif kind == "deadline":
            await _sql(city, "UPDATE periods SET deadline = :d WHERE id = :id",
                       d=city.today + timedelta(days=a - 2), id=city.periods[period])  # fmt: skip
        elif kind == "open_close":
            await _sql(city, "UPDATE periods SET is_open = :o WHERE id = :id", o=bool(a % 2), id=city.periods[period])
        elif kind == "rename":
            await _sql(city, "UPDATE org_nodes SET name = :n WHERE id = :id", n=f"Enhet {a}-{b}", id=goal.owner_id)
        elif kind == "validity":
            await _sql(city, "UPDATE goals SET valid_to = :y WHERE id = :id", y=2025 + a % 2, id=goal.id)
        elif kind == "activity_end":
            await _sql(city, 'UPDATE activities SET "end" = :e WHERE id = :id',
                       e=city.today + timedelta(days=a - 2), id=goal.activities[b % 2].id)  # fmt: skip
        elif kind == "target":
            await _sql(city, "UPDATE indicators SET target = :t WHERE id = :id",
                       t=[None, 30.0, 70.0, 95.0][a % 4], id=goal.indicators[b % 2].id)  # fmt: skip
        elif kind == "delete_follow_up":
            await _sql(city, "DELETE FROM follow_ups WHERE goal_id = :g AND period_id = :p",
                       g=goal.id, p=city.periods[period])  # fmt: skip
        elif kind == "next_day":
            city.today += timedelta(days=(1, 2, 5, 13)[a % 4])
        else:  # pragma: no cover
            raise AssertionError(kind)
    except REFUSED:
        pass  # the services said no (closed period, approved, not submitted…): nothing written


KINDS = (
    "save", "submit", "approve", "return", "activity_status", "deadline", "open_close", "rename", "validity",
    "activity_end", "target", "delete_follow_up", "next_day",
)  # fmt: skip
OPS = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 5), st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=12
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(ops=OPS)
async def test_after_every_write_and_every_new_day_the_memo_equals_a_fresh_computation(uow_factory, sessionmaker, ops) -> None:
    city = await build_city(uow_factory)
    memo = status_memo_of(sessionmaker)
    hits = memo.hits
    await assert_memo_is_fresh(city)  # warm
    for op in ops:
        await apply(city, op)
        await assert_memo_is_fresh(city)  # the department: mostly the few-changed path
        unit = city.units[op[1] % len(city.units)]
        await assert_memo_is_fresh(city, [unit])  # a scope warmed by another scope's question
        await assert_memo_is_fresh(city)  # and again: all hits now
    assert memo.hits > hits, "the memo was never used: this test would prove nothing"


# --- days pass without a write -------------------------------------------------------


async def test_deadlines_and_activity_ends_passing_overnight_show_without_any_write(uow_factory) -> None:
    city = await build_city(uow_factory, goals_per_unit=1)
    before = await assert_memo_is_fresh(city, today=date(2026, 5, 9))
    assert await assert_memo_is_fresh(city, today=date(2026, 5, 9)) == before  # all kept
    assert not any(r.kind == ReasonKind.REPORT_MISSING for s in before for r in s.reasons)

    after_deadline = await assert_memo_is_fresh(city, today=date(2026, 5, 11))  # T1 deadline was the 10th
    assert all(any(r.kind == ReasonKind.REPORT_MISSING for r in s.reasons) for s in after_deadline)
    assert after_deadline != before

    after_activity = await assert_memo_is_fresh(city, today=date(2026, 6, 2))  # "Sen" ended 1 June
    overdue = {r.name for s in after_activity for r in s.reasons if r.kind == ReasonKind.ACTIVITY_OVERDUE}
    assert "Sen" in overdue

    # asking about an earlier day again (another user's clock, a test) is right too
    assert await assert_memo_is_fresh(city, today=date(2026, 5, 9)) == before


async def test_a_new_year_reads_the_new_years_goals_and_periods(uow_factory) -> None:
    city = await build_city(uow_factory, goals_per_unit=1)
    this_year = await assert_memo_is_fresh(city, today=date(2026, 12, 31))
    next_year = await assert_memo_is_fresh(city, today=date(2027, 1, 1))
    assert this_year and not next_year  # valid to 2026


# --- rollback ------------------------------------------------------------------------


async def test_a_status_read_inside_a_rolled_back_unit_of_work_is_never_served(uow_factory) -> None:
    city = await build_city(uow_factory)
    goal = city.goals[0]
    follow_up = await _follow_up(city, goal, "T1")
    before = await assert_memo_is_fresh(city)

    async with city.uow_factory() as uow:
        stored = await uow.follow_ups.get(follow_up.id)
        await uow.follow_ups.update(
            replace(stored, assessment=Fulfilment.NOT, indicator_values={goal.indicators[0].id: Measurement(1.0)}),
            expected_version=stored.version,
        )
        inside = await uow.status.statuses(city.owner_ids, city.today)  # kept from uncommitted data
        assert inside != before
        assert any(r.kind == ReasonKind.ASSESSMENT for r in inside[0].reasons)
        await uow.rollback()

    assert await assert_memo_is_fresh(city) == before

    await _save(city, city.goals[1], "T1", services.FollowUpChanges(forecast=Fulfilment.NOT))
    after = await assert_memo_is_fresh(city)
    assert after[0] == before[0] and after[1] != before[1]


async def test_an_epoch_change_inside_a_rolled_back_unit_of_work_is_never_served(uow_factory) -> None:
    city = await build_city(uow_factory)
    before = await assert_memo_is_fresh(city, today=date(2026, 5, 5))
    async with city.uow_factory() as uow:
        await uow.session.execute(
            text("UPDATE periods SET deadline = :d WHERE id = :id"), {"d": date(2026, 5, 1), "id": city.periods["T1"]}
        )
        await uow.session.execute(text("UPDATE org_nodes SET name = 'Tillfälligt' WHERE id = :id"), {"id": city.units[0]})
        inside = await uow.status.statuses(city.owner_ids, date(2026, 5, 5))
        assert inside != before
        # (leaving the block without commit rolls back)
    assert await assert_memo_is_fresh(city, today=date(2026, 5, 5)) == before
    await _sql(city, "UPDATE org_nodes SET name = 'Nytt namn' WHERE id = :id", id=city.units[1])
    after = await assert_memo_is_fresh(city, today=date(2026, 5, 5))
    assert {s.owner_name for s in after} >= {"Nytt namn"}


async def test_a_failed_service_call_leaves_nothing_kept_from_its_transaction(uow_factory) -> None:
    """A service that writes, then fails before commit (here: a stale version on the
    second write), rolls back; statuses read afterwards are the committed ones."""
    city = await build_city(uow_factory)
    goal = city.goals[0]
    follow_up = await _follow_up(city, goal, "T1")
    before = await assert_memo_is_fresh(city)
    with pytest.raises(ConcurrencyConflict):
        async with city.uow_factory() as uow:
            stored = await uow.follow_ups.get(follow_up.id)
            await uow.follow_ups.update(replace(stored, assessment=Fulfilment.NOT), expected_version=stored.version)
            await uow.status.statuses(city.owner_ids, city.today)
            await uow.follow_ups.update(replace(stored, assessment=Fulfilment.PARTLY), expected_version=stored.version)
    assert await assert_memo_is_fresh(city) == before


# --- two processes -------------------------------------------------------------------


async def test_two_engines_on_one_database_each_see_the_others_writes(database_url, uow_factory, sessionmaker) -> None:
    city = await build_city(uow_factory)
    other_engine = create_engine(database_url)
    try:
        other_make = make_uow_factory(make_sessionmaker(other_engine))
        other = replace(city, uow_factory=other_make)
        other.head = city.head
        assert status_memo_of(make_sessionmaker(other_engine)) is not status_memo_of(
            sessionmaker
        )
        first = await assert_memo_is_fresh(city)
        assert await assert_memo_is_fresh(other) == first  # both memos warm

        await _save(city, city.goals[0], "T1", services.FollowUpChanges(assessment=Fulfilment.NOT))  # through one
        seen_by_other = await assert_memo_is_fresh(other)
        assert seen_by_other != first
        assert any(r.kind == ReasonKind.ASSESSMENT for r in seen_by_other[0].reasons)
        assert await assert_memo_is_fresh(city) == seen_by_other

        await _sql(other, "UPDATE periods SET deadline = :d WHERE id = :id", d=date(2026, 4, 1), id=city.periods["T1"])
        seen_by_first = await assert_memo_is_fresh(city)  # through the other
        assert seen_by_first != seen_by_other
        assert await assert_memo_is_fresh(other) == seen_by_first

        # an uncommitted write on one is not seen by the other; once committed, it is
        async with other.uow_factory() as uow:
            await uow.session.execute(
                text("UPDATE indicators SET target = 99 WHERE id = :id"), {"id": city.goals[1].indicators[0].id}
            )
            await uow.status.statuses(city.owner_ids, city.today)  # the other's memo keeps the uncommitted view
            assert await assert_memo_is_fresh(city) == seen_by_first
            await uow.commit()
        committed = await assert_memo_is_fresh(city)
        assert committed[1].goal.indicators[0].target == 99
        assert await assert_memo_is_fresh(other) == committed
    finally:
        await other_engine.dispose()


# --- a write between the stamps read and the data read ------------------------------


async def test_a_write_committed_between_the_stamps_read_and_the_data_read_is_not_hidden(
    database_url, uow_factory, sessionmaker, monkeypatch
) -> None:
    """The memo keeps what it read under the stamps it read first; a write landing in
    between (another process) must not be hidden behind the old stamp: the next
    question sees the new stamp and works the goal out again. Checked with a cold
    memo (the owners' read) and with only the written goal out of date (by id)."""
    city = await build_city(uow_factory)
    memo = status_memo_of(sessionmaker)
    goal = city.goals[0]
    writer = create_engine(database_url)
    real_fetch = status_module._Dialect.fetch
    armed: dict[str, list | None] = {"write": None}

    async def fetch(self, driver, sql, *parameters):
        rows = await real_fetch(self, driver, sql, *parameters)
        write = armed["write"]
        if sql is self.stamps and write is not None:
            armed["write"] = None
            async with writer.begin() as conn:
                for statement, values in write:
                    await conn.execute(text(statement), values)
        return rows

    def writes(i: int) -> list[list[tuple[str, dict]]]:
        follow_up_id = f"(SELECT id FROM follow_ups WHERE goal_id = {goal.id} AND period_id = {city.periods['T1']})"
        return [
            [(f"UPDATE follow_ups SET assessment = :a WHERE id = {follow_up_id}", {"a": ("not", "partly")[i % 2]})],
            [(f"UPDATE follow_up_indicator_values SET total = :t WHERE follow_up_id = {follow_up_id}", {"t": 10.0 + i})],
            [("UPDATE indicators SET target = :t WHERE goal_id = :g", {"t": 20.0 + i, "g": goal.id})],
            [('UPDATE activities SET "end" = :e WHERE goal_id = :g', {"e": date(2026, 4, 1 + i), "g": goal.id})],
            [("UPDATE periods SET deadline = :d WHERE id = :id", {"d": date(2026, 4, 1 + i), "id": city.periods["T1"]})],
            [("UPDATE org_nodes SET name = :n WHERE id = :id", {"n": f"Omdöpt {i}", "id": goal.owner_id})],
            [("UPDATE goals SET valid_to = 2025 WHERE id = :g", {"g": goal.id})],
            [("UPDATE goals SET valid_to = 2026, title = :t WHERE id = :g", {"t": f"Tillbaka {i}", "g": goal.id})],
        ]

    monkeypatch.setattr(status_module._Dialect, "fetch", fetch)
    try:
        i = 0
        for mode in ("cold memo", "the goal out of date", "warm memo"):
            for write in writes(i):
                i += 1
                await _save(city, goal, "T1", services.FollowUpChanges(
                    indicator_values={goal.indicators[0].id: Measurement(50.0 + i)}))  # fmt: skip
                await assert_memo_is_fresh(city)
                if mode == "cold memo":
                    memo.forget()
                elif mode == "the goal out of date":
                    await _sql(city, "UPDATE goals SET description = :d WHERE id = :id", d=f"v{i}", id=goal.id)
                armed["write"] = write
                async with city.uow_factory() as uow:
                    await uow.status.statuses(city.owner_ids, city.today)  # the write lands mid-read
                assert armed["write"] is None, "the write did not happen between the reads"
                await assert_memo_is_fresh(city)
                await assert_memo_is_fresh(city, [goal.owner_id])
    finally:
        await writer.dispose()


# --- the few-changed path ------------------------------------------------------------


async def test_after_one_goal_changes_only_that_goal_is_worked_out_again(uow_factory, sessionmaker) -> None:
    city = await build_city(uow_factory, goals_per_unit=4, units=3)  # 12 goals: a small department
    memo = status_memo_of(sessionmaker)
    await assert_memo_is_fresh(city)
    goal = city.goals[5]
    hits, misses = memo.hits, memo.misses
    async with city.uow_factory() as uow:
        again = await uow.status.statuses(city.owner_ids, city.today)
    assert (memo.hits - hits, memo.misses - misses) == (12, 0)

    await _save(city, goal, "T1", services.FollowUpChanges(assessment=Fulfilment.NOT))
    hits, misses = memo.hits, memo.misses
    async with city.uow_factory() as uow:
        kept = await uow.status.statuses(city.owner_ids, city.today)
    assert (memo.hits - hits, memo.misses - misses) == (11, 1)
    changed = [i for i, (old, new) in enumerate(zip(again, kept, strict=True)) if old != new]
    assert changed == [5]
    assert any(r.kind == ReasonKind.ASSESSMENT and r.fulfilment == Fulfilment.NOT for r in kept[5].reasons)
    assert [s is t for s, t in zip(again, kept, strict=True)].count(True) == 11  # the others reused as they were
    assert await assert_memo_is_fresh(city) == kept

    # two goals of two units, one through raw SQL: the by-id path reads both owners' names and roots right
    await _sql(city, "UPDATE indicators SET target = 1 WHERE goal_id = :g", g=city.goals[0].id)
    await _save(city, city.goals[11], "T1", services.FollowUpChanges(forecast=Fulfilment.PARTLY))
    hits, misses = memo.hits, memo.misses
    async with city.uow_factory() as uow:
        kept = await uow.status.statuses(city.owner_ids, city.today)
    assert (memo.hits - hits, memo.misses - misses) == (10, 2)
    assert await assert_memo_is_fresh(city) == kept
    assert {s.owner_name for s in kept} == {"Enhet 0", "Enhet 1", "Enhet 2"}

    # most goals changed: the owners' read, still right
    await _sql(city, "UPDATE activities SET status = 'delayed' WHERE goal_id IN (SELECT id FROM goals WHERE owner_id <> :u)",
               u=city.units[0])  # fmt: skip
    hits, misses = memo.hits, memo.misses
    await assert_memo_is_fresh(city)
    assert (memo.hits - hits, memo.misses - misses) == (4, 8)


async def test_a_goal_leaving_and_rejoining_the_year_on_the_few_changed_path(uow_factory) -> None:
    city = await build_city(uow_factory, goals_per_unit=3, units=2)
    await assert_memo_is_fresh(city)
    goal = city.goals[2]
    await _sql(city, "UPDATE goals SET valid_to = 2025 WHERE id = :id", id=goal.id)
    gone = await assert_memo_is_fresh(city)
    assert goal.id not in {s.goal.id for s in gone}
    await _save(city, city.goals[3], "T1", services.FollowUpChanges(assessment=Fulfilment.PARTLY))
    await _sql(city, "UPDATE goals SET valid_to = 2026, title = 'Tillbaka' WHERE id = :id", id=goal.id)
    back = await assert_memo_is_fresh(city)
    assert [s.goal.id for s in back] == [g.id for g in city.goals]
    assert back[2].goal.title == "Tillbaka"
    # moved to another owner in the scope: its place and owner name follow
    await _sql(city, "UPDATE goals SET owner_id = :o, number = 99 WHERE id = :id", o=city.units[1], id=goal.id)
    moved = await assert_memo_is_fresh(city)
    assert moved[-1].goal.id == goal.id and moved[-1].owner_name == "Enhet 1"


async def test_a_goal_with_a_status_kept_under_no_stamp_row_is_worked_out_again(uow_factory) -> None:
    """Goals stored before migration 0005 have no stamp row (stamp 0)."""
    city = await build_city(uow_factory, goals_per_unit=1)
    await _sql(city, "DELETE FROM goal_status_stamps")
    first = await assert_memo_is_fresh(city)
    await _save(city, city.goals[0], "T1", services.FollowUpChanges(assessment=Fulfilment.NOT))
    after = await assert_memo_is_fresh(city)
    assert after[0] != first[0] and after[1:] == first[1:]


async def test_states_through_the_workflow_are_never_stale(uow_factory) -> None:
    """Draft → submitted → returned → submitted → approved, checked at each step on a
    warm memo, with the deadline passing in between."""
    city = await build_city(uow_factory, goals_per_unit=1, units=1)
    goal = city.goals[0]
    await assert_memo_is_fresh(city)
    saved = await _save(city, goal, "T1", _complete(goal, 1))
    states = [(await assert_memo_is_fresh(city))[0].state]
    submitted = await services.submit_follow_up(
        city.uow_factory(), actor=city.head, follow_up_id=saved.id, expected_version=saved.version, clock=clock_at(city.today)
    )
    states.append((await assert_memo_is_fresh(city))[0].state)
    returned = await services.return_follow_up(
        city.uow_factory(), actor=city.head, follow_up_id=saved.id, expected_version=submitted.version,
        comment="Mer analys.", clock=clock_at(city.today),
    )  # fmt: skip
    states.append((await assert_memo_is_fresh(city))[0].state)
    city.today = date(2026, 5, 11)  # past T1's deadline: returned counts as missing
    assert any(r.kind == ReasonKind.REPORT_MISSING for r in (await assert_memo_is_fresh(city))[0].reasons)
    resubmitted = await services.submit_follow_up(
        city.uow_factory(), actor=city.head, follow_up_id=saved.id, expected_version=returned.version,
        clock=clock_at(city.today),
    )  # fmt: skip
    status = (await assert_memo_is_fresh(city))[0]
    assert not any(r.kind == ReasonKind.REPORT_MISSING for r in status.reasons)
    await services.approve_follow_up(
        city.uow_factory(), actor=city.head, follow_up_id=saved.id, expected_version=resubmitted.version,
        clock=clock_at(city.today),
    )  # fmt: skip
    approved = (await assert_memo_is_fresh(city))[0]
    assert city.periods["T1"] not in {d.period.id for d in approved.due}
    assert states == [FollowUpState.DRAFT, FollowUpState.SUBMITTED, FollowUpState.RETURNED]
    await assert_memo_is_fresh(city, today=date(2026, 5, 9))  # an earlier day, after the approval


# --- concurrent questions in one process -----------------------------------------------


async def test_concurrent_questions_about_different_days_never_keep_one_days_status_for_the_other(uow_factory) -> None:
    """Two users asking at once with different days (a deadline between them): each
    answer is its own day's, and what is kept afterwards is right for either day."""
    city = await build_city(uow_factory)
    before, after = date(2026, 5, 10), date(2026, 5, 11)  # T1's deadline is the 10th

    async def ask(day: date):
        async with city.uow_factory() as uow:
            return day, await uow.status.statuses(city.owner_ids, day)

    _, fresh_before = await memo_and_fresh(city, today=before)
    _, fresh_after = await memo_and_fresh(city, today=after)
    assert fresh_before != fresh_after
    expected = {before: fresh_before, after: fresh_after}
    for round_ in range(6):
        if round_ == 3:  # and with a write in the middle
            await _save(city, city.goals[0], "T1", services.FollowUpChanges(assessment=Fulfilment.PARTLY))
            expected = {day: (await memo_and_fresh(city, today=day))[1] for day in (before, after)}
        answers = await asyncio.gather(*(ask(day) for day in (before, after, after, before, before, after)))
        for day, answer in answers:
            assert answer == expected[day], f"round {round_}: {day} answered with another day's statuses"
        for day in (after, before, after):
            assert await assert_memo_is_fresh(city, today=day) == expected[day]


async def test_questions_racing_writes_end_equal_to_a_fresh_computation(uow_factory) -> None:
    """Readers and writers interleaved on one engine; whatever the readers kept
    meanwhile, the answer once the writers are done is the fresh one."""
    city = await build_city(uow_factory)
    scopes = [city.owner_ids, [city.units[0]], [city.units[1], city.units[2]]]

    async def reader(n: int) -> None:
        for i in range(12):
            async with city.uow_factory() as uow:
                await uow.status.statuses(scopes[(n + i) % 3], city.today)

    async def writer(n: int) -> None:
        for i in range(4):
            await apply(city, (("save", "activity_status", "target", "rename")[i], (n * 4 + i), i + n, i))

    await asyncio.gather(reader(0), writer(0), reader(1), writer(1), reader(2))
    for scope in scopes:
        await assert_memo_is_fresh(city, scope)


async def test_odd_scopes_duplicated_reordered_unknown_or_empty_owner_ids(uow_factory) -> None:
    city = await build_city(uow_factory)
    u0, u1, u2 = city.units
    await assert_memo_is_fresh(city)
    for scope in ([u2, u0], [u1, u1, u1], [u0, 987_654], [987_654], [], [u2, city.dept, u2, u0]):
        await assert_memo_is_fresh(city, scope)
        await _save(city, city.goals[4], "T1", services.FollowUpChanges(forecast=Fulfilment.NOT))
        await assert_memo_is_fresh(city, scope)
        await _sql(city, "UPDATE indicators SET target = target + 1 WHERE goal_id = :g", g=city.goals[1].id)
        await assert_memo_is_fresh(city, scope)


async def test_truncating_follow_ups_on_postgresql_retires_every_kept_status(uow_factory) -> None:
    # TRUNCATE fires no delete trigger; migration 0005 changes the epoch on it instead.
    city = await build_city(uow_factory)
    async with city.uow_factory() as uow:
        if uow.session.bind.dialect.name != "postgresql":
            pytest.skip("SQLite has no TRUNCATE")
    await _save(city, city.goals[0], "T1", services.FollowUpChanges(assessment=Fulfilment.NOT))
    before = await assert_memo_is_fresh(city)
    assert before[0].reasons

    await _sql(city, "TRUNCATE follow_ups CASCADE")

    after = await assert_memo_is_fresh(city)
    assert not any(r.kind == ReasonKind.ASSESSMENT for r in after[0].reasons)
