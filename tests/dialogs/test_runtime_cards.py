"""The runtime's cards (welcome, help, menu, overview, unit question) against the
official Adaptive Card 1.5 schema, in both languages, and small enough for Teams."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

import jsonschema
import pytest

from dialogs.cards import (
    build_help_card,
    build_menu_card,
    build_overview_card,
    build_unit_choice_card,
    build_welcome_card,
)
from dialogs.cards.overview import MAX_UNITS_PER_CARD
from dialogs.texts import Texts
from goals.model import Goal, OrgKind, OrgNode, Period
from goals.services import UnitOverview

MAX_CARD_BYTES = 80 * 1024


def unit(n: int) -> OrgNode:
    return OrgNode(id=n, code=f"U{n}", name=f"Förskolan Nummer {n}", kind=OrgKind.UNIT, parent_id=1)


def overview(n: int, goals: int = 3) -> UnitOverview:
    period = Period(id=7, root_id=1, kind="T2", year=2026, start=date(2026, 5, 1), end=date(2026, 8, 31),
                    deadline=date(2026, 9, 15))
    return UnitOverview(
        unit=unit(n),
        goals=tuple(
            Goal(id=100 * n + g, code=f"G{g}", title=f"Mål om språk och trygghet {g} " * 3, level="enhet",
                 owner_id=n, valid_from=2026, valid_to=2026, number=g)
            for g in range(1, goals + 1)
        ),
        period=period,
    )


def cards(language: str) -> dict[str, dict]:
    texts = Texts(language)
    return {
        "welcome": build_welcome_card(texts),
        "help": build_help_card(texts),
        "menu": build_menu_card(texts),
        "overview_one": build_overview_card(texts, [overview(1)]),
        "overview_none": build_overview_card(texts, []),
        "overview_many": build_overview_card(texts, [overview(n, goals=10) for n in range(1, 40)]),
        "choice": build_unit_choice_card(texts, [unit(n) for n in range(1, 25)]),
    }


@pytest.fixture(scope="module")
def validator():
    schema_file = resources.files("adaptive_cards") / "schemas" / "schema-1.5.json"
    return jsonschema.Draft6Validator(json.loads(schema_file.read_text(encoding="utf-8")))


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("name", list(cards("sv")))
def test_cards_are_valid_1_5_and_small(validator, language, name):
    card = cards(language)[name]
    assert card["version"] == "1.5"
    error = jsonschema.exceptions.best_match(validator.iter_errors(card))
    assert error is None, f"{name}: {error.message if error else ''}"
    assert len(json.dumps(card, ensure_ascii=False).encode()) < MAX_CARD_BYTES


def test_dates_in_the_overview_are_swedish():
    text = json.dumps(cards("sv")["overview_one"], ensure_ascii=False)
    assert "Tertial 2 2026 · sista dag för rapport 15 september 2026" in text


def test_a_long_overview_says_how_many_more_instead_of_growing():
    card = cards("sv")["overview_many"]
    text = json.dumps(card, ensure_ascii=False)
    assert f"och {39 - MAX_UNITS_PER_CARD} enheter till" in text
    assert f"Förskolan Nummer {MAX_UNITS_PER_CARD + 1}\"" not in text


def test_the_schema_check_would_catch_a_broken_card(validator):
    broken = build_menu_card(Texts("sv"))
    broken["actions"][0]["type"] = "Action.Sbumit"
    assert not validator.is_valid(broken)
