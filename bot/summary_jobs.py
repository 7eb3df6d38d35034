"""Scheduled channel summaries: posted to every linked channel when a period's
deadline has passed, and weekly while the period is being reported.

`post_due_summaries` is one pass, as if it were `now`; it is safe to run as often
as one likes (by this module's loop, by the reminder scheduler, or from the
command line: `python -m bot.summary_jobs [--at ISO-DATETIME] [--dry-run]`): each
(channel, period, occasion) is claimed in the summary-post ledger and the claim
committed before the post goes out, so it is posted once across reruns, restarts
and instances. A transient failure releases the claim for a later pass.

When (configurable, `<data dir>/summaries.toml`, all keys optional):
    weekday = 0           # weekly posts on Mondays (0 = Monday … 6 = Sunday)
    hour = 9              # from 09:00 local time
    window_days = 14      # the reporting window opens this many days before the period ends …
                          # … and closes at its deadline
    deadline_grace_days = 7  # a deadline post is still made this many days late (after downtime)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tomllib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web
from botbuilder.core import CardFactory, MessageFactory
from botbuilder.dialogs import Dialog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.proactive import Outcome, ProactiveSender
from dialogs.cards.summary import build_summary_card
from dialogs.summary import channel_dialogs
from dialogs.texts import Texts
from goals.access import profile_for, root_of_in
from goals.model import Period
from goals.ports import Clock, UnitOfWork
from goals.summaries import load_summary
from storage.channel_links import ChannelLink, ChannelLinkStore, SummaryPostLedger
from storage.references import ConversationRef, ReferenceStore

log = structlog.get_logger(__name__)

CONFIG_FILE = "summaries.toml"
PASS_INTERVAL_SECONDS = 300.0
DEADLINE = "deadline"


@dataclass(frozen=True, slots=True)
class SummarySchedule:
    weekday: int = 0
    hour: int = 9
    window_days: int = 14
    deadline_grace_days: int = 7
    language: str = "sv"  # channels have no locale of their own; the organisation's language


@dataclass(frozen=True, slots=True)
class Due:
    link: ChannelLink
    period: Period
    occasion: str  # "deadline" | "week:2026-W19"


@dataclass
class PostReport:
    due: list[Due] = field(default_factory=list)
    posted: list[Due] = field(default_factory=list)
    skipped: int = 0  # posted (or being posted) already
    failed: list[tuple[Due, str]] = field(default_factory=list)


def occasions(periods: Sequence[Period], local_now: datetime, schedule: SummarySchedule) -> list[tuple[Period, str]]:
    """What is due at `local_now` for an organisation with these periods (pure)."""
    today = local_now.date()
    due: list[tuple[Period, str]] = []
    for period in periods:
        if not period.is_open:
            continue
        if period.deadline < today <= period.deadline + timedelta(days=schedule.deadline_grace_days):
            due.append((period, DEADLINE))
        window_opens = period.end - timedelta(days=schedule.window_days)
        if (window_opens <= today <= period.deadline and today.weekday() == schedule.weekday
                and local_now.hour >= schedule.hour):
            year, week, _ = today.isocalendar()
            due.append((period, f"week:{year}-W{week:02d}"))
    return due


async def post_due_summaries(
    *,
    uow_factory: Callable[[], UnitOfWork],
    links: ChannelLinkStore,
    ledger: SummaryPostLedger,
    references: ReferenceStore,
    sender: ProactiveSender | None,
    now: datetime,
    schedule: SummarySchedule = SummarySchedule(),
) -> PostReport:
    """One pass at `now` (aware; its time zone is the municipality's). `sender=None`
    is a dry run: what is due is reported, nothing is claimed or sent."""
    report = PostReport()
    texts = Texts(schedule.language)
    today = now.date()
    # Several channels can follow one node, and a deadline post and a weekly one can
    # fall on the same day: each node's summary (its status rules for every goal) is
    # worked out once per pass, not once per post.
    summaries: dict[tuple[int, int], Any] = {}
    profiles: dict[int, Any] = {}
    for link in await links.all():
        for period, occasion in await _due_for(uow_factory, link, now, schedule):
            item = Due(link, period, occasion)
            report.due.append(item)
            if sender is None:
                continue
            key = {"conversation_id": link.conversation_id, "period_id": period.id, "occasion": occasion}
            if not await ledger.claim(**key, now=now):
                report.skipped += 1
                continue
            ref = await _channel_ref(references, link)
            summary_key = (link.org_node_id, period.id)
            if summary_key not in summaries:
                summaries[summary_key] = await load_summary(uow_factory(), node_id=link.org_node_id, today=today,
                                                            period_id=period.id)
            summary = summaries[summary_key]
            if ref is None or summary is None:
                await ledger.finish(**key, status="failed", activity_id=None, now=now)
                report.failed.append((item, "no channel reference" if ref is None else "nothing to summarise"))
                continue
            if link.org_node_id not in profiles:
                profiles[link.org_node_id] = await profile_for(uow_factory(), node_id=link.org_node_id)
            profile = profiles[link.org_node_id]
            content = build_summary_card(texts, summary, profile=profile, today=today,
                                         occasion="deadline" if occasion == DEADLINE else "weekly")
            result = await sender.send(ref, MessageFactory.attachment(CardFactory.adaptive_card(content)))
            if result.outcome is Outcome.RETRY:
                await ledger.release(**key)
                report.failed.append((item, result.detail or "retry later"))
                continue
            status = "sent" if result.outcome is Outcome.SENT else result.outcome.value
            await ledger.finish(**key, status=status, activity_id=result.activity_id, now=now)
            if result.outcome is Outcome.SENT:
                report.posted.append(item)
            else:
                report.failed.append((item, result.detail))
            log.info("summaries.posted", channel=link.conversation_id, period_id=period.id, occasion=occasion,
                     outcome=result.outcome.value)
    return report


async def _due_for(uow_factory: Callable[[], UnitOfWork], link: ChannelLink, now: datetime,
                   schedule: SummarySchedule) -> list[tuple[Period, str]]:
    async with uow_factory() as uow:
        if await uow.orgs.get(link.org_node_id) is None:
            return []
        root = await root_of_in(uow, node_id=link.org_node_id)
        periods = [p for p in await uow.periods.for_root(root.id) if p.year >= now.year - 1]
    return occasions(periods, now, schedule)


async def _channel_ref(references: ReferenceStore, link: ChannelLink) -> ConversationRef | None:
    """The stored reference of the channel, pointed at the channel itself, so the
    post starts a new thread rather than answering an old one."""
    for ref in await references.channels(link.tenant_id):
        if ref.teams_channel_id == link.teams_channel_id or ref.conversation_id.split(";", 1)[0] == link.conversation_id:
            reference: dict[str, Any] = dict(ref.reference)
            reference["conversation"] = {**(reference.get("conversation") or {}), "id": link.conversation_id}
            return replace(ref, conversation_id=link.conversation_id, reference=reference)
    return None


def load_schedule(data_dir: Path) -> SummarySchedule:
    path = data_dir / CONFIG_FILE
    if not path.is_file():
        return SummarySchedule()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    known = {f.name: f.type for f in fields(SummarySchedule)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown}")
    return SummarySchedule(**data)


# --- wiring ---------------------------------------------------------------------------


def summary_flows(*, uow_factory: Callable[[], UnitOfWork], clock: Clock,
                  sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Dialog]:
    """"sammanfattning" and "koppla kanalen till …", for MainDialog's flows."""
    return channel_dialogs(uow_factory=uow_factory, clock=clock, links=ChannelLinkStore(sessionmaker))


async def summaries_context(app: web.Application) -> AsyncIterator[None]:
    """aiohttp cleanup context: a pass every few minutes while the app runs (needs
    the runtime context of bot/app.py before it)."""
    from bot.app import RUNTIME, SETTINGS  # the app module imports this one
    from goals.clock import SystemClock
    from storage.session import make_sessionmaker
    from storage.unit_of_work import uow_factory

    settings, runtime = app[SETTINGS], app[RUNTIME]
    sessionmaker = make_sessionmaker(runtime.engine)
    references = ReferenceStore(sessionmaker)
    sender = ProactiveSender(runtime.adapter, app_id=settings.app_id, references=references)
    schedule = load_schedule(settings.data_dir)
    clock = SystemClock(settings.timezone)

    async def loop() -> None:
        while True:
            await asyncio.sleep(PASS_INTERVAL_SECONDS)
            try:
                await post_due_summaries(uow_factory=uow_factory(sessionmaker), links=ChannelLinkStore(sessionmaker),
                                         ledger=SummaryPostLedger(sessionmaker), references=references, sender=sender,
                                         now=clock.now(), schedule=schedule)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the next pass tries again
                log.exception("summaries.pass_failed")

    task = asyncio.create_task(loop(), name="channel-summaries")
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


async def run_cli(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.summary_jobs [--at ISO] [--dry-run]`: one pass, one line per post."""
    from bot.adapter import create_adapter
    from bot.config import Settings
    from goals.clock import SystemClock
    from storage.session import create_engine, make_sessionmaker
    from storage.unit_of_work import uow_factory

    parser = argparse.ArgumentParser(prog="python -m bot.summary_jobs", description=__doc__.splitlines()[0])
    parser.add_argument("--at", help="run as if it were this local date-time (ISO 8601)")
    parser.add_argument("--dry-run", action="store_true", help="print what is due, post nothing")
    args = parser.parse_args(argv)
    settings = Settings()
    tz = ZoneInfo(settings.timezone)
    now = datetime.fromisoformat(args.at) if args.at else SystemClock(tz).now()
    now = now if now.tzinfo else now.replace(tzinfo=tz)
    engine = create_engine(settings.effective_database_url)
    sessionmaker = make_sessionmaker(engine)
    references = ReferenceStore(sessionmaker)
    import aiohttp

    async with aiohttp.ClientSession() as http:
        sender = None if args.dry_run else ProactiveSender(create_adapter(settings, session=http), app_id=settings.app_id,
                                                           references=references)
        report = await post_due_summaries(uow_factory=uow_factory(sessionmaker), links=ChannelLinkStore(sessionmaker),
                                          ledger=SummaryPostLedger(sessionmaker), references=references, sender=sender,
                                          now=now, schedule=load_schedule(settings.data_dir))
    await engine.dispose()
    for item in report.due:
        state = "due" if args.dry_run else "posted" if item in report.posted else "skipped/failed"
        print(f"{now.isoformat(timespec='minutes')}\t{item.link.conversation_id}\tnode {item.link.org_node_id}\t"
              f"period {item.period.id}\t{item.occasion}\t{state}")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(run_cli()))
