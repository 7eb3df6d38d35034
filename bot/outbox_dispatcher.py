"""Delivers the follow-up workflow's outbox events, in the bot process.

- "follow_up.submitted": the approval card to each approver's personal chat. Cards
  of an earlier submission of the same follow-up that still show buttons are
  updated in place to say they are superseded.
- "follow_up.approved" / "follow_up.returned": every approval card of the
  follow-up still showing buttons is updated in place to show the decision (the
  decider's own card was usually updated already, in the turn of the button
  press), and the unit manager gets the outcome, with a button into the follow-up.

Exactly once: each (event, person) delivery is claimed in storage/outbox_deliveries
and the claim committed before anything is sent, so a rerun, a restart or a second
instance sends nothing twice; the event is marked processed once every delivery is
final. A transient failure (bot/proactive.py's RETRY) leaves the delivery to be
claimed again and the event pending for the next pass. Nobody to reach (no
approver, or no conversation with Målkoll) is told to the unit manager instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import Dialog
from botbuilder.integration.aiohttp import CloudAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.proactive import Outcome, ProactiveSender
from bot.references import reference_from_dict
from dialogs.approval import ApprovalDialog, card_activity, decided_of
from dialogs.cards.approval import APPROVAL_VERB, Decided, build_approval_card, build_outcome_card
from goals.services.approval_view import ApprovalView, load_approval_view
from dialogs.texts import Texts
from goals.model import FollowUpState, Person
from goals.ports import Clock, OutboxEvent, UnitOfWork
from storage.outbox_deliveries import Delivery, DeliveryLedger
from storage.references import ReferenceStore

log = structlog.get_logger(__name__)

SUBMITTED, APPROVED, RETURNED = "follow_up.submitted", "follow_up.approved", "follow_up.returned"
KINDS = (SUBMITTED, APPROVED, RETURNED)
PASS_INTERVAL_SECONDS = 5.0
BATCH = 100
# A notice to the manager about the approvers that could not be reached is a delivery
# to the manager under a person id no real person has (ids are positive).
_NOTICE = -1


@dataclass
class DispatchReport:
    processed: list[int] = field(default_factory=list)  # event ids finished in this pass
    sent: int = 0
    updated: int = 0  # cards updated in place
    unreachable: int = 0
    retry: int = 0


class OutboxDispatcher:
    def __init__(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        adapter: CloudAdapter,
        app_id: str,
        sender: ProactiveSender,
        references: ReferenceStore,
        deliveries: DeliveryLedger,
        clock: Clock,
    ) -> None:
        self._uow = uow_factory
        self._adapter = adapter
        self._app_id = app_id
        self._sender = sender
        self._references = references
        self._deliveries = deliveries
        self._clock = clock

    async def run_once(self, *, now: datetime | None = None) -> DispatchReport:
        report = DispatchReport()
        at = now or self._clock.now()
        for kind in KINDS:
            async with self._uow() as uow:
                events = await uow.outbox.pending(kind, limit=BATCH)
            for event in events:
                done = await self._dispatch(event, at, report)
                if done:
                    async with self._uow() as uow:
                        await uow.outbox.mark_processed(event.id, at)
                        await uow.commit()
                    report.processed.append(event.id)
        return report

    async def run_forever(self, *, interval: float | None = None) -> None:
        while True:
            await asyncio.sleep(interval or PASS_INTERVAL_SECONDS)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one bad pass must not stop the next
                log.exception("outbox.pass_failed")

    # --- events ---------------------------------------------------------------------

    async def _dispatch(self, event: OutboxEvent, now: datetime, report: DispatchReport) -> bool:
        follow_up_id = event.payload.get("follow_up_id")
        view = await load_approval_view(self._uow(), follow_up_id=follow_up_id) if isinstance(follow_up_id, int) else None
        if view is None:
            log.warning("outbox.follow_up_gone", event_id=event.id, kind=event.kind)
            return True
        if event.kind == SUBMITTED:
            return await self._submitted(event, view, now, report)
        return await self._decided(event, view, now, report)

    async def _submitted(self, event: OutboxEvent, view: ApprovalView, now: datetime, report: DispatchReport) -> bool:
        if view.follow_up.state != FollowUpState.SUBMITTED or view.follow_up.submitted_at is None:
            # Decided (or returned to draft) before the card went out: the decision's
            # own event tells whoever needs to know.
            return True
        await self._close_open_cards(view, now, report, exclude_event=event.id, decided=Decided("superseded"))
        approver_ids = [i for i in event.payload.get("approver_ids") or () if isinstance(i, int)]
        for person_id in approver_ids:
            await self._deliver(event, person_id, view, now, report, card=True)
        # Read back rather than count what this pass did: another instance (or an
        # earlier pass) may hold some of the deliveries.
        statuses = [d.status for d in await self._deliveries.for_event(event.id) if d.person_id in approver_ids]
        if any(status in ("claimed", "retry") for status in statuses):
            return False  # still on its way; whoever holds it, or the next pass, finishes the event
        if "sent" not in statuses:
            await self._notice(event, view, now, report, approver_ids)
        return True

    async def _decided(self, event: OutboxEvent, view: ApprovalView, now: datetime, report: DispatchReport) -> bool:
        await self._close_open_cards(view, now, report, exclude_event=None, decided=decided_of(view))
        author_id = event.payload.get("author_id")
        if not isinstance(author_id, int):
            return True
        return await self._deliver(event, author_id, view, now, report, card=False) is not Outcome.RETRY

    # --- deliveries -----------------------------------------------------------------

    async def _deliver(self, event: OutboxEvent, person_id: int, view: ApprovalView, now: datetime,
                       report: DispatchReport, *, card: bool) -> Outcome | None:
        """Claim, send, record. None: someone else delivered (or is delivering) it."""
        claimed = await self._deliveries.claim(event_id=event.id, person_id=person_id, kind=event.kind,
                                               follow_up_id=view.follow_up.id, now=now)
        if not claimed:
            return None
        person = await self._person(person_id)
        ref = await self._references.personal_for(person.tenant_id, person.entra_object_id) if person else None
        if person is None or ref is None:
            report.unreachable += 1
            await self._deliveries.finish(event_id=event.id, person_id=person_id, status="unreachable", now=now,
                                          detail="no personal conversation")
            return Outcome.UNREACHABLE
        texts = Texts.for_locale(person.locale)
        if card:
            content = build_approval_card(texts, view, today=self._clock.today())
        else:
            decider = event.payload.get("approver_id")
            approver = await self._person(decider) if isinstance(decider, int) else None
            content = build_outcome_card(texts, view, approved=event.kind == APPROVED,
                                         approver=approver.name if approver else view.approver_name,
                                         comment=str(event.payload.get("comment") or ""))
        result = await self._sender.send(ref, card_activity(content))
        status = {Outcome.SENT: "sent", Outcome.RETRY: "retry", Outcome.UNREACHABLE: "unreachable"}.get(result.outcome, "failed")
        await self._deliveries.finish(
            event_id=event.id, person_id=person_id, status=status, now=now, conversation_id=ref.conversation_id,
            activity_id=result.activity_id, card_open=card and result.outcome is Outcome.SENT, detail=result.detail,
        )
        match result.outcome:
            case Outcome.SENT:
                report.sent += 1
            case Outcome.RETRY:
                report.retry += 1
            case _:
                report.unreachable += 1
        log.info("outbox.delivered", event_id=event.id, kind=event.kind, person_id=person_id, outcome=result.outcome.value)
        return result.outcome

    async def _notice(self, event: OutboxEvent, view: ApprovalView, now: datetime, report: DispatchReport,
                      approver_ids: list[int]) -> None:
        """Nobody could be asked to approve: tell the unit manager, once."""
        author_id = event.payload.get("author_id")
        if not isinstance(author_id, int):
            return
        if not await self._deliveries.claim(event_id=event.id, person_id=_NOTICE, kind=event.kind,
                                            follow_up_id=view.follow_up.id, now=now):
            return
        author = await self._person(author_id)
        ref = await self._references.personal_for(author.tenant_id, author.entra_object_id) if author else None
        status, activity_id = "unreachable", None
        if author is not None and ref is not None:
            texts = Texts.for_locale(author.locale)
            names = [p.name for p in [await self._person(i) for i in approver_ids] if p is not None]
            text = (texts.t("approvals.outcome.unreachable", name=", ".join(names), goal=view.goal.title, unit=view.unit.name)
                    if names else texts.t("approvals.outcome.no_approver", goal=view.goal.title, unit=view.unit.name))
            result = await self._sender.send(ref, MessageFactory.text(text))
            status = "sent" if result.outcome is Outcome.SENT else "failed"
            activity_id = result.activity_id
            report.sent += result.outcome is Outcome.SENT
        await self._deliveries.finish(event_id=event.id, person_id=_NOTICE, status=status, now=now, activity_id=activity_id)

    async def _close_open_cards(self, view: ApprovalView, now: datetime, report: DispatchReport, *,
                                exclude_event: int | None, decided: Decided | None) -> None:
        if decided is None:
            return
        for delivery in await self._deliveries.open_cards(view.follow_up.id):
            if delivery.event_id == exclude_event:
                continue
            # Closing first makes the update ours alone (a second instance finds it closed).
            if await self._deliveries.close_card(event_id=delivery.event_id, person_id=delivery.person_id, now=now):
                report.updated += await self._update_card(delivery, view, decided)

    async def _update_card(self, delivery: Delivery, view: ApprovalView, decided: Decided) -> bool:
        person = await self._person(delivery.person_id)
        ref = await self._references.personal_for(person.tenant_id, person.entra_object_id) if person else None
        if person is None or ref is None or ref.conversation_id != delivery.conversation_id or not delivery.activity_id:
            return False
        content = build_approval_card(Texts.for_locale(person.locale), view, today=self._clock.today(), decided=decided)
        update = card_activity(content)
        update.id = delivery.activity_id
        failed: list[Exception] = []

        async def callback(turn_context: TurnContext) -> None:
            try:
                await turn_context.update_activity(update)
            except Exception as error:  # noqa: BLE001 - logged below; the card stays as it was
                failed.append(error)

        await self._adapter.continue_conversation(reference_from_dict(ref.reference), callback, self._app_id)
        if failed:
            log.warning("outbox.card_update_failed", person_id=delivery.person_id, error=str(failed[0])[:200])
            return False
        return True

    async def _person(self, person_id: int) -> Person | None:
        async with self._uow() as uow:
            return await uow.people.get(person_id)


DISPATCHER = web.AppKey("outbox_dispatcher", OutboxDispatcher)


def dispatcher_for(app: web.Application) -> OutboxDispatcher:
    """The running app's dispatcher (tests run a pass with it instead of waiting)."""
    return app[DISPATCHER]


async def dispatcher_context(app: web.Application) -> AsyncIterator[None]:
    """aiohttp cleanup context: the dispatcher runs while the app runs. Needs the
    runtime context (bot/app.py) before it, for the engine and the adapter."""
    from bot.app import RUNTIME, SETTINGS  # the app module imports this one
    from goals.clock import SystemClock
    from storage.session import make_sessionmaker
    from storage.unit_of_work import uow_factory

    settings, runtime = app[SETTINGS], app[RUNTIME]
    sessionmaker = make_sessionmaker(runtime.engine)
    references = ReferenceStore(sessionmaker)
    dispatcher = OutboxDispatcher(
        uow_factory=uow_factory(sessionmaker),
        adapter=runtime.adapter,
        app_id=settings.app_id,
        sender=ProactiveSender(runtime.adapter, app_id=settings.app_id, references=references),
        references=references,
        deliveries=DeliveryLedger(sessionmaker),
        clock=SystemClock(settings.timezone),
    )
    app[DISPATCHER] = dispatcher
    task = asyncio.create_task(dispatcher.run_forever(), name="outbox-dispatcher")
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


def approval_flows(*, uow_factory: Callable[[], UnitOfWork], clock: Clock,
                   sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Dialog]:
    """The approval card's buttons (verb "approval"), for MainDialog's flows."""
    return {APPROVAL_VERB: ApprovalDialog(uow_factory=uow_factory, clock=clock, cards=DeliveryLedger(sessionmaker))}
