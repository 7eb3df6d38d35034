"""The overview of a scope subtree ("mina mål") in one statement.

Was three (the subtree; the walk to the root with its periods; the goal headlines):
on PostgreSQL three round trips to the server, on SQLite three hand-offs to
aiosqlite's thread, on every "mina mål". Here the two recursive CTEs of
orgs.py/periods.py feed three JSON aggregates in a single row: the subtree's nodes,
the root's periods and the subtree's goals. Each aggregated row carries its
position under the same ORDER BY as the separate reads (`row_number()`: SQLite
3.40 has no ORDER BY inside an aggregate), so names sort by the database's
collation exactly as `subtree` sorts them, and the Python side only puts the
rows back in that order.
"""

from __future__ import annotations

import functools
import json
from datetime import date

from sqlalchemy import Integer, Text, bindparam, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from goals.model import Goal, OrgKind, OrgNode, Period
from goals.ports import OverviewReader, SubtreeHeadlines
from storage.hot_sql import HotQuery
from storage.models import OrgNodeRow, PeriodRow
from storage.repositories.goals import GOAL_COLUMNS as _GOAL_COLUMNS
from storage.repositories.goals import GOALS
from storage.repositories.periods import COLUMNS as _PERIOD_COLUMNS

_ORG = OrgNodeRow.__table__
_PERIODS = PeriodRow.__table__
_MAX_DEPTH = 64  # as orgs.py and periods.py: a parent loop in bad data ends the walk

_NODE_COLUMNS = (
    _ORG.c.id,
    _ORG.c.code,
    _ORG.c.name,
    _ORG.c.kind,
    _ORG.c.parent_id,
    _ORG.c.tenant_id,
    _ORG.c.profile,
)
def _json_rows(dialect: str, columns, order_by, from_, where=None):
    """One text column: a JSON array of [column values…, position] per row."""
    row_of, agg = (
        (func.json_build_array, func.json_agg) if dialect == "postgresql" else (func.json_array, func.json_group_array)
    )
    inner = select(*columns, func.row_number().over(order_by=order_by).label("position")).select_from(from_)
    if where is not None:
        inner = inner.where(where)
    inner = inner.subquery()
    # Cast to text: asyncpg and sqlite3 both hand back a str for json.loads.
    return select(cast(agg(row_of(*inner.c)), Text)).scalar_subquery()


@functools.cache
def _query(dialect: str) -> HotQuery:
    node_id = bindparam("node_id", type_=Integer)
    tree = select(_ORG.c.id, literal(0).label("depth")).where(_ORG.c.id == node_id).cte("tree", recursive=True)
    below = select(_ORG.c.id, (tree.c.depth + 1).label("depth")).join(tree, _ORG.c.parent_id == tree.c.id)
    tree = tree.union_all(below.where(tree.c.depth < _MAX_DEPTH))

    start = select(_ORG.c.id, _ORG.c.parent_id, literal(0).label("depth")).where(_ORG.c.id == node_id)
    chain = start.cte("chain", recursive=True)
    above = select(_ORG.c.id, _ORG.c.parent_id, (chain.c.depth + 1)).join(chain, _ORG.c.id == chain.c.parent_id)
    chain = chain.union_all(above.where(chain.c.depth < _MAX_DEPTH))
    root_id = select(chain.c.id).where(chain.c.parent_id.is_(None)).limit(1).scalar_subquery()

    nodes = _json_rows(
        dialect,
        _NODE_COLUMNS,
        (tree.c.depth, _ORG.c.name, _ORG.c.id),
        _ORG.join(tree, _ORG.c.id == tree.c.id),
    )
    periods = _json_rows(
        dialect,
        _PERIOD_COLUMNS,
        (_PERIODS.c.start, _PERIODS.c.end, _PERIODS.c.id),
        _PERIODS,
        _PERIODS.c.root_id == root_id,
    )
    in_years = (GOALS.c.valid_from <= bindparam("last_year", type_=Integer)) & (
        GOALS.c.valid_to >= bindparam("first_year", type_=Integer)
    )
    goals = _json_rows(
        dialect,
        _GOAL_COLUMNS,
        (GOALS.c.owner_id, GOALS.c.number),
        GOALS,
        GOALS.c.owner_id.in_(select(tree.c.id)) & in_years,
    )
    return HotQuery(
        select(
            nodes.label("nodes"),
            root_id.label("root_id"),
            periods.label("periods"),
            goals.label("goals"),
        )
    )


def _ordered(text: str | None) -> list[list]:
    rows = json.loads(text) if text else []
    rows.sort(key=lambda row: row[-1])
    return rows


def _node(row: list) -> OrgNode:
    id_, code, name, kind, parent_id, tenant_id, profile, _ = row
    return OrgNode(
        id=id_,
        code=code,
        name=name,
        kind=OrgKind(kind),
        parent_id=parent_id,
        tenant_id=tenant_id,
        profile=profile,
    )


def _period(row: list) -> Period:
    id_, root_id, kind, year, start, end, deadline, is_open, is_year_end, _ = row
    return Period(
        id=id_,
        root_id=root_id,
        kind=kind,
        year=year,
        start=date.fromisoformat(start),
        end=date.fromisoformat(end),
        deadline=date.fromisoformat(deadline),
        is_open=bool(is_open),
        is_year_end=bool(is_year_end),
    )


def _goal(row: list) -> Goal:
    (
        id_,
        code,
        title,
        level,
        owner_id,
        valid_from,
        valid_to,
        number,
        description,
        parent_id,
        area_id,
        _,
    ) = row
    return Goal(
        id=id_,
        code=code,
        title=title,
        level=level,
        owner_id=owner_id,
        valid_from=valid_from,
        valid_to=valid_to,
        number=number,
        description=description,
        parent_id=parent_id,
        area_id=area_id,
    )


class SqlOverviewReader(OverviewReader):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def subtree_headlines(self, node_id: int, first_year: int, last_year: int) -> SubtreeHeadlines | None:
        dialect = self.session.get_bind().dialect.name
        rows = await _query(dialect).rows(self.session, node_id=node_id, first_year=first_year, last_year=last_year)
        row = rows[0]
        nodes = tuple(_node(r) for r in _ordered(row.nodes))
        if not nodes:
            return None
        return SubtreeHeadlines(
            nodes=nodes,
            root_id=row.root_id if row.root_id is not None else node_id,
            periods=tuple(_period(r) for r in _ordered(row.periods)),
            goals=tuple(_goal(r) for r in _ordered(row.goals)),
        )
