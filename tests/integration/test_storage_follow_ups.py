"""Follow-ups: round-trip, versions, and two people saving the same follow-up."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from goals.errors import ConcurrencyConflict, NotFound
from goals.model import (
    Activity,
    ActivityStatus,
    CrossSectoral,
    FollowUp,
    FollowUpState,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
    OrgKind,
    OrgNode,
    Period,
    Person,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")


async def _setting(uow_factory):
    """A unit with one goal (two indicators, one activity), a T1 period, two people."""
    async with uow_factory() as uow:
        root = await uow.orgs.add(OrgNode(0, "city", "Staden", OrgKind.MUNICIPALITY, tenant_id="t"))
        unit = await uow.orgs.add(OrgNode(0, "sol", "Förskolan Solen", OrgKind.UNIT, root.id, "t"))
        goal = await uow.goals.add(
            Goal(
                0, "E-1", "Alla barn läser", "enhet", unit.id, 2026, 2026,
                indicators=(Indicator(0, "I-1", "Andel läsande", "%", gender_split=True), Indicator(0, "I-2", "Böcker", "antal")),
                activities=(Activity(0, "Läsombud", date(2026, 1, 1), date(2026, 4, 1)),),
            )
        )  # fmt: skip
        period = await uow.periods.add(Period(0, root.id, "T1", 2026, date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 15)))
        anna = await uow.people.add(Person(0, "t", "oid-anna", "Anna"))
        bo = await uow.people.add(Person(0, "t", "oid-bo", "Bo"))
        await uow.commit()
    return goal, period, anna, bo


def _draft(goal, period, author) -> FollowUp:
    return FollowUp(
        id=0,
        goal_id=goal.id,
        period_id=period.id,
        analysis="Läsningen ökar men inte i alla grupper.",
        indicator_values={goal.indicators[0].id: Measurement(61.5, 64.0, 59.0)},
        activity_statuses={goal.activities[0].id: ActivityStatus.ONGOING},
        author_id=author.id,
        updated_at=datetime(2026, 3, 2, 9, 30, tzinfo=STOCKHOLM),
        updated_by=author.id,
    )


async def test_a_follow_up_round_trips_with_every_field_and_utc_timestamps(uow_factory):
    goal, period, anna, bo = await _setting(uow_factory)
    full = replace(
        _draft(goal, period, anna),
        state=FollowUpState.RETURNED,
        assessment=Fulfilment.PARTLY,
        forecast=Fulfilment.NOT,
        actions="Extra läsgrupper under våren.",
        evidence_note="Målvärdet nås inte, se analys.",
        resource_use="En extra pedagog 20 %.",
        cross_sectoral={CrossSectoral.CHILD_RIGHTS: "Barnen har fått tycka till.", CrossSectoral.EQUITY: "Alla grupper."},
        indicator_values={
            goal.indicators[0].id: Measurement(61.5, 64.0, 59.0),
            goal.indicators[1].id: Measurement(total=120.0),
        },
        submitted_at=datetime(2026, 5, 10, 14, 0, tzinfo=STOCKHOLM),
        approver_id=bo.id,
        decided_at=datetime(2026, 5, 12, 8, 15, tzinfo=UTC),
        return_comment="Komplettera analysen.",
    )
    async with uow_factory() as uow:
        stored = await uow.follow_ups.add(full)
        await uow.commit()
    assert stored.id > 0 and stored.version == 1
    async with uow_factory() as uow:
        loaded = await uow.follow_ups.get(stored.id)
        assert await uow.follow_ups.find(goal.id, period.id) == loaded
        assert await uow.follow_ups.get(stored.id + 1000) is None
    assert loaded == stored
    # the same instants, handed back in UTC whatever zone they were written in
    assert loaded.submitted_at == datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    assert loaded.submitted_at.tzinfo == UTC and loaded.updated_at.tzinfo == UTC
    assert loaded.updated_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


async def test_each_save_increments_the_version_and_replaces_values(uow_factory):
    goal, period, anna, _ = await _setting(uow_factory)
    async with uow_factory() as uow:
        first = await uow.follow_ups.add(_draft(goal, period, anna))
        await uow.commit()
    changed = replace(
        first,
        assessment=Fulfilment.FULFILLED,
        indicator_values={goal.indicators[1].id: Measurement(total=140.0)},
        activity_statuses={goal.activities[0].id: ActivityStatus.DONE},
    )
    async with uow_factory() as uow:
        second = await uow.follow_ups.update(changed, expected_version=1)
        third = await uow.follow_ups.update(replace(second, analysis="Ny analys"), expected_version=2)
        await uow.commit()
    assert (second.version, third.version) == (2, 3)
    async with uow_factory() as uow:
        loaded = await uow.follow_ups.get(first.id)
    assert loaded.version == 3 and loaded.analysis == "Ny analys"
    assert loaded.indicator_values == {goal.indicators[1].id: Measurement(total=140.0)}
    assert loaded.activity_statuses == {goal.activities[0].id: ActivityStatus.DONE}


async def test_of_two_writers_on_one_follow_up_the_second_gets_a_conflict_with_the_first_ones_values(uow_factory):
    goal, period, anna, bo = await _setting(uow_factory)
    async with uow_factory() as uow:
        original = await uow.follow_ups.add(_draft(goal, period, anna))
        await uow.commit()

    # Both open the same version 1 in their own unit of work …
    async with uow_factory() as first, uow_factory() as second:
        seen_by_first = await first.follow_ups.get(original.id)
        seen_by_second = await second.follow_ups.get(original.id)
        assert seen_by_first.version == seen_by_second.version == 1

        # … the first saves and commits …
        anna_saves = replace(
            seen_by_first,
            analysis="Annas analys",
            indicator_values={goal.indicators[0].id: Measurement(70.0, 72.0, 68.0)},
            updated_by=anna.id,
        )
        await first.follow_ups.update(anna_saves, expected_version=1)
        await first.commit()

        # … and the second, still based on version 1, is refused.
        with pytest.raises(ConcurrencyConflict) as refused:
            await second.follow_ups.update(
                replace(seen_by_second, analysis="Bos analys", updated_by=bo.id), expected_version=1
            )
        current = refused.value.current
        assert current.version == 2
        assert current.analysis == "Annas analys"
        assert current.updated_by == anna.id
        assert current.indicator_values == {goal.indicators[0].id: Measurement(70.0, 72.0, 68.0)}
        await second.commit()

    async with uow_factory() as uow:
        stored = await uow.follow_ups.get(original.id)
    assert stored.analysis == "Annas analys" and stored.version == 2


async def test_a_second_follow_up_for_the_same_goal_and_period_is_refused_with_the_stored_one(uow_factory):
    goal, period, anna, bo = await _setting(uow_factory)
    async with uow_factory() as uow:
        stored = await uow.follow_ups.add(_draft(goal, period, anna))
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(ConcurrencyConflict) as refused:
            await uow.follow_ups.add(replace(_draft(goal, period, bo), analysis="Dubblett"))
        assert refused.value.current == stored
        # the refusal leaves the transaction usable (no aborted PostgreSQL transaction)
        assert (await uow.follow_ups.find(goal.id, period.id)).analysis == stored.analysis
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.follow_ups.for_goals([goal.id], [period.id]) == [stored]


async def test_updating_a_missing_follow_up_is_not_found(uow_factory):
    goal, period, anna, _ = await _setting(uow_factory)
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await uow.follow_ups.update(replace(_draft(goal, period, anna), id=31337), expected_version=1)


async def test_follow_ups_for_goals_and_periods(uow_factory):
    goal, period, anna, _ = await _setting(uow_factory)
    async with uow_factory() as uow:
        other_goal = await uow.goals.add(Goal(0, "E-2", "Trygg miljö", "enhet", goal.owner_id, 2026, 2026))
        t2 = await uow.periods.add(replace(period, id=0, kind="T2", start=date(2026, 5, 1), end=date(2026, 8, 31)))
        a = await uow.follow_ups.add(_draft(goal, period, anna))
        b = await uow.follow_ups.add(replace(_draft(goal, t2, anna), indicator_values={}, activity_statuses={}))
        c = await uow.follow_ups.add(FollowUp(0, other_goal.id, period.id))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.follow_ups.for_goals([goal.id], [period.id, t2.id]) == [a, b]
        assert await uow.follow_ups.for_goals([goal.id, other_goal.id], [period.id]) == [a, c]
        assert await uow.follow_ups.for_goals([], [period.id]) == []


async def test_of_two_concurrent_saves_of_the_same_version_exactly_one_wins(uow_factory):
    goal, period, anna, bo = await _setting(uow_factory)
    async with uow_factory() as uow:
        original = await uow.follow_ups.add(_draft(goal, period, anna))
        await uow.commit()

    async def save(person, analysis):
        async with uow_factory() as uow:
            try:
                await uow.follow_ups.update(
                    replace(original, analysis=analysis, updated_by=person.id), expected_version=1
                )
                await asyncio.sleep(0.05)  # hold the transaction open while the other one tries
                await uow.commit()
                return "saved"
            except ConcurrencyConflict as conflict:
                return conflict.current.analysis

    outcomes = await asyncio.gather(save(anna, "Annas"), save(bo, "Bos"))
    # one saved; the other was refused and shown the winner's text
    assert outcomes in (["saved", "Annas"], ["Bos", "saved"])
    winner = "Annas" if outcomes[0] == "saved" else "Bos"
    async with uow_factory() as uow:
        stored = await uow.follow_ups.get(original.id)
    assert (stored.analysis, stored.version) == (winner, 2)


async def test_of_two_concurrent_starts_of_the_same_follow_up_one_stores_it_and_the_other_gets_it(uow_factory):
    goal, period, anna, bo = await _setting(uow_factory)

    async def start(person):
        async with uow_factory() as uow:
            try:
                stored = await uow.follow_ups.add(replace(_draft(goal, period, person), analysis=person.name))
                await asyncio.sleep(0.05)
                await uow.commit()
                return ("stored", stored.id)
            except ConcurrencyConflict as conflict:
                return ("refused", conflict.current.id)

    outcomes = await asyncio.gather(start(anna), start(bo))
    assert sorted(kind for kind, _ in outcomes) == ["refused", "stored"]
    assert outcomes[0][1] == outcomes[1][1]  # the refused one was handed the stored follow-up
    async with uow_factory() as uow:
        assert len(await uow.follow_ups.for_goals([goal.id], [period.id])) == 1
