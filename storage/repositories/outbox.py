"""The outbox: events to tell people about later (e.g. "follow-up submitted" →
approver), stored in the same transaction as the change that caused them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from goals.ports import Outbox, OutboxEvent
from storage.models import OutboxEventRow
from storage.repositories._sql import utc

_O = OutboxEventRow.__table__
_O_COLUMNS = (_O.c.id, _O.c.kind, _O.c.payload, _O.c.created_at, _O.c.processed_at)


def _to_event(row: Row) -> OutboxEvent:
    return OutboxEvent(
        id=row.id,
        kind=row.kind,
        payload=row.payload or {},
        created_at=utc(row.created_at),
        processed_at=utc(row.processed_at),
    )


class SqlOutbox(Outbox):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, event: OutboxEvent) -> OutboxEvent:
        values = {
            "kind": event.kind,
            "payload": event.payload,
            "created_at": utc(event.created_at),
            "processed_at": utc(event.processed_at),
        }
        new_id = (await self.session.execute(insert(_O).values(**values).returning(_O.c.id))).scalar_one()
        return OutboxEvent(id=new_id, **values)

    async def pending(self, kind: str | None = None, limit: int = 100) -> list[OutboxEvent]:
        statement = select(*_O_COLUMNS).where(_O.c.processed_at.is_(None))
        if kind is not None:
            statement = statement.where(_O.c.kind == kind)
        statement = statement.order_by(_O.c.id).limit(limit)
        return [_to_event(row) for row in (await self.session.execute(statement)).all()]

    async def mark_processed(self, event_id: int, at: datetime) -> None:
        await self.session.execute(update(_O).where(_O.c.id == event_id).values(processed_at=utc(at)))
