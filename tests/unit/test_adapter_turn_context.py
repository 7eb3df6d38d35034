"""LeanTurnContext (bot/adapter.py) sends what botbuilder's TurnContext sends, and
leaves the caller's activity as it was, without deep-copying it."""

from __future__ import annotations

import copy

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity

from bot.adapter import LeanTurnContext, activity_body, activity_from_json
from dialogs.cards import build_welcome_card
from dialogs.texts import Texts
from tests.support.activities import message


class _Recording:
    def __init__(self) -> None:
        self.sent: list[Activity] = []

    async def send_activities(self, context, activities):
        self.sent.extend(activities)
        return [None for _ in activities]


INCOMING = message("hjälp", service_url="https://smba.trafficmanager.net/emea/", user="d0000000-0000-4000-8000-000000000001")


def _incoming() -> Activity:
    return activity_from_json(copy.deepcopy(INCOMING))


def _replies() -> list[Activity]:
    card = MessageFactory.attachment(CardFactory.adaptive_card(build_welcome_card(Texts.for_locale("sv-SE"))))
    typed = Activity(text="utan typ")  # botbuilder gives it type and input hint on the way out
    return [card, MessageFactory.text("hej"), typed]


async def test_the_lean_context_sends_what_botbuilder_sends():
    stock, lean = _Recording(), _Recording()
    await TurnContext(stock, _incoming()).send_activities(_replies())
    await LeanTurnContext(lean, _incoming()).send_activities(_replies())

    assert [activity_body(a) for a in lean.sent] == [activity_body(a) for a in stock.sent]
    assert all(a.reply_to_id and a.conversation.id and a.from_property.id == "28:malkoll-bot" for a in lean.sent)


async def test_the_callers_activities_keep_their_own_fields():
    replies = _replies()
    before = [copy.deepcopy(vars(a)) for a in replies]
    context = LeanTurnContext(_Recording(), _incoming())

    responses = await context.send_activities(replies)
    context.adapter.sent[0].additional_properties["x"] = 1  # what was sent is its own object

    assert [vars(a) for a in replies] == before
    assert len(responses) == 3 and context.responded
