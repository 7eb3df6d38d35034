"""Channel summaries over real HTTP: a department head links a team channel to their
department ("koppla kanalen till …", Teams' channel conversation shape with
channelData.team/channel), "sammanfattning" brings the summary card into that
channel, and the scheduled post goes to the channel once (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.app import RUNTIME
from bot.proactive import ProactiveSender
from bot.summary_jobs import post_due_summaries
from storage.channel_links import ChannelLinkStore, SummaryPostLedger
from storage.references import ReferenceStore
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory
from tests.support.activities import card_submit, demo_user, message

ANNA, BERTIL = demo_user(1), demo_user(2)
TEAM = "19:team-forskola@thread.tacv2"
CHANNEL = "19:allmant-forskola@thread.tacv2"
MAX_BYTES = 80 * 1024


def _in_channel(text: str, url: str, user: str) -> dict:
    return message(text, service_url=url, user=user, team_id=TEAM, channel_id=CHANNEL)


async def _summaries_the_day_after_t1(bot, engine, demo_org):
    """T1 of the demo org, and one scheduled summary pass on the day after its deadline,
    sending through the running bot's adapter."""
    sessionmaker = make_sessionmaker(engine)
    make_uow = make_uow_factory(sessionmaker)
    async with make_uow() as uow:
        root = (await uow.orgs.ancestors(demo_org.units["SOL"]))[-1]
        t1 = (await uow.periods.for_root(root.id))[0]
    the_day_after = datetime.combine(t1.deadline + timedelta(days=1), time(10), ZoneInfo("Europe/Stockholm"))
    references = ReferenceStore(sessionmaker)
    sender = ProactiveSender(bot.runner.app[RUNTIME].adapter, app_id="", references=references)

    async def run():
        return await post_due_summaries(uow_factory=make_uow, links=ChannelLinkStore(sessionmaker),
                                        ledger=SummaryPostLedger(sessionmaker), references=references, sender=sender,
                                        now=the_day_after)

    return t1, run


async def test_a_head_links_the_channel_and_the_summary_arrives_there(bot, demo_org):
    url = bot.connector.url
    sent = await bot.say(_in_channel("sammanfattning", url, BERTIL))
    assert sent[0].text.startswith("Kanalen är inte kopplad")

    # A unit manager may not link a channel; nothing is linked.
    sent = await bot.say(_in_channel("koppla kanalen till avdelning förskola", url, ANNA))
    assert sent[0].text.startswith("Bara avdelningschefer")
    # A name outside the head's scope is unknown to them.
    sent = await bot.say(_in_channel("koppla kanalen till Norra förvaltningen", url, BERTIL))
    assert "hittar ingen del av organisationen" in sent[0].text

    sent = await bot.say(_in_channel("koppla kanalen till avdelning förskola", url, BERTIL))
    assert sent[0].text.startswith("Kanalen följer nu Avdelning förskola")

    sent = await bot.say(_in_channel("sammanfattning", url, ANNA))
    summary = next(r for r in sent if r.cards)
    assert summary.conversation_id.startswith(CHANNEL)
    text = summary.all_text()
    assert "Sammanfattning – Avdelning förskola" in text
    assert "Enheter som inte har rapporterat: 2 av 2" in text
    assert "Solrosens förskola: 2 av 2 mål kvar" in text and "Vitsippans förskola: 1 av 1 mål kvar" in text
    content = summary.cards[0]
    assert any(item.get("type") == "Chart.Donut" for item in _elements(content)), "the chart"
    assert len(json.dumps(summary.activity, ensure_ascii=False).encode()) < MAX_BYTES


async def test_the_scheduled_post_after_the_deadline_goes_to_the_channel_once(bot, engine, demo_org):
    url = bot.connector.url
    await bot.say(_in_channel("koppla kanalen till avdelning förskola", url, BERTIL))
    t1, run = await _summaries_the_day_after_t1(bot, engine, demo_org)

    before = len(bot.connector.activities)
    first = await run()
    posted = bot.connector.activities[before:]
    assert [(d.period.id, d.occasion) for d in first.posted] == [(t1.id, "deadline")]
    assert [r.conversation_id for r in posted] == [CHANNEL], "a new thread in the channel itself"
    assert "Rapporteringen för Tertial 1" in posted[0].all_text()
    second = await run()
    assert (second.posted, second.skipped, len(bot.connector.activities)) == ([], 1, before + 1)


async def test_two_channels_following_one_department_both_get_the_same_post_once(bot, engine, demo_org):
    url = bot.connector.url
    other = "19:ledning-forskola@thread.tacv2"
    await bot.say(_in_channel("koppla kanalen till avdelning förskola", url, BERTIL))
    await bot.say(message("koppla kanalen till avdelning förskola", service_url=url, user=BERTIL, team_id=TEAM,
                          channel_id=other))
    _, run = await _summaries_the_day_after_t1(bot, engine, demo_org)
    before = len(bot.connector.activities)
    report = await run()
    posted = bot.connector.activities[before:]
    assert sorted(r.conversation_id for r in posted) == sorted([CHANNEL, other])
    assert len(report.posted) == 2 and posted[0].cards == posted[1].cards


async def test_the_next_page_lists_the_units_not_reported(bot, engine, demo_org):
    url = bot.connector.url
    await bot.say(_in_channel("koppla kanalen till avdelning förskola", url, BERTIL))
    async with make_uow_factory(make_sessionmaker(engine))() as uow:
        department = (await uow.orgs.ancestors(demo_org.units["SOL"]))[0]
        root = (await uow.orgs.ancestors(demo_org.units["SOL"]))[-1]
        t1 = (await uow.periods.for_root(root.id))[0]
    more = {"verb": "summary", "node_id": department.id, "period_id": t1.id, "page": 2}
    sent = await bot.say(card_submit(more, service_url=url, user=ANNA, team_id=TEAM, channel_id=CHANNEL))
    text = next(r for r in sent if r.cards).all_text()
    assert "Enheter som inte har rapporterat: 2 av 2" in text and "Sida 1 av 1" in text
    assert "Solrosens förskola: 2 av 2 mål kvar" in text and "Vitsippans förskola: 1 av 1 mål kvar" in text
    assert "Mål som ligger efter" not in text  # page 1 has those


def _elements(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _elements(value)
    elif isinstance(node, list):
        for item in node:
            yield from _elements(item)


async def test_in_a_personal_chat_the_summary_is_of_the_persons_part_and_linking_is_explained(bot, demo_org):
    url = bot.connector.url
    sent = await bot.say(message("sammanfattning", service_url=url, user=BERTIL))
    assert "Sammanfattning – Avdelning förskola" in sent[0].all_text()
    sent = await bot.say(message("koppla kanalen till avdelning förskola", service_url=url, user=BERTIL))
    assert sent[0].text.startswith("En kanal kopplas inifrån kanalen")
