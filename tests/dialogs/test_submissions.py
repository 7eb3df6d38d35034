"""Card payloads are untrusted: every shape becomes a typed command or a typed refusal."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.submissions import (
    MAX_TEXT,
    CancelFollowUp,
    ConfirmEvidence,
    OpenGoal,
    RawMeasurement,
    Refusal,
    SaveGoalFollowUp,
    SubmitFollowUp,
    Verb,
    is_follow_up_submission,
    parse_submission,
)
from goals.model import ActivityStatus, CrossSectoral, Fulfilment

IDS = {"goal_id": 11, "period_id": 3, "follow_up_id": 40, "version": 2}


def test_goal_card_inputs_become_one_typed_command():
    command = parse_submission(
        {
            "verb": Verb.SAVE_GOAL,
            **IDS,
            "ind_7_total": " 12,5 % ",
            "ind_7_women": "13",
            "ind_7_men": "",
            "act_9": "delayed",
            "assessment": "partly",
            "forecast": "fulfilled",
            "analysis": "Fler elever klarar målen tack vare läsfrämjande insatser.",
            "actions": "",
            "cs_child_rights": "Barnens perspektiv togs in via elevrådet.",
            "confirm_split": "true",
        }
    )
    assert command == SaveGoalFollowUp(
        **IDS,
        indicator_values={7: RawMeasurement(total="12,5 %", women="13", men=None)},
        activity_statuses={9: ActivityStatus.DELAYED},
        assessment=Fulfilment.PARTLY,
        forecast=Fulfilment.FULFILLED,
        analysis="Fler elever klarar målen tack vare läsfrämjande insatser.",
        actions="",
        cross_sectoral={CrossSectoral.CHILD_RIGHTS: "Barnens perspektiv togs in via elevrådet."},
        confirm_split=True,
    )


def test_ids_echoed_as_strings_are_accepted():
    assert parse_submission({"verb": Verb.OPEN_GOAL, "goal_id": "11", "period_id": 3}) == OpenGoal(11, 3)


def test_other_commands():
    assert parse_submission({"verb": Verb.SUBMIT, **IDS}) == SubmitFollowUp(**IDS)
    assert parse_submission({"verb": Verb.CANCEL}) == CancelFollowUp()
    assert parse_submission({"verb": Verb.CONFIRM_EVIDENCE, **IDS, "evidence_note": " Målvärdet mäts först i juni. "}) == (
        ConfirmEvidence(**IDS, evidence_note="Målvärdet mäts först i juni.")
    )


@pytest.mark.parametrize(
    ("payload", "key", "field"),
    [
        ({"verb": "followup.delete_everything", **IDS}, "card.unknown_action", "verb"),
        ({"goal_id": 1}, "card.malformed", "verb"),
        ("followup.submit", "card.malformed", None),
        ({"verb": Verb.SUBMIT, **{**IDS, "version": -1}}, "card.tampered", "version"),
        ({"verb": Verb.SUBMIT, **{**IDS, "goal_id": True}}, "card.tampered", "goal_id"),
        ({"verb": Verb.SUBMIT, **{**IDS, "goal_id": 2**40}}, "card.tampered", "goal_id"),
        ({"verb": Verb.SUBMIT, **{**IDS, "goal_id": "1 OR 1=1"}}, "card.tampered", "goal_id"),
        ({"verb": Verb.SUBMIT, "goal_id": 1, "period_id": 2, "version": 1}, "card.tampered", "follow_up_id"),
        ({"verb": Verb.SAVE_GOAL, **IDS, "assessment": "great"}, "card.tampered", "assessment"),
        ({"verb": Verb.SAVE_GOAL, **IDS, "act_1": ["done"]}, "card.tampered", "act_1"),
        ({"verb": Verb.SAVE_GOAL, **IDS, "analysis": {"$gt": ""}}, "card.tampered", "analysis"),
        ({"verb": Verb.SAVE_GOAL, **IDS, "analysis": "x" * (MAX_TEXT + 1)}, "card.text_too_long", "analysis"),
        ({"verb": Verb.SAVE_GOAL, **IDS, "ind_0_total": "1"}, "card.tampered", "ind_0_total"),
        ({"verb": Verb.SAVE_GOAL, **IDS, "ind_5_total": "1" * 100}, "number.too_long", "ind_5_total"),
        ({"verb": Verb.SAVE_GOAL, **IDS, "cs_world_peace": "yes"}, "card.tampered", "cs_world_peace"),
        ({"verb": Verb.CONFIRM_EVIDENCE, **IDS, "evidence_note": "  "}, "evidence.explain", "evidence_note"),
        ({"verb": Verb.SAVE_GOAL, **IDS, **{f"x{i}": i for i in range(500)}}, "card.too_large", None),
    ],
)
def test_refusals_carry_a_catalog_key_and_the_field(payload, key, field):
    refusal = parse_submission(payload)
    assert isinstance(refusal, Refusal)
    assert (refusal.key, refusal.field) == (key, field)


def test_only_our_verbs_are_claimed():
    assert is_follow_up_submission({"verb": Verb.SUBMIT})
    assert not is_follow_up_submission({"verb": "menu.report"})
    assert not is_follow_up_submission(None)


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
field_names = st.sampled_from(
    ["verb", "goal_id", "period_id", "follow_up_id", "version", "unit_id", "assessment", "forecast", "analysis",
     "actions", "resource_use", "evidence_note", "confirm_split", "ind_1_total", "ind_2_women", "ind_x_men",
     "act_3", "cs_equity", "cs_nope"]
) | st.text(max_size=12)
verbs = st.sampled_from([v for k, v in vars(Verb).items() if k.isupper()]) | st.text(max_size=20)


@settings(max_examples=500)
@given(st.dictionaries(field_names, json_values, max_size=12), verbs)
def test_no_payload_makes_the_parser_fail(payload, verb):
    payload = {**payload, "verb": verb} if verb else payload
    result = parse_submission(payload)
    assert isinstance(result, Refusal) or type(result).__module__ == "dialogs.submissions"
    if isinstance(result, Refusal):
        assert result.key.split(".")[0] in {"card", "number", "evidence"}


@given(json_values)
def test_no_value_at_all_makes_it_fail(value):
    assert parse_submission(value) is not None


@settings(max_examples=300)
@given(st.dictionaries(field_names, json_values, max_size=10))
def test_a_save_with_valid_ids_and_any_inputs_is_a_command_or_a_refusal(inputs):
    result = parse_submission({**inputs, "verb": Verb.SAVE_GOAL, **IDS})
    assert isinstance(result, SaveGoalFollowUp | Refusal)
    if isinstance(result, SaveGoalFollowUp):
        assert all(isinstance(k, int) and k > 0 for k in result.indicator_values)
        assert all(isinstance(v, ActivityStatus) for v in result.activity_statuses.values())
