""""Vad ska jag godkänna?" in a conversation (MainDialog with botbuilder's DialogTestClient,
on SQLite and PostgreSQL): a department head gets the approval cards of exactly the
submitted follow-ups they may decide, oldest first, at most five and a line with the rest;
a unit manager is told who approves; nothing waiting says so; the recognizer sends the
usual phrasings (typos, no å/ä/ö, English) there."""

from __future__ import annotations

import json

import pytest
from botbuilder.core import ConversationState, MemoryStorage, Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes
from botbuilder.testing import DialogTestClient

from dialogs.approval import PENDING_CARDS
from dialogs.cards import build_help_card
from dialogs.main_dialog import MainDialog, command_of
from dialogs.recognizer import Intent, recognize
from dialogs.texts import Texts
from dialogs.turn_state import set_turn_info
from goals.access import identify
from goals.services import approve_follow_up
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory
from tests.support.activities import DEMO_TENANT, demo_user
from tests.support.approvals import (
    OTHER_HEAD,
    OTHER_MANAGER,
    actor_of,
    add_other_department,
    goal_ids,
    may_day,
    submit,
)
from tests.support.org import build_demo_org

YEAR = 2026
CLOCK = may_day(YEAR, 20)
ANNA, BERTIL = 1, 2
SV, EN = Texts("sv"), Texts("en")


class _Identified(Middleware):
    def __init__(self, uow_factory, person: int, locale: str) -> None:
        self.uow_factory, self.person, self.locale = uow_factory, person, locale

    async def on_turn(self, context: TurnContext, logic):
        actor = await identify(self.uow_factory(), tenant_id=DEMO_TENANT, entra_object_id=demo_user(self.person))
        set_turn_info(context, texts=Texts.for_locale(self.locale), actor=actor)
        await logic()


def client_for(uow_factory, person: int, locale: str = "sv-SE") -> DialogTestClient:
    return DialogTestClient(
        "msteams",
        MainDialog(uow_factory=uow_factory, clock=CLOCK),
        middlewares=[_Identified(uow_factory, person, locale)],
        conversation_state=ConversationState(MemoryStorage()),
    )


async def replies_to(client: DialogTestClient, text: str) -> list[Activity]:
    replies = [await client.send_activity(text)]
    while (reply := client.get_next_reply()) is not None:
        replies.append(reply)
    return replies


def cards(replies: list[Activity]) -> list[dict]:
    return [a.content for r in replies for a in r.attachments or []]


def decision_ids(card: dict) -> tuple[int, int]:
    """The follow-up id and version the card's buttons carry (both buttons the same)."""
    data = [a["data"] for a in card["actions"]]
    assert [d["decision"] for d in data] == ["approve", "return"] and all(d["verb"] == "approval" for d in data)
    assert len({(d["follow_up_id"], d["version"]) for d in data}) == 1
    return data[0]["follow_up_id"], data[0]["version"]


@pytest.fixture
async def city(engine):
    """The demo org with a second department (head 06) and four more units under Bertil's
    department (managers 11-14); follow-ups submitted on different days: Bertil may decide
    seven, Frida (06) one; one of Bertil's is already approved, one is a draft."""
    factory = make_uow_factory(make_sessionmaker(engine))
    org = await build_demo_org(factory, year=YEAR, extra_managers=4)
    ek = await add_other_department(factory, org, YEAR)
    anna, bertil = await actor_of(factory, ANNA), await actor_of(factory, BERTIL)
    sol = await goal_ids(factory, org.units["SOL"], YEAR)
    submitted = [
        await submit(factory, anna, sol[0], may_day(YEAR, 9)),
        await submit(factory, anna, sol[1], may_day(YEAR, 3)),
        await submit(factory, bertil, (await goal_ids(factory, org.units["VIT"], YEAR))[0], may_day(YEAR, 5)),
    ]
    for i, code in enumerate(("E001", "E002", "E003", "E004")):
        manager = await actor_of(factory, 11 + i)
        submitted.append(await submit(factory, manager, (await goal_ids(factory, org.units[code], YEAR))[0],
                                      may_day(YEAR, 10 + i)))
    other = await submit(factory, await actor_of(factory, OTHER_MANAGER), (await goal_ids(factory, ek, YEAR))[0],
                         may_day(YEAR, 4))
    return factory, submitted, other


async def test_a_head_gets_the_cards_of_exactly_what_they_may_decide_oldest_first_five_and_the_rest(city):
    factory, submitted, other = city
    replies = await replies_to(client_for(factory, BERTIL), "vad ska jag godkänna?")

    assert replies[0].text == "7 uppföljningar väntar på ditt beslut, den äldsta först:"
    shown = cards(replies)
    assert len(shown) == PENDING_CARDS == 5
    oldest_first = sorted(submitted, key=lambda f: f.submitted_at)
    assert [decision_ids(c) for c in shown] == [(f.id, f.version) for f in oldest_first[:5]]
    assert other.id not in {decision_ids(c)[0] for c in shown}
    assert all(c["body"][0]["items"][0]["text"] == "Uppföljning att godkänna" for c in shown)
    assert replies[-1].text.startswith("… och 2 till.")

    # Decided ones are gone; the list moves up.
    bertil = await actor_of(factory, BERTIL)
    for follow_up in oldest_first[:2]:
        await approve_follow_up(factory(), actor=bertil, follow_up_id=follow_up.id,
                                expected_version=follow_up.version, clock=CLOCK)
    replies = await replies_to(client_for(factory, BERTIL), "att godkanna")
    assert replies[0].text.startswith("5 uppföljningar")
    assert [decision_ids(c)[0] for c in cards(replies)] == [f.id for f in oldest_first[2:]]
    assert not any((r.text or "").startswith("…") for r in replies)


async def test_the_other_head_sees_only_their_own_department(city):
    factory, _, other = city
    replies = await replies_to(client_for(factory, OTHER_HEAD), "väntar något på mig?")
    assert replies[0].text == "En uppföljning väntar på ditt beslut:"
    assert [decision_ids(c) for c in cards(replies)] == [(other.id, other.version)]


async def test_a_unit_manager_is_told_their_department_head_approves(city):
    factory, _, _ = city
    replies = await replies_to(client_for(factory, ANNA), "vad ska jag godkänna")
    assert len(replies) == 1 and not cards(replies)
    assert replies[0].text.startswith("Det är avdelningschefen som godkänner uppföljningarna för din enhet (Bertil Ek)")
    replies = await replies_to(client_for(factory, ANNA, "en-US"), "what do I need to approve?")
    assert replies[0].text.startswith("Your unit's follow-ups are approved by the department head (Bertil Ek)")


async def test_a_unit_manager_asking_if_theirs_is_approved_hears_where_their_follow_ups_stand(city):
    factory, submitted, _ = city
    replies = await replies_to(client_for(factory, ANNA), "är min uppföljning godkänd?")
    assert len(replies) == 1 and not cards(replies)
    assert replies[0].text.endswith("\n\nDina uppföljningar för Tertial 2 2026: väntar på beslut 2.")

    annas = sorted(submitted[:2], key=lambda f: f.id)
    await approve_follow_up(factory(), actor=await actor_of(factory, BERTIL), follow_up_id=annas[0].id,
                            expected_version=annas[0].version, clock=CLOCK)
    replies = await replies_to(client_for(factory, ANNA, "en-US"), "is my follow-up approved?")
    assert replies[0].text.endswith("\n\nYour follow-ups for Four-month period 2 2026: waiting for a decision 1, approved 1.")


async def test_staff_without_a_unit_are_told_which_role_approves(city):
    factory, _, _ = city
    replies = await replies_to(client_for(factory, 3), "approvals")
    assert [r.text for r in replies] == [SV.t("approvals.pending.not_approver", role="avdelningschefen")]


async def test_nothing_waiting(engine):
    factory = make_uow_factory(make_sessionmaker(engine))
    await build_demo_org(factory, year=YEAR)
    replies = await replies_to(client_for(factory, BERTIL), "godkänn")
    nothing = "Inget väntar på ditt godkännande just nu. När en enhet skickar in sin uppföljning får du ett kort här."
    assert [r.text for r in replies] == [nothing]
    replies = await replies_to(client_for(factory, BERTIL, "en-GB"), "anything waiting for me?")
    assert [r.text for r in replies] == [EN.t("approvals.pending.nothing")]


@pytest.mark.parametrize(
    "text",
    ["godkänn", "vad ska jag godkänna?", "väntar något på mig?", "att godkänna", "approvals",
     "what do I need to approve?", "vad ska jag godkanna", "vad ska jag godkäna", "Vad ska jag godkänan?",
     "vantar nagot pa mig", "GODKANN", "finns det nåt att godkänna", "vilka uppföljningar väntar på mitt beslut",
     "what needs my approval", "is anything waiting for my approval?", "aprove", "pending approvals"],
)
def test_the_phrasings_are_the_approvals_intent_and_verb(text):
    assert recognize(text).intent is Intent.APPROVALS
    assert command_of(Activity(type=ActivityTypes.message, text=text)).verb == "approvals"


@pytest.mark.parametrize("text", ["vilka uppföljningar ligger och väntar på mig", "vad har jag kvar?",
                                  "what do I have left?", "vilka mål väntar på min rapport"])
def test_a_unit_managers_waiting_work_stays_left_to_report(text):
    assert recognize(text).intent is Intent.LEFT_TO_REPORT


def test_the_help_card_mentions_approvals_for_approvers():
    swedish = json.dumps(build_help_card(SV), ensure_ascii=False)
    english = json.dumps(build_help_card(EN), ensure_ascii=False)
    assert "”vad ska jag godkänna?” – uppföljningar som väntar på ditt beslut" in swedish
    assert "“what do I need to approve?” – follow-ups waiting for your decision" in english
