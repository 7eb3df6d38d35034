"""Goals with their expected results, indicators and activities.

A goal is read as one query for the goals plus one per child table (not one per
goal), so a list of 500 goals costs four statements, the same as a single goal.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Integer, Row, String, Table, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from goals.errors import NotFound
from goals.model import (
    Activity,
    ActivityStatus,
    Direction,
    ExpectedResult,
    Goal,
    GoalArea,
    Indicator,
)
from goals.ports import GoalRepository
from storage.models import ActivityRow, ExpectedResultRow, GoalAreaRow, GoalRow, IndicatorRow
from storage.hot_sql import HotQuery
from storage.repositories._sql import one_of

GOALS = GoalRow.__table__
RESULTS = ExpectedResultRow.__table__
INDICATORS = IndicatorRow.__table__
ACTIVITIES = ActivityRow.__table__
_AREAS = GoalAreaRow.__table__

GOAL_COLUMNS = (
    GOALS.c.id,
    GOALS.c.code,
    GOALS.c.title,
    GOALS.c.level,
    GOALS.c.owner_id,
    GOALS.c.valid_from,
    GOALS.c.valid_to,
    GOALS.c.number,
    GOALS.c.description,
    GOALS.c.parent_id,
    GOALS.c.area_id,
)
RESULT_COLUMNS = (
    RESULTS.c.goal_id,
    RESULTS.c.id,
    RESULTS.c.text,
    RESULTS.c.direction,
    RESULTS.c.target_value,
    RESULTS.c.baseline,
)
INDICATOR_COLUMNS = (
    INDICATORS.c.goal_id,
    INDICATORS.c.id,
    INDICATORS.c.code,
    INDICATORS.c.name,
    INDICATORS.c.unit,
    INDICATORS.c.direction,
    INDICATORS.c.target,
    INDICATORS.c.baseline,
    INDICATORS.c.gender_split,
    INDICATORS.c.kpi_id,
)
ACTIVITY_COLUMNS = (
    ACTIVITIES.c.goal_id,
    ACTIVITIES.c.id,
    ACTIVITIES.c.title,
    ACTIVITIES.c.start,
    ACTIVITIES.c.end,
    ACTIVITIES.c.status,
)


def _float(value: Any) -> float | None:
    # Double columns come back as float already; this also covers Numeric/Decimal.
    return None if value is None else float(value)


def to_expected_result(row: Row) -> ExpectedResult:
    return ExpectedResult(
        id=row.id,
        text=row.text,
        direction=Direction(row.direction),
        target_value=_float(row.target_value),
        baseline=_float(row.baseline),
    )


def to_indicator(row: Row) -> Indicator:
    return Indicator(
        id=row.id,
        code=row.code,
        name=row.name,
        unit=row.unit,
        direction=Direction(row.direction),
        target=_float(row.target),
        baseline=_float(row.baseline),
        gender_split=bool(row.gender_split),
        kpi_id=row.kpi_id,
    )


def to_activity(row: Row) -> Activity:
    return Activity(id=row.id, title=row.title, start=row.start, end=row.end, status=ActivityStatus(row.status))


def to_goal(row: Row, results=(), indicators=(), activities=()) -> Goal:
    return Goal(
        id=row.id,
        code=row.code,
        title=row.title,
        level=row.level,
        owner_id=row.owner_id,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        number=row.number,
        description=row.description,
        parent_id=row.parent_id,
        area_id=row.area_id,
        expected_results=tuple(results),
        indicators=tuple(indicators),
        activities=tuple(activities),
    )


async def _grouped(session: AsyncSession, table: Table, columns, convert, goal_filter) -> dict[int, list]:
    statement = select(*columns).where(goal_filter).order_by(table.c.goal_id, table.c.position, table.c.id)
    grouped: dict[int, list] = defaultdict(list)
    for row in (await session.execute(statement)).all():
        grouped[row.goal_id].append(convert(row))
    return grouped


async def load_goals(session: AsyncSession, where: ColumnElement[bool], order_by=(GOALS.c.id,)) -> list[Goal]:
    """Goals matching `where`, each with its children: four statements in all.
    The children are selected with the same condition as a subquery, so no long
    list of goal ids travels back to the database."""
    goal_rows = (await session.execute(select(*GOAL_COLUMNS).where(where).order_by(*order_by))).all()
    if not goal_rows:
        return []
    if len(goal_rows) == 1:
        only = goal_rows[0].id
        in_goals = lambda column: column == only  # noqa: E731
    else:
        matching = select(GOALS.c.id).where(where)
        in_goals = lambda column: column.in_(matching)  # noqa: E731
    results = await _grouped(session, RESULTS, RESULT_COLUMNS, to_expected_result, in_goals(RESULTS.c.goal_id))
    indicators = await _grouped(session, INDICATORS, INDICATOR_COLUMNS, to_indicator, in_goals(INDICATORS.c.goal_id))
    activities = await _grouped(session, ACTIVITIES, ACTIVITY_COLUMNS, to_activity, in_goals(ACTIVITIES.c.goal_id))
    return [
        to_goal(row, results.get(row.id, ()), indicators.get(row.id, ()), activities.get(row.id, ()))
        for row in goal_rows
    ]


def _goal_values(goal: Goal) -> dict:
    return {
        "code": goal.code,
        "title": goal.title,
        "level": goal.level,
        "owner_id": goal.owner_id,
        "valid_from": goal.valid_from,
        "valid_to": goal.valid_to,
        "description": goal.description,
        "parent_id": goal.parent_id,
        "area_id": goal.area_id,
    }


def _result_values(item: ExpectedResult) -> dict:
    return {
        "text": item.text,
        "direction": item.direction.value,
        "target_value": item.target_value,
        "baseline": item.baseline,
    }


def _indicator_values(item: Indicator) -> dict:
    return {
        "code": item.code,
        "name": item.name,
        "unit": item.unit,
        "direction": item.direction.value,
        "target": item.target,
        "baseline": item.baseline,
        "gender_split": item.gender_split,
        "kpi_id": item.kpi_id,
    }


def _activity_values(item: Activity) -> dict:
    return {"title": item.title, "start": item.start, "end": item.end, "status": item.status.value}


# child attribute on Goal -> (table, values of one child)
_CHILDREN = (
    ("expected_results", RESULTS, _result_values),
    ("indicators", INDICATORS, _indicator_values),
    ("activities", ACTIVITIES, _activity_values),
)


@functools.cache
def _headlines_query(dialect: str) -> HotQuery:
    """Goals of the owners valid in a year, without children ("mina mål", every
    time): built once per dialect. The owner ids are one parameter, as in `one_of`
    (a PostgreSQL array; a JSON text on SQLite)."""
    if dialect == "postgresql":
        owned = GOALS.c.owner_id == any_(bindparam("owner_ids", type_=ARRAY(Integer)))
    else:
        listed = func.json_each(bindparam("owner_ids", type_=String)).table_valued("value")
        owned = GOALS.c.owner_id.in_(select(listed.c.value))
    in_year = (GOALS.c.valid_from <= bindparam("year", type_=Integer)) & (GOALS.c.valid_to >= bindparam("year", type_=Integer))
    return HotQuery(select(*GOAL_COLUMNS).where(owned & in_year).order_by(GOALS.c.owner_id, GOALS.c.number))


class SqlGoalRepository(GoalRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, goal_id: int) -> Goal | None:
        goals = await load_goals(self.session, GOALS.c.id == goal_id)
        return goals[0] if goals else None

    async def get_many(self, goal_ids: Sequence[int]) -> list[Goal]:
        if not goal_ids:
            return []
        return await load_goals(self.session, one_of(self.session, GOALS.c.id, sorted(set(goal_ids))), order_by=(GOALS.c.id,))

    async def get_by_code(self, owner_id: int, code: str) -> Goal | None:
        goals = await load_goals(self.session, (GOALS.c.owner_id == owner_id) & (GOALS.c.code == code))
        return goals[0] if goals else None

    async def add(self, goal: Goal) -> Goal:
        number = goal.number or await self._next_number(goal.owner_id)
        statement = insert(GOALS).values(**_goal_values(goal), number=number).returning(GOALS.c.id)
        goal_id = (await self.session.execute(statement)).scalar_one()
        children = {}
        for attribute, table, values in _CHILDREN:
            items = getattr(goal, attribute)
            ids = await self._insert_children(table, goal_id, list(enumerate(items)), values)
            children[attribute] = tuple(replace(item, id=new_id) for item, new_id in zip(items, ids, strict=True))
        return replace(goal, id=goal_id, number=number, **children)

    async def _next_number(self, owner_id: int) -> int:
        statement = select(func.coalesce(func.max(GOALS.c.number), 0) + 1).where(GOALS.c.owner_id == owner_id)
        return (await self.session.execute(statement)).scalar_one()

    async def _insert_children(self, table: Table, goal_id: int, items: list[tuple[int, Any]], values) -> list[int]:
        if not items:
            return []
        rows = [{"goal_id": goal_id, "position": position, **values(item)} for position, item in items]
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list((await self.session.execute(statement, rows)).scalars())

    async def update(self, goal: Goal) -> Goal:
        values = _goal_values(goal)
        if goal.number:
            values["number"] = goal.number
        statement = update(GOALS).where(GOALS.c.id == goal.id).values(**values).returning(GOALS.c.number)
        number = (await self.session.execute(statement)).scalar_one_or_none()
        if number is None:
            raise NotFound(f"goal {goal.id}", entity="goal", id=goal.id)
        children = {}
        for attribute, table, to_values in _CHILDREN:
            children[attribute] = await self._sync_children(table, goal.id, getattr(goal, attribute), to_values)
        return replace(goal, number=number, **children)

    async def _sync_children(self, table: Table, goal_id: int, items: Sequence[Any], to_values) -> tuple:
        """Children with id 0 are inserted, known ids updated in place (so follow-up
        values stay attached to them), stored ones no longer listed deleted."""
        stored = set((await self.session.execute(select(table.c.id).where(table.c.goal_id == goal_id))).scalars())
        foreign = [item.id for item in items if item.id and item.id not in stored]
        if foreign:
            raise NotFound(f"{table.name} {foreign} not on goal {goal_id}", entity=table.name, id=foreign[0])
        kept = [{"_id": item.id, "position": position, **to_values(item)} for position, item in enumerate(items) if item.id]
        if kept:
            statement = update(table).where(table.c.id == bindparam("_id"))
            await self.session.execute(statement, kept)
        removed = stored - {item.id for item in items}
        if removed:
            await self.session.execute(delete(table).where(table.c.id.in_(removed)))
        new = [(position, item) for position, item in enumerate(items) if not item.id]
        new_ids = iter(await self._insert_children(table, goal_id, new, to_values))
        return tuple(item if item.id else replace(item, id=next(new_ids)) for item in items)

    async def for_owners(self, owner_ids: Sequence[int], year: int) -> list[Goal]:
        if not owner_ids:
            return []
        where = one_of(self.session, GOALS.c.owner_id, owner_ids) & (GOALS.c.valid_from <= year) & (GOALS.c.valid_to >= year)
        return await load_goals(self.session, where, order_by=(GOALS.c.owner_id, GOALS.c.number))

    async def headlines_for_owners(self, owner_ids: Sequence[int], year: int) -> list[Goal]:
        if not owner_ids:
            return []
        ids = [int(owner_id) for owner_id in owner_ids]
        dialect = self.session.get_bind().dialect.name
        owners = ids if dialect == "postgresql" else json.dumps(ids)
        rows = await _headlines_query(dialect).rows(self.session, owner_ids=owners, year=year)
        return [to_goal(row) for row in rows]

    async def children_of(self, goal_id: int) -> list[Goal]:
        return await load_goals(self.session, GOALS.c.parent_id == goal_id, order_by=(GOALS.c.owner_id, GOALS.c.number))

    async def set_activity_status(self, activity_id: int, status: ActivityStatus) -> None:
        statement = update(ACTIVITIES).where(ACTIVITIES.c.id == activity_id).values(status=status.value)
        if (await self.session.execute(statement)).rowcount == 0:
            raise NotFound(f"activity {activity_id}", entity="activity", id=activity_id)

    async def add_area(self, area: GoalArea) -> GoalArea:
        values = {"code": area.code, "name": area.name, "org_node_id": area.org_node_id}
        new_id = (await self.session.execute(insert(_AREAS).values(**values).returning(_AREAS.c.id))).scalar_one()
        return GoalArea(id=new_id, **values)

    async def areas(self, org_node_id: int) -> list[GoalArea]:
        statement = (
            select(_AREAS.c.id, _AREAS.c.code, _AREAS.c.name, _AREAS.c.org_node_id)
            .where(_AREAS.c.org_node_id == org_node_id)
            .order_by(_AREAS.c.code, _AREAS.c.id)
        )
        return [
            GoalArea(id=row.id, code=row.code, name=row.name, org_node_id=row.org_node_id)
            for row in (await self.session.execute(statement)).all()
        ]
