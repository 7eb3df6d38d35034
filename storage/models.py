"""SQLAlchemy tables of the goal domain.

These classes never leave `storage/`: repositories turn rows into the frozen
dataclasses of `goals.model` and back. Enums are stored as their string values
(no database enum types, so adding a value needs no migration on PostgreSQL).
Timestamps are timezone-aware columns; SQLite hands them back naive, so the
repositories normalise every datetime to UTC (see `storage.repositories.convert`).

There are deliberately no ORM relationships: every load is an explicit query,
so nothing can lazy-load across an await.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

CODE = 64  # natural keys, enum values, tenant ids, Entra object ids
NAME = 300  # names and titles as people write them
# SQLite reuses the highest rowid after a delete unless the table is AUTOINCREMENT;
# ids appear in audit details and outbox payloads, so they must never be reused.
NO_ID_REUSE = {"sqlite_autoincrement": True}


class OrgNodeRow(Base):
    __tablename__ = "org_nodes"
    __table_args__ = (UniqueConstraint("tenant_id", "code"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(CODE), default="")
    code: Mapped[str] = mapped_column(String(CODE))
    name: Mapped[str] = mapped_column(String(NAME))
    kind: Mapped[str] = mapped_column(String(CODE))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    profile: Mapped[str | None] = mapped_column(String(CODE))


class PersonRow(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("tenant_id", "entra_object_id"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(CODE))
    entra_object_id: Mapped[str] = mapped_column(String(CODE))
    name: Mapped[str] = mapped_column(String(NAME))
    email: Mapped[str] = mapped_column(String(NAME), default="")
    locale: Mapped[str] = mapped_column(String(16), default="sv-SE")


class RoleAssignmentRow(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("person_id", "org_node_id", "role"),
        # "who is department head of this node?" (approvers, reminders)
        Index("ix_role_assignments_node_role", "org_node_id", "role"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    org_node_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(CODE))


class GoalAreaRow(Base):
    __tablename__ = "goal_areas"
    __table_args__ = (UniqueConstraint("org_node_id", "code"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE))
    name: Mapped[str] = mapped_column(String(NAME))
    org_node_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id", ondelete="CASCADE"))


class GoalRow(Base):
    __tablename__ = "goals"
    __table_args__ = (
        UniqueConstraint("owner_id", "number"),
        # the hot path: goals of these owners valid in a year
        Index("ix_goals_owner_years", "owner_id", "valid_from", "valid_to"),
        Index("ix_goals_owner_code", "owner_id", "code"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE))
    title: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(CODE))
    owner_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"))
    valid_from: Mapped[int] = mapped_column(Integer)
    valid_to: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("goal_areas.id", ondelete="SET NULL"), index=True)


# Children of a goal keep a `position` so a goal reads back in the order it was written.


class ExpectedResultRow(Base):
    __tablename__ = "expected_results"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    direction: Mapped[str] = mapped_column(String(CODE))
    target_value: Mapped[float | None] = mapped_column(Double)
    baseline: Mapped[float | None] = mapped_column(Double)


class IndicatorRow(Base):
    __tablename__ = "indicators"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(CODE))
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(CODE))
    direction: Mapped[str] = mapped_column(String(CODE))
    target: Mapped[float | None] = mapped_column(Double)
    baseline: Mapped[float | None] = mapped_column(Double)
    gender_split: Mapped[bool] = mapped_column(Boolean, default=False)
    kpi_id: Mapped[str | None] = mapped_column(String(CODE))


class ActivityRow(Base):
    __tablename__ = "activities"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(CODE))


class PeriodRow(Base):
    __tablename__ = "periods"
    __table_args__ = (UniqueConstraint("root_id", "kind", "year"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(CODE))
    year: Mapped[int] = mapped_column(Integer)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    is_year_end: Mapped[bool] = mapped_column(Boolean, default=False)


class FollowUpRow(Base):
    __tablename__ = "follow_ups"
    # (goal_id, period_id) is unique: one follow-up per goal and period; its index
    # also serves "follow-ups of these goals"; period_id gets its own index.
    __table_args__ = (UniqueConstraint("goal_id", "period_id"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(CODE))
    assessment: Mapped[str | None] = mapped_column(String(CODE))
    forecast: Mapped[str | None] = mapped_column(String(CODE))
    analysis: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    evidence_note: Mapped[str] = mapped_column(Text, default="")
    resource_use: Mapped[str] = mapped_column(Text, default="")
    cross_sectoral: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class FollowUpIndicatorValueRow(Base):
    __tablename__ = "follow_up_indicator_values"

    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id", ondelete="CASCADE"), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True, index=True)
    total: Mapped[float | None] = mapped_column(Double)
    women: Mapped[float | None] = mapped_column(Double)
    men: Mapped[float | None] = mapped_column(Double)


class FollowUpActivityStatusRow(Base):
    __tablename__ = "follow_up_activity_statuses"

    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id", ondelete="CASCADE"), primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(CODE))


class AuditRow(Base):
    # No foreign keys: the audit trail must outlive the people and rows it mentions.
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(CODE))
    entity: Mapped[str] = mapped_column(String(CODE))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxEventRow(Base):
    __tablename__ = "outbox_events"
    # pending events are those with processed_at NULL, oldest (lowest id) first
    __table_args__ = (Index("ix_outbox_events_pending", "processed_at", "id"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(CODE))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GoalStatusStampRow(Base):
    """A number that changes whenever a goal or anything the status rules read of it
    is written; set by the triggers of migration 0005, read by the status memo
    (goals/status_memo.py). No foreign key: a deleted goal's stamp must outlive it."""

    __tablename__ = "goal_status_stamps"

    goal_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stamp: Mapped[int] = mapped_column(BigInteger)


class StatusEpochRow(Base):
    """One row (id 1): changes on every write to periods or org_nodes, which many
    goals' statuses share (migration 0005)."""

    __tablename__ = "status_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stamp: Mapped[int] = mapped_column(BigInteger)
