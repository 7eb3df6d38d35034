"""LeanConversationState (bot/state_storage.py) takes the turn cache's hash from the
stored item instead of flattening the restored state again: the same hash as
botbuilder's, so an unchanged state is not written and a changed one is."""

from __future__ import annotations

import pytest
from botbuilder.core import ConversationState, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.core.bot_state import CachedBotState
from botbuilder.dialogs import DialogInstance, DialogState
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from bot.state_storage import LeanConversationState, SqlBotStorage
from storage.bot_state import StateStore
from storage.session import make_sessionmaker


def _context() -> TurnContext:
    activity = Activity(
        type="message", channel_id="msteams", text="mina mål",
        conversation=ConversationAccount(id="a:personal-1"), from_property=ChannelAccount(id="29:1"),
    )
    return TurnContext(TestAdapter(), activity)


def _active_dialog() -> DialogState:
    inner = DialogInstance()
    inner.id = "follow_up"
    inner.state = {
        "stepIndex": 1,
        "options": {"prompt": Activity(type="message", text="Hur går det? åäö"), "n": 3, "x": 1.5, "pair": (1, 2)},
        "values": {"instanceId": "abc", "b": {"z": 1, "a": 2}},
    }
    outer = DialogInstance()
    outer.id = "main"
    outer.state = {"dialogs": DialogState([inner])}
    return DialogState([outer])


STATES = {
    "no dialog": lambda: {"DialogState": DialogState([])},
    "welcomed, a dialog waiting": lambda: {"Welcomed": True, "DialogState": _active_dialog()},
}


@pytest.mark.parametrize("shape", STATES)
async def test_the_hash_is_botbuilders_and_an_unchanged_state_is_not_written(engine, shape):
    storage = SqlBotStorage(StateStore(make_sessionmaker(engine)))
    state = LeanConversationState(storage)
    writer = _context()
    await state.load(writer)
    state.get(writer).update(STATES[shape]())
    await state.save_changes(writer)

    context = _context()
    await state.load(context)
    cached = state.get_cached_state(context)
    assert cached.hash == CachedBotState(cached.state).hash  # what botbuilder would have computed
    assert not cached.is_changed

    writes = []
    write = storage.write

    async def counting(changes):
        writes.append(changes)
        await write(changes)

    storage.write = counting
    await state.save_changes(context)
    assert writes == []
    state.get(context)["Welcomed"] = "again"
    await state.save_changes(context)
    assert len(writes) == 1
    again = _context()
    await state.load(again)
    assert state.get(again)["Welcomed"] == "again"


async def test_a_missing_state_loads_as_botbuilders(engine):
    storage = SqlBotStorage(StateStore(make_sessionmaker(engine)))
    lean, stock = LeanConversationState(storage), ConversationState(storage)
    for state in (lean, stock):
        context = _context()
        await state.load(context)
        cached = state.get_cached_state(context)
        assert (cached.state, cached.hash, cached.is_changed) == ({}, "None", True)


async def test_a_loaded_state_stays_unless_forced(engine):
    storage = SqlBotStorage(StateStore(make_sessionmaker(engine)))
    state = LeanConversationState(storage)
    context = _context()
    await state.load(context)
    state.get(context)["Welcomed"] = True
    await state.save_changes(context)
    state.get(context)["Welcomed"] = "unsaved"
    await state.load(context)
    assert state.get(context)["Welcomed"] == "unsaved"
    await state.load(context, force=True)
    assert state.get(context)["Welcomed"] is True
