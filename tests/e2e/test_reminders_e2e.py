"""Reminders end to end: the real app over HTTP, its in-process scheduler, the
stored conversation references and a fake Bot Connector that behaves like Teams
(limits, 429 with Retry-After, 5xx, 403). Time is injected: every pass runs "as if
it were" a given moment of 2026, the year the test organisation's periods are in.

Stockholm ILS T1 2026 has its deadline on Sunday 10 May, so the on-the-day reminder
goes out on Friday 8 May at 09:00."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.app import RUNTIME
from bot.proactive import ProactiveSender
from bot.scheduler import SCHEDULER, ReminderScheduler
from goals.clock import FixedClock
from storage.references import ReferenceStore
from storage.reminder_ledger import LedgerKey
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory
from tests.support.activities import card_submit, demo_user, message, personal_conversation
from tests.support.org import build_demo_org
from tests.support.teams_limits import LimitedConnector

STHLM = ZoneInfo("Europe/Stockholm")
T1_DEADLINE_DAY = datetime(2026, 5, 8, 9, 0, tzinfo=STHLM)  # Friday before the Sunday deadline
ANNA, BERTIL = demo_user(1), demo_user(2)


@pytest.fixture
async def connector():
    async with LimitedConnector() as running:
        yield running


async def org(engine, extra_managers: int = 2):
    return await build_demo_org(make_uow_factory(make_sessionmaker(engine)), year=2026, extra_managers=extra_managers)


async def say_hello(bot, *users: str) -> None:
    """People who have talked to Målkoll once: their personal chat's reference is stored."""
    for user in users:
        assert await bot.post(message("hej", service_url=bot.connector.url, user=user)) in (200, 201)
    bot.connector.clear()
    bot.connector.delivered.clear()


def scheduler_of(bot, **sender_options) -> ReminderScheduler:
    """The app's own scheduler, or one on the app's adapter with a faster retry
    schedule (for the fault tests)."""
    app = bot.runner.app
    if not sender_options:
        return app[SCHEDULER]
    runtime = app[RUNTIME]
    sessionmaker = make_sessionmaker(runtime.engine)
    references = ReferenceStore(sessionmaker)
    sender = ProactiveSender(runtime.adapter, app_id="", references=references, **sender_options)
    return ReminderScheduler(sessionmaker=sessionmaker, sender=sender, clock=FixedClock(T1_DEADLINE_DAY))


def reminder_cards(connector, user: str) -> list[dict]:
    return [card for r in connector.to(personal_conversation(user)) for card in r.cards]


async def test_reminders_go_to_those_with_something_to_report_once_across_reruns_and_restarts(start_bot, engine):
    demo = await org(engine)
    bot = await start_bot()
    await say_hello(bot, ANNA, BERTIL, demo_user(11))  # Chef 2 (12) never opened Målkoll
    report = await scheduler_of(bot).run_once(now=T1_DEADLINE_DAY)
    assert (report.sent, report.unreachable, report.heads_told) == (2, 1, 1)

    anna = reminder_cards(bot.connector, ANNA)
    assert len(anna) == 1
    texts = bot.connector.to(personal_conversation(ANNA))[0].all_text()
    assert "Sista dagen att rapportera Tertial 1 2026 är 10 maj 2026" in texts
    assert "Mål 1: Alla barn utvecklar sitt språk – inte påbörjad" in texts
    assert "Mål 2: Utemiljön används varje dag" in texts and "Vitsippan" not in texts
    report_now, snooze = anna[0]["actions"]
    assert report_now["title"] == "Rapportera nu"
    assert report_now["data"]["verb"] == "report" and report_now["data"]["unit_id"] == demo.units["SOL"]
    assert snooze["data"]["verb"] == "snooze"
    chef1 = bot.connector.to(personal_conversation(demo_user(11)))[0].all_text()
    assert "Mål för enhet 1" in chef1
    # The department head hears that Chef 2 cannot be reached.
    told = bot.connector.to(personal_conversation(BERTIL))
    assert [r.text for r in told] == [
        "Målkoll kunde inte nå Chef 2 (Enhet 2) med påminnelsen om Tertial 1 2026, som ska vara klar 10 maj 2026. "
        "Be hen öppna Målkoll i Teams en gång, eller påminn på annat sätt."
    ]

    # A rerun, a later pass the same day and a restarted app send nothing more.
    assert (await scheduler_of(bot).run_once(now=T1_DEADLINE_DAY)).sent == 0
    await bot.restart()
    again = await scheduler_of(bot).run_once(now=T1_DEADLINE_DAY + timedelta(hours=3))
    assert (again.sent, again.heads_told, again.claimed) == (0, 0, 0)
    assert bot.connector.duplicates == 0 and sum(bot.connector.delivered.values()) == 3

    # "Rapportera nu" starts the follow-up dialog on the unit's goals for the period.
    answer = await bot.say(card_submit(report_now["data"], service_url=bot.connector.url, user=ANNA))
    assert answer and "Alla barn utvecklar sitt språk" in "\n".join(r.all_text() for r in answer)


async def test_reminders_stop_once_reported_and_late_ones_say_so(start_bot, engine):
    demo = await org(engine, extra_managers=1)
    bot = await start_bot()
    await say_hello(bot, ANNA, demo_user(11))
    scheduler = scheduler_of(bot)
    before_14 = datetime(2026, 4, 24, 9, 0, tzinfo=STHLM)  # Friday: 26 April is a Sunday
    assert (await scheduler.run_once(now=before_14 - timedelta(minutes=1))).due == 0  # not before 09:00
    assert (await scheduler.run_once(now=before_14)).sent == 2
    assert "senast 10 maj 2026" in bot.connector.to(personal_conversation(ANNA))[0].all_text()
    assert (await scheduler.run_once(now=datetime(2026, 4, 25, 12, tzinfo=STHLM))).sent == 0  # Saturday

    await submit_all(engine, demo_user(11), period_id=await t1_id(scheduler, before_14))
    after_2 = datetime(2026, 5, 12, 9, 0, tzinfo=STHLM)
    late = await scheduler.run_once(now=after_2)
    assert late.sent == 1  # Chef 1 has reported: only Anna is reminded
    assert "skulle ha rapporterats 10 maj 2026" in bot.connector.to(personal_conversation(ANNA))[1].all_text()
    assert bot.connector.delivered[personal_conversation(demo_user(11))] == 1


async def t1_id(scheduler, now) -> int:
    reminders, _ = await scheduler.upcoming(start=now, end=now + timedelta(seconds=1))
    return reminders[0].period.id


async def submit_all(engine, user: str, *, period_id: int) -> None:
    """The person reports every goal of theirs for the period, through the services."""
    from goals import services
    from goals.access import identify
    from goals.model import Fulfilment

    make_uow = make_uow_factory(make_sessionmaker(engine))
    clock = FixedClock(datetime(2026, 5, 5, 10, tzinfo=STHLM))
    actor = await identify(make_uow(), tenant_id="6c1e5d0a-8f2b-4b7e-9a3c-5d4e3f2a1b00", entra_object_id=user)
    for overview in await services.goals_overview(make_uow(), actor=actor, today=clock.today()):
        for goal in overview.goals:
            follow_up = await services.open_follow_up(make_uow(), actor=actor, goal_id=goal.id, period_id=period_id, clock=clock)
            changes = services.FollowUpChanges(
                assessment=Fulfilment.FULFILLED, forecast=Fulfilment.FULFILLED,
                analysis="Enheten har arbetat enligt planen hela perioden och resultaten visar att arbetet ger "
                         "den effekt vi ville se för barnen och deras vårdnadshavare.",
                resource_use="Personal och lokaler har räckt till.",
            )
            follow_up = await services.save_follow_up(make_uow(), actor=actor, follow_up_id=follow_up.id,
                                                      expected_version=follow_up.version, changes=changes, clock=clock)
            await services.submit_follow_up(make_uow(), actor=actor, follow_up_id=follow_up.id,
                                            expected_version=follow_up.version, clock=clock)


async def test_a_crash_between_claim_and_send_loses_nothing_and_sends_once(start_bot, engine):
    demo = await org(engine, extra_managers=0)
    bot = await start_bot()
    await say_hello(bot, ANNA)
    scheduler = scheduler_of(bot)
    period_id = (await scheduler.run_once(now=T1_DEADLINE_DAY, dry_run=True)).would_send[0].period.id
    # Another instance claimed Anna's reminder and died before sending it.
    crashed = scheduler.ledger.__class__(make_sessionmaker(bot.runner.app[RUNTIME].engine), instance_id="crashed")
    key = LedgerKey(demo.people[1], period_id, "deadline")
    assert await crashed.claim([(key, T1_DEADLINE_DAY)], now=T1_DEADLINE_DAY) == [key]
    assert (await scheduler.run_once(now=T1_DEADLINE_DAY + timedelta(minutes=5))).sent == 0  # within its lease
    taken_over = await scheduler.run_once(now=T1_DEADLINE_DAY + timedelta(minutes=11))
    assert taken_over.sent == 1
    assert (await scheduler.run_once(now=T1_DEADLINE_DAY + timedelta(minutes=30))).sent == 0
    assert bot.connector.delivered[personal_conversation(ANNA)] == 1
    [entry] = await scheduler.ledger.entries(person_id=demo.people[1])
    assert (entry.status, entry.attempts) == ("sent", 2)


class _StopsAfter:
    """A pacer that lets `count` requests through and then holds the next one
    until the pass is killed: the process dies in the middle of a pass."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.held = asyncio.Event()

    async def acquire(self) -> None:
        if self.count == 0:
            self.held.set()
            await asyncio.Event().wait()
        self.count -= 1

    def pause(self, seconds: float) -> None:
        pass


class _DyingSender(ProactiveSender):
    def __init__(self, *args, pacer: _StopsAfter, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pacer = pacer

    def _tenant_pacer(self, tenant_id: str) -> _StopsAfter:
        return self._pacer


async def test_a_restart_in_the_middle_of_a_pass_sends_nothing_twice_and_loses_nothing(start_bot, engine):
    await org(engine, extra_managers=12)
    bot = await start_bot()
    users = [ANNA] + [demo_user(11 + i) for i in range(12)]
    await say_hello(bot, *users)
    runtime = bot.runner.app[RUNTIME]
    sessionmaker = make_sessionmaker(runtime.engine)
    pacer = _StopsAfter(5)
    dying = ReminderScheduler(
        sessionmaker=sessionmaker, clock=FixedClock(T1_DEADLINE_DAY), instance_id="dying", concurrency=1,
        sender=_DyingSender(runtime.adapter, app_id="", references=ReferenceStore(sessionmaker), pacer=pacer),
    )
    running = asyncio.create_task(dying.run_once(now=T1_DEADLINE_DAY))
    await asyncio.wait_for(pacer.held.wait(), 30)
    running.cancel()  # killed while the sixth reminder waits for its turn
    with pytest.raises(asyncio.CancelledError):
        await running
    assert sum(bot.connector.delivered.values()) == 5
    await bot.restart()
    # Within the dead instance's lease nothing of its claims goes out again …
    assert (await scheduler_of(bot).run_once(now=T1_DEADLINE_DAY + timedelta(minutes=5))).sent == 0
    # … after it, the rest does, once.
    assert (await scheduler_of(bot).run_once(now=T1_DEADLINE_DAY + timedelta(minutes=11))).sent == len(users) - 5
    assert {c: n for c, n in bot.connector.delivered.items()} == {personal_conversation(u): 1 for u in users}


async def test_two_app_instances_send_each_reminder_once(start_bot, engine, backend):
    demo = await org(engine, extra_managers=30)
    first, second = await start_bot(), await start_bot()
    users = [ANNA] + [demo_user(11 + i) for i in range(30)]
    await say_hello(first, *users)
    one, two = await asyncio.gather(
        scheduler_of(first).run_once(now=T1_DEADLINE_DAY), scheduler_of(second).run_once(now=T1_DEADLINE_DAY)
    )
    assert one.sent + two.sent == len(users)
    connector = first.connector
    assert connector.duplicates == 0
    assert {c: n for c, n in connector.delivered.items()} == {personal_conversation(u): 1 for u in users}
    assert len(demo.people) >= len(users)


async def test_connector_faults_every_reminder_delivered_once_or_its_failure_recorded_and_reported(start_bot, engine):
    demo = await org(engine, extra_managers=6)
    bot = await start_bot()
    users = [ANNA, BERTIL] + [demo_user(11 + i) for i in range(6)]
    await say_hello(bot, *users)
    connector = bot.connector
    gone, down = demo_user(11), demo_user(12)
    connector.fail_next(429, times=2, retry_after=0.2)  # throttled at first
    connector.refuse(personal_conversation(demo_user(13)), 503, times=2)  # a short outage
    connector.refuse(personal_conversation(demo_user(14)), 412, times=1)
    connector.refuse(personal_conversation(gone), 403)  # the app was removed
    connector.refuse(personal_conversation(down), 502)  # still failing after every attempt
    scheduler = scheduler_of(bot, max_wait=0.2)
    report = await scheduler.run_once(now=T1_DEADLINE_DAY)
    assert (report.sent, report.unreachable, report.retry, report.heads_told) == (5, 1, 1, 1)
    assert scheduler._sender.throttled >= 2  # noqa: SLF001 - each 429 paused the sender
    for user in [ANNA, *[demo_user(11 + i) for i in range(2, 6)]]:
        assert connector.delivered[personal_conversation(user)] == 1, user
    # 403: the reference is inactive, the ledger says why, the head was told.
    assert await ReferenceStore(make_sessionmaker(engine)).personal_for(
        "6c1e5d0a-8f2b-4b7e-9a3c-5d4e3f2a1b00", gone
    ) is None
    entries = {e.person_id: e for e in await scheduler.ledger.entries()}
    assert (entries[demo.people[11]].status, entries[demo.people[11]].detail) == ("unreachable", "HTTP 403")
    assert "Chef 1" in connector.to(personal_conversation(BERTIL))[-1].text
    # 502 throughout: recorded for a retry; once the connector recovers, sent once.
    assert (entries[demo.people[12]].status, entries[demo.people[12]].detail) == ("retry", "HTTP 502")
    connector.allow(personal_conversation(down))
    assert (await scheduler.run_once(now=T1_DEADLINE_DAY + timedelta(minutes=2))).sent == 0  # not yet its time
    later = await scheduler.run_once(now=T1_DEADLINE_DAY + timedelta(minutes=6))
    assert later.sent == 1 and connector.delivered[personal_conversation(down)] == 1
    assert connector.duplicates == 0


async def test_snoozed_reminder_comes_back_the_next_working_day_once(start_bot, engine):
    await org(engine, extra_managers=1)
    bot = await start_bot()
    await say_hello(bot, ANNA, demo_user(11))
    scheduler = scheduler_of(bot)
    assert (await scheduler.run_once(now=T1_DEADLINE_DAY)).sent == 2
    snooze = reminder_cards(bot.connector, ANNA)[0]["actions"][1]
    # The app's own clock says it is that Friday morning (time-machine).
    with time_machine.travel(T1_DEADLINE_DAY + timedelta(minutes=20), tick=True):
        answer = await bot.say(card_submit(snooze["data"], service_url=bot.connector.url, user=ANNA))
        assert [r.text for r in answer] == ["Okej, jag påminner dig igen 11 maj 2026 kl. 09:00."]  # Friday → Monday
        typed = await bot.say(message("påminn mig i morgon", service_url=bot.connector.url, user=demo_user(11)))
        assert [r.text for r in typed] == ["Okej, jag påminner dig igen 11 maj 2026 kl. 09:00."]
    monday = datetime(2026, 5, 11, 9, 0, tzinfo=STHLM)
    bot.connector.clear()
    assert (await scheduler.run_once(now=monday - timedelta(minutes=1))).sent == 0
    assert (await scheduler.run_once(now=monday)).sent == 2
    assert (await scheduler.run_once(now=monday + timedelta(hours=1))).sent == 0
    assert "Sista dagen att rapportera Tertial 1 2026 är 10 maj 2026" not in bot.connector.to(
        personal_conversation(ANNA))[0].all_text()  # after the deadline it says it is late
    assert len(reminder_cards(bot.connector, ANNA)) == len(reminder_cards(bot.connector, demo_user(11))) == 1


async def test_snoozing_with_nothing_due_says_so(start_bot, engine):
    await org(engine, extra_managers=0)
    bot = await start_bot()
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=STHLM), tick=True):  # no reminder due in March
        answer = await bot.say(message("påminn mig i morgon", service_url=bot.connector.url, user=ANNA))
    assert [r.text for r in answer] == [
        "Du har inget kvar att rapportera just nu, så det behövs ingen påminnelse."
    ]


# --- the operators' commands ----------------------------------------------------------


@pytest.fixture
async def city_url(database_url, engine):
    await org(engine, extra_managers=1)
    return database_url


def test_reminders_plan_prints_one_line_per_coming_reminder(city_url, monkeypatch, capsys, tmp_path):
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", city_url)
    monkeypatch.setenv("MALKOLL_DATA_DIR", str(tmp_path))
    assert main(["reminders", "plan", "--from", "2026-04-30T00:00", "--days", "14"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        # 7 days before is Sunday 3 May; Friday 1 May is a holiday: Thursday 30 April.
        "2026-04-30T09:00+02:00\tAnna Lindqvist\tSolrosens förskola\tTertial 1 2026\tbefore_7",
        "2026-04-30T09:00+02:00\tChef 1\tEnhet 1\tTertial 1 2026\tbefore_7",
        "2026-05-08T09:00+02:00\tAnna Lindqvist\tSolrosens förskola\tTertial 1 2026\tdeadline",
        "2026-05-08T09:00+02:00\tChef 1\tEnhet 1\tTertial 1 2026\tdeadline",
        "2026-05-12T09:00+02:00\tAnna Lindqvist\tSolrosens förskola\tTertial 1 2026\tafter_2",
        "2026-05-12T09:00+02:00\tChef 1\tEnhet 1\tTertial 1 2026\tafter_2",
    ]


def test_reminders_run_dry_run_sends_nothing_and_a_rerun_sends_nothing_twice(city_url, monkeypatch, capsys, tmp_path):
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", city_url)
    monkeypatch.setenv("MALKOLL_DATA_DIR", str(tmp_path))
    assert main(["reminders", "run", "--at", "2026-05-08T09:05", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run at 2026-05-08T09:05+02:00: 2 reminders would be sent." in out
    assert "Chef 1\tEnhet 1\tTertial 1 2026\tdeadline" in out
    # Nobody has a conversation with Målkoll here: both are recorded as unreachable, once.
    assert main(["reminders", "run", "--at", "2026-05-08T09:05"]) == 0
    assert "0 sent, 2 unreachable" in capsys.readouterr().out
    assert main(["reminders", "run", "--at", "2026-05-08T09:06"]) == 0
    assert "0 sent, 0 unreachable" in capsys.readouterr().out
    assert main(["reminders", "run", "--at", "not-a-time"]) == 2
