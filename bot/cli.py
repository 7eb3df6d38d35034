"""The `malkoll` command line (also `python -m bot`).

    malkoll db upgrade                      migrate the database to the latest schema
    malkoll demo [--profile stockholm_ils]  load a demo city (migrates first; idempotent)
    malkoll generate --units 2000 --years 5 [--seed N]   the large city for benchmarks
    malkoll serve [--host H] [--port P]     run the bot
    malkoll reminders plan|run …            reminders (bot/cli_reminders.py)
    malkoll manifest build [--out FILE]     the Teams app package (bot/manifest_build.py)
    malkoll template|import|export …       Excel in and out (bot/cli_excel.py)

The database is Settings().effective_database_url (DATABASE_URL, else the SQLite
file in the data directory). Everything is built inside the command; a user
error (bad argument, unreachable database, invalid settings) ends with one line
on stderr and exit code 2 (usage) or 1 (anything else), never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEMO_PROFILES = ("stockholm_ils", "malmo_2023")


class CommandFailed(Exception):
    """A failure to report to the user in one line (no traceback)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="malkoll", description="Målkoll: goal follow-up in Microsoft Teams.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="migrate the database to the latest schema")

    demo = commands.add_parser("demo", help="load a demo city (idempotent)")
    demo.add_argument("--profile", choices=DEMO_PROFILES, default="stockholm_ils", help="which demo (default: %(default)s)")

    generate = commands.add_parser("generate", help="generate a large city for benchmarks")
    generate.add_argument("--units", type=_positive, default=2000, help="number of units (default: %(default)s)")
    generate.add_argument("--years", type=_positive, default=5, help="years of follow-ups (default: %(default)s)")
    generate.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")

    serve = commands.add_parser("serve", help="run the bot")
    serve.add_argument("--host", help="interface to listen on (default: settings, 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port (default: settings, 3978)")

    from bot.cli_reminders import add_reminders_parser

    add_reminders_parser(commands)
    from bot.manifest_build import add_manifest_parser

    add_manifest_parser(commands)
    from bot.cli_excel import add_excel_parsers

    add_excel_parsers(commands)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed usage and the error
        return int(exit_.code or 0)
    try:
        settings = _settings()
        if args.command == "db":
            asyncio.run(_db_upgrade(settings))
        elif args.command == "demo":
            asyncio.run(_demo(settings, args.profile))
        elif args.command == "generate":
            asyncio.run(_generate(settings, units=args.units, years=args.years, seed=args.seed))
        elif args.command == "serve":
            _serve(settings, host=args.host, port=args.port)
        elif args.command == "reminders":
            from bot.cli_reminders import run_reminders

            asyncio.run(run_reminders(settings, args))
        elif args.command == "manifest":
            from bot.manifest_build import run_manifest

            run_manifest(settings, args)
        elif args.command in ("template", "import", "export"):
            from bot.cli_excel import run_excel

            if not asyncio.run(run_excel(settings, args, engine_for=_engine, failed=CommandFailed)):
                return EXIT_FAILED
    except CommandFailed as failure:
        print(f"malkoll: error: {failure}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED
    return EXIT_OK


def _settings():
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise CommandFailed(f"invalid settings: {problems}") from None


def _describe(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def _engine(settings, *, migrate: bool):
    """An engine on the configured database, migrated to head when asked; turns
    'cannot reach or open the database' into a one-line failure."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from storage.migrate import upgrade
    from storage.session import create_engine

    url = settings.effective_database_url
    try:
        engine = create_engine(url)
    except (ArgumentError, ValueError) as error:
        raise CommandFailed(f"invalid database URL {_describe(url)!r}: {error}") from None
    if migrate:
        try:
            await upgrade(engine)
        except (DBAPIError, OSError) as error:
            await engine.dispose()
            raise CommandFailed(f"cannot migrate the database at {_describe(url)}: {_first_line(error)}") from None
    return engine


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


async def _db_upgrade(settings) -> None:
    engine = await _engine(settings, migrate=True)
    await engine.dispose()
    print(f"Database at {_describe(settings.effective_database_url)} is at the latest schema.")


async def _demo(settings, profile: str) -> None:
    from goals.clock import SystemClock
    from storage.session import make_sessionmaker
    from storage.unit_of_work import uow_factory

    from bot.demo.loader import load_demo

    engine = await _engine(settings, migrate=True)
    try:
        report = await load_demo(uow_factory(make_sessionmaker(engine)), demo=profile, clock=SystemClock(settings.timezone))
    finally:
        await engine.dispose()
    if report.total:
        created = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in report.created.items())
        print(f"Demo {profile} loaded as of {report.today} (current period {report.current_period}): {created}.")
    else:
        print(f"Demo {profile} is already loaded; nothing changed.")


async def _generate(settings, *, units: int, years: int, seed: int) -> None:
    import time

    from goals.clock import SystemClock
    from goals.errors import ValidationFailed

    from bot.demo.generator import generate_city

    engine = await _engine(settings, migrate=True)
    started = time.perf_counter()
    try:
        report = await generate_city(
            engine, units=units, years=years, seed=seed, clock=SystemClock(settings.timezone),
            progress=lambda text: print(f"  {text}", flush=True),
        )
    except ValidationFailed as error:
        if "generate" in error.problems:
            raise CommandFailed("a generated city is already in this database; use a fresh database") from None
        raise
    finally:
        await engine.dispose()
    rows = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in report.counts.items())
    print(f"Generated {units} units over {years} years in {time.perf_counter() - started:.1f} s: {rows}.")


def _serve(settings, *, host: str | None, port: int | None) -> None:
    from bot.app import serve

    asyncio.run(serve(settings, host=host or settings.host, port=port or settings.port))


if __name__ == "__main__":
    sys.exit(main())
