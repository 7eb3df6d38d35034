"""The Teams bot: what happens to each incoming activity before and around the dialogs.

Order per turn, and why:
1. tenant allow-list: another organisation gets a polite refusal and nothing else
   (no row written, no state, no reference);
2. duplicate delivery (Teams retries when we answer slowly): the activity id is
   recorded atomically, a second delivery stops here;
3. conversation reference saved (install, members added, every message), so
   reminders and channel posts can reach the conversation later; uninstall marks
   it inactive;
4. identity: the Teams user → a person with roles; unknown people are told how to
   get access;
5. the dialogs, with their state in the database.

Invokes: only `fileConsent/invoke` (the person allowed or declined a file the bot
offered, see dialogs/export_dialog.py) is handled, after the same steps 1, 2 and 4; it
is always answered with an invoke response, so Teams shows no error on the card. Other
invokes get botbuilder's 501.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable

import structlog
from botbuilder.core import Bot, CardFactory, ConversationState, InvokeResponse, MessageFactory, TurnContext
from botbuilder.dialogs import Dialog, DialogSet, DialogTurnStatus
from botbuilder.schema import Activity, ActivityTypes

from bot.identity import Identities
from bot.references import ReferenceRecorder
from bot.tenants import TenantGate, tenant_of
from bot.turn_order import keep_newer_state
from dialogs.cards import build_welcome_card
from dialogs.export_dialog import FILE_CONSENT_INVOKE
from dialogs.texts import Texts
from dialogs.turn_state import set_turn_info
from goals.access import Actor
from storage.bot_state import ActivityLedger, BotStateConflict

log = structlog.get_logger(__name__)

def _bot_is_among(activity: Activity, members) -> bool:
    bot_id = activity.recipient.id if activity.recipient else None
    return any(member.id == bot_id for member in members or ())


def correlation_id() -> str:
    """The id that ties a user's report ("referens …") to the log lines of its turn."""
    return structlog.contextvars.get_contextvars().get("correlation_id") or uuid.uuid4().hex[:10]


class MalkollBot(Bot):
    def __init__(
        self,
        *,
        conversation_state: ConversationState,
        main_dialog: Dialog,
        identities: Identities,
        tenant_gate: TenantGate,
        ledger: ActivityLedger | OneWriterLedger,
        references: ReferenceRecorder,
        file_consent: Callable[[TurnContext], Awaitable[int]] | None = None,
    ) -> None:
        self._conversation_state = conversation_state
        self._main_dialog = main_dialog
        self._dialogs = DialogSet(conversation_state.create_property("DialogState"))
        self._dialogs.add(main_dialog)
        self._welcomed = conversation_state.create_property("Welcomed")
        # weak values: a conversation's lock lives only while a turn holds it
        self._welcome_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._identities = identities
        self._tenants = tenant_gate
        self._ledger = ledger
        self._references = references
        self._file_consent = file_consent

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        texts = Texts.for_locale(activity.locale)
        set_turn_info(context, texts=texts)
        tenant = tenant_of(activity)
        if not await self._tenants.allows(tenant):
            log.warning("tenant.refused", tenant_id=tenant, activity_type=activity.type)
            if activity.type == ActivityTypes.message or self._handles_invoke(activity) or (
                activity.type == ActivityTypes.installation_update and activity.action == "add"
            ):
                await context.send_activity(texts.t("access.other_tenant"))
            if self._handles_invoke(activity):
                await _answer_invoke(context, 200)
            return
        if activity.id:
            # The delivery is recorded, then the conversation's state read, on one
            # pooled connection (one checkout and, on PostgreSQL, one pre-ping per
            # turn instead of two); a duplicate stops before the read.
            async with self._ledger.turn_connection():
                # the state is read in the insert's round trip (storage/bot_state.py)
                first = await self._ledger.first_time(
                    activity.id, channel_id=activity.channel_id or "", state_key=self._state_key(context)
                )
                if first:
                    await self._conversation_state.load(context)
            if not first:
                log.info("activity.duplicate", activity_id=activity.id)
                if self._handles_invoke(activity):
                    # Teams retried while the first delivery works on it: that one answers the person.
                    await _answer_invoke(context, 200)
                return
        match activity.type:
            case ActivityTypes.message:
                await self._on_message(context, tenant, texts)
            case ActivityTypes.installation_update:
                await self._on_installation_update(context, tenant, texts)
            case ActivityTypes.conversation_update:
                await self._on_conversation_update(context, tenant, texts)
            case ActivityTypes.invoke if self._handles_invoke(activity):
                await self._on_file_consent(context, tenant, texts)
            case _:
                log.debug("activity.ignored", activity_type=activity.type)

    # --- activities -------------------------------------------------------------

    async def _on_message(self, context: TurnContext, tenant: str, texts: Texts) -> None:
        activity = context.activity
        TurnContext.remove_recipient_mention(activity)  # "@Målkoll mina mål" in a channel
        await self._references.record(activity, tenant_id=tenant)
        actor = await self._actor(context, tenant)
        if actor is None:
            await context.send_activity(texts.t("access.unknown_user"))
            return
        if not activity.locale:
            texts = Texts.for_locale(actor.person.locale)
        set_turn_info(context, texts=texts, actor=actor)
        dialog_context = await self._dialogs.create_context(context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog(self._main_dialog.id)
        await self._conversation_state.save_changes(context)

    async def _on_file_consent(self, context: TurnContext, tenant: str, texts: Texts) -> None:
        assert self._file_consent is not None  # _handles_invoke said so
        actor = await self._actor(context, tenant)
        if actor is None:
            await context.send_activity(texts.t("access.unknown_user"))
            await _answer_invoke(context, 200)
            return
        if not context.activity.locale:
            texts = Texts.for_locale(actor.person.locale)
        set_turn_info(context, texts=texts, actor=actor)
        await _answer_invoke(context, await self._file_consent(context))

    def _state_key(self, context: TurnContext) -> str | None:
        try:
            return self._conversation_state.get_storage_key(context)
        except (TypeError, AttributeError):  # no channel or conversation id: `load` will say so
            return None

    def _handles_invoke(self, activity: Activity) -> bool:
        return (
            activity.type == ActivityTypes.invoke
            and activity.name == FILE_CONSENT_INVOKE
            and self._file_consent is not None
        )

    async def _actor(self, context: TurnContext, tenant: str) -> Actor | None:
        activity = context.activity
        user_id = activity.from_property.aad_object_id if activity.from_property else None
        actor = await self._identities.actor(tenant_id=tenant, entra_object_id=user_id) if user_id else None
        if actor is None:
            log.info("user.unknown", tenant_id=tenant, aad_object_id=user_id)
        return actor

    async def _on_installation_update(self, context: TurnContext, tenant: str, texts: Texts) -> None:
        action = (context.activity.action or "").lower()
        if action.startswith("add"):  # "add", and "add-upgrade" on an app update
            await self._references.record(context.activity, tenant_id=tenant, always=True)
            if action == "add":
                await self._welcome_once(context, texts)
        elif action.startswith("remove"):
            await self._deactivate(context, tenant)

    async def _on_conversation_update(self, context: TurnContext, tenant: str, texts: Texts) -> None:
        activity = context.activity
        if activity.members_added:
            await self._references.record(activity, tenant_id=tenant, always=True)
            if _bot_is_among(activity, activity.members_added):
                # Clients that send no installationUpdate still get welcomed, once.
                await self._welcome_once(context, texts)
        if activity.members_removed and _bot_is_among(activity, activity.members_removed):
            await self._deactivate(context, tenant)

    # --- helpers ----------------------------------------------------------------

    async def _welcome_once(self, context: TurnContext, texts: Texts) -> None:
        # Teams sends installationUpdate and conversationUpdate for one install at the
        # same moment; both turns read "not welcomed" before either saves. One lock per
        # conversation, and the state re-read under it, lets only the first welcome.
        # (Both events go to the same instance; across instances a rare double welcome
        # remains possible and harmless.)
        key = context.activity.conversation.id if context.activity.conversation else ""
        lock = self._welcome_locks.get(key)
        if lock is None:
            lock = self._welcome_locks[key] = asyncio.Lock()
        async with lock:
            await self._conversation_state.load(context, force=True)
            if await self._welcomed.get(context, False):
                return
            card = build_welcome_card(texts)
            await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(card)))
            await self._welcomed.set(context, True)
            await self._conversation_state.save_changes(context)

    async def _deactivate(self, context: TurnContext, tenant: str) -> None:
        activity = context.activity
        await self._references.deactivate(activity, tenant_id=tenant)
        # Forget the conversation (open dialogs, "welcomed"): a reinstall starts afresh.
        await self._conversation_state.delete(context)
        log.info("conversation.inactive", conversation_id=activity.conversation.id)


async def _answer_invoke(context: TurnContext, status: int) -> None:
    # The adapter keeps this activity and returns it as the HTTP answer to the invoke.
    await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=status)))


class OneWriterLedger:
    """The duplicate-delivery ledger for SQLite, which has one writer at a time:
    turns of this process queue here for their insert instead of in SQLite's busy
    handler, whose growing sleeps (up to 100 ms each) made p99 latencies of seconds
    under 50 concurrent users."""

    def __init__(self, ledger: ActivityLedger) -> None:
        self._ledger = ledger
        self._lock = asyncio.Lock()

    def turn_connection(self):
        # The connection is taken before the lock: only the insert waits for the writer.
        return self._ledger.turn_connection()

    async def first_time(self, activity_id: str, *, channel_id: str, state_key: str | None = None) -> bool:
        async with self._lock:
            return await self._ledger.first_time(activity_id, channel_id=channel_id, state_key=state_key)


def make_turn_error_handler(conversation_state: ConversationState):
    """Log with the correlation id, answer neutrally in the user's language, and
    drop the conversation's dialog state so the next message starts clean."""

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        if isinstance(error, BotStateConflict):  # another turn saved first: keep its state (bot/turn_order.py)
            await keep_newer_state(context, conversation_state, error)
            return
        ref = correlation_id()
        log.error("turn.failed", correlation_id=ref, activity_type=context.activity.type, exc_info=error)
        try:
            await conversation_state.delete(context)
        except Exception:  # noqa: BLE001 - the answer below matters more
            log.exception("turn.state_not_cleared", correlation_id=ref)
        file_consent = context.activity.type == ActivityTypes.invoke and context.activity.name == FILE_CONSENT_INVOKE
        if context.activity.type != ActivityTypes.message and not file_consent:
            return
        try:
            await context.send_activity(Texts.for_locale(context.activity.locale).t("error.neutral", ref=ref))
        except Exception:  # noqa: BLE001 - the connector itself may be what failed
            log.exception("turn.error_reply_failed", correlation_id=ref)
        if file_consent:
            # The person was told above; the card's own error state says the same.
            await _answer_invoke(context, 500)

    return on_turn_error
