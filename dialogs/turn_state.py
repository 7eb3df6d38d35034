"""What the bot has established about the current turn, handed to the dialogs
through botbuilder's turn state: who is talking (an Actor) and in which language.
Both are worked out again on every turn, never kept in dialog state, so a role
change or a new Teams language applies at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botbuilder.core import TurnContext

from dialogs.texts import Texts

if TYPE_CHECKING:
    from goals.access import Actor

_ACTOR = "malkoll.actor"
_TEXTS = "malkoll.texts"


def set_turn_info(context: TurnContext, *, texts: Texts, actor: Actor | None = None) -> None:
    context.turn_state[_TEXTS] = texts
    if actor is not None:
        context.turn_state[_ACTOR] = actor


def texts_of(context: TurnContext) -> Texts:
    texts = context.turn_state.get(_TEXTS)
    return texts if texts is not None else Texts.for_locale(context.activity.locale)


def actor_of(context: TurnContext) -> Actor:
    actor = context.turn_state.get(_ACTOR)
    if actor is None:
        # The bot refuses unknown people before any dialog runs.
        raise LookupError("no identified person on this turn")
    return actor
