"""Turn benchmark: Målkoll's database-backed turn against a stock botbuilder echo bot.

Three server processes (Målkoll on a migrated SQLite file with a demo-like
organisation, the echo bot of bench/echo_bot.py, and a fake Bot Connector that
both reply to); this process is the load generator. For 1 and 50 concurrent
users (demo people, each its own Teams user and conversation) it posts "mina mål"
over HTTP for a fixed time; a turn ends when the bot answered the HTTP request,
which it does after its reply reached the connector. Målkoll answers with the
overview card of the person's goals, read from the database.

    .venv/bin/python bench/turns.py [--seconds 8] [--users 1,50] [--profile malkoll.prof] [--cpu-turns 300]

Reports turns/s, p50 and p99 per bot and the throughput ratio (target ≥ 3×), then
the CPU time each bot process spends per turn (sequential single-user turns, the
bots alternating in rounds; all threads of the process, from /proc), which moves
much less with the machine's load than the throughput does.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from tests.support.activities import message  # noqa: E402
from tests.support.activities import demo_user  # noqa: E402

TEXT = "mina mål"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_people(count: int) -> list[str]:
    """Person 01 (the Playground's user), then the benchmark's managers 11, 12, …"""
    return [demo_user(1)] + [demo_user(11 + i) for i in range(count - 1)]


# --- server processes ------------------------------------------------------------


async def _prepare_database(path: Path, users: int, postgres: str | None = None) -> str:
    """A migrated database with the demo-like organisation: a SQLite file at `path`,
    or a new database on the PostgreSQL server of the admin URL `postgres`."""
    from storage.migrate import upgrade
    from storage.session import create_engine, make_sessionmaker
    from storage.unit_of_work import uow_factory
    from tests.support.org import build_demo_org

    if postgres:
        url = await _create_pg_database(postgres)
    else:
        url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    await upgrade(engine)
    await build_demo_org(uow_factory(make_sessionmaker(engine)), year=dt.date.today().year, extra_managers=users - 1)
    await engine.dispose()
    return url


async def _create_pg_database(admin_url: str) -> str:
    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"malkoll_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def _drop_pg_database(admin_url: str, database_url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)')
    finally:
        await admin.close()


def _serve_connector(port: int) -> None:
    from tests.support.fake_connector import FakeConnector

    async def run() -> None:
        async with FakeConnector(port=port, record=False):
            await asyncio.Event().wait()

    asyncio.run(run())


def _serve_malkoll(port: int, database_url: str, profile: str | None) -> None:
    from pydantic import SecretStr

    from bot.app import serve
    from bot.config import Settings

    settings = Settings(_env_file=None, database_url=SecretStr(database_url), log_level="WARNING")
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    asyncio.run(serve(settings, host="127.0.0.1", port=port))  # returns on SIGTERM
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT)


async def _wait_until_up(session: aiohttp.ClientSession, url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            async with session.get(url) as response:
                await response.read()
                return
        except aiohttp.ClientError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


# --- load --------------------------------------------------------------------------


@dataclass
class Result:
    bot: str
    users: int
    turns: int
    seconds: float
    latencies: list[float]
    errors: int

    def plus(self, other: Result) -> Result:
        return Result(
            bot=self.bot, users=self.users, turns=self.turns + other.turns, seconds=self.seconds + other.seconds,
            latencies=self.latencies + other.latencies, errors=self.errors + other.errors,
        )

    @property
    def rate(self) -> float:
        return self.turns / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.bot:15} users={self.users:3}  {self.rate:8.1f} turns/s   p50 {self.percentile(0.5):7.1f} ms"
            f"   p99 {self.percentile(0.99):7.1f} ms   turns {self.turns}  errors {self.errors}"
        )


async def run_load(
    session: aiohttp.ClientSession,
    *,
    bot: str,
    url: str,
    connector_url: str,
    users: list[str],
    seconds: float,
    text: str = TEXT,
    warm_up: float = 1.0,
) -> Result:
    latencies: list[float] = []
    errors = 0

    async def user(aad: str, deadline: float) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            activity = message(text, service_url=connector_url, user=aad, activity_id=uuid.uuid4().hex)
            body = json.dumps(activity)
            started = time.perf_counter()
            async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
                await response.read()
                ok = response.status in (200, 201)
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    # Warm-up: caches, connection pools, SQLite pages.
    if warm_up > 0:
        await asyncio.gather(*(user(aad, time.perf_counter() + warm_up) for aad in users))
    latencies.clear()
    started = time.perf_counter()
    await asyncio.gather(*(user(aad, started + seconds) for aad in users))
    elapsed = time.perf_counter() - started
    return Result(bot=bot, users=len(users), turns=len(latencies), seconds=elapsed, latencies=latencies, errors=errors)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads (also finished ones), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cpu_per_turn(
    session: aiohttp.ClientSession,
    *,
    rows: list[tuple[str, str, str]],
    targets: dict[str, str],
    pids: dict[str, int],
    connector_url: str,
    turns: int,
    rounds: int = 3,
) -> dict[str, tuple[float, float]]:
    """Milliseconds of CPU per sequential single-user turn, per row: (the bot process,
    the harness: fake connector + this load generator). The rows alternate in
    `rounds` rounds (so a change of machine load hits all alike); the median round
    counts."""
    per_round = max(1, turns // rounds)
    samples: dict[str, list[tuple[float, float]]] = {bot: [] for bot, _, _ in rows}
    aad = demo_user(1)
    for _ in range(rounds):
        for bot, target, text in rows:
            before = process_cpu_seconds(pids[target])
            harness_before = process_cpu_seconds(pids["connector"]) + time.process_time()
            for _ in range(per_round):
                activity = message(text, service_url=connector_url, user=aad, activity_id=uuid.uuid4().hex)
                async with session.post(targets[target], json=activity) as response:
                    await response.read()
                    assert response.status in (200, 201), (bot, response.status)
            bot_ms = (process_cpu_seconds(pids[target]) - before) * 1000 / per_round
            harness_ms = (process_cpu_seconds(pids["connector"]) + time.process_time() - harness_before) * 1000 / per_round
            samples[bot].append((bot_ms, harness_ms))
    return {bot: sorted(values)[len(values) // 2] for bot, values in samples.items()}


ROWS = (
    # "malkoll": the measured turn, the overview from the database.
    # "malkoll-help": the same runtime answering "hjälp" from the catalog
    # (duplicate guard and dialog state still in the database), to tell the
    # runtime's cost from the overview's queries.
    ("malkoll", "malkoll", TEXT),
    ("echo", "echo", TEXT),
    ("malkoll-help", "malkoll", "hjälp"),
)


async def main_async(args: argparse.Namespace) -> list[Result]:
    user_counts = [int(n) for n in args.users.split(",")]
    with tempfile.TemporaryDirectory(prefix="malkoll-bench-") as tmp:
        database_url = await _prepare_database(Path(tmp) / "bench.db", max(user_counts), args.postgres)
        ports = {"connector": free_port(), "malkoll": free_port(), "echo": free_port()}
        processes = [
            _spawn(__file__, "_connector", str(ports["connector"])),
            _spawn(__file__, "_malkoll", str(ports["malkoll"]), database_url, args.profile or ""),
            _spawn("bench/echo_bot.py", "--port", str(ports["echo"])),
        ]
        connector_url = f"http://127.0.0.1:{ports['connector']}/"
        targets = {
            "malkoll": f"http://127.0.0.1:{ports['malkoll']}/api/messages",
            "echo": f"http://127.0.0.1:{ports['echo']}/api/messages",
        }
        results: list[Result] = []
        try:
            connector = aiohttp.TCPConnector(limit=max(user_counts) + 10)
            async with aiohttp.ClientSession(connector=connector) as session:
                await _wait_until_up(session, f"{connector_url}_stats")
                await _wait_until_up(session, f"http://127.0.0.1:{ports['malkoll']}/healthz")
                await _wait_until_up(session, targets["echo"].replace("/api/messages", "/"))
                await _check_answers(session, targets, connector_url)
                rows = [row for row in ROWS if row[0] in args.bots.split(",")]
                for users in user_counts if args.seconds > 0 else ():
                    # The rows take turns in slices of about --slice-seconds, so a change in
                    # the machine's load (other people's test runs) hits every row alike.
                    # A slice stays long against the 50-user latency (≈1 s): each slice
                    # ends by waiting for the turns in flight.
                    slices = max(1, round(args.seconds / args.slice_seconds))
                    merged: dict[str, Result] = {}
                    for slice_number in range(slices):
                        for bot, target, text in rows:
                            part = await run_load(
                                session, bot=bot, url=targets[target], connector_url=connector_url,
                                users=demo_people(users), seconds=args.seconds / slices, text=text,
                                warm_up=1.0 if slice_number == 0 else 0.0,
                            )
                            merged[bot] = part if bot not in merged else merged[bot].plus(part)
                    for result in merged.values():
                        print(result.line(), flush=True)
                        results.append(result)
                if args.cpu_turns:
                    pids = {"connector": processes[0].pid, "malkoll": processes[1].pid, "echo": processes[2].pid}
                    cpu = await cpu_per_turn(
                        session, rows=rows, targets=targets, pids=pids,
                        connector_url=connector_url, turns=args.cpu_turns,
                    )
                    for bot, (ms, harness_ms) in cpu.items():
                        print(f"{bot:15} CPU per turn: bot process {ms:6.1f} ms, harness (connector + load) {harness_ms:5.1f} ms", flush=True)
                async with session.get(f"{connector_url}_stats") as response:
                    stats = await response.json()
                print(f"connector received {stats['received']} replies", flush=True)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=10)
            if args.postgres:
                await _drop_pg_database(args.postgres, database_url)
    return results


async def _check_answers(session: aiohttp.ClientSession, targets: dict[str, str], connector_url: str) -> None:
    """Before measuring: Målkoll answers with the overview card, the echo bot echoes."""
    for bot, expected in (("malkoll", "Alla barn utvecklar sitt språk"), ("echo", f"Echo: {TEXT}")):
        activity = message(TEXT, service_url=connector_url, user=demo_user(1), activity_id=uuid.uuid4().hex)
        async with session.post(targets[bot], json=activity) as response:
            assert response.status in (200, 201), (bot, response.status)
        async with session.get(f"{connector_url}_stats") as response:
            last = (await response.json())["last"] or ""
        assert expected in last, f"{bot} answered {last[:200]!r}"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_connector":
        _serve_connector(int(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_malkoll":
        _serve_malkoll(int(sys.argv[2]), sys.argv[3], sys.argv[4] or None)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="measured time per bot and user count (0: throughput not measured)")
    parser.add_argument("--users", default="1,50", help="concurrent users, comma-separated")
    parser.add_argument("--slice-seconds", type=float, default=5.0, help="the rows alternate in slices of about this long")
    parser.add_argument("--cpu-turns", type=int, default=300, help="sequential turns per bot for CPU per turn (0: skip)")
    parser.add_argument("--bots", default="malkoll,echo,malkoll-help", help="rows to run, comma-separated")
    parser.add_argument("--profile", default=None, help="write a cProfile of the Målkoll process to this file")
    parser.add_argument(
        "--postgres", default=None, metavar="ADMIN_URL",
        help="run Målkoll on a fresh PostgreSQL database (e.g. postgresql://postgres@127.0.0.1:5432/postgres) instead of SQLite",
    )
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    results = asyncio.run(main_async(args))
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    for users in sorted({r.users for r in results}):
        by_bot = {r.bot: r for r in results if r.users == users}
        if not {"malkoll", "echo", "malkoll-help"} <= by_bot.keys():
            continue
        echo = by_bot["echo"].rate
        print(
            f"users={users:3}: Målkoll/echo throughput = {by_bot['malkoll'].rate / echo:.2f}× (target ≥ 3×); "
            f"runtime only (hjälp)/echo = {by_bot['malkoll-help'].rate / echo:.2f}×"
        )


if __name__ == "__main__":
    main()
