"""Small helpers shared by the repositories: UTC normalisation, dialect-specific
inserts, and long id lists."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Integer, String, Table, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement


def utc(value: datetime | None) -> datetime | None:
    """Aware UTC. SQLite hands back naive datetimes (we always store UTC), and a
    naive value from a caller is taken to be UTC too."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def insert_ignoring_duplicates(session: AsyncSession, table: Table, *conflict_columns: str):
    """INSERT … ON CONFLICT (cols) DO NOTHING. Unlike catching IntegrityError this
    does not abort a PostgreSQL transaction, and it needs no SAVEPOINT (which the
    pysqlite driver handles badly)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))


def one_of(session: AsyncSession, column: ColumnElement, ids: Sequence[int]) -> ColumnElement[bool]:
    """`column IN ids` with the whole list bound as ONE parameter (a PostgreSQL
    array, a JSON text on SQLite): no variable limit to chunk around, and the SQL
    text does not change with the list's length, so the compiled statement and
    asyncpg's prepared statement are reused on every call."""
    values = [int(value) for value in ids]
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(Integer)))
    listed = func.json_each(bindparam(None, json.dumps(values), type_=String)).table_valued("value")
    return column.in_(select(listed.c.value))
