"""Fast bulk inserts for the large-city generator (bot/demo/generator.py) only.

The generator writes hundreds of thousands of rows; going through the
repositories (one INSERT … RETURNING per goal) would take hours. Here rows are
plain dicts inserted with Core `executemany` in batches, with ids assigned by the
caller from `next_ids`, so children can point at parents without reading ids
back. Afterwards `sync_sequences` moves PostgreSQL's id sequences past the
explicit ids (SQLite's AUTOINCREMENT counter follows explicit ids by itself).

Nothing here knows about goals: the caller is responsible for consistent rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, func, select, text
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
    """INSERT the rows (all with the same keys) in batches; returns how many."""
    target = table(name)
    for start in range(0, len(rows), batch_size):
        await connection.execute(target.insert(), list(rows[start : start + batch_size]))
    return len(rows)


async def sync_sequences(connection: AsyncConnection, names: Iterable[str]) -> None:
    """After explicit ids on PostgreSQL, let the next default id follow max(id)."""
    if connection.dialect.name != "postgresql":
        return
    for name in names:
        known = table(name).name  # only our own tables, never caller text, reach the SQL
        await connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{known}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {known}), false)")
        )
