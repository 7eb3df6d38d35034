"""The follow-up dialog end to end on the real database (SQLite and PostgreSQL):
what a unit manager sees, and what ends up stored and audited."""

from __future__ import annotations

from datetime import datetime

import pytest

from dialogs.submissions import Verb
from dialogs.texts import load_catalog
from goals import services
from goals.clock import FixedClock
from goals.model import ActivityStatus, CrossSectoral, FollowUpState, Fulfilment, Measurement
from tests.dialogs.follow_up_support import (  # noqa: F401 - sessionmaker/uow_factory are fixtures
    CLOCK,
    STOCKHOLM_TZ,
    Chat,
    action,
    build_org,
    card_text,
    cards,
    inputs,
    sessionmaker,
    texts_of,
    uow_factory,
)

ANALYSIS_SV = (
    "Andelen barn som läser dagligen har ökat sedan i fjol eftersom vi infört läsvrå och högläsning varje dag, "
    "men pojkarna läser fortfarande mindre än flickorna och det behöver vi arbeta vidare med."
)
ANALYSIS_EN = (
    "More parents took part this spring because we moved the meetings to the afternoon and offered interpreters, "
    "but fathers still come less often than mothers, which we need to understand better."
)
PERSPECTIVES_SV = {
    "cs_child_rights": "Barn och unga har fått tycka till om utbudet via skolbesök.",
    "cs_gender_equality": "Vi följer lånen uppdelat på flickor och pojkar.",
    "cs_equity": "Satsningen riktas först till bibliotek i områden med låg utlåning.",
    "cs_anti_discrimination": "Alla aktiviteter är avgiftsfria och tillgängliga.",
}


@pytest.fixture
async def org(uow_factory, sessionmaker):
    return await build_org(uow_factory, sessionmaker)


async def stored(org, goal_key, period_key="T1-2026"):
    async with org.uow_factory() as uow:
        return await uow.follow_ups.find(org.goals[goal_key].id, org.periods[period_key])


async def audit(org, action_name=None):
    async with org.uow_factory() as uow:
        records = await uow.audit.recent(1000)
    return [r for r in records if action_name is None or r.action == action_name]


def payload(card: dict, verb: str, **typed):
    """What Teams sends for a click: the action's data merged with the inputs
    (prefilled values the person left alone, and what they typed)."""
    values = {k: v for k, v in inputs(card).items() if v is not None}
    return {**values, **typed, **action(card, verb)}


def goal_inputs(org, *, assessment="partly", **extra):
    i1, i2 = org.goals["sol1"].indicators
    a1, a2 = org.goals["sol1"].activities
    return {
        f"ind_{i1.id}_total": "72,5 %", f"ind_{i1.id}_women": "75", f"ind_{i1.id}_men": "70",
        f"ind_{i2.id}_total": "41", f"act_{a1.id}": "done", f"act_{a2.id}": "ongoing",
        "assessment": assessment, "forecast": "fulfilled", "analysis": ANALYSIS_SV,
        "actions": "Vi startar läsombud för pojkar.", "resource_use": "Budgeten för böcker räckte till läsvrån.",
        **extra,
    }


def assert_no_leaks(chat, *, into: str) -> None:
    """No catalog text of the other language reached this conversation."""
    catalogs = {lang: load_catalog(lang) for lang in ("sv", "en")}
    other = "en" if into == "sv" else "sv"
    fragments = {
        piece.strip()
        for key, template in catalogs[other].items()
        if template != catalogs[into][key]
        for piece in template.replace("}", "{").split("{")[::2]
        if len(piece.strip()) >= 12
    }
    seen = "\n".join(texts_of(chat.history) + [card_text(c) for c in cards(chat.history)])
    assert not [f for f in fragments if f in seen]


async def open_goal_card(chat, org, goal_key="sol1"):
    overview = cards(await chat.send("rapportera"))[0]
    replies = await chat.send(value=action(overview, Verb.OPEN_GOAL, goal_id=org.goals[goal_key].id))
    return cards(replies)[0], replies


# --- the whole flow ------------------------------------------------------------------


async def test_stockholm_report_by_cards_in_swedish(org):
    chat = Chat(org, "anna")
    overview = cards(await chat.send("rapportera"))[0]
    seen = card_text(overview)
    assert "Solrosens förskola: Tertial 1 2026" in seen and "Sista dag att rapportera: 10 maj 2026" in seen
    assert "Mål 1: Alla barn utvecklar sitt språk" in seen and "Inte påbörjad" in seen

    replies = await chat.send(value=action(overview, Verb.OPEN_GOAL, goal_id=org.goals["sol1"].id))
    goal_card = cards(replies)[0]
    seen = card_text(goal_card)
    assert "Bidrar till: Barn ges goda förutsättningar" in seen
    assert "Samma period i fjol: 60 % (Tertial 1 2025)" in seen and "Målvärde: 80 %" in seen
    assert "varav flickor/kvinnor" in seen and "Läsfrämjande insats (15 januari 2026 – 31 mars 2026)" in seen
    assert "Vilket värde har indikatorn ”Andel barn som läser dagligen”" in texts_of(replies)[0]

    replies = await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, **goal_inputs(org)))
    review = cards(replies)[-1]
    assert "Allt som krävs är ifyllt" in card_text(review)
    assert "72,5 % (varav flickor/kvinnor 75 %, varav pojkar/män 70 %)" in card_text(review)

    replies = await chat.send(value=action(review, Verb.SUBMIT))
    confirmation = card_text(cards(replies)[0])
    assert "inskickad för godkännande" in confirmation and "10 maj 2026" in confirmation and "Nästa mål: 2" in confirmation

    assert_no_leaks(chat, into="sv")
    follow_up = await stored(org, "sol1")
    i1, i2 = org.goals["sol1"].indicators
    a1, _ = org.goals["sol1"].activities
    assert follow_up.state == FollowUpState.SUBMITTED
    assert follow_up.indicator_values == {i1.id: Measurement(72.5, 75.0, 70.0), i2.id: Measurement(41.0)}
    assert follow_up.activity_statuses[a1.id] == ActivityStatus.DONE
    assert (follow_up.assessment, follow_up.forecast) == (Fulfilment.PARTLY, Fulfilment.FULFILLED)
    async with org.uow_factory() as uow:
        events = await uow.outbox.pending("follow_up.submitted")
    assert [e.payload["follow_up_id"] for e in events] == [follow_up.id]
    assert await audit(org, "follow_up.submitted")


async def test_english_report_by_plain_text(org):
    """Vera reads English and answers question by question, as on a client
    that shows cards poorly; a one-word analysis is sent back with the reason."""
    chat = Chat(org, "vera")
    overview = cards(await chat.send("report"))[0]
    assert "Vitsippans förskola: Four-month period 1 2026" in card_text(overview)
    replies = await chat.send("1")
    assert "Answer on the card, or type your answer here" in texts_of(replies)[0]
    assert "How do you assess the fulfilment of goal 1? Answer 1 (Fulfilled), 2 (Partly fulfilled) or 3 (Not fulfilled)." in texts_of(replies)[0]
    assert texts_of(await chat.send("maybe")) == [
        "I did not understand that answer. Answer 1 (Fulfilled), 2 (Partly fulfilled) or 3 (Not fulfilled).",
        "How do you assess the fulfilment of goal 1? Answer 1 (Fulfilled), 2 (Partly fulfilled) or 3 (Not fulfilled).",
    ]
    assert "full-year forecast" in texts_of(await chat.send("2"))[0]
    assert "Write your analysis" in texts_of(await chat.send("fulfilled"))[0]
    replies = texts_of(await chat.send("Good."))
    assert replies[0].startswith("The analysis is too short. An analysis explains why") and "at least 15 words" in replies[0]
    assert "Write your analysis" in replies[1]
    assert "corrective actions" in texts_of(await chat.send(ANALYSIS_EN))[0]
    assert "resources" in texts_of(await chat.send("Evening meetings with interpreters in three languages."))[0]
    review = cards(await chat.send("We used the interpreter budget and the school premises."))[0]
    assert "Everything required is filled in" in card_text(review)
    confirmation = cards(await chat.send("submit"))[0]
    assert "submitted for approval" in card_text(confirmation)
    everything = "\n".join(texts_of(await chat.send("continue")))
    assert "Everything for the period has been submitted" in everything
    follow_up = await stored(org, "vit1")
    assert follow_up.state == FollowUpState.SUBMITTED and follow_up.analysis == ANALYSIS_EN
    assert_no_leaks(chat, into="en")


async def test_malmo_report_with_human_rights_perspectives(org):
    chat = Chat(org, "maja")
    overview = cards(await chat.send("rapportera"))[0]
    assert "Stadsbiblioteket: Delårsrapport 2026" in card_text(overview)
    goal_card = cards(await chat.send(value=action(overview, Verb.OPEN_GOAL)))[0]
    seen = card_text(goal_card)
    assert "Förflyttning mot KF-målet" in seen and "Barnrätt" in seen and "Antidiskriminering" in seen
    assert "varav" not in seen and "Resursanvändning" not in seen
    typed = {"assessment": "partly", "forecast": "fulfilled", "analysis": ANALYSIS_SV, "actions": "Fler skolbesök under hösten."}
    review = cards(await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, **typed)))[-1]
    missing = card_text(review)
    assert "Perspektivet Barnrätt behöver beskrivas." in missing and "Perspektivet Jämlikhet behöver beskrivas." in missing
    assert not any(a["data"]["verb"] == Verb.SUBMIT for a in review["actions"])  # indicators not required, perspectives are

    goal_card = cards(await chat.send(value=action(review, Verb.OPEN_GOAL)))[0]
    review = cards(await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, **PERSPECTIVES_SV)))[-1]
    confirmation = cards(await chat.send(value=action(review, Verb.SUBMIT)))[0]
    assert "inskickad" in card_text(confirmation)
    follow_up = await stored(org, "bibl1", "interim-2026")
    assert follow_up.state == FollowUpState.SUBMITTED and follow_up.indicator_values == {}
    assert follow_up.cross_sectoral[CrossSectoral.EQUITY].startswith("Satsningen riktas")


async def test_malmo_in_english_asks_the_perspectives_by_text(org):
    chat = Chat(org, "max")
    await chat.send("report")
    await chat.send("1")
    for answer in ("2", "2", ANALYSIS_EN):
        replies = texts_of(await chat.send(answer))
    assert replies == ["Which corrective actions is the unit taking to reach the goal?"]
    assert texts_of(await chat.send("More school visits.")) == ["How has the perspective Child rights been considered?"]


# --- evidence, numbers, gender split ------------------------------------------------------


async def test_fulfilled_against_evidence_asks_why_and_stores_the_explanation(org):
    chat = Chat(org, "anna")
    goal_card, _ = await open_goal_card(chat, org)
    a1 = org.goals["sol1"].activities[0]
    replies = await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, **goal_inputs(org, assessment="fulfilled", **{f"act_{a1.id}": "ongoing"})))
    evidence = cards(replies)[-1]
    seen = card_text(evidence)
    assert "Stämmer bedömningen ”Uppfyllt”?" in seen
    assert "Läsfrämjande insats: skulle vara klar 31 mars 2026 men är inte klar" in seen
    assert "Andel barn som läser dagligen: 72,5 % mot målvärdet 80 %" in seen

    empty = await chat.send(value=payload(evidence, Verb.CONFIRM_EVIDENCE, evidence_note="  "))
    assert "Förklara varför bedömningen står sig" in texts_of(empty)[0]
    note = "Insatsen är genomförd men rapporteras klar först efter utvärderingen i maj."
    review = cards(await chat.send(value=payload(evidence, Verb.CONFIRM_EVIDENCE, evidence_note=note)))[-1]
    assert note in card_text(review)
    follow_up = await stored(org, "sol1")
    assert follow_up.evidence_note == note and follow_up.assessment == Fulfilment.FULFILLED


async def test_malformed_numbers_and_inconsistent_split_are_sent_back_and_the_rest_saved(org):
    chat = Chat(org, "anna")
    goal_card, _ = await open_goal_card(chat, org)
    i1, i2 = org.goals["sol1"].indicators
    typed = goal_inputs(org, **{f"ind_{i1.id}_total": "50 %", f"ind_{i1.id}_women": "90", f"ind_{i1.id}_men": "80", f"ind_{i2.id}_total": "tolv"})
    replies = await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, **typed))
    assert texts_of(replies) == ["Jag sparade det som gick. Titta på det som är markerat:"]
    again = cards(replies)[0]
    seen = card_text(again)
    assert "Antal språkpromenader: det ser inte ut som ett tal." in seen
    assert "totalen 50 % borde ligga mellan värdet för kvinnor (90 %) och för män (80 %)" in seen
    assert inputs(again)[f"ind_{i2.id}_total"] == "tolv" and "confirm_split" in inputs(again)
    follow_up = await stored(org, "sol1")
    assert follow_up.analysis == ANALYSIS_SV and i1.id not in follow_up.indicator_values

    fixed = {f"ind_{i2.id}_total": "12", "confirm_split": "true"}
    await chat.send(value=payload(again, Verb.SAVE_GOAL, **fixed))
    follow_up = await stored(org, "sol1")
    assert follow_up.indicator_values[i1.id] == Measurement(50.0, 90.0, 80.0)
    assert follow_up.indicator_values[i2.id] == Measurement(12.0)


# --- saving at once, resuming, cancelling ------------------------------------------------------


async def test_every_answer_is_saved_at_once_and_resumes_after_a_restart(org):
    chat = Chat(org, "anna")
    await open_goal_card(chat, org)
    replies = await chat.send("72,5")
    assert texts_of(replies) == ["Indikatorn ”Andel barn som läser dagligen”: hur stor del gäller flickor/kvinnor?"]
    i1 = org.goals["sol1"].indicators[0]
    assert (await stored(org, "sol1")).indicator_values[i1.id] == Measurement(total=72.5)

    chat.new_process()  # the bot restarts; state and draft come from the database
    replies = await chat.send("75")
    assert texts_of(replies) == ["Indikatorn ”Andel barn som läser dagligen”: hur stor del gäller pojkar/män?"]

    chat.new_process()
    await chat.send("avbryt")
    assert (await stored(org, "sol1")).indicator_values[i1.id] == Measurement(total=72.5, women=75.0)

    chat.new_process()
    replies = await chat.send("fortsätt")
    said = texts_of(replies)
    assert said[0] == "Vi fortsätter med mål 1: Alla barn utvecklar sitt språk."
    assert said[-1].endswith("Indikatorn ”Andel barn som läser dagligen”: hur stor del gäller pojkar/män?")
    # Typed women/men that do not bracket a rate's total are saved only when confirmed.
    warning = texts_of(await chat.send("90"))[0]
    assert "totalen 72,5 % borde ligga mellan" in warning and "Skriv samma värde igen" in warning
    assert (await stored(org, "sol1")).indicator_values[i1.id].men is None
    assert "Antal språkpromenader" in texts_of(await chat.send("90"))[0]
    assert (await stored(org, "sol1")).indicator_values[i1.id] == Measurement(72.5, 75.0, 90.0)


async def test_submit_with_gaps_lists_them_in_the_users_language(org):
    chat = Chat(org, "anna")
    await open_goal_card(chat, org)
    await chat.send("72,5")
    replies = await chat.send("skicka")
    said = texts_of(replies)[0]
    assert said.startswith("Uppföljningen kan inte skickas in än:")
    assert "Bedömningen av måluppfyllelse saknas." in said and "Analysen saknas." in said
    assert "”Andel barn som läser dagligen” ska redovisas uppdelad på kvinnor och män" in said
    assert (await stored(org, "sol1")).state == FollowUpState.DRAFT


# --- after submitting ---------------------------------------------------------------------


async def submit_goal_one(chat, org):
    goal_card, _ = await open_goal_card(chat, org)
    review = cards(await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, **goal_inputs(org))))[-1]
    await chat.send(value=action(review, Verb.SUBMIT))
    return review


async def test_edit_after_submit_until_the_deadline(org):
    chat = Chat(org, "anna")
    await submit_goal_one(chat, org)
    overview = cards(await chat.send("rapportera"))[0]
    assert "Inskickad" in card_text(overview)
    goal_card = cards(await chat.send(value=action(overview, Verb.OPEN_GOAL, goal_id=org.goals["sol1"].id)))[0]
    replies = await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, actions="Läsombud för pojkar från maj."))
    assert "Ändringen är sparad. Uppföljningen är fortfarande inskickad för godkännande." in texts_of(replies)
    follow_up = await stored(org, "sol1")
    assert follow_up.state == FollowUpState.SUBMITTED and follow_up.actions == "Läsombud för pojkar från maj."
    saved = [r for r in await audit(org, "follow_up.saved") if r.details.get("after_submit")]
    assert saved and saved[0].details["changes"]["actions"]["to"] == "Läsombud för pojkar från maj."

    late = Chat(org, "anna", clock=FixedClock(datetime(2026, 5, 11, 9, tzinfo=STOCKHOLM_TZ)))
    replies = await late.send(value={"verb": Verb.OPEN_GOAL, "goal_id": org.goals["sol1"].id, "period_id": org.periods["T1-2026"]})
    assert texts_of(replies)[0].startswith("Sista dag för ändringar var 10 maj 2026.")


async def test_returned_follow_up_shows_the_heads_comment_and_can_be_resubmitted(org):
    chat = Chat(org, "anna")
    await submit_goal_one(chat, org)
    follow_up = await stored(org, "sol1")
    bertil = await org.actor("bertil")
    await services.return_follow_up(org.uow_factory(), actor=bertil, follow_up_id=follow_up.id, expected_version=follow_up.version,
                                    comment="Beskriv vad läsombuden ska göra.", clock=CLOCK)
    overview = cards(await chat.send("rapportera"))[0]
    assert "Återsänd med kommentaren: ”Beskriv vad läsombuden ska göra.”" in card_text(overview)
    goal_card = cards(await chat.send(value=action(overview, Verb.OPEN_GOAL, goal_id=org.goals["sol1"].id)))[0]
    assert "Beskriv vad läsombuden ska göra." in card_text(goal_card)
    review = cards(await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, actions="Läsombuden läser med pojkar två gånger i veckan.")))[-1]
    await chat.send(value=action(review, Verb.SUBMIT))
    assert (await stored(org, "sol1")).state == FollowUpState.SUBMITTED


# --- refusals -------------------------------------------------------------------------------


async def test_a_stale_card_is_refused_audited_and_writes_nothing(org):
    chat = Chat(org, "anna")
    goal_card, _ = await open_goal_card(chat, org)
    await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, **goal_inputs(org)))
    before = await stored(org, "sol1")
    replies = await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, analysis="Gammal text från ett gammalt kort."))
    assert texts_of(replies)[0].startswith("Det här kortet är inaktuellt")
    assert card_text(cards(replies)[0]).count(ANALYSIS_SV) == 1  # the current values are shown
    assert await stored(org, "sol1") == before
    refused = await audit(org, "card.refused")
    assert refused[0].details["reason"] == "stale_version" and refused[0].actor_id == org.people["anna"]


async def test_another_persons_change_is_named_and_nothing_is_overwritten(org):
    chat = Chat(org, "anna")
    goal_card, _ = await open_goal_card(chat, org)
    follow_up = await stored(org, "sol1")
    bertil = await org.actor("bertil")
    await services.save_follow_up(org.uow_factory(), actor=bertil, follow_up_id=follow_up.id, expected_version=follow_up.version,
                                  changes=services.FollowUpChanges(analysis="Bertils analys."), clock=CLOCK)
    replies = await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, **goal_inputs(org)))
    assert texts_of(replies)[0].startswith("Bertil Ek ändrade den här uppföljningen kl. 09:30.")
    assert "Bertils analys." in card_text(cards(replies)[0])
    assert (await stored(org, "sol1")).analysis == "Bertils analys."
    assert (await audit(org, "card.refused"))[0].details["reason"] == "edited_by_other"


async def test_another_persons_unit_is_refused_without_writing(org):
    anna = Chat(org, "anna")
    goal_card, _ = await open_goal_card(anna, org)
    before = await stored(org, "sol1")
    vera = Chat(org, "vera")
    replies = await vera.send(value=payload(goal_card, Verb.SAVE_GOAL, analysis="Inte min enhet."))
    assert texts_of(replies) == ["This is not a follow-up you can change. Nothing was saved."]
    replies = await vera.send(value={"verb": Verb.OVERVIEW, "unit_id": org.nodes["SOL"], "period_id": org.periods["T1-2026"]})
    assert texts_of(replies) == ["This is not a follow-up you can change. Nothing was saved."]
    assert await stored(org, "sol1") == before
    reasons = [r.details["reason"] for r in await audit(org, "card.refused")]
    assert reasons == ["not_in_scope", "not_in_scope"]


async def test_tampered_ids_unknown_verbs_and_closed_periods_are_refused(org):
    chat = Chat(org, "anna")
    goal_card, _ = await open_goal_card(chat, org)
    before = await stored(org, "sol1")
    tampered = {**payload(goal_card, Verb.SAVE_GOAL, analysis="x"), "follow_up_id": before.id + 1000}
    assert texts_of(await chat.send(value=tampered))[0].startswith("Kortet kunde inte användas")
    wrong_child = {**payload(goal_card, Verb.SAVE_GOAL), f"act_{org.goals['sol2'].id + 999}": "done"}
    assert texts_of(await chat.send(value=wrong_child))[0].startswith("Kortet kunde inte användas")
    assert texts_of(await chat.send(value={"verb": "followup.drop_table"})) == ["Det kortet känner jag inte igen. Inget har sparats."]
    await services.close_period(org.uow_factory(), actor=None, period_id=org.periods["T1-2026"], clock=CLOCK)
    replies = await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, analysis="För sent."))
    assert texts_of(replies) == ["Perioden är stängd, så uppföljningen kan inte längre ändras. Inget har sparats."]
    assert await stored(org, "sol1") == before
    reasons = [r.details["reason"] for r in reversed(await audit(org, "card.refused"))]
    assert reasons == ["card.tampered", "card.tampered", "card.unknown_action", "period_closed"]


async def test_someone_with_several_units_chooses_one_first(org):
    chat = Chat(org, "bertil")  # a department head reports for the units below him
    replies = await chat.send("rapportera")
    choice = card_text(cards(replies)[0])
    assert "Vilken enhet vill du rapportera för?" in choice and "2. Vitsippans förskola" in choice
    assert texts_of(await chat.send("Ekhagen")) == ["Jag hittade ingen sådan enhet bland dina. Svara med numret eller namnet, eller skriv ”avbryt”."]
    overview = cards(await chat.send("2"))[0]
    assert "Vitsippans förskola: Tertial 1 2026" in card_text(overview)


# --- periods, year end, and the flow inside the bot's main dialog ------------------------------


async def test_another_open_period_can_be_chosen_and_a_closed_one_is_refused(org):
    chat = Chat(org, "anna")
    overview = cards(await chat.send("rapportera"))[0]
    t2 = cards(await chat.send(value=action(overview, Verb.CHOOSE_PERIOD, period_id=org.periods["T2-2026"])))[0]
    assert "Solrosens förskola: Tertial 2 2026" in card_text(t2) and "10 september 2026" in card_text(t2)
    closed = {"verb": Verb.CHOOSE_PERIOD, "unit_id": org.nodes["SOL"], "period_id": org.periods["T1-2025"]}
    assert texts_of(await chat.send(value=closed)) == ["Perioden är stängd, så uppföljningen kan inte längre ändras. Inget har sparats."]
    assert (await audit(org, "card.refused"))[0].details["reason"] == "period_closed"


async def test_malmo_annual_analysis_asks_for_a_plan_for_next_year_not_a_forecast(org):
    october = FixedClock(datetime(2026, 10, 5, 9, tzinfo=STOCKHOLM_TZ))
    chat = Chat(org, "max", clock=october)
    overview = cards(await chat.send("report"))[0]
    assert "Stadsbiblioteket: Annual analysis 2026" in card_text(overview)
    goal_card = cards(await chat.send("1"))[0]
    assert "forecast" not in inputs(goal_card) and "Plan for next year" in card_text(goal_card)
    await chat.send("3")  # not moving toward the council goal
    assert texts_of(await chat.send(ANALYSIS_EN)) == ["What is the plan for next year?"]


async def test_help_in_the_middle_of_reporting_repeats_the_open_question(org):
    chat = Chat(org, "anna", through_main=True)
    overview = cards(await chat.send("rapportera"))[0]
    await chat.send(value=action(overview, Verb.OPEN_GOAL, goal_id=org.goals["sol1"].id))
    replies = await chat.send("hjälp")
    assert texts_of(replies)[-1] == "Vilket värde har indikatorn ”Andel barn som läser dagligen” för perioden (%)?"
    assert texts_of(await chat.send("72,5")) == ["Indikatorn ”Andel barn som läser dagligen”: hur stor del gäller flickor/kvinnor?"]
    await chat.send("avbryt")
    chat.new_process()
    said = texts_of(await chat.send("fortsätt"))
    assert said[0] == "Vi fortsätter med mål 1: Alla barn utvecklar sitt språk."
    assert said[-1].endswith("hur stor del gäller flickor/kvinnor?")


async def test_a_status_question_in_the_middle_of_reporting_is_answered_and_the_flow_goes_on(org):
    chat = Chat(org, "anna", through_main=True)
    overview = cards(await chat.send("rapportera"))[0]
    await chat.send(value=action(overview, Verb.OPEN_GOAL, goal_id=org.goals["sol1"].id))
    replies = await chat.send("vilka mål ligger efter?")
    answer = " ".join(card_text(card) for card in cards(replies))
    assert answer.startswith("Mål som ligger efter")  # the status answer, not the flow's reprompt
    assert texts_of(replies)[-1] == "Vilket värde har indikatorn ”Andel barn som läser dagligen” för perioden (%)?"
    assert texts_of(await chat.send("72,5")) == ["Indikatorn ”Andel barn som läser dagligen”: hur stor del gäller flickor/kvinnor?"]


# --- no card makes the dialog fail -------------------------------------------------------------

BAD_VALUES = [None, -1, 0, 2**31, 10**6, "x", "", True, [], {"a": 1}, 1.5, "1 OR 1=1", "ö" * 5000]


async def test_no_mutation_of_a_real_card_makes_the_dialog_fail_or_write(org):
    """Every field of a real save payload replaced by junk: each turn is answered,
    the dialog never raises, and junk ids, versions and types write nothing."""
    chat = Chat(org, "anna")
    goal_card, _ = await open_goal_card(chat, org)
    real = payload(goal_card, Verb.SAVE_GOAL, **goal_inputs(org))
    before = await stored(org, "sol1")
    for field in ("verb", "goal_id", "period_id", "follow_up_id", "version", "assessment", "analysis",
                  next(k for k in real if k.startswith("ind_")), next(k for k in real if k.startswith("act_"))):
        for bad in BAD_VALUES:
            mutated = {**real, field: bad}
            replies = await chat.send(value=mutated)
            assert replies, (field, bad)
            if field in ("verb", "goal_id", "period_id", "follow_up_id", "version"):
                assert await stored(org, "sol1") == before, (field, bad)
    for verb in (Verb.OPEN_GOAL, Verb.OVERVIEW, Verb.CHOOSE_UNIT, Verb.CHOOSE_PERIOD, Verb.SUBMIT, Verb.CONFIRM_EVIDENCE):
        for bad in BAD_VALUES[:6]:
            replies = await chat.send(value={"verb": verb, "goal_id": bad, "unit_id": bad, "period_id": bad, "follow_up_id": bad, "version": bad})
            assert replies, (verb, bad)


async def test_a_reminder_button_opens_its_goal_even_in_the_middle_of_reporting(org):
    chat = Chat(org, "anna", through_main=True)
    await chat.send("rapportera")
    reminder = {"verb": "report", "goal_id": org.goals["sol2"].id, "period_id": org.periods["T1-2026"]}
    goal_card = cards(await chat.send(value=reminder))[0]
    assert "Mål 2: Utemiljön används varje dag" in card_text(goal_card)
    menu = cards(await chat.send(value={"verb": "report"}))[0]
    assert "Solrosens förskola: Tertial 1 2026" in card_text(menu)


async def test_the_evidence_question_by_text_and_changing_the_assessment_instead(org):
    chat = Chat(org, "anna")
    goal_card, _ = await open_goal_card(chat, org)
    a1 = org.goals["sol1"].activities[0]
    await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, **goal_inputs(org, assessment="fulfilled", **{f"act_{a1.id}": "ongoing"})))
    replies = texts_of(await chat.send("ändra"))
    assert replies == ["Hur bedömer du måluppfyllelsen för mål 1? Svara med 1 (Uppfyllt), 2 (Delvis uppfyllt) eller 3 (Ej uppfyllt)."]
    review = cards(await chat.send("”Delvis uppfyllt”"))[0]
    assert "Allt som krävs är ifyllt" in card_text(review)
    follow_up = await stored(org, "sol1")
    assert follow_up.assessment == Fulfilment.PARTLY and follow_up.evidence_note == ""

    # Claimed fulfilled again, and this time explained in plain text.
    goal_card = cards(await chat.send(value=action(review, Verb.OPEN_GOAL)))[0]
    await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, assessment="fulfilled"))
    review = cards(await chat.send("Insatsen är gjord men utvärderas i maj, därför står den som pågående."))[0]
    assert "Insatsen är gjord men utvärderas i maj" in card_text(review)
    assert (await stored(org, "sol1")).evidence_note.startswith("Insatsen är gjord")


async def test_in_a_shared_conversation_another_persons_answer_starts_afresh(org):
    channel = "19:forskolan@thread.tacv2;messageid=1"
    anna = Chat(org, "anna", conversation=channel)
    await open_goal_card(anna, org)
    bertil = Chat(org, "bertil", conversation=channel)
    bertil.client = anna.client  # the same bot, the same conversation state
    replies = await bertil.send("72,5")
    assert "Vilken enhet vill du rapportera för?" in card_text(cards(replies)[0])
    assert (await stored(org, "sol1")).indicator_values == {}


async def test_a_one_word_analysis_on_the_card_is_sent_back_with_what_an_analysis_is(org):
    chat = Chat(org, "anna")
    goal_card, _ = await open_goal_card(chat, org)
    review = cards(await chat.send(value=payload(goal_card, Verb.SAVE_GOAL, **goal_inputs(org, analysis="Bra."))))[-1]
    seen = card_text(review)
    assert "Analysen är för kort. En analys förklarar varför resultatet blev som det blev" in seen and "minst 15 ord" in seen
    assert not any(a["data"]["verb"] == Verb.SUBMIT for a in review["actions"])
    assert (await stored(org, "sol1")).analysis == "Bra."  # kept as a draft, to be improved
