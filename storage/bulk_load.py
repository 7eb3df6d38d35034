"""Fast bulk inserts for the large-city generator (bot/demo/generator.py) only.

The generator writes hundreds of thousands of rows; going through the
repositories (one INSERT … RETURNING per goal) would take hours. Here rows are
plain dicts inserted in batches with the driver's own `executemany`, with ids
assigned by the caller from `next_ids`, so children can point at parents without
reading ids back. The values are adapted here once per column type, as
SQLAlchemy would store them (which would otherwise cost more than the database
does: its per-row parameter processing is most of a Core executemany). Afterwards `sync_sequences` moves PostgreSQL's id sequences past the
explicit ids (SQLite's AUTOINCREMENT counter follows explicit ids by itself).

Nothing here knows about goals: the caller is responsible for consistent rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Base

BATCH_SIZE = 5_000


def table(name: str) -> Table:
    return Base.metadata.tables[name]


async def next_ids(connection: AsyncConnection, names: Iterable[str]) -> dict[str, int]:
    """The first free id of each named table (max(id) + 1)."""
    result = {}
    for name in names:
        current = (await connection.execute(select(func.coalesce(func.max(table(name).c.id), 0)))).scalar_one()
        result[name] = int(current) + 1
    return result


async def insert_rows(connection: AsyncConnection, name: str, rows: Sequence[dict], *, batch_size: int = BATCH_SIZE) -> int:
    """INSERT the rows (all with the same keys); returns how many. PostgreSQL gets
    one COPY (its bulk path, several times faster than executemany), SQLite a
    driver executemany per batch."""
    if not rows:
        return 0
    target = table(name)
    columns = [target.c[key].name for key in rows[0]]  # KeyError for a column the table lacks
    dialect = connection.dialect.name
    adapters = [_adapter(target.c[column].type, dialect) for column in columns]

    def records(chunk: Sequence[dict]) -> list[tuple]:
        return [
            tuple(adapt(row[column]) if adapt else row[column] for column, adapt in zip(columns, adapters, strict=True))
            for row in chunk
        ]

    if dialect == "postgresql":
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(target.name, records=records(rows), columns=columns)
        return len(rows)
    names = ", ".join(f'"{column}"' for column in columns)
    statement = f'INSERT INTO "{target.name}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
    for start in range(0, len(rows), batch_size):
        await connection.exec_driver_sql(statement, records(rows[start : start + batch_size]))
    return len(rows)


def _adapter(column_type, dialect: str) -> Callable[[Any], Any] | None:
    """How SQLAlchemy would hand a value of this column type to the driver."""
    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json.dumps(value)
    if dialect != "sqlite":
        return None  # asyncpg takes dates, datetimes and booleans as they are
    if isinstance(column_type, DateTime):
        return _sqlite_datetime
    if isinstance(column_type, Date):
        return lambda value: None if value is None else value.isoformat()
    if isinstance(column_type, Boolean):
        return lambda value: None if value is None else int(value)
    return None


def _sqlite_datetime(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite storage format; aware values are stored as UTC, like the repositories do.
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")




async def sync_sequences(connection: AsyncConnection, names: Iterable[str]) -> None:
    """After explicit ids on PostgreSQL, let the next default id follow max(id)."""
    if connection.dialect.name != "postgresql":
        return
    for name in names:
        known = table(name).name  # only our own tables, never caller text, reach the SQL
        await connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{known}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {known}), false)")
        )


async def analyze(connection: AsyncConnection, names: Iterable[str]) -> None:
    """Refresh the planner's statistics after a bulk load: on a freshly filled
    database both planners otherwise guess row counts and pick scans over indexes."""
    for name in names:
        await connection.exec_driver_sql(f'ANALYZE "{table(name).name}"')
