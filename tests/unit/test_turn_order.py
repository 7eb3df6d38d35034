"""Turns of one conversation run one at a time; a proactive turn the running turn
starts itself (same task) does not wait for itself, but a turn in a task started
during a turn (the export's upload turn) waits until that turn has ended."""

from __future__ import annotations

import asyncio

from botbuilder.core import ConversationState, MemoryStorage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from bot.turn_order import TurnOrder


def _context(conversation: str = "conv-1") -> TurnContext:
    activity = Activity(
        type="message",
        text="hej",
        channel_id="msteams",
        conversation=ConversationAccount(id=conversation),
        from_property=ChannelAccount(id="user"),
        recipient=ChannelAccount(id="bot"),
    )
    return TurnContext(TestAdapter(), activity)


def _order() -> TurnOrder:
    return TurnOrder(ConversationState(MemoryStorage()))


async def test_a_proactive_turn_in_the_same_task_does_not_wait_for_itself():
    order = _order()
    ran: list[str] = []

    async def inner():
        ran.append("inner")

    async def outer():
        await order.on_turn(_context(), inner)
        ran.append("outer")

    await asyncio.wait_for(order.on_turn(_context(), outer), timeout=2)
    assert ran == ["inner", "outer"]


async def test_a_turn_started_in_a_task_during_a_turn_waits_for_that_turn():
    order = _order()
    events: list[str] = []
    spawned: list[asyncio.Task] = []

    async def later():
        events.append("later")

    async def first():
        spawned.append(asyncio.create_task(order.on_turn(_context(), later)))
        await asyncio.sleep(0.05)  # the spawned turn gets every chance to run now
        events.append("first done")

    await order.on_turn(_context(), first)
    await asyncio.wait_for(spawned[0], timeout=2)
    assert events == ["first done", "later"]


async def test_other_conversations_are_not_held_up():
    order = _order()
    events: list[str] = []
    other_done = asyncio.Event()

    async def other():
        events.append("other")
        other_done.set()

    async def first():
        asyncio.create_task(order.on_turn(_context("conv-2"), other))
        await asyncio.wait_for(other_done.wait(), timeout=2)
        events.append("first done")

    await order.on_turn(_context(), first)
    assert events == ["other", "first done"]
