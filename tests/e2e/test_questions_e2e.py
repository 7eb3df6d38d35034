"""Status questions over real HTTP: the question posted to /api/messages as Teams
would, the answer card arriving at the fake Bot Connector (SQLite and PostgreSQL).
The demo city is loaded as of today, the same today the running app's clock sees."""

from __future__ import annotations

import json

import pytest

from bot.demo.loader import load_demo
from goals.access import identify, scope_nodes
from goals.clock import SystemClock
from goals.status import behind_reasons
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory
from tests.support.activities import DEMO_TENANT, card_submit, demo_user, message

ANNA, ERIK, KARIN = demo_user(1), demo_user(2), demo_user(4)
MAX_CARD_BYTES = 80 * 1024


@pytest.fixture
async def city(engine):
    uow_factory = make_uow_factory(make_sessionmaker(engine))
    clock = SystemClock("Europe/Stockholm")
    await load_demo(uow_factory, demo="stockholm_ils", clock=clock)
    return uow_factory, clock


@pytest.fixture
async def running(start_bot, city):
    return await start_bot()


def submits(node) -> list[dict]:
    if isinstance(node, dict):
        found = [node["data"]] if node.get("type") == "Action.Submit" else []
        return found + [d for v in node.values() for d in submits(v)]
    if isinstance(node, list):
        return [d for v in node for d in submits(v)]
    return []


async def expected_behind(city, user: str) -> set[int]:
    uow_factory, clock = city
    actor = await identify(uow_factory(), tenant_id=DEMO_TENANT, entra_object_id=user)
    nodes = await scope_nodes(uow_factory(), actor=actor)
    async with uow_factory() as uow:
        snapshots = await uow.status.snapshots([n.id for n in nodes], clock.today().year)
    return {s.goal.id for s in snapshots if behind_reasons(s, clock.today())}


async def test_which_goals_are_behind_arrives_as_a_card_with_exactly_the_goals_behind(running, city):
    sent = await running.say(message("vilka mål ligger efter?", service_url=running.connector.url, user=ANNA))

    assert len(sent) == 1
    [card] = sent[0].cards
    assert card["version"] == "1.5"
    assert len(json.dumps(card, ensure_ascii=False).encode()) < MAX_CARD_BYTES
    assert "Mål som ligger efter" in sent[0].all_text()
    opened = {d["goal_id"] for d in submits(card) if d["verb"] == "goal_status"}
    assert opened == await expected_behind(city, ANNA)


async def test_pressing_open_answers_with_the_goals_status(running, city):
    sent = await running.say(message("vilka mål släpar", service_url=running.connector.url, user=ANNA))
    open_button = next(d for d in submits(sent[0].cards[0]) if d["verb"] == "goal_status")

    sent = await running.say(card_submit(open_button, service_url=running.connector.url, user=ANNA))

    text = sent[0].all_text()
    assert "Ligger efter" in text and "Därför ligger målet efter:" in text


async def test_a_unit_outside_scope_gets_not_yours_over_http(running):
    sent = await running.say(message("status för Vasagården", service_url=running.connector.url, user=ANNA))
    assert [s.text for s in sent] == [
        "Det kan jag inte svara på: det du frågar om hör inte till dina enheter eller mål. "
        "Fråga gärna om dina egna, till exempel ”vilka mål ligger efter?”."
    ]
    assert not sent[0].cards


async def test_units_not_reported_for_a_department_head_in_english(running):
    sent = await running.say(
        message("which units haven't reported?", service_url=running.connector.url, user=ERIK, locale="en-GB")
    )
    assert "Units that have not reported" in sent[0].all_text() or "All units have reported" in sent[0].all_text()


async def test_a_channel_question_is_answered_in_the_channel(running, city):
    sent = await running.say(
        message("hur ligger vi till?", service_url=running.connector.url, user=KARIN,
                team_id="19:team-a@thread.tacv2", channel_id="19:chan-a@thread.tacv2")
    )
    assert sent[0].conversation_id.startswith("19:chan-a@thread.tacv2")
    opened = {d["goal_id"] for d in submits(sent[0].cards[0]) if d["verb"] == "goal_status"}
    expected = await expected_behind(city, KARIN)
    assert opened <= expected and len(opened) == min(len(expected), 10)


async def test_pressing_report_on_a_goal_behind_starts_reporting_that_unit(running):
    sent = await running.say(message("vilka mål ligger efter?", service_url=running.connector.url, user=ANNA))
    report = next(d for d in submits(sent[0].cards[0]) if d["verb"] == "report")

    sent = await running.say(card_submit(report, service_url=running.connector.url, user=ANNA))

    text = "\n".join(s.all_text() for s in sent)
    assert text.startswith("Förskolan Solrosen: ") and "Sista dag att rapportera" in text
