"""The proactive sender's pacer: the rate stays just under Teams' limit when the
event loop wakes requests late, a held-up backlog never leaves as a burst, and a
429's Retry-After stops everything and slows the pace. Time is simulated: the
pacer's clock and its sleeps are one fake clock, so the figures are exact."""

from __future__ import annotations

import pytest

import bot.proactive as proactive
from bot.proactive import MIN_SHARE, Pacer


class FakeTime:
    """A clock whose sleeps advance it, each wake-up `late` seconds late (a busy loop)."""

    def __init__(self, late: float = 0.0) -> None:
        self.now = 1000.0
        self.late = late

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.late


@pytest.fixture
def fake_time(monkeypatch) -> FakeTime:
    clock = FakeTime()
    monkeypatch.setattr(proactive.asyncio, "sleep", clock.sleep)
    return clock


async def send_times(pacer: Pacer, clock: FakeTime, count: int) -> list[float]:
    times = []
    for _ in range(count):
        await pacer.acquire()
        times.append(clock.now)
    return times


def most_in_any(times: list[float], window: float) -> int:
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_requests_woken_a_little_late_keep_the_rate(fake_time):
    fake_time.late = 0.004  # every wake-up 4 ms late, less than the tolerance
    pacer = Pacer(47.0, tolerance=0.010, clock=fake_time)
    times = await send_times(pacer, fake_time, 471)
    assert (len(times) - 1) / (times[-1] - times[0]) == pytest.approx(47.0, rel=0.01)
    assert most_in_any(times, 1.0) <= 48  # never more than Teams' 50 in a second


async def test_a_held_up_backlog_leaves_at_the_rate_not_as_a_burst(fake_time):
    pacer = Pacer(47.0, tolerance=0.010, clock=fake_time)
    before = await send_times(pacer, fake_time, 20)
    fake_time.now += 2.0  # the process was held up with requests waiting
    after = await send_times(pacer, fake_time, 100)
    assert most_in_any(before + after, 1.0) <= 1 + int((1.0 + 0.010) * 47)
    assert min(b - a for a, b in zip(after, after[1:])) >= 1 / 47 - 0.010 - 1e-9


async def test_retry_after_stops_every_request_and_slows_the_pace_within_a_floor(fake_time):
    pacer = Pacer(47.0, floor=40.0, clock=fake_time)
    await pacer.acquire()
    paused_at = fake_time.now
    pacer.pause(1.0)
    await pacer.acquire()
    assert fake_time.now >= paused_at + 1.0
    assert pacer.rate < 47.0
    for _ in range(50):
        pacer.pause(0.0)
    assert pacer.rate == pytest.approx(40.0)
    assert MIN_SHARE < proactive.MARGIN < 1.0


async def test_many_senders_waiting_leave_in_turn_at_the_rate_and_one_timer_serves_them(fake_time, monkeypatch):
    sleeps = 0
    advance = fake_time.sleep

    async def counted(seconds: float) -> None:
        nonlocal sleeps
        sleeps += 1
        await advance(seconds)

    monkeypatch.setattr(proactive.asyncio, "sleep", counted)
    pacer = Pacer(47.0, clock=fake_time)
    times: list[float] = []

    async def sender() -> None:
        for _ in range(10):
            await pacer.acquire()
            times.append(fake_time.now)

    await proactive.asyncio.gather(*(sender() for _ in range(20)))
    assert len(times) == 200
    assert (len(times) - 1) / (times[-1] - times[0]) == pytest.approx(47.0, rel=0.01)
    assert sleeps <= len(times)  # not one wake-up per waiting sender per request
