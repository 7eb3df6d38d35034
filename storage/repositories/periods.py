"""Reporting periods of an organisation root."""

from __future__ import annotations

import functools

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from goals.errors import NotFound
from goals.model import Period
from goals.ports import PeriodRepository
from storage.hot_sql import HotQuery
from storage.models import PeriodRow

_T = PeriodRow.__table__
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

    async def for_root(self, root_id: int, year: int | None = None) -> list[Period]:
        if year is None:
            return [to_period(row) for row in await _root_periods().rows(self.session, root_id=root_id)]
        statement = select(*COLUMNS).where(_T.c.root_id == root_id)
        if year is not None:
            statement = statement.where(_T.c.year == year)
        statement = statement.order_by(_T.c.start, _T.c.end, _T.c.id)
        return [to_period(row) for row in (await self.session.execute(statement)).all()]
