"""The approval, outcome and summary cards: valid Adaptive Card 1.5 (Teams' donut chart
checked with its own model, its fallback as a 1.5 host shows it), in both languages,
and a summary of a 500-unit administration far under Teams' 80 KB."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import adaptive_cards
from jsonschema.validators import Draft6Validator
from microsoft_teams.cards import DonutChart

from dialogs.cards.approval import Decided, build_approval_card, build_outcome_card
from goals.services.approval_view import ApprovalView
from dialogs.cards.summary import build_summary_card
from dialogs.texts import Texts
from goals.model import (
    Activity,
    ActivityStatus,
    FollowUp,
    FollowUpState,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
    OrgKind,
    OrgNode,
)
from goals.periods import periods_for_year
from goals.ports import GoalSnapshot
from goals.profiles import load_profile
from goals.summaries import summarise

STOCKHOLM = load_profile("stockholm_ils")
SV, EN = Texts("sv"), Texts("en")
TODAY = date(2026, 5, 11)
MAX_BYTES = 80 * 1024
_VALIDATOR = Draft6Validator(
    json.loads((Path(adaptive_cards.__file__).parent / "schemas" / "schema-1.5.json").read_text())
)
PERIODS = tuple(
    [replace(p, id=11 + i) for i, p in enumerate(periods_for_year(STOCKHOLM, root_id=1, year=2025))]
    + [replace(p, id=1 + i) for i, p in enumerate(periods_for_year(STOCKHOLM, root_id=1, year=2026))]
)
T1 = PERIODS[3]
UNIT = OrgNode(10, "SOL", "Solrosens förskola", OrgKind.UNIT, parent_id=3)
LANGUAGE = Indicator(id=7, code="I7", name="Barn med godkänd språkscreening", unit="%", target=90)
GOAL = Goal(id=5, code="SOL-1", title="Alla barn utvecklar sitt språk", level="enhet", owner_id=10, valid_from=2026,
            valid_to=2026, number=1, indicators=(LANGUAGE,),
            activities=(Activity(id=3, title="Läsestunder", start=date(2026, 1, 10), end=date(2026, 6, 1)),))


def _view(**changes: Any) -> ApprovalView:
    follow_up = FollowUp(id=40, goal_id=5, period_id=T1.id, state=FollowUpState.SUBMITTED,
                         assessment=Fulfilment.FULFILLED, forecast=Fulfilment.FULFILLED, analysis="Analys " * 400,
                         indicator_values={7: Measurement(total=72.5)},
                         activity_statuses={3: ActivityStatus.DELAYED}, author_id=1,
                         submitted_at=datetime(2026, 5, 8, 9, tzinfo=UTC), version=4)
    return ApprovalView(follow_up=replace(follow_up, **changes), goal=GOAL, unit=UNIT, period=T1, profile=STOCKHOLM,
                        author_name="Anna Lindqvist", author_id=1, approver_name="Bertil Ek")


def _rendered_by_a_15_host(node: Any) -> Any:
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Chart."):
            return _rendered_by_a_15_host(node["fallback"])
        return {k: _rendered_by_a_15_host(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_rendered_by_a_15_host(v) for v in node]
    return node


def _charts(node: Any) -> list[dict]:
    if isinstance(node, dict):
        own = [node] if str(node.get("type", "")).startswith("Chart.") else []
        return own + [c for v in node.values() for c in _charts(v)]
    if isinstance(node, list):
        return [c for v in node for c in _charts(v)]
    return []


def _texts(node: Any) -> str:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "TextBlock" else []
        own += [f"{node['title']}: {node['value']}"] if "value" in node and "title" in node else []
        return "\n".join(own + [_texts(v) for v in node.values()])
    if isinstance(node, list):
        return "\n".join(_texts(v) for v in node)
    return ""


def assert_valid(card: dict) -> None:
    errors = [e.message[:300] for e in _VALIDATOR.iter_errors(_rendered_by_a_15_host(card))]
    assert not errors, errors
    for chart in _charts(card):
        DonutChart.model_validate(chart)
        assert chart["fallback"]["type"] == "Container"
    assert card["version"] == "1.5"
    assert len(json.dumps(card, ensure_ascii=False).encode()) < MAX_BYTES


def test_the_approval_card_shows_the_evidence_and_questions_a_fulfilled_claim_against_it():
    card = build_approval_card(SV, _view(), today=TODAY)
    assert_valid(card)
    text = _texts(card)
    assert "Bedömning: Uppfyllt" in text
    assert "Barn med godkänd språkscreening: 72,5 % (målvärde 90 %) – avviker från målvärdet" in text
    assert "Läsestunder: Försenad" in text
    assert "underlaget avviker" in text
    assert "förkortat" in text, "a long analysis is shortened on the card"
    approve, send_back = card["actions"]
    assert approve["data"] == {"verb": "approval", "follow_up_id": 40, "version": 4, "decision": "approve"}
    assert approve["associatedInputs"] == "none" and send_back["data"]["decision"] == "return"


def test_a_decided_card_has_no_input_and_no_buttons_in_either_language():
    for texts, expected in ((SV, "Skickad tillbaka av Bertil Ek"), (EN, "Sent back by Bertil Ek")):
        card = build_approval_card(texts, _view(), today=TODAY,
                                   decided=Decided("returned", "Bertil Ek", TODAY, "Räkna om värdet."))
        assert_valid(card)
        assert "actions" not in card and "Input.Text" not in json.dumps(card)
        assert expected in _texts(card)


def test_the_outcome_card_opens_the_follow_up():
    card = build_outcome_card(SV, _view(), approved=False, approver="Bertil Ek", comment="Räkna om värdet.")
    assert_valid(card)
    assert card["actions"][0]["data"] == {"verb": "report", "unit_id": 10, "goal_id": 5, "period_id": T1.id}


def _administration(units: int, goals: int) -> tuple[OrgNode, list[OrgNode], list[GoalSnapshot]]:
    admin = OrgNode(2, "F", "Äldreförvaltningen", OrgKind.ADMINISTRATION, parent_id=1)
    nodes, snapshots = [admin], []
    for u in range(units):
        if u % 50 == 0:
            department = OrgNode(100 + u, f"D{u}", f"Avdelning {u // 50 + 1}", OrgKind.DEPARTMENT, parent_id=2)
            nodes.append(department)
        unit = OrgNode(10_000 + u, f"U{u}", f"Enhet {u + 1} med ett ganska långt namn", OrgKind.UNIT,
                       parent_id=department.id)
        nodes.append(unit)
        for g in range(goals):
            goal = replace(GOAL, id=100_000 + u * goals + g, owner_id=unit.id, number=g + 1,
                           indicators=(replace(LANGUAGE, id=200_000 + u * goals + g),))
            state = (FollowUpState.APPROVED, FollowUpState.SUBMITTED, FollowUpState.DRAFT)[(u + g) % 3]
            follow_up = FollowUp(id=goal.id, goal_id=goal.id, period_id=T1.id, state=state,
                                 assessment=list(Fulfilment)[u % 3])
            snapshots.append(GoalSnapshot(goal=goal, owner_name=unit.name, periods=PERIODS,
                                          follow_ups={T1.id: follow_up}))
    return admin, nodes, snapshots


def test_a_500_unit_administration_is_summarised_grouped_and_paged_under_the_limit():
    admin, nodes, snapshots = _administration(500, 2)
    summary = summarise(node=admin, nodes=nodes, period=T1, snapshots=snapshots, today=TODAY)
    assert len(summary.not_reported) > 300
    first = build_summary_card(SV, summary, profile=STOCKHOLM, today=TODAY, occasion="deadline")
    assert_valid(first)
    text = _texts(first)
    assert "Avdelning 1: " in text and "Enhet 1 med" not in text, "many units are grouped by department"
    assert "Uppfyllt: " in text and "Rapporteringen för Tertial 1 2026 har gått ut." in text
    more = first["actions"][0]["data"]
    assert more == {"verb": "summary", "node_id": 2, "period_id": T1.id, "page": 2}
    second = build_summary_card(SV, summary, profile=STOCKHOLM, today=TODAY, page=2)
    assert_valid(second)
    assert "Enhet 2 med ett ganska långt namn: 1 av 2 mål kvar" in _texts(second) and second["actions"][0]["data"]["page"] == 3


def test_a_small_summary_lists_its_units_in_english_too():
    admin, nodes, snapshots = _administration(6, 1)
    summary = summarise(node=admin, nodes=nodes, period=T1, snapshots=snapshots, today=TODAY)
    card = build_summary_card(EN, summary, profile=STOCKHOLM, today=TODAY)
    assert_valid(card)
    assert "Units that have not reported: 2 of 6" in _texts(card) and "actions" not in card


def test_the_node_to_link_is_found_by_its_name_with_or_without_the_kind_word():
    from dialogs.summary import match_nodes, name_asked

    nodes = [
        OrgNode(3, "AO", "Äldreomsorg", OrgKind.DEPARTMENT),
        OrgNode(4, "AF", "Avdelning förskola", OrgKind.DEPARTMENT),
        OrgNode(5, "AF2", "Förskola Norr", OrgKind.UNIT),
    ]
    assert name_asked("koppla kanalen till avdelning Äldreomsorg") == "avdelning Äldreomsorg"
    assert name_asked("link this channel to department Preschool.") == "department Preschool"
    assert name_asked("koppla kanalen") == ""
    assert [n.id for n in match_nodes("avdelning Äldreomsorg", nodes)] == [3]
    assert [n.id for n in match_nodes("aldreomsorg", nodes)] == [3]
    assert [n.id for n in match_nodes("Avdelning förskola", nodes)] == [4], "the full name wins over a part"
    assert [n.id for n in match_nodes("förskola", nodes)] == [4, 5], "ambiguous: the person is asked"
    assert match_nodes("hemtjänst", nodes) == []
