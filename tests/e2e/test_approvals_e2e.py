"""Approving a follow-up over real HTTP, as Teams would: the unit submits (through the
service), the outbox dispatcher sends the approval card to the department head's
personal chat, the head presses Godkänn / Skicka tillbaka, the card is updated in
place and the unit manager is told. Replies read from the fake Bot Connector, the
result from the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot import outbox_dispatcher
from bot.outbox_dispatcher import dispatcher_for
from goals.access import identify
from goals.clock import SystemClock
from goals.model import FollowUp, FollowUpState
from goals.services import (
    FollowUpChanges,
    save_follow_up,
    submit_follow_up,
)
from storage.channel_tables import OutboxDeliveryRow
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory
from tests.support.activities import (
    DEMO_TENANT,
    card_submit,
    demo_user,
    message,
    personal_conversation,
)
from tests.support.approvals import E2E_ANALYSIS as ANALYSIS
from tests.support.approvals import submitted_by_anna

ANNA, BERTIL, CECILIA = demo_user(1), demo_user(2), demo_user(3)
COMMENT = "Komplettera analysen med hur många barn som nåtts av läsestunderna."


@pytest.fixture(autouse=True)
def _passes_run_by_the_tests(monkeypatch):
    # The app's own dispatcher loop waits longer than a test runs, so each pass
    # here is the test's and its report says what that pass did.
    monkeypatch.setattr(outbox_dispatcher, "PASS_INTERVAL_SECONDS", 3600.0)


async def _stored(engine, follow_up_id: int) -> tuple[FollowUp, list[str]]:
    async with make_uow_factory(make_sessionmaker(engine))() as uow:
        follow_up = await uow.follow_ups.get(follow_up_id)
        trail = [r.action for r in await uow.audit.for_entity("follow_up", follow_up_id)]
    return follow_up, trail


async def _card_ids(engine, follow_up_id: int) -> list[str]:
    """The message ids the approval cards of the follow-up were sent under."""
    async with make_sessionmaker(engine)() as session:
        rows = await session.scalars(
            select(OutboxDeliveryRow.activity_id).where(OutboxDeliveryRow.follow_up_id == follow_up_id,
                                                        OutboxDeliveryRow.kind == "follow_up.submitted")
        )
        return list(rows)


def _button(card: dict, decision: str) -> dict:
    return next(dict(a["data"]) for a in card["actions"] if a["data"].get("decision") == decision)


async def _hello(bot, *users: str) -> None:
    """Each person writes once, so Målkoll has their personal chat to write to later."""
    for user in users:
        await bot.say(message("hej", service_url=bot.connector.url, user=user))


async def _approval_card(bot, follow_up: FollowUp):
    report = await dispatcher_for(bot.runner.app).run_once()
    assert report.sent == 1, report
    sent = [r for r in bot.connector.to(personal_conversation(BERTIL)) if r.cards]
    card = sent[-1]
    assert "Uppföljning att godkänna" in card.all_text()
    assert _button(card.cards[0], "approve")["follow_up_id"] == follow_up.id
    return card


async def test_the_head_approves_the_card_updates_in_place_and_the_manager_is_told(bot, engine, demo_org):
    url = bot.connector.url
    await _hello(bot, ANNA, BERTIL)
    follow_up = await submitted_by_anna(engine, demo_org.units["SOL"])
    card = await _approval_card(bot, follow_up)
    text = card.all_text() + json.dumps(card.cards[0], ensure_ascii=False)  # FactSet values too
    assert "Alla barn utvecklar sitt språk" in text and "Solrosens förskola" in text
    assert "Delvis uppfyllt" in text and ANALYSIS[:40] in text and "Anna Lindqvist" in text
    approve = _button(card.cards[0], "approve")

    # Someone else pressing the same button (a forwarded payload) is refused; nothing changes.
    sent = await bot.say(card_submit(approve, service_url=url, user=CECILIA))
    assert sent[0].text.startswith("Du kan inte besluta om den här uppföljningen")
    stored, trail = await _stored(engine, follow_up.id)
    assert stored.state == FollowUpState.SUBMITTED and trail[-1] == "follow_up.submitted"

    sent = await bot.say(card_submit(approve, service_url=url, user=BERTIL))
    updates = [r for r in sent if r.method == "PUT"]
    assert [u.activity_id for u in updates] == await _card_ids(engine, follow_up.id)
    assert updates[0].conversation_id == personal_conversation(BERTIL)
    assert "Godkänd av Bertil Ek" in updates[0].all_text()
    assert not updates[0].cards[0].get("actions"), "a decided card has no buttons left"
    assert any(r.text.startswith("Klart: uppföljningen av ”Alla barn utvecklar sitt språk”") for r in sent)
    stored, trail = await _stored(engine, follow_up.id)
    assert stored.state == FollowUpState.APPROVED and trail[-1] == "follow_up.approved"

    report = await dispatcher_for(bot.runner.app).run_once()
    to_anna = [r for r in bot.connector.to(personal_conversation(ANNA)) if r.cards]
    assert report.sent == 1 and "Din uppföljning är godkänd" in to_anna[-1].all_text()
    assert "Bertil Ek har godkänt" in to_anna[-1].all_text()
    # Safe to run twice: nothing is sent again.
    before = len(bot.connector.activities)
    again = await dispatcher_for(bot.runner.app).run_once()
    assert (again.sent, again.processed, len(bot.connector.activities)) == (0, [], before)

    # A second press after the decision changes nothing and says so.
    sent = await bot.say(card_submit(approve, service_url=url, user=BERTIL))
    assert any("redan beslutad (godkänd)" in r.text for r in sent)
    assert (await _stored(engine, follow_up.id))[1] == trail


async def test_sent_back_with_a_comment_the_manager_is_told_and_can_edit_again(bot, engine, demo_org):
    url = bot.connector.url
    await _hello(bot, ANNA, BERTIL)
    follow_up = await submitted_by_anna(engine, demo_org.units["SOL"])
    card = await _approval_card(bot, follow_up)
    send_back = _button(card.cards[0], "return")

    # Without a comment (a client that skipped the card's own check) nothing happens.
    sent = await bot.say(card_submit({**send_back, "comment": "  "}, service_url=url, user=BERTIL))
    assert sent[0].text.startswith("Skriv en kommentar")
    assert (await _stored(engine, follow_up.id))[0].state == FollowUpState.SUBMITTED

    sent = await bot.say(card_submit({**send_back, "comment": COMMENT}, service_url=url, user=BERTIL))
    update = next(r for r in sent if r.method == "PUT")
    assert "Skickad tillbaka av Bertil Ek" in update.all_text() and COMMENT in update.all_text()
    stored, _ = await _stored(engine, follow_up.id)
    assert (stored.state, stored.return_comment) == (FollowUpState.RETURNED, COMMENT)

    await dispatcher_for(bot.runner.app).run_once()
    told = [r for r in bot.connector.to(personal_conversation(ANNA)) if r.cards][-1]
    assert "Din uppföljning har skickats tillbaka" in told.all_text() and COMMENT in told.all_text()

    # The outcome's button opens the follow-up for editing, and an edit is accepted.
    open_button = dict(told.cards[0]["actions"][0]["data"])
    sent = await bot.say(card_submit(open_button, service_url=url, user=ANNA))
    assert "Mål 1: Alla barn utvecklar sitt språk" in sent[0].all_text()
    anna = await identify(make_uow_factory(make_sessionmaker(engine))(), tenant_id=DEMO_TENANT, entra_object_id=ANNA)
    edited = await save_follow_up(
        make_uow_factory(make_sessionmaker(engine))(), actor=anna, follow_up_id=stored.id,
        expected_version=stored.version, changes=FollowUpChanges(analysis=ANALYSIS + " 46 av 52 barn har nåtts."),
        clock=SystemClock(),
    )
    assert edited.state == FollowUpState.RETURNED and edited.version == stored.version + 1


async def test_a_resubmission_supersedes_the_old_card(bot, engine, demo_org):
    url = bot.connector.url
    await _hello(bot, ANNA, BERTIL)
    follow_up = await submitted_by_anna(engine, demo_org.units["SOL"])
    first = await _approval_card(bot, follow_up)
    await bot.say(card_submit({**_button(first.cards[0], "return"), "comment": COMMENT}, service_url=url, user=BERTIL))
    await dispatcher_for(bot.runner.app).run_once()

    make_uow = make_uow_factory(make_sessionmaker(engine))
    anna = await identify(make_uow(), tenant_id=DEMO_TENANT, entra_object_id=ANNA)
    returned, _ = await _stored(engine, follow_up.id)
    again = await submit_follow_up(make_uow(), actor=anna, follow_up_id=returned.id,
                                   expected_version=returned.version, clock=SystemClock())
    second = await _approval_card(bot, again)
    assert _button(second.cards[0], "approve")["version"] == again.version

    # The first card's (old) button: already decided, nothing changes.
    sent = await bot.say(card_submit(_button(first.cards[0], "approve"), service_url=url, user=BERTIL))
    assert any("Kortet visar nu den aktuella versionen" in r.text for r in sent)
    assert (await _stored(engine, follow_up.id))[0].state == FollowUpState.SUBMITTED


async def test_an_approver_målkoll_cannot_reach_is_named_to_the_manager_once(bot, engine, demo_org):
    await _hello(bot, ANNA)  # the department head has never opened Målkoll
    await submitted_by_anna(engine, demo_org.units["SOL"])
    dispatcher = dispatcher_for(bot.runner.app)
    report = await dispatcher.run_once()
    assert (report.unreachable, report.sent) == (1, 1)
    told = bot.connector.to(personal_conversation(ANNA))[-1]
    assert told.text.startswith("Bertil Ek kunde inte nås i Teams om uppföljningen av ”Alla barn utvecklar sitt språk”")
    again = await dispatcher.run_once()
    assert (again.sent, again.processed) == (0, [])
