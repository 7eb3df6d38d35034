"""The reminder ledger on SQLite and PostgreSQL: claim-then-send never lets a
reminder go out twice, and a crash between claim and outcome loses none."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage.reminder_ledger import LedgerKey, ReminderLedger
from storage.session import create_engine, make_sessionmaker

STHLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=STHLM)
KEYS = [LedgerKey(person_id=p, period_id=7, kind="deadline") for p in range(1, 41)]


def wanted(keys=KEYS, due=NOW):
    return [(key, due) for key in keys]


async def test_a_reminder_is_claimed_once_whoever_asks_again(sessionmaker):
    one = ReminderLedger(sessionmaker, instance_id="one")
    two = ReminderLedger(sessionmaker, instance_id="two")
    assert await one.claim(wanted(), now=NOW) == KEYS
    assert await one.claim(wanted(), now=NOW) == []  # a rerun
    assert await two.claim(wanted(), now=NOW + timedelta(minutes=5)) == []  # a second instance within the lease
    assert await one.finish(KEYS[0], status="sent", now=NOW, conversation_id="a:1")
    later = NOW + timedelta(days=1)
    assert await two.claim(wanted(KEYS[:1]), now=later) == []  # sent stays sent, also after the lease
    entry = (await one.entries(person_id=1))[0]
    assert (entry.status, entry.attempts, entry.conversation_id, entry.due_at) == ("sent", 1, "a:1", NOW)


async def test_a_claim_left_by_a_crash_is_taken_over_after_the_lease(sessionmaker):
    crashed = ReminderLedger(sessionmaker, instance_id="crashed", lease=timedelta(minutes=10))
    survivor = ReminderLedger(sessionmaker, instance_id="survivor", lease=timedelta(minutes=10))
    await crashed.claim(wanted(KEYS[:3]), now=NOW)
    assert await survivor.claim_due(now=NOW + timedelta(minutes=9)) == []
    taken = await survivor.claim_due(now=NOW + timedelta(minutes=11))
    assert sorted(taken, key=lambda k: k.person_id) == KEYS[:3]
    assert not await crashed.finish(KEYS[0], status="sent", now=NOW)  # the old owner cannot record any more
    assert await survivor.finish(KEYS[0], status="sent", now=NOW)
    assert [e.attempts for e in await survivor.entries(person_id=1)] == [2]


async def test_transient_failures_are_retried_at_their_time_then_given_up(sessionmaker):
    ledger = ReminderLedger(sessionmaker, instance_id="one", max_attempts=2)
    key = KEYS[0]
    await ledger.claim(wanted([key]), now=NOW)
    await ledger.finish(key, status="retry", now=NOW, detail="503", retry_at=NOW + timedelta(minutes=5))
    assert await ledger.claim_due(now=NOW + timedelta(minutes=4)) == []
    assert await ledger.claim_due(now=NOW + timedelta(minutes=5)) == [key]
    await ledger.finish(key, status="retry", now=NOW, detail="503", retry_at=NOW + timedelta(minutes=10))
    entry = (await ledger.entries(person_id=1))[0]
    assert (entry.status, entry.detail, entry.attempts) == ("failed", "503", 2)
    assert await ledger.claim_due(now=NOW + timedelta(days=1)) == []


async def test_snoozed_reminders_wait_for_their_time(sessionmaker):
    ledger = ReminderLedger(sessionmaker, instance_id="one")
    snoozed = LedgerKey(1, 7, "snooze_2026-03-11")
    until = datetime(2026, 3, 11, 9, tzinfo=STHLM)
    assert await ledger.snooze([snoozed], until=until) == 1
    assert await ledger.snooze([snoozed], until=until) == 0  # asking twice the same day
    assert await ledger.claim_due(now=until - timedelta(seconds=1)) == []
    assert await ledger.claim_due(now=until.astimezone(UTC)) == [snoozed]


async def test_local_and_utc_times_compare_as_the_same_instant(sessionmaker):
    ledger = ReminderLedger(sessionmaker, instance_id="one", lease=timedelta(minutes=10))
    await ledger.claim(wanted(KEYS[:1]), now=NOW)  # 09:00 Stockholm = 08:00 UTC
    assert await ledger.claim_due(now=datetime(2026, 3, 10, 8, 9, tzinfo=UTC)) == []
    other = ReminderLedger(sessionmaker, instance_id="two", lease=timedelta(minutes=10))
    assert await other.claim_due(now=datetime(2026, 3, 10, 8, 11, tzinfo=UTC)) == KEYS[:1]


async def test_two_instances_racing_claim_each_reminder_exactly_once(database_url):
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        ledgers = [ReminderLedger(make_sessionmaker(e), instance_id=f"i{n}") for n, e in enumerate(engines)]
        keys = [LedgerKey(p, 7, "deadline") for p in range(1, 301)]
        # Both take every key in small, interleaved claims, as two schedulers would.
        chunks = [keys[i : i + 25] for i in range(0, len(keys), 25)]

        async def run(ledger: ReminderLedger, order) -> list[LedgerKey]:
            got: list[LedgerKey] = []
            for chunk in order:
                got += await ledger.claim(wanted(chunk), now=NOW)
            return got

        first, second = await asyncio.gather(run(ledgers[0], chunks), run(ledgers[1], chunks[::-1]))
        assert not set(first) & set(second)
        assert sorted(first + second, key=lambda k: k.person_id) == keys
        # Crashed claims taken over by both at once: still each once.
        later = NOW + timedelta(hours=1)
        one, two = await asyncio.gather(ledgers[0].claim_due(now=later), ledgers[1].claim_due(now=later))
        assert not set(one) & set(two) and len(one) + len(two) == len(keys)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_claims_say_which_attempt_it_is_and_outcomes_recorded_together_stay_with_the_owner(sessionmaker):
    crashed = ReminderLedger(sessionmaker, instance_id="crashed", lease=timedelta(minutes=10))
    survivor = ReminderLedger(sessionmaker, instance_id="survivor", lease=timedelta(minutes=10))
    assert await crashed.claim_counted(wanted(KEYS[:2]), now=NOW) == {KEYS[0]: 1, KEYS[1]: 1}
    # A pass asking for all of them after the lease: two taken over, the rest new, in the order asked.
    claimed = await survivor.claim_counted(wanted(KEYS[:5]), now=NOW + timedelta(minutes=11))
    assert list(claimed.items()) == [(KEYS[0], 2), (KEYS[1], 2), (KEYS[2], 1), (KEYS[3], 1), (KEYS[4], 1)]
    await crashed.finish_many([(KEYS[0], "sent", "", "a:1")], now=NOW)  # no longer its claim: nothing changes
    await survivor.finish_many([(KEYS[0], "sent", "", "a:1"), (KEYS[1], "unreachable", "HTTP 403", None),
                                (KEYS[2], "sent", "", "a:3")], now=NOW + timedelta(minutes=12))
    entries = {e.person_id: e for e in await survivor.entries()}
    assert [(entries[p].status, entries[p].claimed_by, entries[p].detail) for p in (1, 2, 3, 4)] == [
        ("sent", "survivor", ""), ("unreachable", "survivor", "HTTP 403"), ("sent", "survivor", ""),
        ("claimed", "survivor", ""),
    ]
    assert entries[1].conversation_id == "a:1" and entries[1].finished_at == NOW + timedelta(minutes=12)
    assert await survivor.claim(wanted(KEYS[:3]), now=NOW + timedelta(days=1)) == []  # final stays final
    with pytest.raises(ValueError):
        await survivor.finish_many([(KEYS[3], "retry", "", None)], now=NOW)  # a retry needs its own time
