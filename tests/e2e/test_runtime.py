"""The runtime around the dialogs: auth, references, errors, restarts, connector faults."""

from __future__ import annotations

import logging

import jwt
from pydantic import SecretStr
from sqlalchemy import func, select

from storage.bot_tables import ConversationReferenceRow, ProcessedActivityRow
from tests.support.activities import (
    card_submit,
    conversation_update,
    demo_user,
    installation_update,
    message,
    personal_conversation,
)

ANNA = demo_user(1)
BERTIL = demo_user(2)
TEAM = "19:team-forskola@thread.tacv2"
CHANNEL = "19:chan-uppfoljning@thread.tacv2"


async def _references(engine) -> dict[str, ConversationReferenceRow]:
    async with engine.connect() as connection:
        rows = (await connection.execute(select(ConversationReferenceRow.__table__))).mappings().all()
    return {row["conversation_id"]: row for row in rows}


# --- auth ------------------------------------------------------------------------


async def test_with_an_app_id_requests_without_or_with_a_bad_token_get_401(start_bot, demo_org, engine):
    bot = await start_bot(app_id="3f6b1c2e-0000-4000-8000-000000000abc", app_password=SecretStr("not-a-real-secret"))
    activity = message("mina mål", service_url=bot.connector.url, user=ANNA)
    assert await bot.post(activity) == 401
    assert await bot.post(activity, headers={"Authorization": "Bearer not-a-jwt"}) == 401
    forged = jwt.encode({"iss": "https://attacker.example", "aud": "3f6b1c2e-0000-4000-8000-000000000abc"}, "k" * 32)
    assert await bot.post(activity, headers={"Authorization": f"Bearer {forged}"}) == 401
    # The bot never saw them: nothing sent, nothing recorded.
    assert bot.connector.activities == []
    async with engine.connect() as connection:
        assert (await connection.execute(select(func.count()).select_from(ProcessedActivityRow))).scalar() == 0


async def test_single_tenant_configuration_is_accepted_and_still_requires_a_token(start_bot, demo_org):
    bot = await start_bot(
        app_id="3f6b1c2e-0000-4000-8000-000000000abc",
        app_password=SecretStr("not-a-real-secret"),
        app_type="SingleTenant",
        app_tenant_id="6c1e5d0a-8f2b-4b7e-9a3c-5d4e3f2a1b00",
    )
    assert await bot.post(message("hjälp", service_url=bot.connector.url, user=ANNA)) == 401


async def test_local_mode_sends_replies_without_an_authorization_header(bot):
    sent = await bot.say(message("hjälp", service_url=bot.connector.url, user=ANNA))
    assert sent[0].authorization is None


async def test_malformed_requests_are_refused_before_the_bot(bot):
    async with bot.http.post(f"{bot.url}/api/messages", data="hej", headers={"Content-Type": "text/plain"}) as r:
        assert r.status == 415
    async with bot.http.post(f"{bot.url}/api/messages", data="{not json", headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400
    assert bot.connector.activities == []


# --- health ----------------------------------------------------------------------


async def test_healthz_is_503_with_a_reason_when_the_database_is_down(start_bot):
    bot = await start_bot(database_url=SecretStr("postgresql://postgres@127.0.0.1:9/nowhere"))
    status, body = await bot.get("/healthz")
    assert status == 503
    assert body["status"] == "unavailable" and "database" in body["reason"]


# --- conversation references -------------------------------------------------------


async def test_references_saved_on_install_and_message_and_inactive_after_uninstall(bot, engine):
    await bot.say(installation_update("add", service_url=bot.connector.url, user=ANNA))
    refs = await _references(engine)
    personal = refs[personal_conversation(ANNA)]
    assert (personal["conversation_type"], personal["user_aad_id"], personal["active"]) == ("personal", ANNA, True)
    assert personal["service_url"] == bot.connector.url

    await bot.say(installation_update("remove", service_url=bot.connector.url, user=ANNA))
    assert (await _references(engine))[personal_conversation(ANNA)]["active"] is False

    await bot.say(message("hjälp", service_url=bot.connector.url, user=ANNA))  # reinstalled, talks again
    assert (await _references(engine))[personal_conversation(ANNA)]["active"] is True


async def test_channel_reference_keeps_team_and_channel_ids_and_team_removal_deactivates(bot, engine):
    await bot.say(conversation_update(service_url=bot.connector.url, user=BERTIL, team_id=TEAM, channel_id=TEAM))
    await bot.say(message("hjälp", service_url=bot.connector.url, user=BERTIL, team_id=TEAM, channel_id=CHANNEL))
    refs = await _references(engine)
    general = refs[f"{TEAM};messageid=1"]
    other = refs[f"{CHANNEL};messageid=1"]
    assert (general["conversation_type"], general["team_id"], general["teams_channel_id"]) == ("channel", TEAM, TEAM)
    assert (other["team_id"], other["teams_channel_id"], other["user_aad_id"]) == (TEAM, CHANNEL, None)

    await bot.say(
        conversation_update(service_url=bot.connector.url, user=BERTIL, team_id=TEAM, channel_id=TEAM,
                            bot_added=False, bot_removed=True)
    )
    refs = await _references(engine)
    assert not refs[f"{TEAM};messageid=1"]["active"] and not refs[f"{CHANNEL};messageid=1"]["active"]


async def test_team_install_welcomes_the_channel(bot):
    sent = await bot.say(installation_update("add", service_url=bot.connector.url, user=BERTIL, team_id=TEAM))
    assert len(sent) == 1 and sent[0].conversation_id == f"{TEAM};messageid=1"
    assert "Hej, jag är Målkoll!" in sent[0].all_text()


# --- multi-turn, restart, errors ---------------------------------------------------------


async def test_person_with_several_units_chooses_one_and_the_choice_survives_a_restart(bot):
    sent = await bot.say(message("mina mål", service_url=bot.connector.url, user=BERTIL))
    question = sent[0].all_text()
    assert "Vilken vill du se?" in question and "Solrosens förskola" in question and "Vitsippans förskola" in question

    await bot.restart()

    sent = await bot.say(message("vitsippans forskola", service_url=bot.connector.url, user=BERTIL))
    text = sent[0].all_text()
    assert "Vårdnadshavare är delaktiga" in text
    assert "Solrosens" not in text


async def test_choice_by_card_button_and_help_while_asked(bot):
    await bot.say(message("mina mål", service_url=bot.connector.url, user=BERTIL))
    sent = await bot.say(message("hjälp", service_url=bot.connector.url, user=BERTIL))
    assert "Det här kan du be Målkoll om" in sent[0].all_text()
    assert "Vilken vill du se?" in sent[1].all_text()  # asked again
    sent = await bot.say(card_submit({"verb": "my_goals", "unit_id": "all"}, service_url=bot.connector.url, user=BERTIL))
    text = sent[0].all_text()
    assert "Solrosens förskola" in text and "Vitsippans förskola" in text


async def test_cancel_ends_the_question(bot):
    await bot.say(message("mina mål", service_url=bot.connector.url, user=BERTIL))
    sent = await bot.say(message("avbryt", service_url=bot.connector.url, user=BERTIL))
    assert "avbryter" in sent[0].text
    sent = await bot.say(message("1", service_url=bot.connector.url, user=BERTIL))
    assert "Det förstod jag inte riktigt" in sent[0].text


async def test_a_failing_turn_is_answered_neutrally_logged_with_its_reference_and_forgotten(bot, caplog):
    await bot.say(message("mina mål", service_url=bot.connector.url, user=BERTIL))
    bot.connector.fail_next(500)  # the overview's send fails
    with caplog.at_level(logging.ERROR):
        sent = await bot.say(message("1", service_url=bot.connector.url, user=BERTIL))
    assert len(sent) == 1
    answer = sent[0].text
    assert answer.startswith("Något gick fel hos mig")
    assert "Traceback" not in answer and "Error" not in answer and ".py" not in answer
    reference = answer.rsplit("referens ", 1)[1].split(" ")[0]
    assert any(reference in record.getMessage() and "turn.failed" in record.getMessage() for record in caplog.records)
    # The broken dialog is gone: "1" is no longer an answer to a question.
    sent = await bot.say(message("1", service_url=bot.connector.url, user=BERTIL))
    assert "Det förstod jag inte riktigt" in sent[0].text


async def test_error_answer_is_in_english_for_english_users(bot):
    bot.connector.fail_next(503, times=4)  # every retry of the reply fails
    sent = await bot.say(message("help", service_url=bot.connector.url, user=ANNA, locale="en-US"))
    assert len(sent) == 1 and sent[0].text.startswith("Something went wrong on my side")


async def test_429_with_retry_after_is_honoured_and_the_reply_arrives_once(bot):
    bot.connector.fail_next(429, retry_after=0)
    sent = await bot.say(message("hjälp", service_url=bot.connector.url, user=ANNA))
    assert len(sent) == 1 and "Det här kan du be Målkoll om" in sent[0].all_text()
    assert bot.connector.faults_answered == 1
