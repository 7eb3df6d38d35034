""""Vad ska jag godkänna?" over real HTTP, as Teams would (SQLite and PostgreSQL): the
department head types the question and gets the approval card of the submitted follow-up;
pressing Godkänn on that card approves it through the card's usual path (audit row
written, the pressed card updated in place, the proactive card too when there was one);
asked again, nothing waits. A unit manager asking is told who approves."""

from __future__ import annotations

import pytest

from bot import outbox_dispatcher
from bot.outbox_dispatcher import dispatcher_for
from goals.model import FollowUp, FollowUpState
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory
from tests.support.activities import (
    card_submit,
    demo_user,
    message,
    personal_conversation,
)
from tests.support.approvals import submitted_by_anna

ANNA, BERTIL = demo_user(1), demo_user(2)
PRESSED = "listed-card-1"  # the message id Teams puts in replyToId when a card's button is pressed


@pytest.fixture(autouse=True)
def _passes_run_by_the_tests(monkeypatch):
    monkeypatch.setattr(outbox_dispatcher, "PASS_INTERVAL_SECONDS", 3600.0)


async def _stored(engine, follow_up_id: int) -> tuple[FollowUp, list[tuple[str, int | None]]]:
    async with make_uow_factory(make_sessionmaker(engine))() as uow:
        follow_up = await uow.follow_ups.get(follow_up_id)
        trail = [(r.action, r.actor_id) for r in await uow.audit.for_entity("follow_up", follow_up_id)]
    return follow_up, trail


def _approve_button(card: dict) -> dict:
    return next(dict(a["data"]) for a in card["actions"] if a["data"].get("decision") == "approve")


def _pressed(value: dict, *, url: str, user: str) -> dict:
    activity = card_submit(value, service_url=url, user=user)
    activity["replyToId"] = PRESSED
    return activity


async def test_the_head_asks_gets_the_card_and_approves_from_it(bot, engine, demo_org):
    url = bot.connector.url
    follow_up = await submitted_by_anna(engine, demo_org.units["SOL"])
    # No proactive card was ever delivered (the head had not opened Målkoll): asking is the way in.
    sent = await bot.say(message("vad ska jag godkänna?", service_url=url, user=BERTIL))
    assert sent[0].text == "En uppföljning väntar på ditt beslut:"
    listed = [r for r in sent if r.cards]
    assert len(listed) == 1 and listed[0].conversation_id == personal_conversation(BERTIL)
    assert "Uppföljning att godkänna" in listed[0].all_text() and "Solrosens förskola" in listed[0].all_text()
    approve = _approve_button(listed[0].cards[0])
    assert (approve["follow_up_id"], approve["version"]) == (follow_up.id, follow_up.version)

    sent = await bot.say(_pressed(approve, url=url, user=BERTIL))
    updates = [r for r in sent if r.method == "PUT"]
    assert [u.activity_id for u in updates] == [PRESSED]
    assert "Godkänd av Bertil Ek" in updates[0].all_text() and not updates[0].cards[0].get("actions")
    assert any(r.text.startswith("Klart: uppföljningen av ”Alla barn utvecklar sitt språk”") for r in sent)
    stored, trail = await _stored(engine, follow_up.id)
    assert stored.state == FollowUpState.APPROVED and trail[-1] == ("follow_up.approved", demo_org.people[2])

    sent = await bot.say(message("väntar något på mig?", service_url=url, user=BERTIL))
    assert [r.text for r in sent] == [
        "Inget väntar på ditt godkännande just nu. När en enhet skickar in sin uppföljning får du ett kort här."
    ]
    # The same card pressed again: already decided, nothing written.
    sent = await bot.say(_pressed(approve, url=url, user=BERTIL))
    assert any("redan beslutad (godkänd)" in r.text for r in sent)
    assert (await _stored(engine, follow_up.id))[1] == trail


async def test_with_the_proactive_card_too_both_cards_close_and_others_are_refused(bot, engine, demo_org):
    url = bot.connector.url
    for user in (ANNA, BERTIL):
        await bot.say(message("hej", service_url=url, user=user))
    follow_up = await submitted_by_anna(engine, demo_org.units["SOL"])
    report = await dispatcher_for(bot.runner.app).run_once()
    assert report.sent == 1
    proactive = [r for r in bot.connector.to(personal_conversation(BERTIL)) if r.cards][-1]

    # The unit manager asking is told who approves, and gets no card.
    sent = await bot.say(message("vad ska jag godkanna", service_url=url, user=ANNA))
    assert len(sent) == 1 and not sent[0].cards
    assert sent[0].text.startswith("Det är avdelningschefen som godkänner uppföljningarna för din enhet (Bertil Ek)")
    # Her pressing the head's button (a forwarded payload) is refused as before.
    listed = [r for r in await bot.say(message("approvals", service_url=url, user=BERTIL, locale="en-US")) if r.cards]
    assert "Follow-up to approve" in listed[0].all_text()
    approve = _approve_button(listed[0].cards[0])
    assert approve == _approve_button(proactive.cards[0])
    sent = await bot.say(_pressed(approve, url=url, user=ANNA))
    assert sent[0].text.startswith("Du kan inte besluta om den här uppföljningen")
    assert (await _stored(engine, follow_up.id))[0].state == FollowUpState.SUBMITTED

    sent = await bot.say(_pressed(approve, url=url, user=BERTIL))
    updated = [r.activity_id for r in sent if r.method == "PUT"]
    assert len(updated) == 2 and updated[1] == PRESSED and updated[0] != PRESSED  # the proactive card, then this
    stored, trail = await _stored(engine, follow_up.id)
    assert stored.state == FollowUpState.APPROVED and trail[-1][0] == "follow_up.approved"
