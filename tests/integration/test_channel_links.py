"""Channel links, the summary-post ledger and outbox deliveries on SQLite and PostgreSQL:
one link per channel (whichever thread it was made from), audited; each scheduled
post and each (event, person) delivery claimed once, also by racing claimers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from storage.channel_links import ChannelLinkStore, SummaryPostLedger, channel_key
from storage.outbox_deliveries import DeliveryLedger

TENANT = "6c1e5d0a-8f2b-4b7e-9a3c-5d4e3f2a1b00"
CHANNEL = "19:abc123@thread.tacv2"
NOW = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)


async def test_linking_again_from_another_thread_replaces_the_channels_link_and_is_audited(sessionmaker, uow_factory):
    links = ChannelLinkStore(sessionmaker)
    await links.link(conversation_id=f"{CHANNEL};messageid=1", tenant_id=TENANT, org_node_id=5, linked_by=2,
                     team_id="19:team", now=NOW)
    await links.link(conversation_id=f"{CHANNEL};messageid=99", tenant_id=TENANT, org_node_id=7, linked_by=3, now=NOW)

    link = await links.get(f"{CHANNEL};messageid=42")
    assert (link.conversation_id, link.org_node_id, link.linked_by) == (CHANNEL, 7, 3)
    assert [l.org_node_id for l in await links.all(TENANT)] == [7]
    assert await links.all("another-tenant") == []
    async with uow_factory() as uow:
        first = await uow.audit.for_entity("org_node", 5)
        second = await uow.audit.for_entity("org_node", 7)
    assert [(r.action, r.actor_id, r.details["previous_org_node_id"]) for r in first + second] == [
        ("channel.linked", 2, None),
        ("channel.linked", 3, 5),
    ]


async def test_an_unlinked_channel_has_no_link(sessionmaker):
    assert await ChannelLinkStore(sessionmaker).get("19:other@thread.tacv2;messageid=1") is None
    assert channel_key("19:x@thread.tacv2;messageid=7") == "19:x@thread.tacv2"


async def test_a_scheduled_post_is_claimed_once_even_by_racing_claimers(sessionmaker):
    ledger = SummaryPostLedger(sessionmaker)
    key = {"conversation_id": CHANNEL, "period_id": 3, "occasion": "deadline"}
    claims = await asyncio.gather(*(ledger.claim(**key, now=NOW) for _ in range(5)))
    assert sorted(claims) == [False, False, False, False, True]
    await ledger.finish(**key, status="sent", activity_id="sent-1", now=NOW)
    assert await ledger.claim(**key, now=NOW) is False
    assert await ledger.posted(CHANNEL) == [(3, "deadline", "sent")]
    # Another occasion of the same period is another post.
    assert await ledger.claim(conversation_id=CHANNEL, period_id=3, occasion="week:2026-W19", now=NOW) is True


async def test_a_released_post_is_claimed_again(sessionmaker):
    ledger = SummaryPostLedger(sessionmaker)
    key = {"conversation_id": CHANNEL, "period_id": 3, "occasion": "week:2026-W20"}
    assert await ledger.claim(**key, now=NOW)
    await ledger.release(**key)
    assert await ledger.claim(**key, now=NOW)


async def test_a_delivery_is_claimed_once_and_again_only_after_a_transient_failure(sessionmaker):
    ledger = DeliveryLedger(sessionmaker)
    key = {"event_id": 1, "person_id": 2}
    claims = await asyncio.gather(*(ledger.claim(**key, kind="follow_up.submitted", follow_up_id=9, now=NOW)
                                    for _ in range(4)))
    assert sorted(claims) == [False, False, False, True]
    await ledger.finish(**key, status="retry", now=NOW, detail="HTTP 503")
    assert await ledger.claim(**key, kind="follow_up.submitted", follow_up_id=9, now=NOW) is True
    await ledger.finish(**key, status="sent", now=NOW, conversation_id="a:personal", activity_id="sent-7", card_open=True)
    assert await ledger.claim(**key, kind="follow_up.submitted", follow_up_id=9, now=NOW) is False


async def test_an_open_card_is_found_by_conversation_and_closed_once(sessionmaker):
    ledger = DeliveryLedger(sessionmaker)
    for event_id, activity_id in ((1, "sent-1"), (2, "sent-2")):
        await ledger.claim(event_id=event_id, person_id=2, kind="follow_up.submitted", follow_up_id=9, now=NOW)
        await ledger.finish(event_id=event_id, person_id=2, status="sent", now=NOW, conversation_id="a:personal",
                            activity_id=activity_id, card_open=True)
    newest = await ledger.card_in(follow_up_id=9, conversation_id="a:personal")
    assert newest.activity_id == "sent-2"
    assert await ledger.card_in(follow_up_id=9, conversation_id="a:elsewhere") is None
    assert [d.activity_id for d in await ledger.open_cards(9)] == ["sent-1", "sent-2"]
    assert await ledger.close_card(event_id=1, person_id=2, now=NOW) is True
    assert await ledger.close_card(event_id=1, person_id=2, now=NOW) is False
    assert [d.activity_id for d in await ledger.open_cards(9)] == ["sent-2"]
