"""PostgreSQL: the duplicate ledger's insert commits without waiting for the WAL
flush (storage/bot_state.py says why that is safe), and only that insert: the pooled
connection it ran on commits everything after it synchronously again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from storage.bot_state import ActivityLedger
from storage.session import make_sessionmaker


@pytest.fixture
def pg_engine(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's synchronous_commit")
    return engine


async def _wal_syncs(engine) -> int:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        return (await connection.execute(text("SELECT wal_sync FROM pg_stat_wal"))).scalar_one()


async def _syncs_of(engine, work) -> int:
    """WAL flushes while `work(driver)` runs on one pooled connection's asyncpg driver."""
    before = await _wal_syncs(engine)
    async with engine.connect() as connection:
        driver = connection.sync_connection.connection.driver_connection
        await work(connection, driver)
        # a backend reports its WAL counters when it goes idle, at most once a second unless told
        await driver.execute("SELECT pg_stat_force_next_flush()")
    await asyncio.sleep(0.1)
    return await _wal_syncs(engine) - before


async def test_ledger_inserts_do_not_wait_for_a_wal_flush_each(pg_engine):
    ledger = ActivityLedger(make_sessionmaker(pg_engine))

    async def synchronous(connection, driver):
        for n in range(40):
            await driver.execute(
                "INSERT INTO processed_activities (channel_id, activity_id, received_at) VALUES ('msteams', $1, now())",
                f"plain-{n}",
            )

    async def through_the_ledger(connection, driver):
        from storage.bot_state import _record_activity

        for n in range(40):
            rows = await _record_activity("postgresql").write_alone(
                connection, channel_id="msteams", activity_id=f"act-{n}", received_at=datetime.now(UTC)
            )
            assert len(rows) == 1
        assert await ledger.first_time("act-0", channel_id="msteams") is False  # recorded all the same

    # the measurement sees synchronous commits: one flush each
    assert await _syncs_of(pg_engine, synchronous) >= 40
    # 40 asynchronous ones: the WAL writer's own flushes only, a few in this fraction of a second
    assert await _syncs_of(pg_engine, through_the_ledger) < 20


async def test_the_connection_commits_synchronously_after_the_ledger_insert(pg_engine):
    sessionmaker = make_sessionmaker(pg_engine)
    ledger = ActivityLedger(sessionmaker)
    async with ledger.turn_connection():
        assert await ledger.first_time("act-x", channel_id="msteams") is True
        from storage.bot_state import _turn

        connection = _turn(pg_engine).connection
        driver = connection.sync_connection.connection.driver_connection
        assert await driver.fetchval("SHOW synchronous_commit") == "on"
    # and a pooled connection handed out next has the server's setting too
    async with pg_engine.connect() as connection:
        assert (await connection.execute(text("SHOW synchronous_commit"))).scalar_one() == "on"
