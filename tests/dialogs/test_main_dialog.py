"""The main dialog with botbuilder's DialogTestClient, on the real database
(SQLite and PostgreSQL): routing of typed text and card submits, the overview,
the unit question, interruptions."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from botbuilder.core import ConversationState, MemoryStorage, Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes
from botbuilder.testing import DialogTestClient

from dialogs.main_dialog import MainDialog, _is_clear_question, command_of
from dialogs.texts import Texts
from dialogs.turn_state import set_turn_info
from goals.access import identify
from goals.clock import FixedClock
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory
from tests.support.activities import DEMO_TENANT, demo_user
from tests.support.org import build_demo_org

YEAR = dt.date.today().year
CLOCK = FixedClock(datetime(YEAR, 5, 4, 10, tzinfo=ZoneInfo("Europe/Stockholm")))


class _Identified(Middleware):
    """What MalkollBot does before the dialogs: the person and the language."""

    def __init__(self, uow_factory, person: str, locale: str) -> None:
        self.uow_factory, self.person, self.locale = uow_factory, person, locale

    async def on_turn(self, context: TurnContext, logic):
        actor = await identify(self.uow_factory(), tenant_id=DEMO_TENANT, entra_object_id=self.person)
        set_turn_info(context, texts=Texts.for_locale(self.locale), actor=actor)
        await logic()


@pytest.fixture(params=["sqlite"])
def backend(request) -> str:
    # The dialogs' queries are the services' (tested on both databases); here the
    # conversation is under test, on the real SQLite store.
    return request.param


@pytest.fixture
async def uow_factory(engine):
    factory = make_uow_factory(make_sessionmaker(engine))
    await build_demo_org(factory, year=YEAR)
    return factory


def client_for(uow_factory, person: int, locale: str = "sv-SE") -> DialogTestClient:
    # MemoryStorage is botbuilder's test double for *dialog* state only; the
    # database-backed state is exercised by the e2e restart test.
    return DialogTestClient(
        "msteams",
        MainDialog(uow_factory=uow_factory, clock=CLOCK),
        middlewares=[_Identified(uow_factory, demo_user(person), locale)],
        conversation_state=ConversationState(MemoryStorage()),
    )


def submit(value: dict) -> Activity:
    return Activity(type=ActivityTypes.message, value=value)


def card_text(reply: Activity) -> str:
    def texts(node):
        if isinstance(node, dict):
            own = [node["text"]] if node.get("type") == "TextBlock" else []
            own += [node["title"]] if str(node.get("type", "")).startswith("Action.") else []
            return own + [t for v in node.values() for t in texts(v)]
        if isinstance(node, list):
            return [t for item in node for t in texts(item)]
        return []

    return "\n".join([reply.text or ""] + [t for a in reply.attachments or [] for t in texts(a.content)])


async def test_my_goals_for_a_unit_manager_is_one_overview_and_done(uow_factory):
    client = client_for(uow_factory, 1)
    reply = await client.send_activity("mina mål")
    assert "Mål 1: Alla barn utvecklar sitt språk" in card_text(reply)
    assert "Tertial 2" in card_text(reply)  # 4 May: T2 is the period to report in
    assert client.dialog_turn_result.status.name == "Complete"


async def test_report_button_on_a_single_unit_overview_carries_unit_and_period(uow_factory):
    reply = await client_for(uow_factory, 1).send_activity("mina mål")
    actions = reply.attachments[0].content["actions"]
    report = next(a for a in actions if a["data"]["verb"] == "report")
    assert set(report["data"]) == {"verb", "unit_id", "period_id"}


async def test_a_head_with_two_units_is_asked_which_and_can_answer_by_number(uow_factory):
    client = client_for(uow_factory, 2)
    question = await client.send_activity("mina mål")
    assert "Vilken vill du se?" in card_text(question)
    assert client.dialog_turn_result.status.name == "Waiting"
    answer = await client.send_activity("2")
    assert "Vårdnadshavare är delaktiga" in card_text(answer)
    assert "Solrosens" not in card_text(answer)


async def test_an_unclear_answer_is_asked_again(uow_factory):
    client = client_for(uow_factory, 2)
    await client.send_activity("mina mål")
    retry = await client.send_activity("Ekhagen")
    assert "Jag hittade ingen sådan enhet" in retry.text
    answer = await client.send_activity("solrosen")
    assert "Alla barn utvecklar sitt språk" in card_text(answer)


async def test_menu_while_asked_shows_the_menu_then_the_question_again(uow_factory):
    client = client_for(uow_factory, 2)
    await client.send_activity("mina mål")
    menu = await client.send_activity(submit({"verb": "menu"}))
    assert "Vad vill du göra?" in card_text(menu)
    assert "Vilken vill du se?" in card_text(client.get_next_reply())


async def test_a_unit_id_outside_ones_scope_reveals_nothing(uow_factory):
    client = client_for(uow_factory, 1)  # Anna manages Solrosen only
    reply = await client.send_activity(submit({"verb": "my_goals", "unit_id": 999999}))
    assert "Du har inga enheter med mål" in card_text(reply)


@pytest.mark.parametrize("value", [{"verb": "drop_tables"}, {"verb": 7}, {"verb": None}, {"verb": ["help"]}])
async def test_tampered_card_verbs_get_the_unknown_answer(uow_factory, value):
    reply = await client_for(uow_factory, 1).send_activity(submit(value))
    assert "Det förstod jag inte riktigt" in reply.text


async def test_flows_not_in_this_build_say_so(uow_factory):
    reply = await client_for(uow_factory, 1).send_activity(submit({"verb": "export"}))
    assert "inte på plats ännu" in reply.text


async def test_greeting_uses_the_first_name_and_offers_the_menu(uow_factory):
    client = client_for(uow_factory, 1)
    reply = await client.send_activity("hej")
    assert reply.text == "Hej Anna! Vad kan jag hjälpa dig med?"
    assert "Vad vill du göra?" in card_text(client.get_next_reply())


async def test_english(uow_factory):
    client = client_for(uow_factory, 2, locale="en-US")
    question = await client.send_activity("my goals")
    assert "Which one would you like to see?" in card_text(question)
    reply = await client.send_activity("cancel")
    assert reply.text.startswith("OK, cancelled")


async def test_registered_flows_get_their_verb_with_the_card_data(uow_factory):
    from botbuilder.dialogs import ComponentDialog, WaterfallDialog

    seen = []

    class Report(ComponentDialog):
        def __init__(self):
            super().__init__("report")

            async def step(step):
                seen.append(step.options)
                return await step.end_dialog()

            self.add_dialog(WaterfallDialog("report.steps", [step]))
            self.initial_dialog_id = "report.steps"

    client = DialogTestClient(
        "msteams",
        MainDialog(uow_factory=uow_factory, clock=CLOCK, flows={"report": Report()}),
        middlewares=[_Identified(uow_factory, demo_user(1), "sv-SE")],
        conversation_state=ConversationState(MemoryStorage()),
    )
    await client.send_activity(submit({"verb": "report", "unit_id": 5, "period_id": 7}))
    await client.send_activity("rapportera")
    assert seen == [{"unit_id": 5, "period_id": 7}, {}]


def test_commands_from_typed_text():
    def command(text):
        return command_of(Activity(type=ActivityTypes.message, text=text)).verb

    assert [command(t) for t in ("Mina mål", "mina mal!", "my goals", "hjälp", "meny", "avbryt")] == [
        "my_goals", "my_goals", "my_goals", "help", "menu", "cancel",
    ]


@pytest.mark.parametrize(
    ("text", "interrupts"),
    [
        ("vilka mål ligger efter?", True),
        ("which goals are behind?", True),
        ("vad har jag kvar att rapportera", True),
        # an analysis typed while the flow waits for one: it must stay an answer
        ("Vi ligger efter med läsningen eftersom två pedagoger varit sjuka under hela perioden", False),
        ("72,5", False),
    ],
)
def test_only_short_clear_questions_interrupt_an_open_flow(text, interrupts):
    assert _is_clear_question(command_of(Activity(type=ActivityTypes.message, text=text))) is interrupts
