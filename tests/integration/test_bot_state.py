"""StateStore e-tags, the activity ledger and a dialog surviving a restart, on
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from botbuilder.core import ConversationState, MessageFactory, TurnContext, UserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogSet, DialogTurnStatus, PromptOptions, TextPrompt, WaterfallDialog, WaterfallStepContext

from bot.state_storage import SqlBotStorage
from goals.errors import ConcurrencyConflict
from storage.bot_state import ActivityLedger, StateStore
from storage.session import create_engine, make_sessionmaker

RACERS = 8


@pytest.fixture
def store(engine) -> StateStore:
    return StateStore(make_sessionmaker(engine))


@pytest.fixture
def ledger(engine) -> ActivityLedger:
    return ActivityLedger(make_sessionmaker(engine))


# --- StateStore -------------------------------------------------------------


async def test_read_returns_data_and_etag_and_leaves_missing_keys_out(store):
    etags = await store.write({"a": ({"unit": "Hagsätra fritidsgård", "n": 1}, None)})

    assert await store.read(["a", "missing"]) == {"a": ({"unit": "Hagsätra fritidsgård", "n": 1}, etags["a"])}
    assert await store.read([]) == {}


async def test_every_write_gives_a_new_etag_and_a_matching_etag_is_accepted(store):
    first = (await store.write({"a": ({"n": 1}, None)}))["a"]
    second = (await store.write({"a": ({"n": 2}, first)}))["a"]

    assert second != first
    assert await store.read(["a"]) == {"a": ({"n": 2}, second)}


async def test_stale_etag_conflicts_and_keeps_the_stored_data(store):
    first = (await store.write({"a": ({"n": 1}, None)}))["a"]
    await store.write({"a": ({"n": 2}, first)})

    with pytest.raises(ConcurrencyConflict):
        await store.write({"a": ({"n": 3}, first)})
    assert (await store.read(["a"]))["a"][0] == {"n": 2}


@pytest.mark.parametrize("etag", [None, "*"])
async def test_none_and_star_overwrite_whatever_is_stored(store, etag):
    await store.write({"a": ({"n": 1}, None)})

    await store.write({"a": ({"n": 2}, etag)})

    assert (await store.read(["a"]))["a"][0] == {"n": 2}


async def test_conditional_write_of_a_missing_key_creates_it_like_botbuilder_storages(store):
    etags = await store.write({"new": ({"n": 1}, "etag-from-somewhere-else")})

    assert await store.read(["new"]) == {"new": ({"n": 1}, etags["new"])}


async def test_empty_etag_is_refused(store):
    with pytest.raises(ValueError):
        await store.write({"a": ({"n": 1}, "")})
    assert await store.read(["a"]) == {}


async def test_delete_removes_only_the_given_keys_and_ignores_missing_ones(store):
    await store.write({"a": ({"n": 1}, None), "b": ({"n": 2}, None)})

    await store.delete(["a", "never-written"])

    assert list(await store.read(["a", "b"])) == ["b"]


async def test_of_concurrent_writers_with_the_same_etag_exactly_one_wins(store):
    base = (await store.write({"a": ({"writer": None}, None)}))["a"]

    outcomes = await asyncio.gather(
        *(store.write({"a": ({"writer": i}, base)}) for i in range(RACERS)), return_exceptions=True
    )

    winners = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, dict)]
    assert len(winners) == 1
    assert all(isinstance(o, ConcurrencyConflict) for i, o in enumerate(outcomes) if i != winners[0])
    assert await store.read(["a"]) == {"a": ({"writer": winners[0]}, outcomes[winners[0]]["a"])}


async def test_of_concurrent_conditional_creators_of_a_missing_key_exactly_one_wins(store):
    outcomes = await asyncio.gather(
        *(store.write({"fresh": ({"writer": i}, "stale")}) for i in range(RACERS)), return_exceptions=True
    )

    winners = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, dict)]
    assert len(winners) == 1
    assert sum(isinstance(o, ConcurrencyConflict) for o in outcomes) == RACERS - 1
    assert (await store.read(["fresh"]))["fresh"][0] == {"writer": winners[0]}


# --- ActivityLedger -----------------------------------------------------------


async def test_a_redelivered_activity_is_recognised(ledger):
    assert await ledger.first_time("1700000000001", channel_id="msteams") is True
    assert await ledger.first_time("1700000000001", channel_id="msteams") is False
    assert await ledger.first_time("1700000000002", channel_id="msteams") is True
    assert await ledger.first_time("1700000000001", channel_id="emulator") is True


async def test_of_concurrent_deliveries_of_one_activity_exactly_one_is_first(ledger):
    outcomes = await asyncio.gather(*(ledger.first_time("f:race", channel_id="msteams") for _ in range(RACERS)))

    assert sorted(outcomes) == [False] * (RACERS - 1) + [True]


async def test_prune_forgets_only_activities_older_than_the_limit(ledger):
    await ledger.first_time("old", channel_id="msteams")

    assert await ledger.prune(older_than=datetime.now(UTC) - timedelta(hours=1)) == 0
    assert await ledger.first_time("old", channel_id="msteams") is False

    assert await ledger.prune(older_than=datetime.now(UTC) + timedelta(minutes=1)) == 1
    assert await ledger.first_time("old", channel_id="msteams") is True


# --- Restart mid-dialog -------------------------------------------------------


def follow_up_bot(storage: SqlBotStorage) -> TestAdapter:
    """A small waterfall in the shape of Målkoll's follow-up: which unit, how it
    goes, confirmation; plus a per-user message counter in user state."""
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    messages = user_state.create_property("messages")
    dialogs = DialogSet(conversation_state.create_property("DialogState"))

    async def ask_unit(step: WaterfallStepContext):
        return await step.prompt("text", PromptOptions(prompt=MessageFactory.text("Vilken enhet gäller det?")))

    async def ask_progress(step: WaterfallStepContext):
        step.values["unit"] = step.result
        return await step.prompt("text", PromptOptions(prompt=MessageFactory.text(f"Hur går det för {step.result}?")))

    async def confirm(step: WaterfallStepContext):
        count = await messages.get(step.context, int)
        await step.context.send_activity(f"Sparat för {step.values['unit']}: {step.result} ({count} meddelanden)")
        return await step.end_dialog()

    dialogs.add(WaterfallDialog("follow_up", [ask_unit, ask_progress, confirm]))
    dialogs.add(TextPrompt("text"))

    async def on_turn(turn_context: TurnContext) -> None:
        # A factory, not 0: botbuilder treats a falsy default as "no default".
        await messages.set(turn_context, await messages.get(turn_context, int) + 1)
        dialog_context = await dialogs.create_context(turn_context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog("follow_up")
        await conversation_state.save_changes(turn_context)
        await user_state.save_changes(turn_context)

    return TestAdapter(on_turn)


async def test_a_dialog_half_way_continues_at_the_next_step_after_a_restart(database_url):
    before = create_engine(database_url)
    adapter = follow_up_bot(SqlBotStorage(StateStore(make_sessionmaker(before))))
    flow = await adapter.test("hej", "Vilken enhet gäller det?")
    await flow.test("Hagsätra fritidsgård", "Hur går det för Hagsätra fritidsgård?")
    await before.dispose()

    after = create_engine(database_url)
    try:
        restarted = follow_up_bot(SqlBotStorage(StateStore(make_sessionmaker(after))))
        flow = await restarted.test("Enligt plan", "Sparat för Hagsätra fritidsgård: Enligt plan (3 meddelanden)")
        # The finished dialog is gone from the stored state: the next message starts anew.
        await flow.test("hej igen", "Vilken enhet gäller det?")
    finally:
        await after.dispose()
