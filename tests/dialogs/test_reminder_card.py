"""The reminder card: valid Adaptive Card 1.5, lists exactly what is due, and its
buttons carry what the follow-up and snooze flows expect."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

import jsonschema
import pytest

from dialogs.cards.reminder import MAX_GOALS_LISTED, build_reminder_card
from dialogs.texts import Texts
from goals.model import FollowUpState
from goals.reminders import Outstanding

SV, EN = Texts("sv"), Texts("en")


def item(goal_id: int, unit_id: int = 10, state=None, unit_name: str = "Solrosens förskola") -> Outstanding:
    return Outstanding(goal_id=goal_id, goal_number=goal_id, goal_title=f"Mål nummer {goal_id}", unit_id=unit_id,
                       unit_name=unit_name, period_id=7, state=state)


def texts_of(card: dict) -> list[str]:
    return [b["text"] for b in card["body"]]


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((resources.files("adaptive_cards") / "schemas" / "schema-1.5.json").read_text(encoding="utf-8"))
    return jsonschema.Draft6Validator(schema)


def build(items, *, kind="before_7", sent_on=date(2026, 5, 4), texts=SV):
    return build_reminder_card(texts, kind=kind, period_name="Tertial 1 2026", deadline=date(2026, 5, 10),
                               sent_on=sent_on, items=items)


def test_lists_each_goal_under_its_unit_with_its_state(validator):
    card = build([item(1), item(2, state=FollowUpState.RETURNED), item(3, unit_id=20, state=FollowUpState.DRAFT,
                                                                     unit_name="Vitsippan")])
    assert not list(validator.iter_errors(card))
    assert texts_of(card) == [
        "Påminnelse: Tertial 1 2026 ska rapporteras senast 10 maj 2026",
        "Det här återstår att rapportera:",
        "Solrosens förskola",
        "Mål 1: Mål nummer 1 – inte påbörjad",
        "Mål 2: Mål nummer 2 – skickad tillbaka för komplettering",
        "Vitsippan",
        "Mål 3: Mål nummer 3 – påbörjad, inte inskickad",
    ]
    report, snooze = card["actions"]
    assert (report["title"], report["data"]) == ("Rapportera nu", {"verb": "report", "period_id": 7})
    assert (snooze["title"], snooze["data"]) == ("Påminn mig i morgon", {"verb": "snooze", "period_id": 7})


def test_report_now_opens_the_one_goal_or_the_one_unit():
    assert build([item(5)])["actions"][0]["data"] == {"verb": "report", "goal_id": 5, "period_id": 7}
    assert build([item(5), item(6)])["actions"][0]["data"] == {"verb": "report", "unit_id": 10, "period_id": 7}


@pytest.mark.parametrize(
    ("kind", "sent_on", "title"),
    [
        ("deadline", date(2026, 5, 10), "I dag är sista dagen att rapportera Tertial 1 2026"),
        ("deadline", date(2026, 5, 8), "Sista dagen att rapportera Tertial 1 2026 är 10 maj 2026"),
        ("after_2", date(2026, 5, 12), "Tertial 1 2026 skulle ha rapporterats 10 maj 2026"),
        ("snooze_2026-05-11", date(2026, 5, 11), "Tertial 1 2026 skulle ha rapporterats 10 maj 2026"),
    ],
)
def test_the_title_says_when_it_is_due_also_when_moved_off_a_weekend(kind, sent_on, title):
    assert texts_of(build([item(1)], kind=kind, sent_on=sent_on))[0] == title


def test_english_and_a_long_list_stays_short(validator):
    card = build([item(i) for i in range(1, 41)], texts=EN)
    assert not list(validator.iter_errors(card))
    assert texts_of(card)[-1] == f"… and {40 - MAX_GOALS_LISTED} more goals."
    assert card["actions"][0]["title"] == "Report now"
    assert len(json.dumps(card).encode()) < 8 * 1024


def test_a_reminder_without_goals_is_a_bug():
    with pytest.raises(ValueError):
        build([])
