"""Reporting one goal over real HTTP, as Teams would: typed "rapportera", then
card submits only, replies read from the fake Bot Connector, the result read
from the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from dialogs.submissions import Verb
from goals.model import FollowUpState, Fulfilment
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory
from tests.support.activities import card_submit, demo_user, message, personal_conversation

ANNA = demo_user(1)
ANALYSIS = (
    "Barnen använder utemiljön varje dag sedan vi flyttade samlingen ut och schemalade utepass, "
    "men under de kallaste veckorna blev det kortare pass och det behöver vi planera bättre för."
)


def _action(card: dict, verb: str) -> dict:
    return next(dict(a["data"]) for a in card["actions"] if a["data"]["verb"] == verb)


def _inputs(node: Any) -> dict[str, Any]:
    """Input id → prefilled value (None when empty), as Teams sends them back."""
    found: dict[str, Any] = {}
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Input."):
            found[node["id"]] = node.get("value")
        for value in node.values():
            found |= _inputs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _inputs(item)
    return found


async def test_a_unit_manager_reports_a_goal_through_card_submits(bot, engine):
    url = bot.connector.url
    sent = await bot.say(message("rapportera", service_url=url, user=ANNA))
    overview = sent[0].cards[0]
    assert sent[0].conversation_id == personal_conversation(ANNA)
    assert "Solrosens förskola" in sent[0].all_text() and "Inte påbörjad" in sent[0].all_text()

    sent = await bot.say(card_submit(_action(overview, Verb.OPEN_GOAL), service_url=url, user=ANNA))
    goal_card = sent[0].cards[0]
    assert "Mål 1: Alla barn utvecklar sitt språk" in sent[0].all_text()
    assert sent[1].text.startswith("Svara på kortet, eller skriv svaret här i chatten.")

    fields = _inputs(goal_card)
    typed = {"assessment": "partly", "analysis": ANALYSIS, "actions": "Vi köper varmare overaller till alla barn.",
             "resource_use": "Inköpen ryms i enhetens budget."}
    if "forecast" in fields:  # not asked in the year-end period
        typed["forecast"] = "fulfilled"
    prefilled = {k: v for k, v in fields.items() if v is not None}
    save = _action(goal_card, Verb.SAVE_GOAL)
    sent = await bot.say(card_submit({**prefilled, **typed, **save}, service_url=url, user=ANNA))
    review = sent[-1].cards[0]
    assert "Allt som krävs är ifyllt" in sent[-1].all_text()

    sent = await bot.say(card_submit(_action(review, Verb.SUBMIT), service_url=url, user=ANNA))
    assert "inskickad för godkännande" in sent[0].all_text()

    async with make_uow_factory(make_sessionmaker(engine))() as uow:
        follow_up = await uow.follow_ups.find(save["goal_id"], save["period_id"])
        trail = [r.action for r in await uow.audit.for_entity("follow_up", follow_up.id)]
    assert follow_up.state == FollowUpState.SUBMITTED
    assert (follow_up.assessment, follow_up.analysis) == (Fulfilment.PARTLY, ANALYSIS)
    assert trail == ["follow_up.created", "follow_up.saved", "follow_up.submitted"]

    # An old card pressed again is refused with a message, and nothing changes.
    sent = await bot.say(card_submit({**prefilled, **typed, **save, "analysis": "Gammalt."}, service_url=url, user=ANNA))
    assert sent[0].text.startswith("Det här kortet är inaktuellt")
