"""`alembic upgrade head` builds exactly the schema the models describe, on both
databases: a model change without its migration fails here, not in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage import bot_tables, models  # noqa: F401  (register every table on Base.metadata)
from storage.base import Base
from storage.migrate import downgrade, upgrade


async def test_upgrade_head_matches_the_models(engine):
    def differences(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


async def test_downgrade_to_base_and_upgrade_again_round_trips(engine):
    def tables(connection):
        return set(inspect(connection).get_table_names()) - {"alembic_version"}

    await downgrade(engine, "base")
    async with engine.connect() as connection:
        assert await connection.run_sync(tables) == set()
    await upgrade(engine)
    async with engine.connect() as connection:
        assert await connection.run_sync(tables) == set(Base.metadata.tables)
