"""Two quick messages in one conversation, while a follow-up dialog is open: the
person loses nothing (SQLite and PostgreSQL, real HTTP, fake Bot Connector).

Teams delivers them as two concurrent requests. Before bot/turn_order.py both
turns read the same dialog state, the second save failed its e-tag check, and the
turn error handler deleted the conversation's state: the open report was gone and
the person got "Något gick fel"."""

from __future__ import annotations

import asyncio

from dialogs.texts import Texts
from goals.model import Fulfilment
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory
from tests.e2e.test_follow_up_e2e import _action
from tests.support.activities import card_submit, demo_user, message

ANNA = demo_user(1)
ANALYSIS = (
    "Språkpåsarna går hem med barnen varje vecka och fler föräldrar läser nu på hemspråket, "
    "men två avdelningar har inte hunnit börja med dem och det märks i kartläggningen."
)
SV = Texts.for_locale("sv-SE")


def _neutral_error_prefix() -> str:
    return SV.t("error.neutral", ref="").split("{")[0][:40]


async def _open_goal(bot) -> dict:
    """"rapportera", then the first goal opened: the dialog asks for the assessment."""
    url = bot.connector.url
    sent = await bot.say(message("rapportera", service_url=url, user=ANNA))
    sent = await bot.say(card_submit(_action(sent[0].cards[0], "followup.open_goal"), service_url=url, user=ANNA))
    assert "Hur bedömer du måluppfyllelsen" in sent[-1].all_text()
    return _action(sent[0].cards[0], "followup.save_goal")


async def _stored_follow_up(engine, goal_id: int, period_id: int):
    async with make_uow_factory(make_sessionmaker(engine))() as uow:
        return await uow.follow_ups.find(goal_id, period_id)


async def test_two_quick_messages_are_answered_in_turn_and_the_open_report_survives(bot, engine):
    url = bot.connector.url
    save = await _open_goal(bot)
    before = len(bot.connector.activities)

    # "delvis" twice within milliseconds (a double Enter): one answers the
    # assessment, the other is then an (too short) answer to the analysis question.
    statuses = await asyncio.gather(
        bot.post(message("delvis", service_url=url, user=ANNA)),
        bot.post(message("delvis", service_url=url, user=ANNA)),
    )
    assert statuses == [201, 201]
    replies = "\n".join(r.all_text() for r in bot.connector.activities[before:])
    assert _neutral_error_prefix() not in replies
    assert SV.t("turn.send_again") not in replies  # one instance: no race to lose, both answered
    assert "Skriv din analys" in replies and "Analysen är för kort" in replies

    # The report is still open: the analysis typed next is taken as the answer.
    sent = await bot.say(message(ANALYSIS, service_url=url, user=ANNA))
    assert _neutral_error_prefix() not in "\n".join(r.all_text() for r in sent)
    follow_up = await _stored_follow_up(engine, save["goal_id"], save["period_id"])
    assert follow_up.assessment == Fulfilment.PARTLY
    assert follow_up.analysis == ANALYSIS


async def test_two_bot_instances_racing_on_one_conversation_keep_the_open_report(start_bot, demo_org, engine):
    """Two instances (no shared lock): whichever saves second is told to send its
    message again; the conversation's state, with the open report, is kept."""
    first, second = await start_bot(), await start_bot()
    url = first.connector.url
    save = await _open_goal(first)
    before = len(first.connector.activities)

    statuses = await asyncio.gather(
        first.post(message("delvis", service_url=url, user=ANNA)),
        second.post(message("delvis", service_url=url, user=ANNA)),
    )
    assert statuses == [201, 201]
    replies = "\n".join(r.all_text() for r in first.connector.activities[before:])
    assert _neutral_error_prefix() not in replies
    assert replies.count(SV.t("turn.send_again")) <= 1

    sent = await second.say(message(ANALYSIS, service_url=url, user=ANNA))
    texts = "\n".join(r.all_text() for r in sent)
    assert _neutral_error_prefix() not in texts
    follow_up = await _stored_follow_up(engine, save["goal_id"], save["period_id"])
    assert follow_up.assessment == Fulfilment.PARTLY
    assert follow_up.analysis == ANALYSIS
