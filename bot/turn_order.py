"""One turn at a time per conversation, and a lost e-tag race that loses nothing.

Teams delivers two quick messages of one person as two concurrent HTTP requests.
Both turns would read the conversation's state (an open follow-up dialog, say)
before either saved it; the second save then fails its e-tag check. So this
middleware runs the turns of one conversation one after another within the
process (an asyncio lock per conversation; other conversations are not held up).

Across bot instances the e-tag check still decides: when another instance saved
the conversation's state first (ConcurrencyConflict), its state is the newer one.
It is kept (the turn error handler would delete it, and with it the open dialog),
the turn's cached state is re-read, and the person is asked to send the message
again, in their language.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

import structlog
from botbuilder.core import BotState, Middleware, TurnContext
from botbuilder.schema import ActivityTypes

from dialogs.texts import Texts
from storage.bot_state import BotStateConflict

log = structlog.get_logger(__name__)

# Conversations whose lock the current task already holds: a turn that starts a
# proactive turn in its own conversation (continue_conversation runs this
# middleware again, in the same task) must not wait for itself. The holding task
# is part of the entry because a task started during a turn (the export's upload
# turn, say) copies this context: it must wait for the lock like any other turn.
_HELD: ContextVar[frozenset[tuple[tuple[str, str], asyncio.Task | None]]] = ContextVar(
    "turn_order_held", default=frozenset()
)


def _conversation_key(context: TurnContext) -> tuple[str, str] | None:
    activity = context.activity
    if activity is None or activity.conversation is None or not activity.conversation.id:
        return None
    return (activity.channel_id or "", activity.conversation.id)


async def keep_newer_state(context: TurnContext, state: BotState, error: BotStateConflict) -> None:
    """Another turn saved this conversation's state first: keep that state (re-read
    it into this turn) and ask the person to send their message again."""
    log.warning("turn.state_conflict", conversation_id=context.activity.conversation.id, detail=str(error))
    await state.load(context, force=True)
    if context.activity.type == ActivityTypes.message:
        await context.send_activity(Texts.for_locale(context.activity.locale).t("turn.send_again"))


class TurnOrder(Middleware):
    def __init__(self, conversation_state: BotState) -> None:
        self._state = conversation_state
        # weak values: a conversation's lock exists only while a turn holds or awaits it
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable]) -> None:
        key = _conversation_key(context)
        held = _HELD.get()
        mine = (key, asyncio.current_task())
        if key is None or mine in held:
            return await self._run(context, logic)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            token = _HELD.set(held | {mine})
            try:
                return await self._run(context, logic)
            finally:
                _HELD.reset(token)

    async def _run(self, context: TurnContext, logic: Callable[[], Awaitable]) -> None:
        try:
            return await logic()
        except BotStateConflict as error:
            await keep_newer_state(context, self._state, error)
            return None
