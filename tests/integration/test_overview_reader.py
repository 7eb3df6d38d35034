"""OverviewReader.subtree_headlines ("mina mål" in one statement) answers exactly what
the three separate reads it replaces answer: the subtree (`orgs.subtree`, names in the
database's collation), the root and its periods (`periods.root_and_periods`) and the
goal headlines of the years asked (`goals.headlines_for_owners`), on SQLite and
PostgreSQL. And the overview service gives the same answer by either path."""

from __future__ import annotations

from datetime import date

import pytest

from goals.model import Goal, OrgKind, OrgNode, Period, Person, Role, RoleAssignment
from goals.services import goals_overview
from goals.services import questions


async def _separate_reads(uow, node_id: int, first_year: int, last_year: int):
    nodes = await uow.orgs.subtree(node_id)
    root_id, periods = await uow.periods.root_and_periods(node_id)
    goals: dict[int, Goal] = {}
    for year in range(first_year, last_year + 1):
        for goal in await uow.goals.headlines_for_owners([n.id for n in nodes], year):
            goals.setdefault(goal.id, goal)
    return tuple(nodes), root_id, tuple(periods), tuple(sorted(goals.values(), key=lambda g: (g.owner_id, g.number)))


@pytest.fixture
async def town(uow_factory):
    """Two roots; names that sort differently by collation and by code point; goals of
    one year, of a mandate period, of last year and of next year; nodes without goals."""
    async with uow_factory() as uow:
        root = await uow.orgs.add(OrgNode(0, "city", "Staden", OrgKind.MUNICIPALITY, tenant_id="t", profile="stockholm"))
        admin = await uow.orgs.add(OrgNode(0, "utb", "Utbildning", OrgKind.ADMINISTRATION, root.id, "t"))
        dept = await uow.orgs.add(OrgNode(0, "avd", "Avdelning Förskola", OrgKind.DEPARTMENT, admin.id, "t"))
        units = [
            await uow.orgs.add(OrgNode(0, code, name, OrgKind.UNIT, dept.id, "t"))
            for code, name in (("o", "Östra förskolan"), ("a", "Ängens förskola"), ("b", "björkens förskola"), ("z", "Zeta"))
        ]
        other = await uow.orgs.add(OrgNode(0, "town", "Byn", OrgKind.MUNICIPALITY, tenant_id="t"))
        lonely = await uow.orgs.add(OrgNode(0, "by", "Byns skola", OrgKind.UNIT, other.id, "t"))
        for kind, start, end, deadline in (
            ("T3", date(2026, 9, 1), date(2026, 12, 31), date(2027, 1, 15)),
            ("T1", date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 15)),
            ("T2", date(2026, 5, 1), date(2026, 8, 31), date(2026, 9, 15)),
            ("T3", date(2025, 9, 1), date(2025, 12, 31), date(2026, 1, 15)),
        ):
            await uow.periods.add(Period(0, root.id, kind, start.year, start, end, deadline, is_open=(kind, start.year) != ("T1", 2026)))
        for owner, number, years in (
            (units[0], 1, (2026, 2026)),
            (units[0], 2, (2023, 2026)),
            (units[1], 1, (2025, 2025)),
            (units[1], 2, (2027, 2027)),
            (units[2], 1, (2024, 2025)),
            (dept, 1, (2026, 2029)),
            (lonely, 1, (2026, 2026)),
        ):
            await uow.goals.add(
                Goal(0, f"{owner.code}-{number}", f"Mål {number} för {owner.name}", "enhet", owner.id, *years, number=number)
            )
        await uow.commit()
    return {"root": root, "admin": admin, "dept": dept, "units": units, "other": other, "lonely": lonely}


async def test_one_read_equals_the_three_it_replaces(uow_factory, town):
    nodes = [town["root"], town["admin"], town["dept"], *town["units"], town["other"], town["lonely"]]
    async with uow_factory() as uow:
        for node in nodes:
            for first, last in ((2025, 2026), (2026, 2026), (2027, 2028)):
                read = await uow.overview.subtree_headlines(node.id, first, last)
                expected = await _separate_reads(uow, node.id, first, last)
                assert (read.nodes, read.root_id, read.periods, read.goals) == expected, (node.name, first, last)
        assert await uow.overview.subtree_headlines(999_999, 2025, 2026) is None


async def test_the_department_reads_its_units_in_name_order_and_the_goals_of_both_years(uow_factory, town):
    async with uow_factory() as uow:
        read = await uow.overview.subtree_headlines(town["dept"].id, 2025, 2026)
    assert read.nodes[0] == town["dept"]
    assert {n.name for n in read.nodes[1:]} == {u.name for u in town["units"]}
    assert read.root_id == town["root"].id
    assert [(p.kind, p.year) for p in read.periods] == [("T3", 2025), ("T1", 2026), ("T2", 2026), ("T3", 2026)]
    assert read.periods[0].deadline == date(2026, 1, 15) and read.periods[1].is_open is False
    owners = {town["dept"].id: "dept", **{u.id: u.code for u in town["units"]}}
    assert [(g.owner_id, g.number) for g in read.goals] == sorted((g.owner_id, g.number) for g in read.goals)
    assert {(owners[g.owner_id], g.number) for g in read.goals} == {("dept", 1), ("o", 1), ("o", 2), ("a", 1), ("b", 1)}
    assert all(g.expected_results == () and g.indicators == () and g.activities == () for g in read.goals)


async def test_a_root_is_its_own_root_and_a_node_without_periods_has_none(uow_factory, town):
    async with uow_factory() as uow:
        root = await uow.overview.subtree_headlines(town["root"].id, 2026, 2026)
        lonely = await uow.overview.subtree_headlines(town["lonely"].id, 2026, 2026)
    assert root.root_id == town["root"].id and root.nodes[0] == town["root"]
    assert lonely.root_id == town["other"].id and lonely.periods == ()
    assert [g.code for g in lonely.goals] == ["by-1"]


def _actor(person_id: int, *roles: tuple[Role, int], tenant: str = "t") -> questions.Actor:
    person = Person(person_id, tenant, f"oid-{person_id}", f"Person {person_id}")
    return questions.Actor(person, tuple(RoleAssignment(person_id, node, role) for role, node in roles))


@pytest.mark.parametrize("today", [date(2026, 5, 5), date(2026, 1, 10), date(2027, 2, 1)])
async def test_the_overview_is_the_same_by_the_one_read_and_by_the_general_path(uow_factory, town, today, monkeypatch):
    """A unit manager's or department head's overview comes from the one read; with
    `own_subtree_top` answering None it takes the general path: same answer."""
    actors = [
        _actor(1, (Role.UNIT_MANAGER, town["units"][0].id)),
        _actor(2, (Role.UNIT_MANAGER, town["units"][3].id)),  # a unit without goals is still shown
        _actor(3, (Role.DEPARTMENT_HEAD, town["dept"].id)),
        _actor(4, (Role.UNIT_MANAGER, town["lonely"].id)),
        _actor(5, (Role.UNIT_MANAGER, town["dept"].id), (Role.DEPARTMENT_HEAD, town["dept"].id)),
    ]
    fast = [await goals_overview(uow_factory(), actor=actor, today=today) for actor in actors]
    monkeypatch.setattr(questions, "own_subtree_top", lambda actor: None)
    general = [await goals_overview(uow_factory(), actor=actor, today=today) for actor in actors]
    assert fast == general
    assert [o.unit.name for o in fast[1]] == ["Zeta"] and fast[1][0].goals == ()
    assert all(fast), "every actor sees at least their own unit"


async def test_a_node_of_another_tenant_gives_an_empty_overview(uow_factory, town):
    stranger = _actor(9, (Role.UNIT_MANAGER, town["units"][0].id), tenant="other-tenant")
    assert await goals_overview(uow_factory(), actor=stranger, today=date(2026, 5, 5)) == []
    # and so does an assignment to a node that is gone
    ghost = _actor(10, (Role.UNIT_MANAGER, 999_999))
    assert await goals_overview(uow_factory(), actor=ghost, today=date(2026, 5, 5)) == []


async def test_goals_shown_are_those_of_the_period_to_report_now(uow_factory, town):
    anna = _actor(1, (Role.UNIT_MANAGER, town["units"][0].id))
    in_may = await goals_overview(uow_factory(), actor=anna, today=date(2026, 5, 5))
    assert (in_may[0].period.kind, in_may[0].period.year) == ("T2", 2026) and [g.number for g in in_may[0].goals] == [1, 2]
    head = _actor(3, (Role.DEPARTMENT_HEAD, town["dept"].id))
    # 10 January 2026 (2026's T1 not opened yet): 2025's T3, deadline 15 January, is the
    # period to report, so 2025's goals
    january = {o.unit.code: [g.number for g in o.goals] for o in await goals_overview(uow_factory(), actor=head, today=date(2026, 1, 10))}
    assert january == {"o": [2], "a": [1], "b": [1]}


async def test_a_unit_managers_overview_is_one_statement(uow_factory, town, monkeypatch):
    """Asked on every "mina mål": one round trip to the database (was three)."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage import hot_sql

    seen: list[str] = []
    rows, execute = hot_sql.HotQuery.rows, AsyncSession.execute

    async def spy_rows(self, executor, **values):
        seen.append("prebuilt")
        return await rows(self, executor, **values)

    async def spy_execute(self, *args, **kwargs):
        seen.append("session")
        return await execute(self, *args, **kwargs)

    monkeypatch.setattr(hot_sql.HotQuery, "rows", spy_rows)
    monkeypatch.setattr(AsyncSession, "execute", spy_execute)
    head = _actor(3, (Role.DEPARTMENT_HEAD, town["dept"].id))
    overview = await goals_overview(uow_factory(), actor=head, today=date(2026, 5, 5))
    assert seen == ["prebuilt"]
    assert {o.unit.code for o in overview} == {"avd", "o"}
