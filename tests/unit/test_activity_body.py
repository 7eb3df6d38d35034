"""Replies leave the bot with the same JSON msrest would write: bot/adapter.py's
direct serialiser against msrest's `Serializer.body`, on the shapes Målkoll sends."""

from __future__ import annotations

import datetime as dt

import pytest
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    HeroCard,
    Mention,
    SuggestedActions,
)
from botbuilder.schema.teams import TeamsChannelAccount
from msrest.serialization import Model, Serializer

from bot.adapter import activity_body
from dialogs.cards import build_welcome_card
from dialogs.texts import Texts
from tests.support.activities import message


def _msrest(activity: Activity) -> dict:
    from botbuilder import schema

    models = {name: cls for name, cls in vars(schema).items() if isinstance(cls, type) and issubclass(cls, Model)}
    return Serializer(models).body(activity, "Activity")


def _incoming() -> Activity:
    body = message("mina mål", service_url="https://smba.trafficmanager.net/emea/", user="d0000000-0000-4000-8000-000000000001")
    return Activity().deserialize(body)


def _reply(outgoing: Activity) -> Activity:
    """As TurnContext.send_activity completes it: reference fields from the incoming activity."""
    return TurnContext.apply_conversation_reference(outgoing, TurnContext.get_conversation_reference(_incoming()))


def _cases() -> dict[str, Activity]:
    texts = Texts.for_locale("sv-SE")
    mention = Mention(mentioned=ChannelAccount(id="29:abc", name="Anna"), text="<at>Anna</at>", type="mention")
    with_entities = MessageFactory.text("Hej <at>Anna</at>")
    with_entities.entities = [mention]
    return {
        "text": _reply(MessageFactory.text("Det här kan du be Målkoll om")),
        "adaptive card": _reply(MessageFactory.attachment(CardFactory.adaptive_card(build_welcome_card(texts)))),
        "hero card": _reply(MessageFactory.attachment(CardFactory.hero_card(HeroCard(title="Mål", buttons=[
            CardAction(type="imBack", title="Ja", value="ja")])))),
        "mention entity": _reply(with_entities),
        "suggested actions": _reply(MessageFactory.suggested_actions(
            [CardAction(type="imBack", title="Ja", value="ja"), CardAction(type="imBack", title="Nej", value="nej")], "Säker?")),
        "timestamp, channel data, teams account": _reply(Activity(
            type=ActivityTypes.message,
            text="x",
            timestamp=dt.datetime(2026, 11, 23, 13, 5, 7, 120000, tzinfo=dt.UTC),
            channel_data={"notification": {"alert": True}, "nested": [1, 2.5, None, {"a": "b"}]},
            from_property=TeamsChannelAccount(id="28:bot", name="Målkoll", aad_object_id="x"),
            attachments=[Attachment(content_type="text/plain", content="plain")],
        )),
        "typing": _reply(Activity(type=ActivityTypes.typing)),
        "proactive": Activity(type="message", text="Påminnelse", conversation=ConversationAccount(id="a:1"),
                              recipient=ChannelAccount(id="29:u"), service_url="http://127.0.0.1/"),
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_the_body_is_what_msrest_writes(name):
    activity = _cases()[name]
    assert activity_body(activity) == _msrest(activity)


def test_what_the_walk_does_not_know_is_left_to_msrest():
    naive_time = _reply(Activity(type="message", text="x", timestamp=dt.datetime(2026, 11, 23, 13, 5)))
    dict_for_a_model = Activity(type="message", text="x", recipient={"id": "29:u"})
    not_a_string = Activity(type="message", text=7)
    for activity in (naive_time, dict_for_a_model, not_a_string):
        assert activity_body(activity) is None
