"""The reminder scheduler: runs in the bot process, one pass a minute.

A pass (also `malkoll reminders run [--at …] [--dry-run]`):
1. reads, in a few queries, the open periods near their deadlines, what is still
   to be reported and who reports it (storage/reminder_reader.py);
2. works out what is due now with the pure rules (goals/reminders.py) on the
   Swedish working-day calendar (bot/working_days.py);
3. claims those reminders in the ledger and commits the claim, together with
   snoozed reminders, transient failures whose retry time has come and claims left
   behind by a crashed instance (storage/reminder_ledger.py);
4. sends each claimed reminder to the person's personal chat through its stored
   conversation reference, within Teams' limits (bot/proactive.py), and records
   the outcome;
5. for everyone who cannot be reached (no conversation with Målkoll, or 403/404),
   tells their department head, once per person and period (also via the ledger).

Started and stopped with the app (`scheduler_context`, registered by bot/app.py).
"""

from __future__ import annotations

import asyncio
import gc
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import structlog
from aiohttp import web
from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.proactive import Outcome, ProactiveSender, SendResult
from bot.working_days import is_working_day as swedish_working_day
from dialogs.cards.reminder import ReminderCards
from dialogs.formatting import format_date
from dialogs.texts import Texts
from goals.errors import ProfileError
from goals.model import Period, Person
from goals.ports import Clock
from goals.profiles import load_profile
from goals.reminders import (
    SNOOZE_PREFIX,
    ReminderConfig,
    ReminderPolicy,
    WorkingDay,
    by_person,
    due_now,
    next_delivery,
    parse_config,
    plan,
    snooze_kind,
)
from goals.reminders import Reminder as PlannedReminder
from storage.reminder_ledger import LedgerKey, ReminderLedger
from storage.reminder_reader import ReminderData, ReminderReader
from storage.references import ConversationRef, ReferenceStore

log = structlog.get_logger(__name__)

PASS_INTERVAL_SECONDS = 60.0
CONCURRENCY = 24  # sends in flight; the pacers, not this, set the rate
CLAIM_CHUNK = 400  # about 8 s of sending at Teams' rate, far inside the 10-minute lease
FREEZE_FROM = 1000  # reminders in a pass from which the heap read for it is frozen (_frozen_heap)
# Deadlines a pass looks at: far enough back for the after-deadline reminders and a
# late pass, far enough ahead for the earliest before-deadline reminder.
LOOK_BACK = timedelta(days=75)
LOOK_AHEAD = timedelta(days=150)
UNREACHABLE_PREFIX = "unreachable_"
CONFIG_FILE = "reminders.toml"


def retry_delay(attempts: int) -> timedelta:
    """When a reminder that failed transiently is tried again: 5, 10, 20 … minutes."""
    return timedelta(minutes=5 * 2 ** max(attempts - 1, 0))


@dataclass
class PassReport:
    at: datetime
    due: int = 0
    claimed: int = 0
    sent: int = 0
    unreachable: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0
    heads_told: int = 0  # "X cannot be reached" notices delivered to department heads
    heads_not_told: int = 0  # … that could not be delivered either
    would_send: list[PlannedReminder] = field(default_factory=list)  # --dry-run


@dataclass(frozen=True)
class _Message:
    """One claimed ledger row with what to send for it. The activity is made by the
    worker that sends it, right before it waits for its slot: building a chunk of
    cards in one go would hold up the event loop, and with it requests that have
    their slot but have not yet left."""

    key: LedgerKey
    person: Person
    make_activity: Callable[[], Activity]
    unit_ids: tuple[int, ...]
    attempts: int = 1


class ReminderScheduler:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        sender: ProactiveSender | None,
        clock: Clock,
        config: ReminderConfig | None = None,
        is_working_day: WorkingDay = swedish_working_day,
        instance_id: str | None = None,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._reader = ReminderReader(sessionmaker)
        self.instance_id = instance_id or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self.ledger = ReminderLedger(sessionmaker, instance_id=self.instance_id)
        self._sender = sender
        self._clock = clock
        self._config = config or ReminderConfig()
        self._is_working_day = is_working_day
        self._concurrency = concurrency

    # --- what is coming ---------------------------------------------------------

    async def upcoming(self, *, start: datetime, end: datetime) -> tuple[list[PlannedReminder], ReminderData]:
        """Every reminder between start and end, given what is outstanding now."""
        data = await self._reader.load(deadlines_from=(start - LOOK_BACK).date(), deadlines_to=(end + LOOK_AHEAD).date())
        reminders = plan(
            periods=data.periods, outstanding=data.outstanding, reporters=data.reporters,
            policy_for_unit=self._policy_for(data), is_working_day=self._is_working_day, start=start, end=end,
        )
        people = await self._reader.people([r.person_id for r in reminders])
        data.people.update(people)
        return reminders, data

    # --- a pass -----------------------------------------------------------------

    async def run_once(self, *, now: datetime | None = None, dry_run: bool = False) -> PassReport:
        now = now or self._clock.now()
        report = PassReport(at=now)
        data = await self._reader.load(deadlines_from=(now - LOOK_BACK).date(), deadlines_to=(now + LOOK_AHEAD).date())
        due = due_now(
            periods=data.periods, outstanding=data.outstanding, reporters=data.reporters,
            policy_for_unit=self._policy_for(data), is_working_day=self._is_working_day, now=now,
        )
        report.due = len(due)
        if dry_run:
            known = await self.ledger.known([LedgerKey(*r.key) for r in due])
            report.would_send = [r for r in due if LedgerKey(*r.key) not in known]
            return report
        started = time.monotonic()

        def later() -> datetime:
            # Claims made late in a long pass carry their own time, so their lease
            # runs from when they were made, not from when the pass began.
            return now + timedelta(seconds=time.monotonic() - started)

        data.people.update(await self._reader.people([r.person_id for r in due]))
        with _frozen_heap(len(due) >= FREEZE_FROM):
            return await self._send_due(due, data, now, report, later)

    async def _send_due(self, due: list[PlannedReminder], data: ReminderData, now: datetime, report: PassReport,
                        later: Callable[[], datetime]) -> PassReport:
        regular: set[tuple[int, int]] = set()
        unreachable: list[_Message] = []
        outcomes = _OutcomeWriter(self.ledger, now)
        templates: dict[tuple, ReminderCards] = {}

        async def claimed_chunks() -> AsyncIterator[list[_Message]]:
            # Claim a chunk, hand it to the senders, claim the next while they send:
            # sending never waits for a claim, and a claim never waits long enough
            # for its lease to run out while this instance is still alive.
            for start in range(0, len(due), CLAIM_CHUNK):
                chunk = due[start : start + CLAIM_CHUNK]
                claimed = await self.ledger.claim_counted([(LedgerKey(*r.key), r.at) for r in chunk], now=later())
                report.claimed += len(claimed)
                regular.update((k.person_id, k.period_id) for k in claimed)
                yield [
                    self._reminder_message(key, r.period, r.items, data, sent_on=now.date(), templates=templates,
                                           attempts=claimed[key])
                    for r in chunk if (key := LedgerKey(*r.key)) in claimed
                ]

        unreachable += await self._deliver(claimed_chunks(), now, report, outcomes)
        again = await self.ledger.claim_due_counted(now=later())
        report.claimed += len(again)
        data.people.update(await self._reader.people(
            [k.person_id for k in again] + [_unreachable_person(k) for k in again]
        ))
        items = by_person(periods=data.periods, outstanding=data.outstanding, reporters=data.reporters)
        periods = {p.id: p for p in data.periods}
        messages = []
        notices: dict[LedgerKey, int] = {}
        for key, attempts in again.items():
            found = items.get((key.person_id, key.period_id))
            if key.kind.startswith(UNREACHABLE_PREFIX):
                notices[key] = attempts
            elif not found or key.period_id not in periods or (
                key.kind.startswith(SNOOZE_PREFIX) and (key.person_id, key.period_id) in regular
            ):
                # Reported meanwhile, or a regular reminder goes out this pass anyway.
                await self.ledger.finish(key, status="skipped", now=now, detail="nothing to report or merged")
                report.skipped += 1
            else:
                messages.append(self._reminder_message(key, periods[key.period_id], found, data, sent_on=now.date(),
                                                       templates=templates, attempts=attempts))
        unreachable += await self._deliver(_once(messages), now, report, outcomes)
        notices.update(await self._claim_notices(unreachable, data, later()))
        notice_messages = [m for k, attempts in notices.items()
                           if (m := self._notice_message(k, data, periods, attempts)) is not None]
        for key in set(notices) - {m.key for m in notice_messages}:
            await self.ledger.finish(key, status="skipped", now=now, detail="person or period gone")
        told = PassReport(at=now)
        await self._deliver(_once(notice_messages), now, told, outcomes)
        report.heads_told, report.heads_not_told = told.sent, told.unreachable + told.retry + told.failed
        log.info("reminders.pass", **{k: v for k, v in report.__dict__.items() if isinstance(v, int)})
        return report

    async def snooze(self, *, person: Person, period_ids: list[int] | None = None, now: datetime | None = None) -> datetime | None:
        """"Påminn mig i morgon": the reminders the person has been sent lately (or
        of these periods) again on the next working day at the policy's time. None
        when there is nothing left to report for them."""
        now = now or self._clock.now()
        data = await self._reader.load(deadlines_from=(now - LOOK_BACK).date(), deadlines_to=(now + LOOK_AHEAD).date())
        policy_for = self._policy_for(data)
        current = [
            r for r in due_now(periods=data.periods, outstanding=data.outstanding, reporters=data.reporters,
                               policy_for_unit=policy_for, is_working_day=self._is_working_day, now=now)
            if r.person_id == person.id and (period_ids is None or r.period.id in period_ids)
        ]
        if not current:
            return None
        until = next_delivery(now, policy_for(current[0].items[0].unit_id), self._is_working_day)
        await self.ledger.snooze(
            [LedgerKey(person.id, r.period.id, snooze_kind(until.date())) for r in current], until=until
        )
        return until

    # --- building messages --------------------------------------------------------

    def _policy_for(self, data: ReminderData) -> Callable[[int], ReminderPolicy]:
        cache: dict[int, ReminderPolicy] = {}

        def policy(unit_id: int) -> ReminderPolicy:
            if unit_id not in cache:
                node = data.nodes.get(unit_id)
                codes = [n.code for n in ([node] if node else []) + data.ancestors(unit_id)]
                cache[unit_id] = self._config.policy_for(codes)
            return cache[unit_id]

        return policy

    def _reminder_message(self, key: LedgerKey, period: Period, items, data: ReminderData, *, sent_on: date,
                          templates: dict[tuple, ReminderCards], attempts: int = 1) -> _Message:
        person = data.people[key.person_id]
        texts = Texts.for_locale(person.locale)
        kind = "deadline" if key.kind.startswith(SNOOZE_PREFIX) and sent_on == period.deadline else key.kind
        # One card template per language, kind, period and day, for the pass.
        template_key = (texts.language, kind, period.id, sent_on)
        cards = templates.get(template_key)
        if cards is None:
            cards = templates[template_key] = ReminderCards(
                texts, kind=kind, period_name=period_name(data, period, texts.language), deadline=period.deadline,
                sent_on=sent_on,
            )
        return _Message(key=key, person=person, make_activity=lambda: _card_activity(cards.build(items)),
                        unit_ids=tuple(dict.fromkeys(i.unit_id for i in items)), attempts=attempts)

    def _notice_message(self, key: LedgerKey, data: ReminderData, periods: dict[int, Period],
                        attempts: int = 1) -> _Message | None:
        head = data.people.get(key.person_id)
        missing = data.people.get(_unreachable_person(key))
        period = periods.get(key.period_id)
        if head is None or missing is None or period is None:
            return None
        texts = Texts.for_locale(head.locale)
        units = sorted({i.unit_name for i in data.outstanding
                        if i.period_id == period.id and missing.id in data.reporters.get(i.unit_id, ())})
        text = texts.t(
            "reminders.unreachable", name=missing.name, units=", ".join(units) or "–",
            period=period_name(data, period, texts.language), deadline=format_date(period.deadline, texts.language),
        )
        return _Message(key=key, person=head, make_activity=lambda: MessageFactory.text(text), unit_ids=(),
                        attempts=attempts)

    # --- sending --------------------------------------------------------------------

    async def _deliver(self, batches: AsyncIterator[list[_Message]], now: datetime, report: PassReport,
                       outcomes: _OutcomeWriter) -> list[_Message]:
        """Send every message of every batch and record each outcome; returns the
        reminders whose person could not be reached. Pipelined: the workers send
        (many requests in flight, the pacers set the rate) while the next batch is
        claimed and built; a batch is only handed over once its claim is committed."""
        unreachable: list[_Message] = []
        # Bounded: claims run at most a chunk ahead of what is being sent.
        queue: asyncio.Queue[tuple[_Message, ConversationRef | None] | None] = asyncio.Queue(maxsize=CLAIM_CHUNK)

        async def worker() -> None:
            while True:
                item = await queue.get()
                if item is None:
                    queue.put_nowait(None)  # for the next worker: there is room, this one just took it
                    return
                message, ref = item
                try:
                    result = await self._send(message, ref)
                except Exception as error:  # noqa: BLE001 - one bad send must not stop the others
                    log.exception("reminders.send_failed", person_id=message.person.id, kind=message.key.kind)
                    result = SendResult(Outcome.RETRY, detail=type(error).__name__)
                await self._record(message, result, now, report, outcomes)
                if result.outcome == Outcome.UNREACHABLE and not message.key.kind.startswith(UNREACHABLE_PREFIX):
                    unreachable.append(message)

        failures: list[Exception] = []

        async def produce() -> None:
            try:
                async for messages in batches:
                    chats = await self._reader.personal_chats([m.person for m in messages]) if messages else {}
                    for message in messages:
                        await queue.put((message, chats.get(message.person.id)))
            except Exception as error:  # noqa: BLE001 - what is claimed and queued still goes out first
                failures.append(error)
            await queue.put(None)

        tasks = [asyncio.create_task(produce()), *(asyncio.create_task(worker()) for _ in range(self._concurrency))]
        try:
            # A worker that fails (the ledger write did) ends the delivery; the rest
            # of the claims stay claimed and go out after their lease.
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            failures += [error for task in done if (error := task.exception()) is not None]
            if failures:
                raise failures[0]
        finally:
            for task in tasks:
                task.cancel()  # only if a worker failed or the pass itself was cancelled
            await asyncio.gather(*tasks, return_exceptions=True)
        return unreachable

    async def _send(self, message: _Message, ref: ConversationRef | None) -> SendResult:
        if ref is None:
            return SendResult(Outcome.UNREACHABLE, detail="no conversation with Målkoll")
        if self._sender is None:
            raise RuntimeError("this scheduler has no sender (plan only)")
        result = await self._sender.send(ref, message.make_activity())
        return result if result.outcome != Outcome.SENT else SendResult(Outcome.SENT, activity_id=ref.conversation_id)

    async def _record(self, message: _Message, result: SendResult, now: datetime, report: PassReport,
                      outcomes: _OutcomeWriter) -> None:
        conversation_id = result.activity_id if result.outcome == Outcome.SENT else None
        if result.outcome == Outcome.RETRY:
            await self.ledger.finish(message.key, status="retry", now=now, detail=result.detail,
                                     retry_at=now + retry_delay(message.attempts))
            report.retry += 1
            return
        await outcomes.write(message.key, result.outcome.value, result.detail, conversation_id)
        match result.outcome:
            case Outcome.SENT:
                report.sent += 1
            case Outcome.UNREACHABLE:
                report.unreachable += 1
            case Outcome.FAILED:
                report.failed += 1

    async def _claim_notices(self, unreachable: list[_Message], data: ReminderData, now: datetime) -> dict[LedgerKey, int]:
        """Claim "X cannot be reached" notices for the department heads above the
        units of each unreachable person: one per head, person and period."""
        wanted: dict[LedgerKey, datetime] = {}
        for message in unreachable:
            for head_id in self._heads_above(message.unit_ids, data, exclude=message.person.id):
                wanted[LedgerKey(head_id, message.key.period_id, f"{UNREACHABLE_PREFIX}{message.person.id}")] = now
        if not wanted:
            return {}
        claimed = await self.ledger.claim_counted(list(wanted.items()), now=now)
        data.people.update(await self._reader.people([k.person_id for k in claimed]))
        return claimed

    @staticmethod
    def _heads_above(unit_ids: tuple[int, ...], data: ReminderData, *, exclude: int) -> list[int]:
        heads: dict[int, None] = {}
        for unit_id in unit_ids:
            for node in data.ancestors(unit_id):  # the nearest node with a head
                found = [p for p in data.heads.get(node.id, []) if p != exclude]
                if found:
                    heads.update(dict.fromkeys(found))
                    break
        return list(heads)

    # --- running in the app ---------------------------------------------------------

    async def run_forever(self, *, interval: float = PASS_INTERVAL_SECONDS) -> None:
        """A pass every `interval` seconds, the first one after `interval` (the app
        answers users first); a failing pass is logged and the next one tries again."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the scheduler must outlive one bad pass
                log.exception("reminders.pass_failed", instance=self.instance_id)


@contextmanager
def _frozen_heap(freeze: bool) -> Iterator[None]:
    """A large pass keeps its plan (people, goals, references: a million objects for
    10,000 reminders) alive while it sends, and every full garbage collection walked
    all of it: pauses of 100–600 ms in which no request left, and after which the
    pacer cannot win the time back. gc.freeze() sets what exists now aside from
    collection until the pass ends; objects that die meanwhile are still freed by
    reference counting, only cycles among them wait for the unfreeze."""
    if not freeze:
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _OutcomeWriter:
    """Records final outcomes by group commit: what the workers finished while the
    previous write was under way goes into the next one, one transaction for all
    (a transaction per message cost more CPU than sending it). Nothing waits to fill
    a batch, so an outcome is committed as soon as the database is free, and each
    worker waits for its own before taking the next message: the window in which a
    crash could send a message twice stays one write long."""

    def __init__(self, ledger: ReminderLedger, now: datetime) -> None:
        self._ledger = ledger
        self._now = now
        self._pending: list[tuple[tuple[LedgerKey, str, str, str | None], asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def write(self, key: LedgerKey, status: str, detail: str, conversation_id: str | None) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(((key, status, detail, conversation_id), done))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain(), name="reminder-outcomes")
        # Shielded: a cancelled pass still records what it has sent.
        await asyncio.shield(done)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._ledger.finish_many([outcome for outcome, _ in batch], now=self._now)
            except Exception as error:  # noqa: BLE001 - each waiting worker gets it
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


def _card_activity(content: dict) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(content))


async def _once(messages: list[_Message]) -> AsyncIterator[list[_Message]]:
    yield messages


def period_name(data: ReminderData, period: Period, language: str) -> str:
    root = data.nodes.get(period.root_id)
    try:
        kind = load_profile(root.profile).period_kind(period.kind) if root and root.profile else None
    except (ProfileError, KeyError):
        kind = None
    name = kind.name(language) if kind else period.kind
    return f"{name} {period.year}"


def _unreachable_person(key: LedgerKey) -> int:
    if key.kind.startswith(UNREACHABLE_PREFIX):
        return int(key.kind.removeprefix(UNREACHABLE_PREFIX))
    return key.person_id


def load_config(data_dir: Path) -> ReminderConfig:
    """`<data dir>/reminders.toml` if there is one, else the defaults."""
    path = data_dir / CONFIG_FILE
    if not path.is_file():
        return ReminderConfig()
    return parse_config(path.read_text(encoding="utf-8"), source=str(path))


SCHEDULER = web.AppKey("reminder_scheduler", ReminderScheduler)


async def scheduler_context(app: web.Application) -> AsyncIterator[None]:
    """aiohttp cleanup context: the scheduler runs while the app runs. Needs the
    runtime context (bot/app.py) before it, for the engine and the adapter."""
    from bot.app import RUNTIME, SETTINGS  # the app module imports this one

    settings = app[SETTINGS]
    if not getattr(settings, "reminders", True):
        yield
        return
    runtime = app[RUNTIME]
    from goals.clock import SystemClock
    from storage.session import make_sessionmaker

    sessionmaker = make_sessionmaker(runtime.engine)
    scheduler = ReminderScheduler(
        sessionmaker=sessionmaker,
        sender=ProactiveSender(runtime.adapter, app_id=settings.app_id, references=ReferenceStore(sessionmaker)),
        clock=SystemClock(settings.timezone),
        config=load_config(settings.data_dir),
    )
    app[SCHEDULER] = scheduler
    task = asyncio.create_task(scheduler.run_forever(), name="reminder-scheduler")
    log.info("reminders.started", instance=scheduler.instance_id)
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        log.info("reminders.stopped", instance=scheduler.instance_id)


def snooze_dialog(sessionmaker: async_sessionmaker[AsyncSession], *, clock: Clock, data_dir: Path):
    """The "snooze" flow for the main dialog: snoozes on the ledger, sends nothing."""
    from dialogs.snooze_dialog import SnoozeDialog

    scheduler = ReminderScheduler(sessionmaker=sessionmaker, sender=None, clock=clock, config=load_config(data_dir))

    async def snooze(person: Person, period_ids: list[int] | None) -> datetime | None:
        return await scheduler.snooze(person=person, period_ids=period_ids)

    return SnoozeDialog(snooze=snooze)
