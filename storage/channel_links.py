"""Channel links and the summary-post ledger.

A link says which org node's summary a team channel follows. It is keyed by the
channel's own id (Teams' "19:…@thread.tacv2", without the ";messageid=…" of a
thread), so linking from any thread of the channel names the same link, and posts
start new threads in the channel. Linking is audited like any other setting.

The summary-post ledger works like the reminder ledger: a scheduled post is claimed
(INSERT … ON CONFLICT DO NOTHING on (channel, period, occasion)) and the claim is
committed before the message is sent; the outcome is recorded afterwards. A rerun,
a restart or a second instance therefore posts nothing twice. A post that failed
transiently is released so a later pass tries again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from goals.model import AuditRecord
from storage.bot_state import dialect_insert
from storage.channel_tables import ChannelLinkRow, SummaryPostRow
from storage.repositories.audit import SqlAuditLog
from storage.repositories._sql import utc


def channel_key(conversation_id: str) -> str:
    """The channel's id from a channel conversation id ("19:abc@thread;messageid=1" → "19:abc@thread")."""
    return conversation_id.split(";", 1)[0]


@dataclass(frozen=True, slots=True)
class ChannelLink:
    conversation_id: str  # the channel's id (channel_key)
    tenant_id: str
    team_id: str | None
    teams_channel_id: str | None
    org_node_id: int
    linked_by: int | None
    linked_at: datetime


def _to_link(row: ChannelLinkRow) -> ChannelLink:
    return ChannelLink(
        conversation_id=row.conversation_id,
        tenant_id=row.tenant_id,
        team_id=row.team_id,
        teams_channel_id=row.teams_channel_id,
        org_node_id=row.org_node_id,
        linked_by=row.linked_by,
        linked_at=utc(row.linked_at),
    )


class ChannelLinkStore:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def link(
        self,
        *,
        conversation_id: str,
        tenant_id: str,
        org_node_id: int,
        linked_by: int | None,
        team_id: str | None = None,
        teams_channel_id: str | None = None,
        now: datetime | None = None,
    ) -> ChannelLink:
        """Link the channel to the node (a new link replaces the channel's old one),
        with an audit row in the same transaction. The caller has checked the scope."""
        key = channel_key(conversation_id)
        at = utc(now) or datetime.now(UTC)
        values = {
            "conversation_id": key,
            "tenant_id": tenant_id,
            "team_id": team_id,
            "teams_channel_id": teams_channel_id or key,
            "org_node_id": org_node_id,
            "linked_by": linked_by,
            "linked_at": at,
        }
        async with self._sessionmaker() as session, session.begin():
            previous = await session.scalar(select(ChannelLinkRow.org_node_id).where(ChannelLinkRow.conversation_id == key))
            insert = dialect_insert(session, ChannelLinkRow).values(**values)
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=[ChannelLinkRow.conversation_id],
                    set_={name: insert.excluded[name] for name in values if name != "conversation_id"},
                )
            )
            await SqlAuditLog(session).add(
                AuditRecord(
                    at=at,
                    actor_id=linked_by,
                    action="channel.linked",
                    entity="org_node",
                    entity_id=org_node_id,
                    details={"channel": key, "team_id": team_id, "previous_org_node_id": previous},
                )
            )
        return ChannelLink(**values)

    async def get(self, conversation_id: str) -> ChannelLink | None:
        async with self._sessionmaker() as session:
            row = await session.scalar(
                select(ChannelLinkRow).where(ChannelLinkRow.conversation_id == channel_key(conversation_id))
            )
            return _to_link(row) if row is not None else None

    async def all(self, tenant_id: str | None = None) -> list[ChannelLink]:
        async with self._sessionmaker() as session:
            statement = select(ChannelLinkRow).order_by(ChannelLinkRow.id)
            if tenant_id is not None:
                statement = statement.where(ChannelLinkRow.tenant_id == tenant_id)
            return [_to_link(row) for row in await session.scalars(statement)]


class SummaryPostLedger:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def claim(self, *, conversation_id: str, period_id: int, occasion: str, now: datetime) -> bool:
        """True if this caller now owns the post (committed); False if it was posted
        or is being posted already."""
        async with self._sessionmaker() as session, session.begin():
            insert = dialect_insert(session, SummaryPostRow).values(
                conversation_id=conversation_id, period_id=period_id, occasion=occasion, status="claimed",
                claimed_at=utc(now),
            )
            result = await session.execute(insert.on_conflict_do_nothing().returning(SummaryPostRow.id))
            return result.scalar_one_or_none() is not None

    async def finish(self, *, conversation_id: str, period_id: int, occasion: str, status: str,
                     activity_id: str | None, now: datetime) -> None:
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(SummaryPostRow)
                .where(*_post_key(conversation_id, period_id, occasion))
                .values(status=status, activity_id=activity_id, finished_at=utc(now))
            )

    async def release(self, *, conversation_id: str, period_id: int, occasion: str) -> None:
        """A transient failure: forget the claim so a later pass posts it."""
        async with self._sessionmaker() as session, session.begin():
            await session.execute(delete(SummaryPostRow).where(*_post_key(conversation_id, period_id, occasion)))

    async def posted(self, conversation_id: str) -> list[tuple[int, str, str]]:
        """(period id, occasion, status) of every recorded post to the channel."""
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(SummaryPostRow.period_id, SummaryPostRow.occasion, SummaryPostRow.status)
                .where(SummaryPostRow.conversation_id == conversation_id)
                .order_by(SummaryPostRow.id)
            )
            return [tuple(row) for row in rows.all()]


def _post_key(conversation_id: str, period_id: int, occasion: str):
    return (
        SummaryPostRow.conversation_id == conversation_id,
        SummaryPostRow.period_id == period_id,
        SummaryPostRow.occasion == occasion,
    )
