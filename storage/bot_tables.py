"""SQLAlchemy models for the bot's own state: dialog/conversation state, conversation
references for proactive messages, and the ids of activities already processed.

These tables belong to the Teams plumbing, not to the goal domain: nothing in goals/
reads them, and they hold no foreign keys into the domain tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

CONVERSATION_TYPES = ("personal", "channel", "groupChat")


class BotStateRow(Base):
    """One botbuilder store item (conversation state, user state, …) per key.

    `data` is JSON text rather than a JSON column: the same bytes on SQLite and
    PostgreSQL, and the store only ever reads and writes it whole."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    etag: Mapped[str] = mapped_column(String(64), nullable=False)
    data: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ConversationReferenceRow(Base):
    """Where and how to reach a conversation later (reminders, channel posts)."""

    __tablename__ = "conversation_references"
    __table_args__ = (
        Index("ix_conversation_references_tenant_user", "tenant_id", "user_aad_id"),
        Index("ix_conversation_references_tenant_team", "tenant_id", "team_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    service_url: Mapped[str] = mapped_column(Text, nullable=False)
    tenant_id: Mapped[str] = mapped_column(String(64), nullable=False)
    channel_id: Mapped[str] = mapped_column(String(64), nullable=False)
    # One of CONVERSATION_TYPES; checked in ReferenceStore.save, not by a CHECK
    # constraint, so a new Teams conversation type does not need a migration.
    conversation_type: Mapped[str] = mapped_column(String(16), nullable=False)
    user_aad_id: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(Text)
    teams_channel_id: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(Text, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ProcessedActivityRow(Base):
    """Activity ids seen once; Teams redelivers an activity when our answer is slow,
    and the second delivery must not run the turn again."""

    __tablename__ = "processed_activities"

    channel_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
