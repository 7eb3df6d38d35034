"""Tables for what Målkoll posts into conversations on its own: which team channel
follows which part of the organisation, which summaries were posted there, and
which outbox deliveries (approval cards, outcome messages) went out.

Like the reminder ledger these are records of messages, not domain data: no
foreign keys into the domain tables, so they stay readable after a person, node or
follow-up is deleted. Each unique constraint is what makes a rerun, a restart or a
second bot instance send nothing twice (the row is claimed before the message goes).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

# claimed: an instance is sending it; sent; retry: a transient failure, try in a later
# pass; unreachable: no (active) conversation with the person or 403/404; failed: refused.
DELIVERY_STATUSES = ("claimed", "sent", "retry", "unreachable", "failed")


class ChannelLinkRow(Base):
    """A team channel ↔ the org node whose summary is posted there (one node per channel)."""

    __tablename__ = "channel_links"
    __table_args__ = (Index("ix_channel_links_tenant", "tenant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The conversation id the bot's ReferenceStore keeps for the channel.
    conversation_id: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    tenant_id: Mapped[str] = mapped_column(String(64), nullable=False)
    team_id: Mapped[str | None] = mapped_column(Text)
    teams_channel_id: Mapped[str | None] = mapped_column(Text)
    org_node_id: Mapped[int] = mapped_column(Integer, nullable=False)
    linked_by: Mapped[int | None] = mapped_column(Integer)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class SummaryPostRow(Base):
    """One scheduled summary post: (channel, period, occasion) is sent at most once.
    `occasion` is "deadline" or "week:<ISO year>-W<week>"."""

    __tablename__ = "summary_posts"
    __table_args__ = (UniqueConstraint("conversation_id", "period_id", "occasion"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(Text, nullable=False)
    period_id: Mapped[int] = mapped_column(Integer, nullable=False)
    occasion: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    activity_id: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxDeliveryRow(Base):
    """One outbox event delivered to one person: the approval card to an approver,
    the outcome to the manager. `activity_id` is the sent message's id, so the card
    can be updated in place; `card_open` says it still shows its buttons."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id"),
        Index("ix_outbox_deliveries_follow_up", "follow_up_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(Integer, nullable=False)
    person_id: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    follow_up_id: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    conversation_id: Mapped[str | None] = mapped_column(Text)
    activity_id: Mapped[str | None] = mapped_column(Text)
    card_open: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
