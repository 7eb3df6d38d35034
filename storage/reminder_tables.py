"""The reminder ledger table: one row per reminder (person, period, kind), so a
restart, a second bot instance or a rerun never sends the same reminder twice.

No foreign keys into the domain: the ledger is a record of messages sent, and
stays readable after a person or period is deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

# pending: a snoozed reminder waiting for its time; claimed: an instance is sending it
# (until its lease runs out); sent; retry: a transient failure, to try again at due_at;
# failed: gave up after the last attempt; unreachable: 403/404 or no conversation with
# the person (their department head is told); skipped: nothing left to report.
REMINDER_STATUSES = ("pending", "claimed", "sent", "retry", "failed", "unreachable", "skipped")


class ReminderLedgerRow(Base):
    __tablename__ = "reminder_ledger"
    __table_args__ = (
        UniqueConstraint("person_id", "period_id", "kind"),
        Index("ix_reminder_ledger_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(Integer, nullable=False)
    period_id: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    conversation_id: Mapped[str | None] = mapped_column(Text)
