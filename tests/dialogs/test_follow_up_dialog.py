"""The follow-up dialog end to end on the real database (SQLite and PostgreSQL):
what a unit manager sees and what ends up stored."""

from __future__ import annotations

import pytest

from dialogs.submissions import Verb
from goals.model import ActivityStatus, FollowUpState, Fulfilment, Measurement
from tests.dialogs.follow_up_support import (  # noqa: F401 - fixtures
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


@pytest.fixture
async def org(uow_factory, sessionmaker):
    return await build_org(uow_factory, sessionmaker)


async def stored(org, goal_key, period_key):
    async with org.uow_factory() as uow:
        return await uow.follow_ups.find(org.goals[goal_key].id, org.periods[period_key])


async def audit_actions(org):
    async with org.uow_factory() as uow:
        return [r.action for r in await uow.audit.recent(500)]


def submit_payload(card: dict, verb: str, **changes):
    data = action(card, verb)
    values = {k: v for k, v in inputs(card).items() if v is not None}
    return {**values, **changes, **data}


async def test_smoke_full_report_in_swedish(org):
    chat = Chat(org, "anna")
    replies = await chat.send("rapportera")
    overview = cards(replies)[0]
    assert "Solrosens förskola" in card_text(overview)
    replies = await chat.send(value=action(overview, Verb.OPEN_GOAL, goal_id=org.goals["sol1"].id))
    goal_card = cards(replies)[0]
    print(texts_of(replies))
    i1, i2 = org.goals["sol1"].indicators
    a1, a2 = org.goals["sol1"].activities
    payload = submit_payload(
        goal_card, Verb.SAVE_GOAL,
        **{f"ind_{i1.id}_total": "72,5 %", f"ind_{i1.id}_women": "75", f"ind_{i1.id}_men": "70",
           f"ind_{i2.id}_total": "41", f"act_{a1.id}": "done", f"act_{a2.id}": "ongoing",
           "assessment": "partly", "forecast": "fulfilled", "analysis": ANALYSIS_SV,
           "actions": "Vi startar läsombud för pojkar.", "resource_use": "Budgeten för böcker räckte."},
    )
    replies = await chat.send(value=payload)
    print(texts_of(replies))
    review = cards(replies)[-1]
    print(card_text(review))
    replies = await chat.send(value=action(review, Verb.SUBMIT))
    print(texts_of(replies), card_text(cards(replies)[0]))
    follow_up = await stored(org, "sol1", "T1-2026")
    assert follow_up.state == FollowUpState.SUBMITTED
    assert follow_up.indicator_values[i1.id] == Measurement(72.5, 75.0, 70.0)
