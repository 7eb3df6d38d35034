"""Goals with their children, goal areas and periods round-trip through the SQL store."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from goals.errors import NotFound
from goals.model import (
    Activity,
    ActivityStatus,
    Direction,
    ExpectedResult,
    FollowUp,
    Goal,
    GoalArea,
    Indicator,
    Measurement,
    OrgKind,
    OrgNode,
    Period,
)


async def _units(uow) -> tuple[OrgNode, OrgNode, OrgNode]:
    root = await uow.orgs.add(OrgNode(0, "city", "Staden", OrgKind.MUNICIPALITY, tenant_id="t", profile="stockholm_ils"))
    sol = await uow.orgs.add(OrgNode(0, "sol", "Förskolan Solen", OrgKind.UNIT, root.id, "t"))
    mane = await uow.orgs.add(OrgNode(0, "mane", "Förskolan Månen", OrgKind.UNIT, root.id, "t"))
    return root, sol, mane


def _goal(owner_id: int, code: str, **fields) -> Goal:
    return Goal(
        id=0,
        code=code,
        title=f"Alla barn utvecklas ({code})",
        level=fields.pop("level", "enhet"),
        owner_id=owner_id,
        valid_from=fields.pop("valid_from", 2026),
        valid_to=fields.pop("valid_to", 2026),
        **fields,
    )


FULL_CHILDREN = dict(
    description="Förskolan ska ge varje barn goda förutsättningar.",
    expected_results=(
        ExpectedResult(0, "Fler barn läser dagligen", Direction.INCREASE, 80.0, 62.5),
        ExpectedResult(0, "Alla pedagoger har gått kursen"),
    ),
    indicators=(
        Indicator(0, "I-LAS", "Andel barn som läser dagligen", "%", Direction.INCREASE, 80.0, 62.5, True, "U23471"),
        Indicator(0, "I-SJUK", "Sjukfrånvaro", "%", Direction.DECREASE, 5.0),
    ),
    activities=(
        Activity(0, "Läsombud på varje avdelning", date(2026, 2, 1), date(2026, 6, 15), ActivityStatus.ONGOING),
        Activity(0, "Bokbussen", date(2026, 9, 1), date(2026, 9, 30)),
    ),
)


def _ids_set(goal: Goal) -> bool:
    children = goal.expected_results + goal.indicators + goal.activities
    return goal.id > 0 and all(child.id > 0 for child in children)


async def test_a_goal_round_trips_with_all_its_children_in_order(uow_factory):
    async with uow_factory() as uow:
        root, sol, _ = await _units(uow)
        area = await uow.goals.add_area(GoalArea(0, "MO1", "Barn och unga", root.id))
        parent = await uow.goals.add(_goal(root.id, "KF-1", level="kf", valid_from=2023, valid_to=2026, area_id=area.id))
        stored = await uow.goals.add(_goal(sol.id, "E-SOL-1", parent_id=parent.id, area_id=area.id, **FULL_CHILDREN))
        await uow.commit()
    assert _ids_set(stored)
    async with uow_factory() as uow:
        loaded = await uow.goals.get(stored.id)
        assert loaded == stored
        assert [i.code for i in loaded.indicators] == ["I-LAS", "I-SJUK"]
        assert isinstance(loaded.indicators[0].target, float)
        assert await uow.goals.get_by_code(sol.id, "E-SOL-1") == stored
        assert await uow.goals.get_by_code(root.id, "E-SOL-1") is None
        assert await uow.goals.children_of(parent.id) == [stored]
        assert await uow.goals.areas(root.id) == [area]
        assert await uow.goals.get(987_654) is None


async def test_get_many_reads_the_goals_asked_for_with_their_children_and_skips_unknown_ids(uow_factory):
    async with uow_factory() as uow:
        _, sol, mane = await _units(uow)
        first = await uow.goals.add(_goal(sol.id, "E-SOL-1", **FULL_CHILDREN))
        await uow.goals.add(_goal(sol.id, "E-SOL-2"))
        third = await uow.goals.add(_goal(mane.id, "E-MANE-1", valid_from=2020, valid_to=2021))
        await uow.commit()
    async with uow_factory() as uow:
        found = await uow.goals.get_many([third.id, first.id, third.id, 999_999])
        assert found == [await uow.goals.get(first.id), await uow.goals.get(third.id)]
        assert found[0] == first and len(found[0].indicators) == 2
        assert await uow.goals.get_many([]) == []


async def test_numbers_are_assigned_per_owner_as_the_next_free_one(uow_factory):
    async with uow_factory() as uow:
        _, sol, mane = await _units(uow)
        first = await uow.goals.add(_goal(sol.id, "A"))
        explicit = await uow.goals.add(_goal(sol.id, "B", number=7))
        after_explicit = await uow.goals.add(_goal(sol.id, "C"))
        other_owner = await uow.goals.add(_goal(mane.id, "D"))
        await uow.commit()
    assert (first.number, explicit.number, after_explicit.number, other_owner.number) == (1, 7, 8, 1)
    async with uow_factory() as uow:
        assert (await uow.goals.get(after_explicit.id)).number == 8


async def test_update_keeps_updated_children_deletes_missing_and_adds_new(uow_factory):
    async with uow_factory() as uow:
        _, sol, _ = await _units(uow)
        goal = await uow.goals.add(_goal(sol.id, "E-1", **FULL_CHILDREN))
        await uow.commit()
    kept, dropped = goal.indicators
    changed = replace(
        goal,
        title="Alla barn läser",
        valid_to=2027,
        indicators=(replace(kept, target=90.0), Indicator(0, "I-NY", "Antal lästa böcker", "antal")),
        activities=(),
    )
    async with uow_factory() as uow:
        saved = await uow.goals.update(changed)
        await uow.commit()
    assert saved.indicators[0].id == kept.id and saved.indicators[1].id not in (0, dropped.id)
    assert saved.number == goal.number
    async with uow_factory() as uow:
        loaded = await uow.goals.get(goal.id)
    assert loaded == saved
    assert loaded.title == "Alla barn läser" and loaded.valid_to == 2027
    assert [i.target for i in loaded.indicators] == [90.0, None]
    assert loaded.activities == ()
    assert loaded.expected_results == goal.expected_results


async def test_update_refuses_unknown_goals_and_children_of_other_goals(uow_factory):
    async with uow_factory() as uow:
        _, sol, _ = await _units(uow)
        one = await uow.goals.add(_goal(sol.id, "E-1", **FULL_CHILDREN))
        other = await uow.goals.add(_goal(sol.id, "E-2"))
        with pytest.raises(NotFound):
            await uow.goals.update(replace(other, indicators=one.indicators))
        with pytest.raises(NotFound):
            await uow.goals.update(replace(other, id=555_555))


async def test_goals_for_owners_are_those_valid_in_the_year_by_owner_then_number(uow_factory):
    async with uow_factory() as uow:
        root, sol, mane = await _units(uow)
        await uow.goals.add(_goal(mane.id, "M-2026"))
        await uow.goals.add(_goal(sol.id, "S-2026"))
        await uow.goals.add(_goal(sol.id, "S-mandate", valid_from=2023, valid_to=2026))
        await uow.goals.add(_goal(sol.id, "S-2025", valid_from=2025, valid_to=2025))
        await uow.goals.add(_goal(sol.id, "S-2027", valid_from=2027, valid_to=2027))
        await uow.goals.add(_goal(root.id, "KF-2026", level="kf"))
        await uow.commit()
    async with uow_factory() as uow:
        codes = [g.code for g in await uow.goals.for_owners([mane.id, sol.id], 2026)]
        expected_order = ["S-2026", "S-mandate", "M-2026"] if sol.id < mane.id else ["M-2026", "S-2026", "S-mandate"]
        assert codes == expected_order
        assert [g.code for g in await uow.goals.for_owners([sol.id], 2025)] == ["S-mandate", "S-2025"]
        assert await uow.goals.for_owners([], 2026) == []


async def test_activity_status_is_set_on_the_activity(uow_factory):
    async with uow_factory() as uow:
        _, sol, _ = await _units(uow)
        goal = await uow.goals.add(_goal(sol.id, "E-1", **FULL_CHILDREN))
        await uow.goals.set_activity_status(goal.activities[1].id, ActivityStatus.DELAYED)
        with pytest.raises(NotFound):
            await uow.goals.set_activity_status(404_404, ActivityStatus.DONE)
        await uow.commit()
    async with uow_factory() as uow:
        statuses = [a.status for a in (await uow.goals.get(goal.id)).activities]
    assert statuses == [ActivityStatus.ONGOING, ActivityStatus.DELAYED]


async def test_periods_round_trip_sorted_by_start_and_filtered_by_year(uow_factory):
    async with uow_factory() as uow:
        root, _, _ = await _units(uow)
        t2 = await uow.periods.add(Period(0, root.id, "T2", 2026, date(2026, 5, 1), date(2026, 8, 31), date(2026, 9, 15)))
        t1 = await uow.periods.add(Period(0, root.id, "T1", 2026, date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 15)))
        t3 = await uow.periods.add(
            Period(0, root.id, "T3", 2025, date(2025, 9, 1), date(2025, 12, 31), date(2026, 1, 20), False, True)
        )
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.periods.get(t3.id) == t3
        assert await uow.periods.for_root(root.id) == [t3, t1, t2]
        assert await uow.periods.for_root(root.id, 2026) == [t1, t2]
        closed = replace(t1, is_open=False, deadline=date(2026, 5, 20))
        await uow.periods.update(closed)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.periods.get(t1.id) == closed


async def test_removing_an_indicator_removes_its_reported_values_but_keeps_the_follow_up(uow_factory):
    async with uow_factory() as uow:
        root, sol, _ = await _units(uow)
        goal = await uow.goals.add(_goal(sol.id, "E-1", **FULL_CHILDREN))
        period = await uow.periods.add(Period(0, root.id, "T1", 2026, date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 15)))
        kept, dropped = goal.indicators
        values = {kept.id: Measurement(70.0), dropped.id: Measurement(4.5)}
        follow_up = await uow.follow_ups.add(FollowUp(0, goal.id, period.id, analysis="Bra", indicator_values=values))
        await uow.goals.update(replace(goal, indicators=(kept,)))
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.follow_ups.get(follow_up.id)
    assert stored.analysis == "Bra"
    assert stored.indicator_values == {kept.id: Measurement(70.0)}
