"""The bot's own state: botbuilder store items with e-tags, conversation references
for proactive messages, and processed activity ids against duplicate deliveries.

Revision ID: 0002_bot_state
Revises: 0001_domain
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_bot_state"
down_revision: str | None = "0001_domain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_state",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bot_state")),
    )
    op.create_table(
        "conversation_references",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.Text(), nullable=False),
        sa.Column("service_url", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("conversation_type", sa.String(length=16), nullable=False),
        sa.Column("user_aad_id", sa.String(length=64), nullable=True),
        sa.Column("team_id", sa.Text(), nullable=True),
        sa.Column("teams_channel_id", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_references")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_conversation_references_conversation_id")),
    )
    op.create_index(
        "ix_conversation_references_tenant_user", "conversation_references", ["tenant_id", "user_aad_id"]
    )
    op.create_index(
        "ix_conversation_references_tenant_team", "conversation_references", ["tenant_id", "team_id"]
    )
    op.create_table(
        "processed_activities",
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("activity_id", sa.String(length=255), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "activity_id", name=op.f("pk_processed_activities")),
    )
    op.create_index(op.f("ix_processed_activities_received_at"), "processed_activities", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_activities_received_at"), table_name="processed_activities")
    op.drop_table("processed_activities")
    op.drop_index("ix_conversation_references_tenant_team", table_name="conversation_references")
    op.drop_index("ix_conversation_references_tenant_user", table_name="conversation_references")
    op.drop_table("conversation_references")
    op.drop_table("bot_state")
