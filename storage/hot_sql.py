"""Statements on the per-turn path: built once, compiled once per dialect, run on
the session's driver connection.

Measured on the development machine (process CPU per call, one organisation-tree
CTE): building the statement and executing it through the session 1.6 ms on
SQLite / 1.3 ms on PostgreSQL; prebuilt, through the session 0.6 / 0.3 ms; this
path 0.13 / 0.11 ms. SQLAlchemy's per-execution layers (ORM session dispatch,
cache-key lookup, result metadata) and, on SQLite, aiosqlite's four thread
hand-offs per statement (cursor, execute, fetch, close; here one) are what it
saves. Everything else stays SQLAlchemy's: the SQL text and its bind order come
from the compiler, bind and result values go through the column types' own
processors (so SQLite's date strings come back as dates, as through the session),
and the statement runs on the connection (and in the transaction) of the session
it is given. Drivers other than aiosqlite and asyncpg go through the session.

`rows` is for reads: asyncpg starts SQLAlchemy's transaction on the first
statement the session itself executes, so a read here may run before it, on its
own; under READ COMMITTED that is the same (every statement takes its own
snapshot either way). `write_alone` runs one writing statement as its own
transaction, on a connection fresh from `engine.connect()` (SQLite: the driver's
implicit transaction committed at once; PostgreSQL: autocommit, one statement).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Executable


class _Compiled:
    __slots__ = ("sql", "binds", "defaults", "bind_processors", "row", "result_processors")

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.binds: tuple[str, ...] = tuple(compiled.positiontup or ())
        # literal()s and bindparams given a value when the statement was built
        self.defaults = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        self.bind_processors: dict[str, Callable] = dict(compiled._bind_processors)  # noqa: SLF001
        columns = compiled._result_columns  # noqa: SLF001 - (key, name, objects, type) per column
        self.row = namedtuple("Row", [column[0] for column in columns])  # noqa: PYI024
        self.result_processors: tuple[Callable | None, ...] = tuple(
            column[3]._cached_result_processor(dialect, None) for column in columns  # noqa: SLF001
        )

    def parameters(self, values: dict[str, Any]) -> tuple:
        merged = {**self.defaults, **values}
        processors = self.bind_processors
        return tuple(
            processors[name](merged[name]) if name in processors else merged[name] for name in self.binds
        )

    def rows(self, raw_rows) -> list:
        make, processors = self.row._make, self.result_processors
        if not any(processors):
            return [make(row) for row in raw_rows]
        return [
            make(value if process is None else process(value) for process, value in zip(processors, row, strict=True))
            for row in raw_rows
        ]


class HotQuery:
    """A prebuilt statement with named bindparams: `await query.rows(session, node_id=7)`
    gives named tuples (`row.id`, `row.name`, …), as `session.execute(...).all()` would.
    A session or a connection (`engine.connect()`) will do."""

    def __init__(self, statement: Executable) -> None:
        self._statement = statement
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    @property
    def statement(self) -> Executable:
        return self._statement

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get((dialect.name, dialect.driver))
        if compiled is None:
            compiled = self._compiled[(dialect.name, dialect.driver)] = _Compiled(self._statement, dialect)
        return compiled

    async def rows(self, executor: AsyncSession | AsyncConnection, **values: Any) -> list:
        connection = await _connection_of(executor) if isinstance(executor, AsyncSession) else executor
        dialect = connection.dialect
        if dialect.driver not in _DRIVERS:
            return list((await connection.execute(self._statement, values)).all())
        compiled = self._for(dialect)
        # the connection is checked out already, so this is attribute access
        driver = connection.sync_connection.connection.driver_connection
        if dialect.driver == "aiosqlite":
            return compiled.rows(await driver.execute_fetchall(compiled.sql, compiled.parameters(values)))
        return compiled.rows(await driver.fetch(compiled.sql, *compiled.parameters(values)))

    async def write_alone(self, connection: AsyncConnection, **values: Any) -> list:
        """Run a writing statement as a transaction of its own and return its rows
        (RETURNING). `connection` must have no transaction of SQLAlchemy's open."""
        if connection.in_transaction():
            raise RuntimeError("write_alone needs a connection without an open transaction")
        dialect = connection.dialect
        if dialect.driver not in _DRIVERS:
            async with connection.begin():
                return list((await connection.execute(self._statement, values)).all())
        compiled = self._for(dialect)
        driver = connection.sync_connection.connection.driver_connection
        if dialect.driver == "aiosqlite":
            rows = await driver.execute_fetchall(compiled.sql, compiled.parameters(values))
            await driver.commit()
            return compiled.rows(rows)
        return compiled.rows(await driver.fetch(compiled.sql, *compiled.parameters(values)))


async def write_then_read(
    connection: AsyncConnection,
    write: HotQuery,
    write_values: dict[str, Any],
    read: HotQuery,
    read_values: dict[str, Any],
) -> tuple[list, list]:
    """`write.write_alone(connection, ...)`, then, only if that returned rows (RETURNING),
    `read.rows(connection, ...)`: (the write's rows, the read's rows or []). On aiosqlite the
    three steps (the write, its commit, the read) run in one hand-off to the connection's
    thread instead of three."""
    if connection.in_transaction():
        raise RuntimeError("write_then_read needs a connection without an open transaction")
    dialect = connection.dialect
    driver = connection.sync_connection.connection.driver_connection
    if dialect.driver != "aiosqlite" or not callable(getattr(driver, "_execute", None)):
        written = await write.write_alone(connection, **write_values)
        return written, (await read.rows(connection, **read_values) if written else [])
    write_compiled, read_compiled = write._for(dialect), read._for(dialect)  # noqa: SLF001
    write_parameters, read_parameters = write_compiled.parameters(write_values), read_compiled.parameters(read_values)

    def in_thread() -> tuple[list, list]:  # on aiosqlite's thread, which owns the sqlite3 connection
        sqlite = driver._conn  # noqa: SLF001
        written = sqlite.execute(write_compiled.sql, write_parameters).fetchall()
        sqlite.commit()
        return written, (sqlite.execute(read_compiled.sql, read_parameters).fetchall() if written else [])

    # aiosqlite's own queue to its thread (what execute_fetchall and commit use)
    written, rows = await driver._execute(in_thread)  # noqa: SLF001
    return write_compiled.rows(written), read_compiled.rows(rows)


_DRIVERS = ("aiosqlite", "asyncpg")
# A unit of work that holds its own connection puts it here (storage/unit_of_work.py).
CONNECTION_KEY = _CONNECTION = "hot_sql.connection"


async def _connection_of(session: AsyncSession) -> AsyncConnection:
    """The session's connection, remembered in `session.info` while it is open:
    `session.connection()` costs a greenlet round trip per call. When the session
    ends its transaction it closes that connection, and the next call asks again."""
    connection = session.info.get(_CONNECTION)
    if connection is None or connection.sync_connection.closed:
        connection = session.info[_CONNECTION] = await session.connection()
    return connection
