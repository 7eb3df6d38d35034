"""Reporting periods of an organisation root."""

from __future__ import annotations

import functools

from sqlalchemy import Row, bindparam, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from goals.errors import NotFound
from goals.model import Period
from goals.ports import PeriodRepository
from storage.hot_sql import HotQuery
from storage.models import OrgNodeRow, PeriodRow

_T = PeriodRow.__table__
_ORG = OrgNodeRow.__table__
_MAX_DEPTH = 64  # as storage/repositories/orgs.py: a cycle in bad data ends the walk
COLUMNS = (
    _T.c.id,
    _T.c.root_id,
    _T.c.kind,
    _T.c.year,
    _T.c.start,
    _T.c.end,
    _T.c.deadline,
    _T.c.is_open,
    _T.c.is_year_end,
)


def to_period(row: Row) -> Period:
    return Period(
        id=row.id,
        root_id=row.root_id,
        kind=row.kind,
        year=row.year,
        start=row.start,
        end=row.end,
        deadline=row.deadline,
        is_open=bool(row.is_open),
        is_year_end=bool(row.is_year_end),
    )


@functools.cache
def _root_periods() -> HotQuery:
    # Asked on every "mina mål" (and every reporting turn): built once, see storage/hot_sql.py.
    return HotQuery(select(*COLUMNS).where(_T.c.root_id == bindparam("root_id")).order_by(_T.c.start, _T.c.end, _T.c.id))


@functools.cache
def _root_and_periods() -> HotQuery:
    # The walk up from the node to its root and the root's periods, in one statement
    # (asked on "mina mål" for a unit below the root; was ancestors + periods, two).
    start = select(_ORG.c.id, _ORG.c.parent_id, literal(0).label("depth")).where(_ORG.c.id == bindparam("node_id"))
    chain = start.cte("chain", recursive=True)
    above = select(_ORG.c.id, _ORG.c.parent_id, (chain.c.depth + 1)).join(chain, _ORG.c.id == chain.c.parent_id)
    chain = chain.union_all(above.where(chain.c.depth < _MAX_DEPTH))
    return HotQuery(
        select(chain.c.id.label("root_node_id"), *COLUMNS)
        .select_from(chain.outerjoin(_T, _T.c.root_id == chain.c.id))
        .where(chain.c.parent_id.is_(None))
        .order_by(_T.c.start, _T.c.end, _T.c.id)
    )


def _values(period: Period) -> dict:
    return {
        "root_id": period.root_id,
        "kind": period.kind,
        "year": period.year,
        "start": period.start,
        "end": period.end,
        "deadline": period.deadline,
        "is_open": period.is_open,
        "is_year_end": period.is_year_end,
    }


class SqlPeriodRepository(PeriodRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, period_id: int) -> Period | None:
        row = (await self.session.execute(select(*COLUMNS).where(_T.c.id == period_id))).first()
        return to_period(row) if row else None

    async def add(self, period: Period) -> Period:
        new_id = (await self.session.execute(insert(_T).values(**_values(period)).returning(_T.c.id))).scalar_one()
        return Period(id=new_id, **_values(period))

    async def update(self, period: Period) -> Period:
        result = await self.session.execute(update(_T).where(_T.c.id == period.id).values(**_values(period)))
        if result.rowcount == 0:
            raise NotFound(f"period {period.id}", entity="period", id=period.id)
        return period

    async def root_and_periods(self, node_id: int) -> tuple[int, list[Period]] | None:
        rows = await _root_and_periods().rows(self.session, node_id=node_id)
        if not rows:
            return None
        return rows[0].root_node_id, [to_period(row) for row in rows if row.id is not None]

    async def for_root(self, root_id: int, year: int | None = None) -> list[Period]:
        if year is None:
            return [to_period(row) for row in await _root_periods().rows(self.session, root_id=root_id)]
        statement = select(*COLUMNS).where(_T.c.root_id == root_id)
        if year is not None:
            statement = statement.where(_T.c.year == year)
        statement = statement.order_by(_T.c.start, _T.c.end, _T.c.id)
        return [to_period(row) for row in (await self.session.execute(statement)).all()]
