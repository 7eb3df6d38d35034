"""Conversation references: where the bot can reach a person or a channel later.

The reference itself is the JSON dict of botbuilder's ConversationReference as the
bot serialises it (`ConversationReference.serialize()`, camelCase keys); storage only
reads the conversation id, service URL and channel id out of it and hands it back
unchanged.

A Teams channel message's conversation id names the thread ("19:…;messageid=…");
to keep one reference per channel, the bot saves the channel's own id as
conversation id (posts then start new threads there)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bot_state import dialect_insert
from storage.bot_tables import CONVERSATION_TYPES, ConversationReferenceRow


@dataclass
class ConversationRef:
    conversation_id: str
    service_url: str
    tenant_id: str
    channel_id: str
    conversation_type: str
    user_aad_id: str | None
    team_id: str | None
    teams_channel_id: str | None
    reference: dict
    active: bool
    updated_at: datetime


class ReferenceStore:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def save(
        self,
        *,
        reference: dict,
        tenant_id: str,
        conversation_type: str,
        user_aad_id: str | None = None,
        team_id: str | None = None,
        teams_channel_id: str | None = None,
    ) -> None:
        """Insert or refresh the reference of a conversation and mark it active
        (a reinstall or a new message revives a conversation marked inactive).

        Ids not known on this activity (None) keep what was stored before, so a
        message without team details does not erase them."""
        if conversation_type not in CONVERSATION_TYPES:
            raise ValueError(f"conversation_type must be one of {CONVERSATION_TYPES}, not {conversation_type!r}")
        conversation = reference.get("conversation") or {}
        conversation_id = conversation.get("id")
        service_url = reference.get("serviceUrl")
        channel_id = reference.get("channelId")
        if not conversation_id or not service_url or not channel_id:
            raise ValueError("a conversation reference needs conversation.id, serviceUrl and channelId")
        values = {
            "conversation_id": conversation_id,
            "service_url": service_url,
            "tenant_id": tenant_id,
            "channel_id": channel_id,
            "conversation_type": conversation_type,
            "user_aad_id": user_aad_id,
            "team_id": team_id,
            "teams_channel_id": teams_channel_id,
            "reference": json.dumps(reference, ensure_ascii=False, separators=(",", ":")),
            "active": True,
            "updated_at": datetime.now(UTC),
        }
        table = ConversationReferenceRow.__table__
        async with self._sessionmaker() as session, session.begin():
            insert = dialect_insert(session, ConversationReferenceRow).values(**values)
            excluded = insert.excluded
            kept = {
                name: func.coalesce(excluded[name], table.c[name])
                for name in ("user_aad_id", "team_id", "teams_channel_id")
            }
            replaced = {
                name: excluded[name]
                for name in ("service_url", "tenant_id", "channel_id", "conversation_type", "reference", "active", "updated_at")
            }
            await session.execute(
                insert.on_conflict_do_update(index_elements=[ConversationReferenceRow.conversation_id], set_={**replaced, **kept})
            )

    async def mark_inactive(self, conversation_id: str) -> None:
        """The bot was uninstalled or the conversation is gone (403/404 on send):
        keep the row for the record, but stop sending to it."""
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(ConversationReferenceRow)
                .where(ConversationReferenceRow.conversation_id == conversation_id)
                .values(active=False, updated_at=datetime.now(UTC))
            )

    async def personal_for(self, tenant_id: str, user_aad_id: str) -> ConversationRef | None:
        """The active personal chat with a person, the most recently used if several."""
        async with self._sessionmaker() as session:
            row = await session.scalar(
                select(ConversationReferenceRow)
                .where(
                    ConversationReferenceRow.tenant_id == tenant_id,
                    ConversationReferenceRow.user_aad_id == user_aad_id,
                    ConversationReferenceRow.conversation_type == "personal",
                    ConversationReferenceRow.active.is_(True),
                )
                .order_by(ConversationReferenceRow.updated_at.desc(), ConversationReferenceRow.id.desc())
                .limit(1)
            )
            return _to_ref(row) if row is not None else None

    async def channels(self, tenant_id: str) -> list[ConversationRef]:
        """Active team channel conversations of a tenant, ordered by team and channel."""
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(ConversationReferenceRow)
                .where(
                    ConversationReferenceRow.tenant_id == tenant_id,
                    ConversationReferenceRow.conversation_type == "channel",
                    ConversationReferenceRow.active.is_(True),
                )
                .order_by(ConversationReferenceRow.team_id, ConversationReferenceRow.teams_channel_id, ConversationReferenceRow.id)
            )
            return [_to_ref(row) for row in rows]


def _to_ref(row: ConversationReferenceRow) -> ConversationRef:
    return ConversationRef(
        conversation_id=row.conversation_id,
        service_url=row.service_url,
        tenant_id=row.tenant_id,
        channel_id=row.channel_id,
        conversation_type=row.conversation_type,
        user_aad_id=row.user_aad_id,
        team_id=row.team_id,
        teams_channel_id=row.teams_channel_id,
        reference=json.loads(row.reference),
        active=row.active,
        updated_at=row.updated_at,
    )
