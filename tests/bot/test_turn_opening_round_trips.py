"""A turn's opening in one round trip: the duplicate-ledger insert and the
conversation's state read (PostgreSQL: one statement; SQLite: one hand-off to the
connection's thread), and on SQLite no hand-off for a rollback with nothing to roll
back. The answers are those of the separate statements."""

from __future__ import annotations

import aiosqlite
import pytest
from sqlalchemy import text

from storage import hot_sql
from storage.bot_state import ActivityLedger, StateStore
from storage.session import make_sessionmaker


@pytest.fixture
def statements(monkeypatch) -> list[str]:
    """The statements run through storage/hot_sql.py (the turn's opening and the state read)."""
    seen: list[str] = []
    rows, write_alone, write_then_read = hot_sql.HotQuery.rows, hot_sql.HotQuery.write_alone, hot_sql.write_then_read

    async def spy_rows(self, executor, **values):
        seen.append("read")
        return await rows(self, executor, **values)

    async def spy_write_alone(self, connection, **values):
        seen.append("write")
        return await write_alone(self, connection, **values)

    async def spy_write_then_read(*args, **kwargs):
        seen.append("write+read")
        return await write_then_read(*args, **kwargs)

    monkeypatch.setattr(hot_sql.HotQuery, "rows", spy_rows)
    monkeypatch.setattr(hot_sql.HotQuery, "write_alone", spy_write_alone)
    monkeypatch.setattr("storage.bot_state.write_then_read", spy_write_then_read)
    return seen


async def test_first_delivery_reads_the_state_in_the_inserts_round_trip(engine, statements):
    sessionmaker = make_sessionmaker(engine)
    store, ledger = StateStore(sessionmaker), ActivityLedger(sessionmaker)
    etags = await store.write({"conv/1": ({"dialog": "report", "text": "åäö"}, None)})

    async with ledger.turn_connection():
        first = await ledger.first_time("act-1", channel_id="msteams", state_key="conv/1")
        state = await store.read(["conv/1"])
        again = await store.read(["conv/1"])  # the prefetched row answers once; then the database

    assert first is True
    assert state == again == {"conv/1": ({"dialog": "report", "text": "åäö"}, etags["conv/1"])}
    assert statements == ["write+read" if engine.dialect.name == "sqlite" else "write", "read"]


async def test_a_redelivery_stops_and_leaves_nothing_prefetched(engine, statements):
    sessionmaker = make_sessionmaker(engine)
    store, ledger = StateStore(sessionmaker), ActivityLedger(sessionmaker)
    await store.write({"conv/1": ({"n": 1}, None)})
    assert await ledger.first_time("act-1", channel_id="msteams") is True
    statements.clear()

    async with ledger.turn_connection():
        first = await ledger.first_time("act-1", channel_id="msteams", state_key="conv/1")
        await store.read(["conv/1"])

    assert first is False
    assert statements[-1] == "read"  # nothing was kept from the duplicate's round trip
    # the same id on another channel is another activity
    async with ledger.turn_connection():
        assert await ledger.first_time("act-1", channel_id="webchat", state_key="conv/1") is True


async def test_a_conversation_without_state_reads_as_missing(engine, statements):
    sessionmaker = make_sessionmaker(engine)
    store, ledger = StateStore(sessionmaker), ActivityLedger(sessionmaker)

    async with ledger.turn_connection():
        assert await ledger.first_time("act-9", channel_id="msteams", state_key="conv/none") is True
        assert await store.read(["conv/none"]) == {}

    assert statements.count("read") == 0
    # recorded and committed: another connection sees the delivery
    assert await ledger.first_time("act-9", channel_id="msteams") is False


async def test_the_prefetched_state_is_only_for_its_own_key_and_block(engine):
    sessionmaker = make_sessionmaker(engine)
    store, ledger = StateStore(sessionmaker), ActivityLedger(sessionmaker)
    await store.write({"conv/1": ({"n": 1}, None), "conv/2": ({"n": 2}, None)})

    async with ledger.turn_connection():
        await ledger.first_time("act-1", channel_id="msteams", state_key="conv/1")
        other = await store.read(["conv/2"])
    # a write after the block is seen by the next read (nothing cached past the block)
    await store.write({"conv/1": ({"n": 11}, None)})
    after = await store.read(["conv/1"])

    assert other["conv/2"][0] == {"n": 2}
    assert after["conv/1"][0] == {"n": 11}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sqlite_rolls_back_only_what_is_open(engine, monkeypatch):
    handoffs: list[str] = []
    execute = aiosqlite.Connection._execute  # noqa: SLF001

    async def counting(self, fn, *args, **kwargs):
        handoffs.append(getattr(fn, "__name__", repr(fn)))
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    await StateStore(make_sessionmaker(engine)).write({"conv/1": ({"n": 1}, None)})

    # A read and nothing open: no rollback goes to the thread, at the end or on check-in.
    async with engine.connect() as connection:
        await connection.execute(text("SELECT count(*) FROM bot_state"))
        await connection.rollback()
    assert "rollback" not in handoffs

    # A write left open is rolled back, as before.
    async with engine.connect() as connection:
        await connection.execute(text("UPDATE bot_state SET data = '{\"n\": 2}' WHERE key = 'conv/1'"))
        await connection.rollback()
    assert "rollback" in handoffs
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT data FROM bot_state"))).scalar_one() == '{"n":1}'
