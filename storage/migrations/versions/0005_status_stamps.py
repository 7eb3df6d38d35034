"""Status stamps: what tells a kept goal status (goals/status_memo.py) it is out of date.

`goal_status_stamps` holds one number per goal, changed by triggers on every
insert, update and delete of the goal and of each table the status rules read of
it; `status_epoch` one number changed on every write to periods and org_nodes
(shared by many goals). Triggers rather than repository code, so that no write
path — services, Excel import, the demo loader, the generator's COPY — can change
a goal's status without changing its stamp, in the same transaction.

A new stamp is never a number used before, even one from a rolled-back transaction:
PostgreSQL takes it from a sequence (sequences do not roll back), SQLite from
random() (64 bits). A goal without a stamp row has stamp 0. TRUNCATE (PostgreSQL)
changes the epoch. What no trigger sees is a whole database put back from a backup:
restart Målkoll after a restore (README, "Database and migrations").

PostgreSQL uses statement-level triggers with transition tables: one insert per
statement whatever the number of rows (a COPY of 400,000 values is one statement),
goal ids sorted so concurrent writers lock stamps in the same order. SQLite has
only row-level triggers.

`tests/integration/test_status_stamps.py` checks every table the status read
selects from is covered here.

Revision ID: 0005_status_stamps
Revises: 0004_channel_links
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_status_stamps"
down_revision: str | None = "0004_channel_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> how a row names its goal: its own id, a goal_id column, or its follow-up's goal
GOAL_TABLES = {
    "goals": "id",
    "expected_results": "goal_id",
    "indicators": "goal_id",
    "activities": "goal_id",
    "follow_ups": "goal_id",
    "follow_up_indicator_values": "follow_up_id",
    "follow_up_activity_statuses": "follow_up_id",
}
EPOCH_TABLES = ("periods", "org_nodes")
OPERATIONS = ("insert", "update", "delete")


def upgrade() -> None:
    op.create_table(
        "goal_status_stamps",
        sa.Column("goal_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("goal_id", name=op.f("pk_goal_status_stamps")),
    )
    op.create_table(
        "status_epoch",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_epoch")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    # A random first epoch: a database dropped and migrated again under a running
    # process (whose stamps would start over) shares nothing with what it kept.
    first = "CAST(random() * 1e15 AS bigint)" if postgres else "random()"
    op.execute(f"INSERT INTO status_epoch (id, stamp) VALUES (1, {first})")
    if postgres:
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*GOAL_TABLES, *EPOCH_TABLES):
            for operation in (*OPERATIONS, "truncate"):
                op.execute(f"DROP TRIGGER IF EXISTS status_stamp_{operation} ON {table}")
        for table in GOAL_TABLES:
            op.execute(f"DROP FUNCTION IF EXISTS status_stamp_{table}()")
        op.execute("DROP FUNCTION IF EXISTS status_epoch_bump()")
        op.execute("DROP SEQUENCE IF EXISTS status_stamp_seq")
    else:
        for table in (*GOAL_TABLES, *EPOCH_TABLES):
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS status_stamp_{table}_{operation}")
    op.drop_table("status_epoch")
    op.drop_table("goal_status_stamps")


# --- SQLite: row triggers ------------------------------------------------------------


def _sqlite_goal_ids(table: str, row: str) -> str:
    """A SELECT of the goal id(s) that `row` (new/old) of `table` belongs to."""
    column = GOAL_TABLES[table]
    if column == "follow_up_id":
        return f"SELECT goal_id FROM follow_ups WHERE id = {row}.follow_up_id"
    return f"SELECT {row}.{column} AS goal_id"


def _sqlite_triggers() -> None:
    for table in GOAL_TABLES:
        for operation in OPERATIONS:
            rows = {"insert": ("new",), "update": ("new", "old"), "delete": ("old",)}[operation]
            source = " UNION ".join(_sqlite_goal_ids(table, row) for row in rows)
            # `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT
            op.execute(
                f"CREATE TRIGGER status_stamp_{table}_{operation} AFTER {operation.upper()} ON {table} BEGIN "
                f"INSERT INTO goal_status_stamps (goal_id, stamp) "
                f"SELECT goal_id, random() FROM ({source}) WHERE goal_id IS NOT NULL "
                f"ON CONFLICT (goal_id) DO UPDATE SET stamp = excluded.stamp; END"
            )
    for table in EPOCH_TABLES:
        for operation in OPERATIONS:
            op.execute(
                f"CREATE TRIGGER status_stamp_{table}_{operation} AFTER {operation.upper()} ON {table} BEGIN "
                f"UPDATE status_epoch SET stamp = random() WHERE id = 1; END"
            )


# --- PostgreSQL: statement triggers with transition tables ---------------------------


def _postgresql_goal_ids(table: str, rows: str) -> str:
    column = GOAL_TABLES[table]
    if column == "follow_up_id":
        return f"SELECT f.goal_id FROM {rows} r JOIN follow_ups f ON f.id = r.follow_up_id"
    return f"SELECT {column} FROM {rows}"


def _postgresql_triggers() -> None:
    op.execute("CREATE SEQUENCE status_stamp_seq")
    upsert = (
        "INSERT INTO goal_status_stamps (goal_id, stamp) "
        "SELECT goal_id, nextval('status_stamp_seq') FROM (SELECT DISTINCT goal_id FROM ({source}) AS s(goal_id) "
        "WHERE goal_id IS NOT NULL ORDER BY goal_id) AS ids "
        "ON CONFLICT (goal_id) DO UPDATE SET stamp = excluded.stamp"
    )
    for table in GOAL_TABLES:
        on_insert = upsert.format(source=_postgresql_goal_ids(table, "new_rows"))
        on_delete = upsert.format(source=_postgresql_goal_ids(table, "old_rows"))
        on_update = upsert.format(
            source=f"{_postgresql_goal_ids(table, 'new_rows')} UNION {_postgresql_goal_ids(table, 'old_rows')}"
        )
        op.execute(
            f"""
CREATE FUNCTION status_stamp_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {on_insert};
    ELSIF TG_OP = 'UPDATE' THEN
        {on_update};
    ELSE
        {on_delete};
    END IF;
    RETURN NULL;
END $$"""
        )
        # A trigger with transition tables serves one event, so three per table.
        op.execute(
            f"CREATE TRIGGER status_stamp_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION status_stamp_{table}()"
        )
        op.execute(
            f"CREATE TRIGGER status_stamp_update AFTER UPDATE ON {table} "
            f"REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION status_stamp_{table}()"
        )
        op.execute(
            f"CREATE TRIGGER status_stamp_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION status_stamp_{table}()"
        )
    op.execute(
        """
CREATE FUNCTION status_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE status_epoch SET stamp = nextval('status_stamp_seq') WHERE id = 1;
    RETURN NULL;
END $$"""
    )
    for table in EPOCH_TABLES:
        for operation in OPERATIONS:
            op.execute(
                f"CREATE TRIGGER status_stamp_{operation} AFTER {operation.upper()} ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION status_epoch_bump()"
            )
    # TRUNCATE fires no delete trigger; it empties a table of many goals at once, so it
    # retires everything kept (SQLite has no TRUNCATE).
    for table in (*GOAL_TABLES, *EPOCH_TABLES):
        op.execute(
            f"CREATE TRIGGER status_stamp_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION status_epoch_bump()"
        )
