"""A first conversation with Målkoll over HTTP, as Teams would have it."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.bot_tables import ConversationReferenceRow
from tests.support.activities import (
    OTHER_TENANT,
    card_submit,
    conversation_update,
    demo_user,
    installation_update,
    message,
    personal_conversation,
)

ANNA = demo_user(1)
BERTIL = demo_user(2)


async def test_healthz_answers_when_the_database_does(bot):
    status, body = await bot.get("/healthz")
    assert (status, body["status"]) == (200, "ok")


async def test_install_welcomes_in_swedish_once(bot):
    sent = await bot.say(installation_update("add", service_url=bot.connector.url, user=ANNA))
    sent += await bot.say(conversation_update(service_url=bot.connector.url, user=ANNA))
    assert len(sent) == 1
    welcome = sent[0]
    assert welcome.conversation_id == personal_conversation(ANNA)
    assert "Målkoll" in welcome.all_text()
    assert "mina mål" in welcome.all_text()


async def test_install_events_arriving_together_welcome_once(bot):
    # Teams sends installationUpdate and conversationUpdate for one personal install
    # within milliseconds, and the bot handles them concurrently.
    statuses = await asyncio.gather(
        bot.post(installation_update("add", service_url=bot.connector.url, user=ANNA)),
        bot.post(conversation_update(service_url=bot.connector.url, user=ANNA)),
    )
    assert all(status in (200, 201) for status in statuses)
    assert len(bot.connector.to(personal_conversation(ANNA))) == 1


async def test_help_lists_what_can_be_asked(bot):
    sent = await bot.say(message("hjälp", service_url=bot.connector.url, user=ANNA))
    assert len(sent) == 1
    assert "vilka mål ligger efter?" in sent[0].all_text()


async def test_menu_card_has_the_main_actions_as_submit_verbs(bot):
    sent = await bot.say(message("meny", service_url=bot.connector.url, user=ANNA))
    [card] = sent[0].cards
    assert card["version"] == "1.5"
    verbs = [action["data"]["verb"] for action in card["actions"]]
    assert verbs == ["my_goals", "report", "behind", "left_to_report", "help"]
    assert all(action["type"] == "Action.Submit" for action in card["actions"])


async def test_my_goals_shows_the_units_goals_from_the_database(bot):
    sent = await bot.say(message("mina mål", service_url=bot.connector.url, user=ANNA))
    assert len(sent) == 1
    text = sent[0].all_text()
    assert "Solrosens förskola" in text
    assert "Mål 1: Alla barn utvecklar sitt språk" in text
    assert "Mål 2: Utemiljön används varje dag" in text
    assert "Vitsippans" not in text  # not Anna's unit


async def test_menu_button_my_goals_gives_the_same_overview(bot):
    sent = await bot.say(card_submit({"verb": "my_goals"}, service_url=bot.connector.url, user=ANNA))
    assert "Alla barn utvecklar sitt språk" in sent[0].all_text()


async def test_english_user_gets_english(bot):
    sent = await bot.say(message("my goals", service_url=bot.connector.url, user=ANNA, locale="en-US"))
    text = sent[0].all_text()
    assert "My goals" in text and "Goal 1: Alla barn utvecklar sitt språk" in text
    sent = await bot.say(message("help", service_url=bot.connector.url, user=ANNA, locale="en-GB"))
    assert "What you can ask Målkoll" in sent[0].all_text()


async def test_unknown_text_gets_a_helpful_answer_and_the_menu(bot):
    sent = await bot.say(message("vad är klockan i Kiruna", service_url=bot.connector.url, user=ANNA))
    assert "Det förstod jag inte riktigt" in sent[0].text
    assert sent[1].cards and sent[1].cards[0]["actions"]


async def test_unknown_person_is_told_how_to_get_access(bot):
    stranger = "d0000000-0000-4000-8000-000000000099"
    sent = await bot.say(message("mina mål", service_url=bot.connector.url, user=stranger))
    assert len(sent) == 1
    assert "administratör" in sent[0].text


async def test_other_tenant_is_refused_politely_and_nothing_is_stored(bot, engine):
    sent = await bot.say(message("mina mål", service_url=bot.connector.url, user=ANNA, tenant=OTHER_TENANT))
    assert len(sent) == 1
    assert "inte tillgängligt för din organisation" in sent[0].text
    sent = await bot.say(message("my goals", service_url=bot.connector.url, user=ANNA, tenant=OTHER_TENANT, locale="en-US"))
    assert "not available for your organisation" in sent[0].text
    async with engine.connect() as connection:
        stored = (await connection.execute(select(ConversationReferenceRow.tenant_id))).scalars().all()
    assert OTHER_TENANT not in stored


async def test_configured_allow_list_overrides_the_database(start_bot, demo_org):
    bot = await start_bot(allowed_tenants=[OTHER_TENANT])
    sent = await bot.say(message("mina mål", service_url=bot.connector.url, user=ANNA))
    assert "inte tillgängligt" in sent[0].text


async def test_same_activity_delivered_twice_is_answered_once(bot):
    activity = message("hjälp", service_url=bot.connector.url, user=ANNA, activity_id="teams-retry-1")
    first = await bot.say(activity)
    second = await bot.say(activity)
    assert len(first) == 1 and second == []


async def test_channel_message_with_mention_is_understood_and_answered_in_the_channel(bot):
    sent = await bot.say(
        message("hjälp", service_url=bot.connector.url, user=ANNA, team_id="19:team-a@thread.tacv2",
                channel_id="19:chan-a@thread.tacv2")
    )
    assert sent[0].conversation_id.startswith("19:chan-a@thread.tacv2")
    assert "Det här kan du be Målkoll om" in sent[0].all_text()


async def test_reinstall_after_uninstall_welcomes_again(bot):
    await bot.say(installation_update("add", service_url=bot.connector.url, user=ANNA))
    assert await bot.say(installation_update("remove", service_url=bot.connector.url, user=ANNA)) == []
    sent = await bot.say(installation_update("add", service_url=bot.connector.url, user=ANNA))
    assert len(sent) == 1 and "Hej, jag är Målkoll!" in sent[0].all_text()
