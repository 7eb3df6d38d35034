"""Channel links, scheduled summary posts and outbox deliveries (approval cards,
outcome messages): what Målkoll posts on its own, each recorded once.

Revision ID: 0004_channel_links
Revises: 0003_reminders
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_channel_links"
down_revision: str | None = "0003_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=True),
        sa.Column("teams_channel_id", sa.Text(), nullable=True),
        sa.Column("org_node_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_links")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_channel_links_conversation_id")),
    )
    op.create_index("ix_channel_links_tenant", "channel_links", ["tenant_id"])
    op.create_table(
        "summary_posts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.Text(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("occasion", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_posts")),
        sa.UniqueConstraint("conversation_id", "period_id", "occasion", name=op.f("uq_summary_posts_conversation_id")),
    )
    op.create_table(
        "outbox_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.Text(), nullable=True),
        sa.Column("activity_id", sa.Text(), nullable=True),
        sa.Column("card_open", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_deliveries")),
        sa.UniqueConstraint("event_id", "person_id", name=op.f("uq_outbox_deliveries_event_id")),
    )
    op.create_index("ix_outbox_deliveries_follow_up", "outbox_deliveries", ["follow_up_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_deliveries_follow_up", table_name="outbox_deliveries")
    op.drop_table("outbox_deliveries")
    op.drop_table("summary_posts")
    op.drop_index("ix_channel_links_tenant", table_name="channel_links")
    op.drop_table("channel_links")
