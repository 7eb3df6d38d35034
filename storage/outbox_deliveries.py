"""Which outbox events reached whom: one row per (event, person).

The dispatcher claims a delivery (INSERT … ON CONFLICT DO NOTHING) and commits the
claim before sending, so a rerun or a second instance never sends the same card
twice; the row then keeps the sent message's activity id, which is what lets an
approval card be updated in place after a decision (`card_open` = it still shows
its buttons). A transient failure is recorded as "retry" and claimed again later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bot_state import dialect_insert
from storage.channel_tables import OutboxDeliveryRow as Row
from storage.repositories._sql import utc


@dataclass(frozen=True, slots=True)
class Delivery:
    event_id: int
    person_id: int
    kind: str
    follow_up_id: int
    status: str
    conversation_id: str | None
    activity_id: str | None
    card_open: bool


def _to_delivery(row: Row) -> Delivery:
    return Delivery(
        event_id=row.event_id,
        person_id=row.person_id,
        kind=row.kind,
        follow_up_id=row.follow_up_id,
        status=row.status,
        conversation_id=row.conversation_id,
        activity_id=row.activity_id,
        card_open=row.card_open,
    )


class DeliveryLedger:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def claim(self, *, event_id: int, person_id: int, kind: str, follow_up_id: int, now: datetime) -> bool:
        """True if this caller now owns the delivery: a new row, or one left as
        "retry" by an earlier pass. Committed before returning."""
        async with self._sessionmaker() as session, session.begin():
            insert = dialect_insert(session, Row).values(
                event_id=event_id, person_id=person_id, kind=kind, follow_up_id=follow_up_id, status="claimed",
                detail="", updated_at=utc(now),
            )
            if (await session.execute(insert.on_conflict_do_nothing().returning(Row.id))).scalar_one_or_none():
                return True
            retaken = await session.execute(
                update(Row)
                .where(Row.event_id == event_id, Row.person_id == person_id, Row.status == "retry")
                .values(status="claimed", updated_at=utc(now))
            )
            return retaken.rowcount == 1

    async def finish(self, *, event_id: int, person_id: int, status: str, now: datetime,
                     conversation_id: str | None = None, activity_id: str | None = None,
                     card_open: bool = False, detail: str = "") -> None:
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(Row)
                .where(Row.event_id == event_id, Row.person_id == person_id)
                .values(status=status, conversation_id=conversation_id, activity_id=activity_id,
                        card_open=card_open, detail=detail[:500], updated_at=utc(now))
            )

    async def for_event(self, event_id: int) -> list[Delivery]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(select(Row).where(Row.event_id == event_id).order_by(Row.id))
            return [_to_delivery(row) for row in rows]

    async def open_cards(self, follow_up_id: int) -> list[Delivery]:
        """Approval cards of this follow-up still showing their buttons."""
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(Row).where(Row.follow_up_id == follow_up_id, Row.card_open.is_(True)).order_by(Row.id)
            )
            return [_to_delivery(row) for row in rows]

    async def card_in(self, *, follow_up_id: int, conversation_id: str) -> Delivery | None:
        """The newest approval card of this follow-up sent to this conversation."""
        async with self._sessionmaker() as session:
            row = await session.scalar(
                select(Row)
                .where(Row.follow_up_id == follow_up_id, Row.conversation_id == conversation_id,
                       Row.kind == "follow_up.submitted", Row.activity_id.is_not(None))
                .order_by(Row.id.desc())
                .limit(1)
            )
            return _to_delivery(row) if row is not None else None

    async def close_card(self, *, event_id: int, person_id: int, now: datetime) -> bool:
        """Mark a card as updated (no buttons any more). True if it was still open."""
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                update(Row)
                .where(Row.event_id == event_id, Row.person_id == person_id, Row.card_open.is_(True))
                .values(card_open=False, updated_at=utc(now))
            )
            return result.rowcount == 1
