"""The audit log: who did what, written in the same transaction as the change."""

from __future__ import annotations

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from goals.model import AuditRecord
from goals.ports import AuditLog
from storage.models import AuditRow
from storage.repositories._sql import utc

_A = AuditRow.__table__
_A_COLUMNS = (_A.c.id, _A.c.at, _A.c.actor_id, _A.c.action, _A.c.entity, _A.c.entity_id, _A.c.details)


def _to_record(row: Row) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=utc(row.at),
        actor_id=row.actor_id,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        details=row.details or {},
    )


class SqlAuditLog(AuditLog):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: AuditRecord) -> None:
        await self.session.execute(
            insert(_A).values(
                at=utc(record.at),
                actor_id=record.actor_id,
                action=record.action,
                entity=record.entity,
                entity_id=record.entity_id,
                details=record.details,
            )
        )

    async def for_entity(self, entity: str, entity_id: int) -> list[AuditRecord]:
        statement = (
            select(*_A_COLUMNS).where(_A.c.entity == entity, _A.c.entity_id == entity_id).order_by(_A.c.at, _A.c.id)
        )
        return [_to_record(row) for row in (await self.session.execute(statement)).all()]

    async def recent(self, limit: int = 100) -> list[AuditRecord]:
        statement = select(*_A_COLUMNS).order_by(_A.c.at.desc(), _A.c.id.desc()).limit(limit)
        return [_to_record(row) for row in (await self.session.execute(statement)).all()]
