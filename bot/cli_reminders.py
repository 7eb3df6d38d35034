"""`malkoll reminders plan` and `malkoll reminders run`, for operators and external
schedulers (registered by bot/cli.py).

    malkoll reminders plan [--days 30] [--from ISO-DATETIME]
        the coming reminders, one per line: local date-time, person, unit(s), period, kind
    malkoll reminders run [--at ISO-DATETIME] [--dry-run]
        one pass as if it were that time: sends what is due and not yet sent
        (the ledger makes a rerun send nothing twice); --dry-run sends nothing and
        prints what would be sent
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def add_reminders_parser(commands) -> None:
    reminders = commands.add_parser("reminders", help="reminders before reporting deadlines")
    actions = reminders.add_subparsers(dest="reminders_command", required=True, metavar="ACTION")
    plan = actions.add_parser("plan", help="print the coming reminders, one per line")
    plan.add_argument("--days", type=_days, default=30, help="how far ahead (default: %(default)s days)")
    plan.add_argument("--from", dest="start", type=_moment, help="start instead of now (ISO date-time)")
    run = actions.add_parser("run", help="run one reminder pass")
    run.add_argument("--at", type=_moment, help="run as if it were this time (ISO date-time, local if no offset)")
    run.add_argument("--dry-run", action="store_true", help="send nothing; print what would be sent")


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 400:
        raise argparse.ArgumentTypeError(f"must be from 1 to 400: {value}")
    return value


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time (e.g. 2026-05-08T09:00): {text!r}") from None


def _local(moment: datetime | None, timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    if moment is None:
        return datetime.now(zone)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def line(reminder, data) -> str:
    """ISO local date-time, person, unit(s), period, kind — tab-separated."""
    from bot.scheduler import period_name

    person = data.people.get(reminder.person_id)
    units = ", ".join(dict.fromkeys(item.unit_name for item in reminder.items))
    return "\t".join(
        (reminder.at.isoformat(timespec="minutes"), person.name if person else f"person {reminder.person_id}",
         units, period_name(data, reminder.period, "sv"), reminder.kind)
    )


async def run_reminders(settings, args) -> None:
    from bot.cli import _engine
    from bot.scheduler import ReminderScheduler, load_config
    from goals.clock import SystemClock
    from goals.reminders import ReminderConfigError
    from storage.session import make_sessionmaker

    from bot.cli import CommandFailed

    try:
        config = load_config(settings.data_dir)
    except ReminderConfigError as error:
        raise CommandFailed(str(error)) from None
    engine = await _engine(settings, migrate=True)
    try:
        sessionmaker = make_sessionmaker(engine)
        clock = SystemClock(settings.timezone)
        if args.reminders_command == "plan":
            scheduler = ReminderScheduler(sessionmaker=sessionmaker, sender=None, clock=clock, config=config)
            start = _local(args.start, settings.timezone)
            reminders, data = await scheduler.upcoming(start=start, end=start + timedelta(days=args.days))
            for reminder in reminders:
                print(line(reminder, data))
            return
        await _run(settings, sessionmaker, clock, config, args)
    finally:
        await engine.dispose()


async def _run(settings, sessionmaker, clock, config, args) -> None:
    import aiohttp

    from bot.adapter import create_adapter
    from bot.proactive import ProactiveSender
    from bot.scheduler import ReminderScheduler
    from storage.references import ReferenceStore

    now = _local(args.at, settings.timezone)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        sender = None
        if not args.dry_run:
            sender = ProactiveSender(create_adapter(settings, session=http), app_id=settings.app_id,
                                     references=ReferenceStore(sessionmaker))
        scheduler = ReminderScheduler(sessionmaker=sessionmaker, sender=sender, clock=clock, config=config)
        report = await scheduler.run_once(now=now, dry_run=args.dry_run)
        if args.dry_run:
            reminders, data = await scheduler.upcoming(start=now - timedelta(days=6), end=now + timedelta(seconds=1))
            wanted = {r.key for r in report.would_send}
            for reminder in reminders:
                if reminder.key in wanted:
                    print(line(reminder, data))
            print(f"Dry run at {now.isoformat(timespec='minutes')}: {len(report.would_send)} reminders would be sent.")
            return
        print(
            f"Reminder pass at {now.isoformat(timespec='minutes')}: {report.sent} sent, {report.unreachable} unreachable "
            f"({report.heads_told} department heads told, {report.heads_not_told} not reachable either), {report.retry} to retry, {report.failed} failed, "
            f"{report.skipped} skipped."
        )
