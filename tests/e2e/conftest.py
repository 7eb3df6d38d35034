"""The real app over real HTTP: create_app on a free loopback port, a fake Bot
Connector beside it, and a per-test database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.app import create_app
from bot.config import Settings
from bot.logging_setup import configure_logging
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory
from tests.support.fake_connector import FakeConnector, Recorded
from tests.support.org import DemoOrg, build_demo_org


def settings_for(url: str, **overrides: Any) -> Settings:
    # _env_file=None: a developer's .env must not change what the tests see.
    overrides.setdefault("database_url", SecretStr(url))
    return Settings(_env_file=None, **overrides)


@dataclass
class RunningBot:
    """One running app; `restart()` tears it down and starts a new one on the same DB."""

    settings: Settings
    connector: FakeConnector
    http: aiohttp.ClientSession
    runner: web.AppRunner | None = None
    url: str = ""
    history: list[int] = field(default_factory=list)

    async def start(self) -> None:
        self.runner = web.AppRunner(create_app(self.settings), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the bound free port
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def post(self, activity: dict[str, Any], *, headers: dict[str, str] | None = None) -> int:
        async with self.http.post(f"{self.url}/api/messages", json=activity, headers=headers) as response:
            await response.read()
            return response.status

    async def say(self, activity: dict[str, Any]) -> list[Recorded]:
        """Post an activity and return what the bot sent to the connector in that turn."""
        before = len(self.connector.activities)
        status = await self.post(activity)
        assert status in (200, 201), status
        return self.connector.activities[before:]

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(f"{self.url}{path}") as response:
            return response.status, await response.json()


@pytest.fixture(scope="session", autouse=True)
def _structured_logging() -> None:
    # As `malkoll serve` does, so log lines reach the standard logging (and caplog).
    configure_logging("INFO")


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def demo_org(engine) -> DemoOrg:
    return await build_demo_org(make_uow_factory(make_sessionmaker(engine)), year=dt.date.today().year)


@pytest.fixture
async def start_bot(database_url, connector, http) -> AsyncIterator[Callable[..., Awaitable[RunningBot]]]:
    started: list[RunningBot] = []

    async def start(**overrides: Any) -> RunningBot:
        running = RunningBot(settings_for(database_url, **overrides), connector, http)
        await running.start()
        started.append(running)
        return running

    yield start
    for running in started:
        await running.stop()


@pytest.fixture
async def bot(start_bot, demo_org) -> RunningBot:
    return await start_bot()
