"""The bot's key/value state with e-tag optimistic concurrency, and the ledger of
activities already processed.

Both are written for several bot processes on one database: every check-and-write
is a single conditional statement, never a read followed by a write."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, literal, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from goals.errors import ConcurrencyConflict
from storage.bot_tables import BotStateRow, ProcessedActivityRow
from storage.hot_sql import HotQuery, write_then_read

UNCONDITIONAL = "*"
# Core tables, not the mapped classes: statements on these skip the ORM's
# bulk-persistence and entity-loading layers, which cost CPU on every turn.
_STATE = BotStateRow.__table__
_LEDGER = ProcessedActivityRow.__table__


class BotStateConflict(ConcurrencyConflict):
    """A conditional state write lost to another writer (another turn or bot
    instance saved the item since it was read). Its own class, so the bot can tell
    it from a conflict on a follow-up, which the dialogs handle themselves."""


# Every turn reads its conversation's state and records its activity id: those two
# run as prebuilt statements on a bare pooled connection (storage/hot_sql.py), not
# through an ORM session (≈1.5 ms CPU each before, ≈0.4 ms now on SQLite).


@functools.cache
def _read_one() -> HotQuery:
    return HotQuery(select(_STATE.c.key, _STATE.c.data, _STATE.c.etag).where(_STATE.c.key == bindparam("key")))


@functools.cache
def _record_activity(dialect: str) -> HotQuery:
    if dialect != "postgresql":
        insert = sqlite.insert(_LEDGER).values(
            channel_id=bindparam("channel_id"), activity_id=bindparam("activity_id"), received_at=bindparam("received_at")
        )
    else:
        # The row is committed asynchronously (set_config(..., true) is SET LOCAL for the
        # statement's own transaction): the commit does not wait for the WAL to reach the
        # disk (≈0.2 ms, one fsync per message; the WAL writer flushes within a fraction of
        # a second). What that can lose, and only on a crash of the database server: the
        # rows of turns that committed just before and wrote nothing after. A turn that
        # writes anything (its dialog state, a follow-up, an audit row) commits that
        # synchronously, and a synchronous commit flushes all WAL before it, this row
        # included. So a lost row can only make a retried delivery of a turn that changed
        # nothing run again: a question answered twice. PostgreSQL never applies a lost
        # transaction in part, and the statement stays one round trip.
        columns = _LEDGER.c
        values = select(
            bindparam("channel_id", type_=columns.channel_id.type),
            bindparam("activity_id", type_=columns.activity_id.type),
            bindparam("received_at", type_=columns.received_at.type),
        ).where(func.set_config("synchronous_commit", "off", True).is_not(None))
        insert = postgresql.insert(_LEDGER).from_select(["channel_id", "activity_id", "received_at"], values)
    return HotQuery(
        insert.on_conflict_do_nothing(index_elements=[_LEDGER.c.channel_id, _LEDGER.c.activity_id]).returning(
            literal(1).label("inserted")
        )
    )


@functools.cache
def _record_activity_and_read_state() -> HotQuery:
    """PostgreSQL: the ledger insert and the conversation's state read as one statement
    (one round trip): the insert in a data-modifying CTE, committed with the statement
    as the insert alone was; `inserted` is 1 the first time, else 0. The state row is
    read in the statement's snapshot, taken after this process's previous turn of the
    conversation saved (bot/turn_order.py), as the separate read after the insert was."""
    recorded = _record_activity("postgresql").statement.cte("recorded")
    state = select(_STATE.c.data, _STATE.c.etag).where(_STATE.c.key == bindparam("key")).subquery("state")
    one = select(literal(1).label("one")).subquery("one")
    return HotQuery(
        select(select(func.count()).select_from(recorded).scalar_subquery().label("inserted"), state.c.data, state.c.etag)
        .select_from(one.outerjoin(state, true()))
    )


class _TurnConnection:
    """The connection a turn's opening statements share (see `ActivityLedger.turn_connection`),
    and the conversation state read together with the ledger insert, until it is asked for."""

    __slots__ = ("engine", "connection", "prefetched")

    def __init__(self, engine: AsyncEngine, connection: AsyncConnection) -> None:
        self.engine = engine
        self.connection = connection
        self.prefetched: dict[str, list[tuple[str, str, str]]] = {}


# Set only around sequential awaits, never across tasks that could run side by side.
_TURN_CONNECTION: ContextVar[_TurnConnection | None] = ContextVar("bot_state_turn_connection", default=None)


def _turn(engine: AsyncEngine | None) -> _TurnConnection | None:
    shared = _TURN_CONNECTION.get()
    return shared if shared is not None and engine is not None and shared.engine is engine else None


def _engine_of(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncEngine | None:
    bind = sessionmaker.kw.get("bind")
    return bind if isinstance(bind, AsyncEngine) else None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _new_etag() -> str:
    return uuid.uuid4().hex


def dialect_insert(session: AsyncSession, table: Any):
    """`INSERT` with ON CONFLICT support for the session's database."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for database dialect {name!r}")


class StateStore:
    """Store items as JSON-able dicts under string keys, each with an e-tag that
    changes on every write."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._engine = _engine_of(sessionmaker)

    async def read(self, keys: Iterable[str]) -> dict[str, tuple[dict, str]]:
        """key -> (data, etag) for the keys that exist; missing keys are absent."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        if len(wanted) == 1 and self._engine is not None:  # a turn's conversation state
            if (turn := _turn(self._engine)) is not None:
                rows = turn.prefetched.pop(wanted[0], None)
                if rows is None:
                    rows = await _read_one().rows(turn.connection, key=wanted[0])
            else:
                async with self._engine.connect() as connection:
                    rows = await _read_one().rows(connection, key=wanted[0])
            return {key: (json.loads(data), etag) for key, data, etag in rows}
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(_STATE.c.key, _STATE.c.data, _STATE.c.etag).where(_STATE.c.key.in_(wanted))
            )
            return {key: (json.loads(data), etag) for key, data, etag in rows}

    async def write(self, changes: dict[str, tuple[dict, str | None]]) -> dict[str, str]:
        """Write every change in one transaction and return the new e-tags.

        An e-tag of None or "*" overwrites whatever is stored. Any other e-tag must
        match the stored one, else ConcurrencyConflict and nothing of the batch is
        written. As in botbuilder's MemoryStorage and Cosmos DB storage, a
        conditional write of a key that does not exist creates it."""
        if not changes:
            return {}
        for key, (_, etag) in changes.items():
            if etag == "":
                raise ValueError(f"bot state {key!r}: empty e-tag (use None or '*' for an unconditional write)")
        now = _utcnow()
        new_etags: dict[str, str] = {}
        async with self._sessionmaker() as session, session.begin():
            for key, (data, etag) in changes.items():
                new_etag = _new_etag()
                text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
                if etag is None or etag == UNCONDITIONAL:
                    await self._upsert(session, key=key, text=text, new_etag=new_etag, now=now)
                else:
                    await self._conditional(session, key=key, text=text, etag=etag, new_etag=new_etag, now=now)
                new_etags[key] = new_etag
        return new_etags

    async def delete(self, keys: Iterable[str]) -> None:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return
        async with self._sessionmaker() as session, session.begin():
            await session.execute(delete(_STATE).where(_STATE.c.key.in_(wanted)))

    @staticmethod
    async def _upsert(session: AsyncSession, *, key: str, text: str, new_etag: str, now: datetime) -> None:
        insert = dialect_insert(session, _STATE).values(key=key, etag=new_etag, data=text, updated_at=now)
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=[_STATE.c.key],
                set_={"etag": insert.excluded.etag, "data": insert.excluded.data, "updated_at": insert.excluded.updated_at},
            )
        )

    @staticmethod
    async def _conditional(
        session: AsyncSession, *, key: str, text: str, etag: str, new_etag: str, now: datetime
    ) -> None:
        updated = await session.execute(
            update(_STATE)
            .where(_STATE.c.key == key, _STATE.c.etag == etag)
            .values(etag=new_etag, data=text, updated_at=now)
        )
        if updated.rowcount == 1:
            return
        # Nothing matched: either the key is gone (create it) or another writer
        # changed it since it was read. The insert decides which, atomically.
        inserted = await session.execute(
            dialect_insert(session, _STATE)
            .values(key=key, etag=new_etag, data=text, updated_at=now)
            .on_conflict_do_nothing(index_elements=[_STATE.c.key])
        )
        if inserted.rowcount != 1:
            raise BotStateConflict(message=f"bot state {key!r} was changed by another turn since it was read")


class ActivityLedger:
    """Remembers which activities were processed, so a redelivery is recognised."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._engine = _engine_of(sessionmaker)

    @asynccontextmanager
    async def turn_connection(self) -> AsyncIterator[None]:
        """Inside this block, the ledger's insert and a single-key state read (a turn's
        conversation state, `StateStore.read`) on the same engine share one pooled
        connection: one checkout (on PostgreSQL also one pre-ping round trip) instead
        of two. Use it for sequential awaits only; statements outside these two take
        their own connections as before."""
        if self._engine is None or self._engine.dialect.name not in ("sqlite", "postgresql") or _TURN_CONNECTION.get():
            yield
            return
        async with self._engine.connect() as connection:
            token = _TURN_CONNECTION.set(_TurnConnection(self._engine, connection))
            try:
                yield
            finally:
                _TURN_CONNECTION.reset(token)

    async def first_time(self, activity_id: str, *, channel_id: str, state_key: str | None = None) -> bool:
        """True the first time an activity id is seen on a channel, False for every
        later delivery, also when two deliveries race each other.

        Inside `turn_connection`, `state_key` (the conversation's state) is read in the
        same round trip the first time (PostgreSQL: one statement; SQLite: one hand-off
        to the connection's thread, the insert committed before the read), and the
        block's `StateStore.read` of that key is answered from it, once."""
        if self._engine is not None and self._engine.dialect.name in ("sqlite", "postgresql"):
            values = {"channel_id": channel_id, "activity_id": activity_id, "received_at": _utcnow()}
            insert = _record_activity(self._engine.dialect.name)
            if (turn := _turn(self._engine)) is not None:
                if state_key is None:
                    return len(await insert.write_alone(turn.connection, **values)) == 1
                if self._engine.dialect.name == "postgresql":
                    rows = await _record_activity_and_read_state().write_alone(turn.connection, key=state_key, **values)
                    first = rows[0].inserted == 1
                    state = [(state_key, row.data, row.etag) for row in rows if row.etag is not None]
                else:
                    inserted, state = await write_then_read(
                        turn.connection, insert, values, _read_one(), {"key": state_key}
                    )
                    first = len(inserted) == 1
                if first:
                    turn.prefetched[state_key] = state
                return first
            async with self._engine.connect() as connection:
                inserted = await insert.write_alone(connection, **values)
            return len(inserted) == 1
        async with self._sessionmaker() as session, session.begin():
            inserted = await session.execute(
                dialect_insert(session, _LEDGER)
                .values(channel_id=channel_id, activity_id=activity_id, received_at=_utcnow())
                .on_conflict_do_nothing(index_elements=[_LEDGER.c.channel_id, _LEDGER.c.activity_id])
            )
            return inserted.rowcount == 1

    async def prune(self, *, older_than: datetime) -> int:
        """Forget activities received before `older_than` (Teams only redelivers
        within minutes); returns how many were removed."""
        async with self._sessionmaker() as session, session.begin():
            removed = await session.execute(
                delete(_LEDGER).where(_LEDGER.c.received_at < older_than)
            )
            return removed.rowcount
