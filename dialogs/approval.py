"""Deciding on a submitted follow-up from the approval card: Godkänn / Skicka tillbaka.

The card's payload is untrusted: only its ids, the version and the decision are
read, and goals.services decides on the server whether this person may approve
this follow-up, whether the version is still the one they saw, and whether it is
still waiting for a decision. Every refusal becomes a message; nothing is written.

After a decision the card in this conversation is updated in place (its message id
was kept when the outbox dispatcher sent it), so it shows who decided and has no
buttons left. Other approvers' cards, and the unit manager's message, follow from
the decision's outbox event (bot/outbox_dispatcher.py).

"Vad ska jag godkänna?" (Intent.APPROVALS, PendingApprovalsDialog) sends the same cards
again for what still waits for this person's decision, so a card that scrolled away
is one question away. Its buttons take the path above; the card pressed (Teams names
it in the submit's replyToId) is updated too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import structlog
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult
from botbuilder.schema import Activity

from dialogs.cards.approval import (
    APPROVE,
    COMMENT_INPUT,
    RETURN,
    Decided,
    build_approval_card,
)
from dialogs.cards.overview import period_name
from dialogs.texts import Texts
from dialogs.turn_state import actor_of, texts_of
from goals.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    PeriodClosed,
    PermissionDenied,
    ValidationFailed,
)
from goals.model import FollowUp, FollowUpState, Role
from goals.ports import Clock, UnitOfWork
from goals.services import approve_follow_up, return_follow_up
from goals.services.approval_view import (
    ApprovalView,
    load_approval_view,
    pending_approvals,
)

log = structlog.get_logger(__name__)

APPROVAL_DIALOG_ID = "approval"
PENDING_APPROVALS_DIALOG_ID = "pending_approvals"
PENDING_CARDS = 5  # cards per answer; the rest are counted, and come when these are decided
MAX_ID = 2**31 - 1


class CardDelivery(Protocol):
    event_id: int
    person_id: int
    activity_id: str | None


class ApprovalCards(Protocol):
    """Where the sent approval cards are recorded (storage.outbox_deliveries.DeliveryLedger)."""

    async def card_in(self, *, follow_up_id: int, conversation_id: str) -> CardDelivery | None: ...

    async def close_card(self, *, event_id: int, person_id: int, now: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class Decision:
    follow_up_id: int
    version: int
    decision: str
    comment: str


def decision_of(value: Any) -> Decision | None:
    """The card's payload as a decision, or None if it is not one we sent."""
    if not isinstance(value, dict):
        return None
    follow_up_id, version, decision = value.get("follow_up_id"), value.get("version"), value.get("decision")
    comment = value.get(COMMENT_INPUT) or ""
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 < n <= MAX_ID for n in (follow_up_id, version)):
        return None
    if decision not in (APPROVE, RETURN) or not isinstance(comment, str):
        return None
    return Decision(follow_up_id, version, decision, comment.strip()[:2000])


def decided_of(view: ApprovalView) -> Decided | None:
    """How the card of a decided follow-up ends; None while it waits for a decision."""
    follow_up = view.follow_up
    on = follow_up.decided_at.date() if follow_up.decided_at else None
    if follow_up.state == FollowUpState.APPROVED:
        return Decided("approved", view.approver_name, on)
    if follow_up.state == FollowUpState.RETURNED:
        return Decided("returned", view.approver_name, on, follow_up.return_comment)
    return None


class ApprovalDialog(Dialog):
    """One turn: decide, answer, update the card."""

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock, cards: ApprovalCards) -> None:
        super().__init__(APPROVAL_DIALOG_ID)
        self._uow = uow_factory
        self._clock = clock
        self._cards = cards

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        await self._decide(dialog_context.context)
        return await dialog_context.end_dialog()

    async def _decide(self, context: TurnContext) -> None:
        texts, actor = texts_of(context), actor_of(context)
        decision = decision_of(context.activity.value)
        if decision is None:
            await context.send_activity(texts.t("approvals.reply.malformed"))
            return
        try:
            if decision.decision == APPROVE:
                stored = await approve_follow_up(self._uow(), actor=actor, follow_up_id=decision.follow_up_id,
                                                 expected_version=decision.version, clock=self._clock)
            else:
                stored = await return_follow_up(self._uow(), actor=actor, follow_up_id=decision.follow_up_id,
                                                expected_version=decision.version, comment=decision.comment,
                                                clock=self._clock)
        except PermissionDenied:
            await context.send_activity(texts.t("approvals.reply.not_yours"))
            return
        except ValidationFailed:
            await context.send_activity(texts.t("approvals.comment_required"))
            return
        except PeriodClosed:
            await context.send_activity(texts.t("approvals.reply.period_closed"))
            return
        except ConcurrencyConflict as conflict:
            await self._stale(context, texts, decision, conflict.current)
            return
        except InvalidTransition:
            await self._stale(context, texts, decision, None)
            return
        view = await load_approval_view(self._uow(), follow_up_id=stored.id)
        if view is None:  # deleted in between: the decision stands, there is nothing to show
            return
        await self._update_card(context, texts, view)
        key = "approvals.reply.approved" if stored.state == FollowUpState.APPROVED else "approvals.reply.returned"
        await context.send_activity(texts.t(key, goal=view.goal.title, unit=view.unit.name, manager=view.author_name))

    async def _stale(self, context: TurnContext, texts: Texts, decision: Decision, current: FollowUp | None) -> None:
        """The card is out of date: decided already (say so, and close the card), or
        changed since it was sent (show the current version on the same card)."""
        view = await load_approval_view(self._uow(), follow_up_id=decision.follow_up_id)
        if view is None:
            await context.send_activity(texts.t("approvals.reply.malformed"))
            return
        if view.follow_up.state == FollowUpState.SUBMITTED:
            await self._update_card(context, texts, view, note=texts.t("approvals.reply.changed"))
            await context.send_activity(texts.t("approvals.reply.changed"))
            return
        await self._update_card(context, texts, view)
        state = texts.t(f"approvals.state.{view.follow_up.state.value}")
        await context.send_activity(texts.t("approvals.reply.already_decided", state=state))

    async def _update_card(self, context: TurnContext, texts: Texts, view: ApprovalView, *, note: str | None = None) -> None:
        """Replace the card this conversation got for the follow-up, if it got one, and
        the card pressed when that is another one (a card from "vad ska jag godkänna?")."""
        conversation_id = context.activity.conversation.id if context.activity.conversation else ""
        delivery = await self._cards.card_in(follow_up_id=view.follow_up.id, conversation_id=conversation_id)
        decided = decided_of(view)
        content = build_approval_card(texts, view, today=self._clock.today(), decided=decided, note=note)
        if delivery is not None and delivery.activity_id:
            update = card_activity(content)
            update.id = delivery.activity_id
            await context.update_activity(update)
            if decided is not None:
                await self._cards.close_card(event_id=delivery.event_id, person_id=delivery.person_id,
                                             now=self._clock.now())
        pressed = context.activity.reply_to_id
        if pressed and (delivery is None or pressed != delivery.activity_id):
            # Only ever a message of this conversation (the connector refuses others); a
            # failed update leaves that card as it was, and its buttons are checked anyway.
            update = card_activity(content)
            update.id = pressed
            try:
                await context.update_activity(update)
            except Exception as error:  # noqa: BLE001 - the decision stands; the reply says so
                log.warning("approval.pressed_card_update_failed", error=str(error)[:200])


def card_activity(content: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(content))


class PendingApprovalsDialog(Dialog):
    """One turn: "vad ska jag godkänna?" answered with the approval cards of what waits
    for this person's decision (goals.services.approval_view.pending_approvals decides
    what that is), oldest submitted first, at most PENDING_CARDS of them and a line
    saying how many more; or that nothing waits, or who approves instead."""

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock, limit: int = PENDING_CARDS) -> None:
        super().__init__(PENDING_APPROVALS_DIALOG_ID)
        self._uow = uow_factory
        self._clock = clock
        self._limit = limit

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        await self.answer_now(dialog_context.context)
        return await dialog_context.end_dialog()

    async def answer_now(self, context: TurnContext) -> None:
        texts, actor = texts_of(context), actor_of(context)
        pending = await pending_approvals(self._uow(), actor=actor, limit=self._limit, today=self._clock.today())
        if not pending.approver:
            role = texts.t(f"approvals.role.{(pending.approver_role or Role.DEPARTMENT_HEAD).value}")
            if pending.approver_names:
                text = texts.t("approvals.pending.not_approver_named", role=role, names=", ".join(pending.approver_names))
            else:
                text = texts.t("approvals.pending.not_approver", role=role)
            if pending.own_period is not None and pending.own_states:
                # "är min uppföljning godkänd?" lands here too: say where theirs stand
                counts = ", ".join(
                    texts.t("approvals.own.count", label=texts.t(f"approvals.own.{(state.value if state else 'none')}"),
                            count=count)
                    for state, count in pending.own_states
                )
                text += "\n\n" + texts.t("approvals.own.line", period=period_name(texts, pending.own_period), counts=counts)
            await context.send_activity(text)
            return
        if not pending.views:
            await context.send_activity(texts.t("approvals.pending.nothing"))
            return
        count = pending.total
        await context.send_activity(
            texts.t("approvals.pending.intro_one") if count == 1 else texts.t("approvals.pending.intro", count=count)
        )
        today = self._clock.today()
        for view in pending.views:
            await context.send_activity(card_activity(build_approval_card(texts, view, today=today)))
        rest = count - len(pending.views)
        if rest > 0:
            await context.send_activity(
                texts.t("approvals.pending.more_one") if rest == 1 else texts.t("approvals.pending.more", count=rest)
            )
