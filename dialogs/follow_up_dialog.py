"""Reporting the period's follow-up of a unit's goals ("rapportera" / "report").

unit (only if several) → period overview → one goal's card → evidence check →
review → submit → confirmation; and the same by plain text, one question at a
time, for clients that show cards poorly.

Why it is built this way:
- Every answered step is saved at once through save_follow_up, so the follow-up
  in the database *is* the progress: "avbryt", closing Teams or a restart lose
  nothing, and "fortsätt" finds the first unanswered item from the stored draft
  (dialogs/follow_up_items.py). The dialog state only remembers where the person
  was looking (unit, period, goal, the version they saw), all JSON.
- One custom Dialog handles every turn instead of a waterfall of prompts: a
  card submit can arrive at any moment (an old card, another goal's card), and
  each is parsed (dialogs/submissions.py), checked against the database and
  answered on its own terms (dialogs/follow_up_turn.py).
- A card is untrusted: ids that do not belong together, someone else's unit, a
  closed period or a stale version are refused with a clear message, recorded as
  "card.refused" in the audit log, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import ComponentDialog, Dialog, DialogContext, DialogTurnResult
from botbuilder.schema import ActivityTypes

from dialogs.follow_up_items import is_word
from dialogs.follow_up_turn import ReportingTurn
from dialogs.recognizer import Intent, recognize
from dialogs.submissions import Refusal, is_follow_up_submission, parse_submission
from dialogs.turn_state import texts_of
from goals.ports import Clock, UnitOfWork

FOLLOW_UP_DIALOG_ID = "follow_up"
_STEPS_ID = "follow_up.steps"
# Verbs of other flows' cards that mean "report this unit/period" (the overview card).
_REPORT_VERBS = frozenset({"report", "continue"})


class FollowUpDialog(ComponentDialog):
    """Options (dict, all optional, untrusted): {"unit_id", "period_id"} from a
    card or reminder, {"goal_id", "period_id"} to open one goal, a payload with a
    "followup.*" verb (an old card clicked after the dialog ended), or
    {"resume": True} ("fortsätt")."""

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock, dialog_id: str = FOLLOW_UP_DIALOG_ID):
        super().__init__(dialog_id)
        self.add_dialog(_Reporting(uow_factory=uow_factory, clock=clock))
        self.initial_dialog_id = _STEPS_ID


class _Reporting(Dialog):
    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
        super().__init__(_STEPS_ID)
        self._uow = uow_factory
        self._clock = clock

    # --- botbuilder entry points --------------------------------------------------

    async def begin_dialog(self, dc: DialogContext, options: object = None) -> DialogTurnResult:
        turn = ReportingTurn(dc, uow_factory=self._uow, clock=self._clock)
        options = options if isinstance(options, dict) else {}
        value = dc.context.activity.value
        if not options and is_follow_up_submission(value):
            options = value  # an old card clicked with no dialog running
        if is_follow_up_submission(options):
            return await turn.command(parse_submission(options))
        text = dc.context.activity.text or ""
        if options.get("resume") or (text and "unit_id" not in options and _asks_to_resume(turn.texts, text)):
            return await turn.resume()
        return await turn.report(options)

    async def continue_dialog(self, dc: DialogContext) -> DialogTurnResult:
        turn = ReportingTurn(dc, uow_factory=self._uow, clock=self._clock)
        activity = dc.context.activity
        if activity.type != ActivityTypes.message:
            return Dialog.end_of_turn
        value = activity.value
        if isinstance(value, dict) and "verb" in value:
            if is_follow_up_submission(value):
                return await turn.command(parse_submission(value))
            verb = value.get("verb")
            if isinstance(verb, str) and verb in _REPORT_VERBS:
                return await turn.report(value)  # a menu or reminder button while reporting
            return await turn.command(Refusal("card.unknown_action", "verb", str(value.get("verb"))[:40]))
        return await turn.text((activity.text or "").strip())

    async def reprompt_dialog(self, context: TurnContext, instance: Any) -> None:
        # After "hjälp"/"meny" in the middle: say again what we were waiting for.
        texts = texts_of(context)
        question_text = instance.state.get("question")
        await context.send_activity(question_text or texts.t("follow_up.text_hint"))


def _asks_to_resume(texts: Any, text: str) -> bool:
    """"fortsätt", "fortsätt rapportera": pick up where the person was."""
    return is_word(texts, text, "continue") or recognize(text).intent == Intent.CONTINUE
