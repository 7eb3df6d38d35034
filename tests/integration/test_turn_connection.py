"""A turn's opening statements (the duplicate-ledger insert and its conversation's
state read) share one pooled connection, on SQLite and PostgreSQL, and still give
the same answers as on their own."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from storage.bot_state import ActivityLedger, StateStore
from storage.session import make_sessionmaker


def _count_checkouts(engine) -> list[int]:
    checkouts: list[int] = []
    event.listen(engine.sync_engine.pool, "checkout", lambda *args: checkouts.append(1))
    return checkouts


async def test_the_insert_and_the_state_read_take_one_connection(engine):
    sessionmaker = make_sessionmaker(engine)
    store, ledger = StateStore(sessionmaker), ActivityLedger(sessionmaker)
    etags = await store.write({"conv/1": ({"dialog": "report"}, None)})
    checkouts = _count_checkouts(engine)

    async with ledger.turn_connection():
        first = await ledger.first_time("act-1", channel_id="msteams")
        state = await store.read(["conv/1"])

    assert first is True
    assert state == {"conv/1": ({"dialog": "report"}, etags["conv/1"])}
    assert len(checkouts) == 1
    # Outside the block each takes its own connection again, and a redelivery is known.
    assert await ledger.first_time("act-1", channel_id="msteams") is False
    assert await store.read(["conv/1"]) == state
    assert len(checkouts) == 3


async def test_concurrent_turns_each_get_their_own_connection(engine):
    sessionmaker = make_sessionmaker(engine)
    store, ledger = StateStore(sessionmaker), ActivityLedger(sessionmaker)
    await store.write({f"conv/{n}": ({"n": n}, None) for n in range(5)})

    async def turn(n: int) -> tuple[bool, dict]:
        async with ledger.turn_connection():
            first = await ledger.first_time(f"act-{n % 3}", channel_id="msteams")
            await asyncio.sleep(0)
            return first, await store.read([f"conv/{n}"])

    outcomes = await asyncio.gather(*(turn(n) for n in range(5)))

    assert [state[f"conv/{n}"][0] for n, (_, state) in enumerate(outcomes)] == [{"n": n} for n in range(5)]
    assert sorted(first for first, _ in outcomes) == [False, False, True, True, True]
