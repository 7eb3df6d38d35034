"""Status questions answered against the Stockholm demo city (SQLite and PostgreSQL):
the goals reported as behind are exactly those goals.status flags, with the same
reasons in words, most behind first; each role sees its own scope; a unit outside it
gets "not yours" and nothing about it; ambiguity asks "Vilken menade du?"; nothing
recognised says what can be asked. Every card validates against the Adaptive Card 1.5
schema (Teams' chart checked separately with its own model) and stays under 80 KB."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import adaptive_cards
import pytest
from jsonschema.validators import Draft6Validator
from microsoft_teams.cards import LineChart

from bot.demo.loader import load_demo
from bot.demo.spec import DEMO_TENANT_ID, entra_id
from dialogs.cards.status import PAGE_SIZE, build_behind_card, reason_text
from dialogs.questions import Answerer, Reply, question_from_card
from dialogs.texts import Texts
from goals.access import Actor, identify, scope_nodes
from goals.clock import FixedClock
from goals.model import Activity, ActivityStatus, Goal, Indicator
from goals.services import BehindGoal
from goals.status import Reason, ReasonKind, behind_reasons, severity
from storage.session import create_engine, make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory

TODAY = date(2026, 5, 20)  # T1's deadline (10 May) has passed; T2 is under way
CLOCK = FixedClock(datetime(2026, 5, 20, 10, tzinfo=ZoneInfo("Europe/Stockholm")))
SV, EN = Texts("sv"), Texts("en")
MAX_CARD_BYTES = 80 * 1024
ANNA, ERIK, MARIA, KARIN = 1, 2, 3, 4  # unit manager, department head, staff, director
MISSING_ID = 987_654

_SCHEMA = json.loads((Path(adaptive_cards.__file__).parent / "schemas" / "schema-1.5.json").read_text())
_VALIDATOR = Draft6Validator(_SCHEMA)


# --- card helpers ----------------------------------------------------------------------------


def _as_rendered_by_a_15_host(node: Any) -> Any:
    """Teams-only elements (Chart.*) replaced by their fallback, as a 1.5 host renders them."""
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Chart."):
            return _as_rendered_by_a_15_host(node["fallback"])
        return {k: _as_rendered_by_a_15_host(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_as_rendered_by_a_15_host(v) for v in node]
    return node


def charts(node: Any) -> list[dict]:
    if isinstance(node, dict):
        found = [node] if str(node.get("type", "")).startswith("Chart.") else []
        return found + [c for v in node.values() for c in charts(v)]
    if isinstance(node, list):
        return [c for v in node for c in charts(v)]
    return []


def assert_valid_card(card: dict) -> None:
    """Adaptive Card 1.5 schema, Teams' chart model for charts, and the size limit."""
    errors = [e.message[:300] for e in _VALIDATOR.iter_errors(_as_rendered_by_a_15_host(card))]
    assert not errors, errors
    for chart in charts(card):
        LineChart.model_validate(chart)
        assert chart["fallback"]["type"] == "Container"
    assert card["version"] == "1.5"
    assert len(json.dumps(card, ensure_ascii=False).encode()) < MAX_CARD_BYTES


def card_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "TextBlock" else []
        return found + [t for v in node.values() for t in card_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in card_texts(v)]
    return []


def actions(node: Any) -> list[dict]:
    if isinstance(node, dict):
        found = [node] if node.get("type") == "Action.Submit" else []
        return found + [a for v in node.values() for a in actions(v)]
    if isinstance(node, list):
        return [a for v in node for a in actions(v)]
    return []


def the_card(replies: list[Reply]) -> dict:
    cards = [r.card for r in replies if r.card is not None]
    assert len(cards) == 1, replies
    assert_valid_card(cards[0])
    return cards[0]


# --- the demo city ---------------------------------------------------------------------------


@dataclass
class Demo:
    uow_factory: Any
    answerer: Answerer

    async def actor(self, number: int) -> Actor:
        actor = await identify(self.uow_factory(), tenant_id=DEMO_TENANT_ID, entra_object_id=entra_id(number))
        assert actor is not None
        return actor

    async def ask(self, number: int, text: str, texts: Texts = SV) -> list[Reply]:
        return await self.answerer.answer_text(text, actor=await self.actor(number), texts=texts)

    async def press(self, number: int, data: dict, texts: Texts = SV) -> list[Reply]:
        verb = data["verb"]
        return await self.answerer.answer(question_from_card(verb, data), actor=await self.actor(number), texts=texts)

    async def node_id(self, code: str) -> int:
        async with self.uow_factory() as uow:
            node = await uow.orgs.get_by_code(DEMO_TENANT_ID, code)
        return node.id

    async def expected_behind(self, number: int) -> dict[int, tuple[Reason, ...]]:
        """What goals.status says about the actor's scope, straight from the snapshots."""
        nodes = await scope_nodes(self.uow_factory(), actor=await self.actor(number))
        async with self.uow_factory() as uow:
            snapshots = await uow.status.snapshots([n.id for n in nodes], TODAY.year)
        flagged = {s.goal.id: (s.goal, behind_reasons(s, TODAY)) for s in snapshots}
        return {goal_id: pair for goal_id, pair in flagged.items() if pair[1]}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def demo_city(request, _templates) -> AsyncIterator[Any]:
    """The demo loaded once per backend for this module: every test here only reads."""
    url = await (_templates.sqlite_url() if request.param == "sqlite" else _templates.pg_url())
    engine = create_engine(url)
    uow_factory = make_uow_factory(make_sessionmaker(engine))
    await load_demo(uow_factory, demo="stockholm_ils", clock=CLOCK)
    yield uow_factory
    await engine.dispose()


@pytest.fixture
def demo(demo_city) -> Demo:
    return Demo(demo_city, Answerer(uow_factory=demo_city, clock=CLOCK))


async def all_pages(demo: Demo, number: int, first: list[Reply]) -> list[dict]:
    """The answer's cards, following "Visa fler" to the end."""
    cards = [the_card(first)]
    while more := [a for a in cards[-1].get("actions", []) if a["title"] == SV.t("questions.more")]:
        cards.append(the_card(await demo.press(number, more[0]["data"])))
    return cards


def goal_blocks(card: dict) -> list[dict]:
    """Each goal's container: the one holding an "Öppna" button."""
    return [
        item for item in card["body"]
        if item.get("type") == "Container" and any(a["data"]["verb"] == "goal_status" for a in actions(item))
    ]


# --- which goals are behind ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "owners"),
    [
        (ANNA, {"Förskolan Solrosen"}),
        (ERIK, {"Förskolan Solrosen", "Förskolan Tegnérlunden"}),
        (MARIA, {"Förskolan Solrosen", "Förskolan Tegnérlunden", "Vasagårdens vård- och omsorgsboende",
                 "Hemtjänst Norrmalm", "Odengårdens dagverksamhet", "Barn- och ungdomsenheten"}),
        (KARIN, {"Förskolan Solrosen", "Förskolan Tegnérlunden", "Vasagårdens vård- och omsorgsboende",
                 "Hemtjänst Norrmalm", "Odengårdens dagverksamhet", "Barn- och ungdomsenheten"}),
    ],
)
async def test_behind_is_exactly_what_the_status_rules_say_within_each_roles_scope(
    demo: Demo, number: int, owners: set[str]
) -> None:
    cards = await all_pages(demo, number, await demo.ask(number, "vilka mål ligger efter?"))

    blocks = [block for card in cards for block in goal_blocks(card)]
    shown = [next(a["data"]["goal_id"] for a in actions(b) if a["data"]["verb"] == "goal_status") for b in blocks]
    expected = await demo.expected_behind(number)
    assert sorted(shown) == sorted(expected) and len(shown) == len(set(shown))
    for goal_id, block in zip(shown, blocks, strict=True):
        goal, reasons = expected[goal_id]
        words = card_texts(block)
        assert words[1] in owners
        # The same reasons as the rules, each in words.
        assert [w for w in words if w.startswith("• ")] == ["• " + reason_text(SV, r, goal) for r in reasons]
    severities = [severity(expected[g][1]) for g in shown]
    assert severities == sorted(severities, reverse=True)  # most behind first
    assert {card_texts(b)[1] for b in blocks} == owners


async def test_behind_for_the_unit_manager_names_each_reason_and_offers_open_and_report(demo: Demo) -> None:
    card = the_card(await demo.ask(ANNA, "vilka mål släpar"))

    text = "\n".join(card_texts(card))
    assert "83,2 % mot målvärdet 90 %" in text  # an indicator off target
    assert "skulle vara klar 8 maj 2026 men är inte klar" in text  # an overdue activity
    assert "Prognosen för helåret (Tertial 2): delvis uppfyllt" in text
    for block in goal_blocks(card):
        verbs = [a["data"]["verb"] for a in actions(block)]
        assert verbs == ["goal_status", "report"]
        # No report is missing for Solrosen: "Rapportera" opens the unit's reporting overview.
        report = next(a for a in actions(block) if a["data"]["verb"] == "report")
        assert report["data"] == {"verb": "report", "unit_id": await demo.node_id("E-SOL")}


async def test_a_director_is_not_offered_to_report(demo: Demo) -> None:
    card = the_card(await demo.ask(KARIN, "hur ligger vi till"))
    assert goal_blocks(card)
    assert {a["data"]["verb"] for a in actions(card)} == {"goal_status"}


async def test_behind_in_english(demo: Demo) -> None:
    card = the_card(await demo.ask(ANNA, "which goals are behind?", texts=EN))
    text = "\n".join(card_texts(card))
    assert "Goals behind" in text and "against the target 90 %" in text
    assert "ligger efter" not in text


async def test_behind_for_a_named_unit_is_limited_to_it(demo: Demo) -> None:
    card = the_card(await demo.ask(ERIK, "vilka mål ligger efter på Tegnérlunden"))
    assert {card_texts(b)[1] for b in goal_blocks(card)} == {"Förskolan Tegnérlunden"}
    assert "Uppföljningen för Tertial 1 saknas – sista dag var 10 maj 2026" in "\n".join(card_texts(card))
    # The missing report's "Rapportera" opens that goal's follow-up for that period.
    for block in goal_blocks(card):
        opened = next(a["data"] for a in actions(block) if a["data"]["verb"] == "goal_status")
        report = next(a["data"] for a in actions(block) if a["data"]["verb"] == "report")
        assert report["goal_id"] == opened["goal_id"] and set(report) == {"verb", "goal_id", "period_id"}


# --- scope: not yours, and nothing about it --------------------------------------------------


@pytest.mark.parametrize(
    ("number", "question"),
    [
        (ANNA, "status för Vasagården"),
        (ANNA, "hur går det för Hemtjänst Norrmalm"),
        (ERIK, "vilka mål ligger efter på Odengården"),
    ],
)
async def test_a_unit_outside_scope_is_not_yours_and_nothing_about_it_is_said(
    demo: Demo, number: int, question: str
) -> None:
    replies = await demo.ask(number, question)

    assert replies == [Reply(text=SV.t("questions.not_yours"))]
    for name in ("Vasagården", "Hemtjänst", "Odengården"):
        assert name not in replies[0].text


async def test_a_forged_button_for_someone_elses_unit_or_goal_reads_like_a_missing_one(demo: Demo) -> None:
    vasagarden = await demo.node_id("E-VAG")
    other_goal = next(iter(await demo.expected_behind(KARIN)))  # a goal somewhere in the administration
    async with demo.uow_factory() as uow:
        owner = (await uow.goals.get(other_goal)).owner_id
    if owner == await demo.node_id("E-SOL"):
        other_goal = [g for g in await demo.expected_behind(KARIN) if g not in await demo.expected_behind(ANNA)][0]
    answers = [
        await demo.press(ANNA, {"verb": "unit_status", "node_id": vasagarden}),
        await demo.press(ANNA, {"verb": "unit_status", "node_id": MISSING_ID}),
        await demo.press(ANNA, {"verb": "goal_status", "goal_id": other_goal}),
        await demo.press(ANNA, {"verb": "goal_status", "goal_id": MISSING_ID}),
        await demo.press(ANNA, {"verb": "behind", "node_id": vasagarden}),
        await demo.press(ANNA, {"verb": "trend", "goal_id": other_goal, "indicator_id": MISSING_ID}),
    ]
    assert all(a == [Reply(text=SV.t("questions.not_yours"))] for a in answers)


async def test_unit_status_of_ones_own_unit(demo: Demo) -> None:
    card = the_card(await demo.ask(ANNA, "status för Solrosen"))
    text = card_texts(card)
    assert text[0] == "Status för Förskolan Solrosen"
    assert "3 av 3 mål ligger efter." in text


# --- goal status, ambiguity, nothing recognised ---------------------------------------------


async def test_goal_status_by_number_with_reasons_and_trend_buttons(demo: Demo) -> None:
    card = the_card(await demo.ask(ANNA, "hur går det för mål 1"))
    text = card_texts(card)
    assert text[0].startswith("Mål 1: Alla barn på Solrosen utvecklar sitt språk")
    assert "Ligger efter" in text
    trend_buttons = [a for a in card["actions"] if a["data"]["verb"] == "trend"]
    assert len(trend_buttons) == 2


async def test_an_ambiguous_goal_number_asks_which_one(demo: Demo) -> None:
    card = the_card(await demo.ask(ERIK, "hur går det för mål 2"))

    assert card_texts(card)[0] == "Vilken menade du?"
    chosen = [a["data"] for a in card["actions"]]
    assert {d["verb"] for d in chosen} == {"goal_status"} and len(chosen) == 4
    # Each button asks the whole question again: pressing one answers it.
    answer = the_card(await demo.press(ERIK, chosen[0]))
    assert card_texts(answer)[0].startswith("Mål 2:")


async def test_nothing_recognised_says_what_can_be_asked(demo: Demo) -> None:
    replies = await demo.ask(ANNA, "vad är klockan i Kiruna")
    assert replies[0].text == SV.t("unknown.text")
    card = the_card(replies)
    assert card_texts(card)[0] == "Det här kan du fråga Målkoll"
    assert {a["data"]["verb"] for a in card["actions"]} >= {"behind", "left_to_report"}


# --- reporting questions -----------------------------------------------------------------------


async def test_units_not_reported_is_for_heads_and_lists_overdue_first(demo: Demo) -> None:
    assert await demo.ask(ANNA, "vilka enheter har inte rapporterat") == [
        Reply(text=SV.t("questions.not_reported.only_heads"))
    ]
    card = the_card(await demo.ask(ERIK, "vilka enheter har inte rapporterat?"))
    text = card_texts(card)
    assert text[2] == "Förskolan Tegnérlunden"
    assert text[3] == "Tertial 1 2026 – sista dag var 10 maj 2026 (passerad)"
    assert "Hemtjänst Norrmalm" not in "\n".join(text)  # another department


async def test_deadlines_and_what_is_left(demo: Demo) -> None:
    deadline = card_texts(the_card(await demo.ask(ANNA, "när är deadline")))
    assert "• Tertial 2 2026: sista dag 10 september 2026 – allt är inskickat" in deadline
    left = the_card(await demo.ask(ERIK, "vad har vi kvar att rapportera"))
    assert card_texts(left)[0] == "Kvar att rapportera"
    assert any("Tertial 1 2026 – sista dag var 10 maj 2026" in t for t in card_texts(left))


# --- trend -----------------------------------------------------------------------------------


async def test_trend_is_a_teams_line_chart_with_target_and_women_men_and_a_text_fallback(demo: Demo) -> None:
    status = the_card(await demo.ask(ANNA, "hur går det för mål 1"))
    button = next(a["data"] for a in status["actions"] if a["data"]["verb"] == "trend")

    card = the_card(await demo.press(ANNA, button))

    [chart] = charts(card)
    legends = [series["legend"] for series in chart["data"]]
    assert legends == ["Totalt", "Kvinnor/flickor", "Män/pojkar", "Målvärde"]
    total, target = chart["data"][0]["values"], chart["data"][3]["values"]
    assert len(total) >= 4 and {v["y"] for v in target} == {90.0}
    assert [v["x"] for v in total] == sorted([v["x"] for v in total], key=lambda x: (x.split()[1], x.split()[0]))
    fallback = card_texts(chart["fallback"])
    assert len([t for t in fallback if t.startswith("• ")]) == len(total)
    assert "kvinnor/flickor" in fallback[0] and "Målvärde: 90 %" in fallback
    assert "83,2 %" in fallback[-2]  # the latest value, as the behind answer said


async def test_trend_by_name_this_year_only(demo: Demo) -> None:
    card = the_card(await demo.ask(ANNA, "visa trenden för antal barn med flerspråkigt stöd i år"))
    [chart] = charts(card)
    assert {v["x"].split()[1] for v in chart["data"][0]["values"]} == {"2026"}


# --- size and paging, for a large scope ----------------------------------------------------------


def test_a_large_scope_is_paged_and_each_page_stays_well_under_80_kb() -> None:
    indicator = Indicator(id=7, code="I", name="Andel brukare som är nöjda med sitt stöd " * 2, unit="%", target=90.0)
    activity = Activity(id=8, title="En lång aktivitet med ett mycket utförligt namn " * 3,
                        start=TODAY - timedelta(days=90), end=TODAY - timedelta(days=10), status=ActivityStatus.ONGOING)
    reasons = (
        Reason(ReasonKind.INDICATOR_OFF_TARGET, period_id=1, indicator_id=7, value=70.0, target=90.0, name=indicator.name),
        Reason(ReasonKind.ACTIVITY_OVERDUE, activity_id=8, deadline=activity.end, name=activity.title),
        Reason(ReasonKind.REPORT_MISSING, period_id=1, deadline=TODAY - timedelta(days=5), name="T1"),
    )
    behind = [
        BehindGoal(
            goal=Goal(id=i, code=f"G{i}", title="Ett mål med en lång och utförlig titel " * 4, level="enhet",
                      owner_id=1000 + i, valid_from=2026, valid_to=2026, number=i % 9 + 1,
                      indicators=(indicator,), activities=(activity,)),
            owner_name=f"Enhet nummer {i} i en stor förvaltning",
            reasons=reasons,
        )
        for i in range(1, 2001)
    ]

    for page in (1, 2, 200):
        card = build_behind_card(SV, behind, page=page, can_report=True)
        assert_valid_card(card)
        assert len(goal_blocks(card)) == PAGE_SIZE
        assert f"Sida {page} av 200" in card_texts(card)
    more = [a for a in build_behind_card(SV, behind, page=1)["actions"] if a["data"]["verb"] == "behind"]
    assert [a["data"]["page"] for a in more] == [2]
    assert not build_behind_card(SV, behind, page=200).get("actions")  # the last page
