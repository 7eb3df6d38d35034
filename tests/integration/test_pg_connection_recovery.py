"""The bot survives a PostgreSQL restart: pooled connections the server closed are
replaced on checkout (storage.session, which checks instead of pool_pre_ping)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

import storage.session
from storage.session import create_engine, normalise_url


async def _backend_pid(engine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(text("select pg_backend_pid()"))).scalar_one()


async def _terminate(database_url: str, pid: int) -> None:
    # What a restart does to every connection: the server ends the backend.
    admin = await asyncpg.connect(database_url)
    try:
        assert await admin.fetchval("select pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


@pytest.fixture
def pg_url(backend: str, database_url: str) -> str:
    if backend != "postgres":
        pytest.skip("a PostgreSQL server's connections")
    return database_url


@pytest.mark.parametrize("ping_after_idle", [storage.session.PING_AFTER_IDLE_SECONDS, 0.0])
async def test_a_connection_the_server_ended_is_replaced_on_checkout(
    pg_url: str, ping_after_idle: float, monkeypatch
) -> None:
    monkeypatch.setattr(storage.session, "PING_AFTER_IDLE_SECONDS", ping_after_idle)
    engine = create_engine(pg_url)
    try:
        first = await _backend_pid(engine)
        await _terminate(pg_url, first)
        if ping_after_idle:
            await asyncio.sleep(0.2)  # the client sees the socket close: the free check finds it
        # else: checked out at once, possibly before the client noticed; the ping finds it

        again = await _backend_pid(engine)

        assert again != first
        assert await _backend_pid(engine) == again  # and the new connection is pooled
    finally:
        await engine.dispose()


async def test_without_the_check_the_same_turn_would_fail(pg_url: str) -> None:
    # The control: a pool that checks nothing hands out the dead connection.
    engine = create_async_engine(normalise_url(pg_url), pool_size=2)
    try:
        await _terminate(pg_url, await _backend_pid(engine))
        await asyncio.sleep(0.2)
        with pytest.raises(DBAPIError):
            await _backend_pid(engine)
    finally:
        await engine.dispose()
