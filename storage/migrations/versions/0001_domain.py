"""The goal domain: organisation, people and roles, goals with their expected
results, indicators and activities, reporting periods, follow-ups, audit log and
outbox.

Hand-reviewed from autogenerate; `tests/integration/test_storage_migrations.py`
proves that `upgrade head` matches `Base.metadata` on SQLite and PostgreSQL.

Revision ID: 0001_domain
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_domain"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# parents before children; downgrade drops in reverse
TABLES = (
    "audit_log",
    "org_nodes",
    "outbox_events",
    "people",
    "goal_areas",
    "periods",
    "role_assignments",
    "goals",
    "activities",
    "expected_results",
    "follow_ups",
    "indicators",
    "follow_up_activity_statuses",
    "follow_up_indicator_values",
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"])

    op.create_table(
        "org_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("profile", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["org_nodes.id"], name=op.f("fk_org_nodes_parent_id_org_nodes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_nodes")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_org_nodes_tenant_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_org_nodes_parent_id"), "org_nodes", ["parent_id"])

    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_events_pending", "outbox_events", ["processed_at", "id"])

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("entra_object_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=300), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("tenant_id", "entra_object_id", name=op.f("uq_people_tenant_id")),
        sqlite_autoincrement=True,
    )

    op.create_table(
        "goal_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("org_node_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_node_id"], ["org_nodes.id"], name=op.f("fk_goal_areas_org_node_id_org_nodes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_areas")),
        sa.UniqueConstraint("org_node_id", "code", name=op.f("uq_goal_areas_org_node_id")),
        sqlite_autoincrement=True,
    )

    op.create_table(
        "periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("root_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("is_year_end", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["root_id"], ["org_nodes.id"], name=op.f("fk_periods_root_id_org_nodes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_periods")),
        sa.UniqueConstraint("root_id", "kind", "year", name=op.f("uq_periods_root_id")),
        sqlite_autoincrement=True,
    )

    op.create_table(
        "role_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("org_node_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["org_node_id"], ["org_nodes.id"], name=op.f("fk_role_assignments_org_node_id_org_nodes"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_role_assignments_person_id_people"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignments")),
        sa.UniqueConstraint("person_id", "org_node_id", "role", name=op.f("uq_role_assignments_person_id")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_role_assignments_node_role", "role_assignments", ["org_node_id", "role"])

    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Integer(), nullable=False),
        sa.Column("valid_to", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["goal_areas.id"], name=op.f("fk_goals_area_id_goal_areas"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_id"], ["org_nodes.id"], name=op.f("fk_goals_owner_id_org_nodes")),
        sa.ForeignKeyConstraint(["parent_id"], ["goals.id"], name=op.f("fk_goals_parent_id_goals"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
        sa.UniqueConstraint("owner_id", "number", name=op.f("uq_goals_owner_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_goals_area_id"), "goals", ["area_id"])
    op.create_index("ix_goals_owner_code", "goals", ["owner_id", "code"])
    op.create_index("ix_goals_owner_years", "goals", ["owner_id", "valid_from", "valid_to"])
    op.create_index(op.f("ix_goals_parent_id"), "goals", ["parent_id"])

    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["goal_id"], ["goals.id"], name=op.f("fk_activities_goal_id_goals"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_activities_goal_id"), "activities", ["goal_id"])

    op.create_table(
        "expected_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("direction", sa.String(length=64), nullable=False),
        sa.Column("target_value", sa.Double(), nullable=True),
        sa.Column("baseline", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["goal_id"], ["goals.id"], name=op.f("fk_expected_results_goal_id_goals"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expected_results")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_expected_results_goal_id"), "expected_results", ["goal_id"])

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("assessment", sa.String(length=64), nullable=True),
        sa.Column("forecast", sa.String(length=64), nullable=True),
        sa.Column("analysis", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("evidence_note", sa.Text(), nullable=False),
        sa.Column("resource_use", sa.Text(), nullable=False),
        sa.Column("cross_sectoral", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_comment", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["approver_id"], ["people.id"], name=op.f("fk_follow_ups_approver_id_people"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["author_id"], ["people.id"], name=op.f("fk_follow_ups_author_id_people"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["goal_id"], ["goals.id"], name=op.f("fk_follow_ups_goal_id_goals"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["period_id"], ["periods.id"], name=op.f("fk_follow_ups_period_id_periods"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by"], ["people.id"], name=op.f("fk_follow_ups_updated_by_people"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("goal_id", "period_id", name=op.f("uq_follow_ups_goal_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_follow_ups_period_id"), "follow_ups", ["period_id"])

    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=64), nullable=False),
        sa.Column("target", sa.Double(), nullable=True),
        sa.Column("baseline", sa.Double(), nullable=True),
        sa.Column("gender_split", sa.Boolean(), nullable=False),
        sa.Column("kpi_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["goal_id"], ["goals.id"], name=op.f("fk_indicators_goal_id_goals"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_indicators_goal_id"), "indicators", ["goal_id"])

    op.create_table(
        "follow_up_activity_statuses",
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"], name=op.f("fk_follow_up_activity_statuses_activity_id_activities"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["follow_up_id"], ["follow_ups.id"], name=op.f("fk_follow_up_activity_statuses_follow_up_id_follow_ups"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("follow_up_id", "activity_id", name=op.f("pk_follow_up_activity_statuses")),
    )
    op.create_index(op.f("ix_follow_up_activity_statuses_activity_id"), "follow_up_activity_statuses", ["activity_id"])

    op.create_table(
        "follow_up_indicator_values",
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.Double(), nullable=True),
        sa.Column("women", sa.Double(), nullable=True),
        sa.Column("men", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["follow_up_id"], ["follow_ups.id"], name=op.f("fk_follow_up_indicator_values_follow_up_id_follow_ups"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicators.id"], name=op.f("fk_follow_up_indicator_values_indicator_id_indicators"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("follow_up_id", "indicator_id", name=op.f("pk_follow_up_indicator_values")),
    )
    op.create_index(op.f("ix_follow_up_indicator_values_indicator_id"), "follow_up_indicator_values", ["indicator_id"])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)  # drops its indexes with it
