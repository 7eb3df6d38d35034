"""Engine and session factory. Nothing is created at import time: the composition
root (bot/app.py, the CLI, tests) calls these with the URL from settings."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def normalise_url(url: str) -> str:
    """Accept the URLs operators actually paste (postgres://, postgresql://,
    sqlite:///) and pick the async driver for each."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    url = normalise_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size)
    _check_on_checkout(engine)
    return engine


# A pooled PostgreSQL connection not used for this long is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0
_CHECKED_IN = "malkoll.checked_in"


def _check_on_checkout(engine: AsyncEngine) -> None:
    """Instead of `pool_pre_ping`, which on asyncpg costs three round trips (BEGIN, ";",
    ROLLBACK) on every checkout, two checkouts per "mina mål" turn. A PostgreSQL restart
    or pg_terminate_backend closes the socket, and asyncpg marks the connection closed as
    soon as the event loop sees that: checked here for free on every checkout. A peer that
    vanished without closing (a firewall dropping idle connections) is not noticed that
    way, so a connection idle longer than PING_AFTER_IDLE_SECONDS is pinged first, as
    pre-ping would. A dead connection raises DisconnectionError, on which SQLAlchemy's
    pool drops it and hands out another (a fresh one if need be)."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        driver = getattr(dbapi_connection, "driver_connection", None)
        is_closed = getattr(driver, "is_closed", None)
        if is_closed is not None and is_closed():
            raise exc.DisconnectionError("connection closed by the server")
        checked_in = record.info.get(_CHECKED_IN)
        if checked_in is not None and time.monotonic() - checked_in >= PING_AFTER_IDLE_SECONDS:
            try:
                dbapi_connection.ping()
            except Exception as error:  # the driver's own error for a dead connection
                raise exc.DisconnectionError(str(error)) from error


def _configure_sqlite(engine: AsyncEngine) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the
    # single writer (the bot answers questions while a reminder pass writes).
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every SQLite test
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    _skip_idle_rollbacks(engine)


def _skip_idle_rollbacks(engine: AsyncEngine) -> None:
    """SQLite: no thread hand-off for a rollback with nothing to roll back.

    SQLAlchemy rolls back when a session's unit of work ends and when the pool takes a
    connection back; on aiosqlite each is a hand-off to the connection's thread (three
    per "mina mål" turn, whose statements are all reads or already committed), where
    sqlite3 then does nothing unless a transaction is open (`Connection.rollback` checks
    `sqlite3_get_autocommit`). The same check is made here first, on the event loop: the
    connection is not in use by anyone else while SQLAlchemy rolls it back. With a
    transaction open, or a connection that cannot say, the rollback runs as before."""
    dialect = engine.sync_engine.dialect
    rollback = dialect.do_rollback

    def do_rollback(dbapi_connection) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        try:
            idle = driver is not None and driver.in_transaction is False
        except (ValueError, AttributeError):  # closed (aiosqlite raises ValueError) or not aiosqlite
            idle = False
        if not idle:
            rollback(dbapi_connection)

    dialect.do_rollback = do_rollback


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: domain objects are built from rows before commit,
    # and nothing may lazy-load across an await afterwards.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
