"""What every card shares: the 1.5 envelope and a submit action with a verb."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from microsoft_teams.cards import AdaptiveCard, CardElement, SubmitAction, TextBlock

SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"  # the newest version every Teams client renders


def card(body: Sequence[CardElement], actions: Sequence[SubmitAction] = ()) -> dict[str, Any]:
    model = AdaptiveCard(version=CARD_VERSION, body=list(body), actions=list(actions) or None)
    return {"$schema": SCHEMA_URL, **model.model_dump(by_alias=True, exclude_none=True)}


def title(text: str) -> TextBlock:
    return TextBlock(text=text, size="Large", weight="Bolder", wrap=True)


def paragraph(text: str, *, subtle: bool = False) -> TextBlock:
    return TextBlock(text=text, wrap=True, is_subtle=subtle or None)


def submit(label: str, verb: str, **data: Any) -> SubmitAction:
    return SubmitAction(title=label, data={"verb": verb, **data})
