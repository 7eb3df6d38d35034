"""The SQL unit of work: one session, one transaction, per `async with`.

    uow = uow_factory(sessionmaker)()
    async with uow:
        goal = await uow.goals.get(7)
        await uow.audit.add(...)
        await uow.commit()

Leaving the block without `commit()` (or by an exception) rolls back, so a change
and its audit row are stored together or not at all.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from goals.ports import UnitOfWork
from goals.status_memo import StatusMemo
from storage.hot_sql import CONNECTION_KEY
from storage.repositories import (
    SqlAuditLog,
    SqlFollowUpRepository,
    SqlGoalRepository,
    SqlOrgRepository,
    SqlOutbox,
    SqlOverviewReader,
    SqlPersonRepository,
    SqlPeriodRepository,
    SqlStatusReader,
)


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], memo: StatusMemo | None = None) -> None:
        self._sessionmaker = sessionmaker
        self._session: AsyncSession | None = None
        self._connection: AsyncConnection | None = None
        self._memo = memo

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use; take a new one from the factory")
        engine = self._sessionmaker.kw.get("bind")
        if isinstance(engine, AsyncEngine):
            # One pooled connection for the whole unit of work, taken here: the session
            # runs its transaction on it, and the prebuilt reads (storage/hot_sql.py) find
            # it in `session.info` instead of asking the session for a connection (a
            # greenlet round trip and the session's transaction bookkeeping, ≈0.1 ms of
            # CPU on every "mina mål", which reads through them only).
            # control_fully: should anything have begun a transaction on the connection
            # before the session's first statement, the session takes it over and commits
            # it with `commit()` (the default would only ever roll it back).
            self._connection = await engine.connect()
            session = self._sessionmaker(bind=self._connection, join_transaction_mode="control_fully")
            session.info[CONNECTION_KEY] = self._connection
        else:
            self._connection = None
            session = self._sessionmaker()
        self._session = session
        self.orgs = SqlOrgRepository(session)
        self.people = SqlPersonRepository(session)
        self.goals = SqlGoalRepository(session)
        self.periods = SqlPeriodRepository(session)
        self.follow_ups = SqlFollowUpRepository(session)
        self.status = SqlStatusReader(session, self._memo)
        self.overview = SqlOverviewReader(session)
        self.audit = SqlAuditLog(session)
        self.outbox = SqlOutbox(session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        session, self._session = self._session, None
        connection, self._connection = self._connection, None
        if session is None:
            return
        try:
            await session.rollback()
        finally:
            try:
                await session.close()
            finally:
                if connection is not None:
                    await connection.close()

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


def uow_factory(sessionmaker: async_sessionmaker[AsyncSession]) -> Callable[[], SqlUnitOfWork]:
    """What services and the bot are given: each call is a fresh unit of work. Every
    factory on one engine shares that engine's status memo."""
    memo = status_memo_of(sessionmaker)

    def make() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessionmaker, memo)

    return make


# One status memo per engine (i.e. per database and process), dropped with the engine.
_MEMOS: weakref.WeakKeyDictionary[AsyncEngine, StatusMemo] = weakref.WeakKeyDictionary()


def status_memo_of(sessionmaker: async_sessionmaker[AsyncSession]) -> StatusMemo | None:
    engine = sessionmaker.kw.get("bind")
    if not isinstance(engine, AsyncEngine):
        return None  # no single database to keep statuses for
    memo = _MEMOS.get(engine)
    if memo is None:
        memo = _MEMOS[engine] = StatusMemo()
    return memo
