"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL.

Each backend is migrated once per test session with `alembic upgrade head`
(that is the migration test) into a template; every test then gets its own copy
(a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL), so tests never
see each other's rows and never need cleaning up.

PostgreSQL is taken from MALKOLL_TEST_PG_URL (default: postgres on 127.0.0.1:5432).
Locally a missing server skips those tests; in CI (CI=true) it fails them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from storage.migrate import upgrade
from storage.session import create_engine

PG_ADMIN_URL = os.environ.get("MALKOLL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgres"]


def _pg_dsn(database: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


async def _pg_admin() -> asyncpg.Connection:
    return await asyncpg.connect(_pg_dsn("postgres"))


class _Templates:
    """Migrated template databases, made on first use and dropped at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.sqlite_template: Path | None = None
        self.pg_template: str | None = None
        self.pg_error: str | None = None
        self.created_pg: list[str] = []
        self.lock = asyncio.Lock()

    async def sqlite_url(self) -> str:
        async with self.lock:
            if self.sqlite_template is None:
                path = self.tmp / "template.db"
                engine = create_engine(f"sqlite+aiosqlite:///{path}")
                await upgrade(engine)
                await engine.dispose()
                self.sqlite_template = path
        copy = self.tmp / f"test-{uuid.uuid4().hex[:12]}.db"
        shutil.copyfile(self.sqlite_template, copy)
        return f"sqlite+aiosqlite:///{copy}"

    async def pg_url(self) -> str:
        async with self.lock:
            if self.pg_template is None and self.pg_error is None:
                name = f"malkoll_tmpl_{uuid.uuid4().hex[:10]}"
                try:
                    admin = await _pg_admin()
                except (OSError, asyncpg.PostgresError) as exc:
                    self.pg_error = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}"
                else:
                    try:
                        await admin.execute(f'CREATE DATABASE "{name}"')
                    finally:
                        await admin.close()
                    self.created_pg.append(name)
                    engine = create_engine(_pg_dsn(name))
                    await upgrade(engine)
                    await engine.dispose()
                    self.pg_template = name
        if self.pg_error:
            if os.environ.get("CI"):
                pytest.fail(self.pg_error)
            pytest.skip(self.pg_error)
        name = f"malkoll_test_{uuid.uuid4().hex[:12]}"
        admin = await _pg_admin()
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.pg_template}"')
        finally:
            await admin.close()
        self.created_pg.append(name)
        return _pg_dsn(name)

    async def release(self, url: str) -> None:
        """Drop one test's database as soon as the test is done: a full run makes about a
        thousand, and keeping them all to the end costs gigabytes of disk."""
        if url.startswith("sqlite"):
            Path(url.split("///", 1)[1]).unlink(missing_ok=True)
            return
        name = url.rsplit("/", 1)[1]
        if name in self.created_pg:
            await self._drop([name])
            self.created_pg.remove(name)

    async def drop_all(self) -> None:
        if self.created_pg:
            await self._drop(reversed(self.created_pg))  # the template last

    @staticmethod
    async def _drop(names) -> None:
        admin = await _pg_admin()
        try:
            for name in names:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
async def _templates(tmp_path_factory) -> AsyncIterator[_Templates]:
    templates = _Templates(tmp_path_factory.mktemp("db"))
    yield templates
    await templates.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    return request.param


@pytest.fixture
async def database_url(backend: str, _templates: _Templates) -> AsyncIterator[str]:
    """A fresh database at `alembic upgrade head`, on SQLite and on PostgreSQL, dropped after the test."""
    url = await (_templates.sqlite_url() if backend == "sqlite" else _templates.pg_url())
    yield url
    await _templates.release(url)


@pytest.fixture
async def engine(database_url: str):
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()
