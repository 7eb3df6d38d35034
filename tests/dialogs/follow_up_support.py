"""Test organisations for the follow-up dialog, built through the write services,
and a DialogTestClient harness on the real database (SQLite and PostgreSQL).

    Stockholm (stockholm_ils, T1–T3 2026 and T1 2025 closed, gender split)
    └── Norra förvaltningen (administration)     nämndmål "Barn ges goda förutsättningar"
        └── Avdelning förskola (department)      head Bertil
            ├── Solrosens förskola (unit)        manager Anna (sv-SE); goals 1 and 2
            └── Vitsippans förskola (unit)       manager Vera (en-GB); goal 1
    Malmö (malmo_2023, interim/annual 2026, human-rights perspectives, no indicators required)
    └── Kulturförvaltningen (administration)
        └── Stadsbiblioteket (unit)              manager Maja (sv-SE), Max (en-US)

The clock stands on 20 April 2026: T1 / the interim report are current. Solrosen's
goal 1 has a percent indicator split by gender (with a T1 2025 value for the
movement), a count indicator, an activity that ended 31 March (overdue unless
done) and one running all year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botbuilder.core import ConversationState, Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from botbuilder.testing import DialogTestClient

from bot.state_storage import SqlBotStorage
from dialogs.follow_up_dialog import FollowUpDialog
from dialogs.main_dialog import MainDialog
from dialogs.texts import Texts
from dialogs.turn_state import set_turn_info
from goals import services
from goals.access import identify
from goals.clock import FixedClock
from goals.model import Activity as GoalActivity
from goals.model import Direction, ExpectedResult, Fulfilment, Goal, Indicator, Measurement, OrgKind, Role
from storage.bot_state import StateStore
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory

STOCKHOLM_TZ = ZoneInfo("Europe/Stockholm")
TENANT = "33333333-3333-4333-8333-333333333333"
TODAY = date(2026, 4, 20)
CLOCK = FixedClock(datetime(2026, 4, 20, 9, 30, tzinfo=STOCKHOLM_TZ))


def oid(n: int) -> str:
    return f"f0000000-0000-4000-8000-0000000000{n:02d}"


PEOPLE = {  # key: (number, name, locale)
    "anna": (1, "Anna Lind", "sv-SE"),
    "bertil": (2, "Bertil Ek", "sv-SE"),
    "vera": (3, "Vera Holm", "en-GB"),
    "maja": (4, "Maja Berg", "sv-SE"),
    "max": (5, "Max Wood", "en-US"),
}


@pytest.fixture
def sessionmaker(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def uow_factory(sessionmaker):
    return make_uow_factory(sessionmaker)


@dataclass
class Org:
    uow_factory: Callable[[], Any]
    sessionmaker: Any
    nodes: dict[str, int] = field(default_factory=dict)
    goals: dict[str, Goal] = field(default_factory=dict)
    periods: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)

    async def actor(self, key: str):
        return await identify(self.uow_factory(), tenant_id=TENANT, entra_object_id=oid(PEOPLE[key][0]))


async def build_org(uow_factory, sessionmaker) -> Org:
    org = Org(uow_factory=uow_factory, sessionmaker=sessionmaker)
    make = uow_factory

    async def node(code: str, name: str, kind: OrgKind, parent: str | None = None, profile: str | None = None) -> None:
        made = await services.create_org_node(
            make(), actor=None, code=code, name=name, kind=kind, clock=CLOCK,
            parent_id=org.nodes[parent] if parent else None, tenant_id=TENANT if parent is None else None, profile=profile,
        )
        org.nodes[code] = made.id

    await node("STHLM", "Stockholm", OrgKind.MUNICIPALITY, profile="stockholm_ils")
    await node("NORRA", "Norra förvaltningen", OrgKind.ADMINISTRATION, "STHLM")
    await node("AVD-F", "Avdelning förskola", OrgKind.DEPARTMENT, "NORRA")
    await node("SOL", "Solrosens förskola", OrgKind.UNIT, "AVD-F")
    await node("VIT", "Vitsippans förskola", OrgKind.UNIT, "AVD-F")
    await node("MALMO", "Malmö", OrgKind.MUNICIPALITY, profile="malmo_2023")
    await node("KULTUR", "Kulturförvaltningen", OrgKind.ADMINISTRATION, "MALMO")
    await node("BIBL", "Stadsbiblioteket", OrgKind.UNIT, "KULTUR")

    for key, (number, name, locale) in PEOPLE.items():
        person = await services.add_person(
            make(), actor=None, tenant_id=TENANT, entra_object_id=oid(number), name=name, locale=locale, clock=CLOCK
        )
        org.people[key] = person.id
    for key, code, role in [
        ("anna", "SOL", Role.UNIT_MANAGER),
        ("bertil", "AVD-F", Role.DEPARTMENT_HEAD),
        ("vera", "VIT", Role.UNIT_MANAGER),
        ("maja", "BIBL", Role.UNIT_MANAGER),
        ("max", "BIBL", Role.UNIT_MANAGER),
    ]:
        await services.assign_role(make(), actor=None, person_id=org.people[key], org_node_id=org.nodes[code], role=role, clock=CLOCK)

    for kind, year in [("T1", 2025), ("T1", 2026), ("T2", 2026), ("T3", 2026)]:
        period = await services.create_period(make(), actor=None, root_id=org.nodes["STHLM"], kind=kind, year=year, clock=CLOCK)
        org.periods[f"{kind}-{year}"] = period.id
    for kind in ("interim", "annual"):
        period = await services.create_period(make(), actor=None, root_id=org.nodes["MALMO"], kind=kind, year=2026, clock=CLOCK)
        org.periods[f"{kind}-2026"] = period.id

    async def goal(key: str, goal: Goal) -> None:
        org.goals[key] = await services.create_goal(make(), actor=None, goal=goal, clock=CLOCK)

    await goal("namnd", Goal(id=0, code="N-1", title="Barn ges goda förutsättningar", level="namnd",
                             owner_id=org.nodes["NORRA"], valid_from=2025, valid_to=2026))
    await goal("sol1", Goal(
        id=0, code="SOL-1", title="Alla barn utvecklar sitt språk", level="enhet", owner_id=org.nodes["SOL"],
        valid_from=2025, valid_to=2026, parent_id=org.goals["namnd"].id,
        expected_results=(ExpectedResult(id=0, text="Fler barn läser själva vid årets slut", direction=Direction.INCREASE, target_value=80),),
        indicators=(
            Indicator(id=0, code="I-1", name="Andel barn som läser dagligen", unit="%", target=80.0, gender_split=True),
            Indicator(id=0, code="I-2", name="Antal språkpromenader", unit="antal", target=40.0),
        ),
        activities=(
            GoalActivity(id=0, title="Läsfrämjande insats", start=date(2026, 1, 15), end=date(2026, 3, 31)),
            GoalActivity(id=0, title="Föräldramöten om språk", start=date(2026, 2, 1), end=date(2026, 12, 15)),
        ),
    ))
    await goal("sol2", Goal(id=0, code="SOL-2", title="Utemiljön används varje dag", level="enhet",
                            owner_id=org.nodes["SOL"], valid_from=2026, valid_to=2026))
    await goal("vit1", Goal(id=0, code="VIT-1", title="Vårdnadshavare är delaktiga", level="enhet",
                            owner_id=org.nodes["VIT"], valid_from=2026, valid_to=2026))
    await goal("bibl1", Goal(
        id=0, code="B-1", title="Fler unga lånar böcker", level="forvaltning", owner_id=org.nodes["BIBL"],
        valid_from=2026, valid_to=2026,
        indicators=(Indicator(id=0, code="B-I1", name="Lån per ung invånare", unit="antal", target=6.0),),
    ))

    # Last year's T1 value of the percent indicator, for the movement on the card.
    last_year_clock = FixedClock(datetime(2025, 4, 20, 9, tzinfo=STOCKHOLM_TZ))
    anna = await org.actor("anna")
    sol1 = org.goals["sol1"]
    old = await services.open_follow_up(make(), actor=anna, goal_id=sol1.id, period_id=org.periods["T1-2025"], clock=last_year_clock)
    await services.save_follow_up(
        make(), actor=anna, follow_up_id=old.id, expected_version=old.version, clock=last_year_clock,
        changes=services.FollowUpChanges(indicator_values={sol1.indicators[0].id: Measurement(total=60.0, women=64.0, men=56.0)},
                                         assessment=Fulfilment.PARTLY),
    )
    await services.close_period(make(), actor=None, period_id=org.periods["T1-2025"], clock=CLOCK)
    return org


class Identify(Middleware):
    """What the bot runtime does before any dialog: who is this, which language."""

    def __init__(self, uow_factory) -> None:
        self._uow_factory = uow_factory

    async def on_turn(self, context: TurnContext, logic):
        activity = context.activity
        actor = await identify(self._uow_factory(), tenant_id=TENANT, entra_object_id=activity.from_property.aad_object_id)
        set_turn_info(context, texts=Texts.for_locale(activity.locale), actor=actor)
        await logic()


class Chat:
    """One person talking to the follow-up dialog; `new_process()` is a restart
    (new dialog, new storage objects) on the same database."""

    def __init__(
        self, org: Org, person: str, *, options: Any = None, clock: FixedClock = CLOCK, through_main: bool = False,
        conversation: str | None = None,
    ) -> None:
        self.org = org
        self.person = person
        self.conversation = conversation or f"a:personal-{person}"
        self.options = options
        self.clock = clock
        self.through_main = through_main  # as in the bot: the main dialog routes to the flow
        self.history: list[Activity] = []  # every reply, for checks across a whole conversation
        self.client = self._client()

    def _client(self) -> DialogTestClient:
        storage = SqlBotStorage(StateStore(self.org.sessionmaker))
        dialog = FollowUpDialog(uow_factory=self.org.uow_factory, clock=self.clock)
        if self.through_main:
            flows = {"report": dialog, "continue": dialog, "edit": dialog}
            dialog = MainDialog(uow_factory=self.org.uow_factory, clock=self.clock, flows=flows)
        return DialogTestClient(
            "msteams", dialog, self.options, middlewares=[Identify(self.org.uow_factory)],
            conversation_state=ConversationState(storage),
        )

    def new_process(self) -> None:
        self.client = self._client()

    @property
    def locale(self) -> str:
        return PEOPLE[self.person][2]

    async def send(self, text: str | None = None, value: dict | None = None) -> list[Activity]:
        number = PEOPLE[self.person][0]
        activity = Activity(
            type=ActivityTypes.message,
            text=text,
            value=value,
            locale=self.locale,
            from_property=ChannelAccount(id=f"29:{oid(number)}", name=PEOPLE[self.person][1], aad_object_id=oid(number)),
            conversation=ConversationAccount(id=self.conversation, tenant_id=TENANT, conversation_type="personal"),
        )
        await self.client.test_adapter.receive_activity(activity)
        replies = []
        while (reply := self.client.get_next_reply()) is not None:
            replies.append(reply)
        self.history += replies
        return replies


def cards(replies: list[Activity]) -> list[dict]:
    return [a.content for r in replies for a in (r.attachments or [])]


def texts_of(replies: list[Activity]) -> list[str]:
    return [r.text for r in replies if r.text]


def card_text(card: dict) -> str:
    """Every visible string of a card, for asserting on what a person reads."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "label", "value", "placeholder"):
                if isinstance(node.get(key), str):
                    out.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return "\n".join(out)


def action(card: dict, verb: str, **match: Any) -> dict:
    """The data of the card action with this verb (and these ids)."""
    for candidate in card.get("actions", []):
        data = candidate.get("data") or {}
        if data.get("verb") == verb and all(data.get(k) == v for k, v in match.items()):
            return dict(data)
    raise AssertionError(f"no action {verb} {match} in card")


def inputs(card: dict) -> dict[str, Any]:
    """The card's inputs with their prefilled values (what Teams would send back untouched)."""
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found[node["id"]] = node.get("value")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found
