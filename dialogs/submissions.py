"""Card submit payloads → typed commands, in this one place.

A card's `Action.Submit` arrives as the message activity's `value`: the action's
`data` (our `verb` and ids) merged with the inputs the user filled in. Everything
in it can be forged by a client, so this module trusts nothing: ids must be
positive integers of sane size, enumerations must be known members, texts are
bounded, and an unexpected shape becomes a `Refusal` carrying a catalog key,
never an exception. Whether the ids point at things the person may touch is
checked afterwards against the database (follow_up_dialog.py).

Indicator values stay the text the person typed (`RawMeasurement`): how to read
"12 %" depends on the indicator's unit, which only the database knows
(dialogs/parsing.py does the reading).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from goals.model import ActivityStatus, CrossSectoral, Fulfilment

VERB_PREFIX = "followup."
MAX_TEXT = 4000  # an analysis is a few paragraphs, not a document
MAX_VALUE_TEXT = 40
MAX_FIELDS = 400
MAX_ID = 2**31 - 1


class Verb:
    """The `verb` of every card action this dialog understands."""

    CHOOSE_UNIT = "followup.choose_unit"
    CHOOSE_PERIOD = "followup.choose_period"
    OVERVIEW = "followup.overview"
    OPEN_GOAL = "followup.open_goal"
    SAVE_GOAL = "followup.save_goal"
    CONFIRM_EVIDENCE = "followup.confirm_evidence"
    SUBMIT = "followup.submit"
    CANCEL = "followup.cancel"


# --- commands -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChooseUnit:
    unit_id: int


@dataclass(frozen=True, slots=True)
class ChoosePeriod:
    unit_id: int
    period_id: int


@dataclass(frozen=True, slots=True)
class ShowOverview:
    unit_id: int
    period_id: int


@dataclass(frozen=True, slots=True)
class OpenGoal:
    """Open (or reopen, to edit after submitting) one goal's follow-up card."""

    goal_id: int
    period_id: int


@dataclass(frozen=True, slots=True)
class RawMeasurement:
    total: str | None = None
    women: str | None = None
    men: str | None = None


@dataclass(frozen=True, slots=True)
class SaveGoalFollowUp:
    """The per-goal card's inputs. None / absent = the card did not carry it."""

    goal_id: int
    period_id: int
    follow_up_id: int
    version: int
    indicator_values: dict[int, RawMeasurement] = field(default_factory=dict)
    activity_statuses: dict[int, ActivityStatus] = field(default_factory=dict)
    assessment: Fulfilment | None = None
    forecast: Fulfilment | None = None
    analysis: str | None = None
    actions: str | None = None
    resource_use: str | None = None
    cross_sectoral: dict[CrossSectoral, str] = field(default_factory=dict)
    confirm_split: bool = False  # "yes, women + men really differ from the total"


@dataclass(frozen=True, slots=True)
class ConfirmEvidence:
    """"Fulfilled" stands despite off-target evidence; `evidence_note` says why."""

    goal_id: int
    period_id: int
    follow_up_id: int
    version: int
    evidence_note: str


@dataclass(frozen=True, slots=True)
class SubmitFollowUp:
    goal_id: int
    period_id: int
    follow_up_id: int
    version: int


@dataclass(frozen=True, slots=True)
class CancelFollowUp:
    pass


Command = (
    ChooseUnit
    | ChoosePeriod
    | ShowOverview
    | OpenGoal
    | SaveGoalFollowUp
    | ConfirmEvidence
    | SubmitFollowUp
    | CancelFollowUp
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """The payload cannot be used. `key` is a catalog key; `field` names the culprit."""

    key: str
    field: str | None = None
    verb: str | None = None


def is_follow_up_submission(value: object) -> bool:
    """Does this activity value belong to this dialog (a verb of ours)?"""
    if not isinstance(value, Mapping):
        return False
    verb = value.get("verb")
    return isinstance(verb, str) and verb.startswith(VERB_PREFIX)


def parse_submission(value: object) -> Command | Refusal:
    """The one way a card payload becomes a command. Never raises."""
    try:
        return _parse(value)
    except _Refused as refused:
        verb = value.get("verb") if isinstance(value, Mapping) else None
        return Refusal(refused.key, refused.field, verb if isinstance(verb, str) else None)


# --- parsing ------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, key: str, field: str | None = None) -> None:
        super().__init__(key)
        self.key = key
        self.field = field


_E = TypeVar("_E", ActivityStatus, Fulfilment)
_INDICATOR_FIELD = re.compile(r"^ind_(\d{1,10})_(total|women|men)$")
_ACTIVITY_FIELD = re.compile(r"^act_(\d{1,10})$")
_CROSS_FIELD = re.compile(r"^cs_([a-z_]{1,40})$")


def _parse(value: object) -> Command:
    if not isinstance(value, Mapping):
        raise _Refused("card.malformed")
    if len(value) > MAX_FIELDS:
        raise _Refused("card.too_large")
    if any(not isinstance(k, str) for k in value):
        raise _Refused("card.malformed")
    verb = value.get("verb")
    if not isinstance(verb, str):
        raise _Refused("card.malformed", "verb")
    match verb:
        case Verb.CHOOSE_UNIT:
            return ChooseUnit(unit_id=_id(value, "unit_id"))
        case Verb.CHOOSE_PERIOD:
            return ChoosePeriod(unit_id=_id(value, "unit_id"), period_id=_id(value, "period_id"))
        case Verb.OVERVIEW:
            return ShowOverview(unit_id=_id(value, "unit_id"), period_id=_id(value, "period_id"))
        case Verb.OPEN_GOAL:
            return OpenGoal(goal_id=_id(value, "goal_id"), period_id=_id(value, "period_id"))
        case Verb.SAVE_GOAL:
            return _save(value)
        case Verb.CONFIRM_EVIDENCE:
            note = _text(value, "evidence_note")
            if not note or not note.strip():
                raise _Refused("evidence.explain", "evidence_note")
            return ConfirmEvidence(**_follow_up_ids(value), evidence_note=note.strip())
        case Verb.SUBMIT:
            return SubmitFollowUp(**_follow_up_ids(value))
        case Verb.CANCEL:
            return CancelFollowUp()
    raise _Refused("card.unknown_action", "verb")


def _save(value: Mapping[str, Any]) -> SaveGoalFollowUp:
    indicators: dict[int, dict[str, str | None]] = {}
    activities: dict[int, ActivityStatus] = {}
    cross: dict[CrossSectoral, str] = {}
    for name in value:
        if m := _INDICATOR_FIELD.match(name):
            indicator_id = _positive(m.group(1), name)
            indicators.setdefault(indicator_id, {})[m.group(2)] = _value_text(value, name)
        elif m := _ACTIVITY_FIELD.match(name):
            status = _choice(value, name, ActivityStatus)
            if status is not None:
                activities[_positive(m.group(1), name)] = status
        elif m := _CROSS_FIELD.match(name):
            try:
                perspective = CrossSectoral(m.group(1))
            except ValueError:
                raise _Refused("card.tampered", name) from None
            text = _text(value, name)
            if text is not None:
                cross[perspective] = text
    return SaveGoalFollowUp(
        **_follow_up_ids(value),
        indicator_values={k: RawMeasurement(**v) for k, v in indicators.items()},
        activity_statuses=activities,
        assessment=_choice(value, "assessment", Fulfilment),
        forecast=_choice(value, "forecast", Fulfilment),
        analysis=_text(value, "analysis"),
        actions=_text(value, "actions"),
        resource_use=_text(value, "resource_use"),
        cross_sectoral=cross,
        confirm_split=_flag(value, "confirm_split"),
    )


def _follow_up_ids(value: Mapping[str, Any]) -> dict[str, int]:
    return {
        "goal_id": _id(value, "goal_id"),
        "period_id": _id(value, "period_id"),
        "follow_up_id": _id(value, "follow_up_id"),
        "version": _id(value, "version"),
    }


def _id(value: Mapping[str, Any], name: str) -> int:
    if name not in value:
        raise _Refused("card.tampered", name)
    return _positive(value[name], name)


def _positive(raw: object, name: str) -> int:
    # Card data keeps JSON types, but some clients echo numbers as strings.
    if isinstance(raw, bool):
        raise _Refused("card.tampered", name)
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 10:
        raw = int(raw)
    if not isinstance(raw, int) or not 0 < raw <= MAX_ID:
        raise _Refused("card.tampered", name)
    return raw


def _text(value: Mapping[str, Any], name: str) -> str | None:
    raw = value.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _Refused("card.tampered", name)
    if len(raw) > MAX_TEXT:
        raise _Refused("card.text_too_long", name)
    return raw.replace("\x00", "").strip()


def _value_text(value: Mapping[str, Any], name: str) -> str | None:
    raw = value.get(name)
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise _Refused("card.tampered", name)
    if isinstance(raw, int | float):
        raw = repr(raw)  # an Input.Number echoed as a JSON number
    if not isinstance(raw, str):
        raise _Refused("card.tampered", name)
    if len(raw) > MAX_VALUE_TEXT:
        raise _Refused("number.too_long", name)
    raw = raw.strip()
    return raw or None


def _choice(value: Mapping[str, Any], name: str, enum: type[_E]) -> _E | None:
    raw = value.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise _Refused("card.tampered", name)
    try:
        return enum(raw)
    except ValueError:
        raise _Refused("card.tampered", name) from None


def _flag(value: Mapping[str, Any], name: str) -> bool:
    # Input.Toggle sends "true"/"false" strings; data may carry real booleans.
    raw = value.get(name)
    return raw is True or raw == "true"
