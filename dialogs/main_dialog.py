"""The conversation's entry point: turns what a person typed or clicked into a
command and starts the flow for it.

Card submits carry `{"verb": …}` (untrusted: only known verbs and shapes pass);
typed text goes through the offline recognizer. Later flows plug in by verb
(`flows={"report": FollowUpDialog(…)}`) without this dialog knowing them. While a
flow waits for an answer, "hjälp", "meny" and "avbryt" still work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    Dialog,
    DialogContext,
    DialogTurnResult,
    DialogTurnStatus,
)
from botbuilder.schema import Activity, ActivityTypes

from dialogs.approval import PendingApprovalsDialog
from dialogs.cards import build_help_card, build_menu_card
from dialogs.overview_dialog import OverviewDialog, fold
from dialogs.questions import question_dialogs
from dialogs.recognizer import Intent, recognize
from dialogs.submissions import VERB_PREFIX as FOLLOW_UP_VERB_PREFIX
from dialogs.turn_state import actor_of, texts_of
from goals.ports import Clock, UnitOfWork

MAIN_DIALOG_ID = "main"

# The intents whose verb is simply the intent's name; the rest are mapped below.
_INTENT_VERBS: dict[Intent, str] = {
    Intent.HELP: "help",
    Intent.MENU: "menu",
    Intent.GREETING: "greeting",
    Intent.CANCEL: "cancel",
    Intent.REPORT: "report",
    Intent.CONTINUE: "continue",
    Intent.EDIT: "edit",
    Intent.BEHIND: "behind",
    Intent.GOAL_STATUS: "goal_status",
    Intent.UNIT_STATUS: "unit_status",
    Intent.LEFT_TO_REPORT: "left_to_report",
    Intent.DEADLINE: "deadline",
    Intent.NOT_REPORTED: "not_reported",
    Intent.TREND: "trend",
    Intent.SUMMARY: "summary",
    Intent.LINK_CHANNEL: "link_channel",
    Intent.EXPORT: "export",
    Intent.SNOOZE: "snooze",
    Intent.APPROVALS: "approvals",
    Intent.UNKNOWN: "unknown",
}
# Verbs a card may send; anything else in a submit payload is refused as unknown.
CARD_VERBS = frozenset({"my_goals", "help", "menu", "cancel", "approval", *_INTENT_VERBS.values()}) - {"unknown"}
# "Mina mål" is the menu button's label, and people type it as such; the
# recognizer's intents are about status questions, so the overview's own words are
# matched here exactly (after case and å/ä/ö folding), before recognition.
_OVERVIEW_PHRASES = frozenset(
    {"mina mal", "mal", "visa mina mal", "vara mal", "my goals", "goals", "show my goals", "our goals"}
)
# What still works while a flow waits for an answer.
_INTERRUPTIONS = frozenset({"help", "menu", "cancel"})


@dataclass(frozen=True)
class Command:
    verb: str
    data: dict[str, Any] = field(default_factory=dict)
    text: str = ""


def command_of(activity: Activity) -> Command:
    """The one place where a message (typed or a card submit) becomes a command."""
    if activity.type != ActivityTypes.message:
        return Command("unknown")
    value = activity.value
    if isinstance(value, dict) and "verb" in value:
        verb = value.get("verb")
        if isinstance(verb, str) and verb.startswith(FOLLOW_UP_VERB_PREFIX):
            # The reporting cards' own verbs: the follow-up flow parses the whole payload.
            return Command("report", dict(value))
        if not isinstance(verb, str) or verb not in CARD_VERBS:
            return Command("unknown")
        return Command(verb, {k: v for k, v in value.items() if k != "verb"})
    text = (activity.text or "").strip()
    if not text:
        return Command("unknown")
    if fold(text) in _OVERVIEW_PHRASES:
        return Command("my_goals", {"unit_id": None}, text)
    # Status questions ("hur går det för mål 3", "status för Solrosen") go to
    # dialogs/questions.py, which recognises the text again against the person's names.
    recognition = recognize(text)
    return Command(_INTENT_VERBS.get(recognition.intent, "unknown"), {}, text)


_QUESTION_MAX_CHARS = 80
_QUESTION_MIN_SCORE = 0.6


def _is_clear_question(command: Command) -> bool:
    text = command.text
    return (
        bool(text)
        and command.verb != "unknown"
        and len(text) <= _QUESTION_MAX_CHARS
        and recognize(text).score >= _QUESTION_MIN_SCORE
    )


async def _send_card(context: TurnContext, card: dict[str, Any]) -> None:
    await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(card)))


class MainDialog(ComponentDialog):
    def __init__(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        flows: Mapping[str, Dialog] | None = None,
    ) -> None:
        super().__init__(MAIN_DIALOG_ID)
        overview = OverviewDialog(uow_factory=uow_factory, clock=clock)
        self._flows: dict[str, str] = {"my_goals": overview.id}
        self.add_dialog(overview)
        # "vad ska jag godkänna?": the approval cards again, for what waits for this person
        pending = PendingApprovalsDialog(uow_factory=uow_factory, clock=clock)
        self.add_dialog(pending)
        self._flows["approvals"] = pending.id
        # The status questions, and text nothing else understood ("unknown": it may name
        # a goal or unit only the person's own vocabulary knows), are answered there too.
        self._questions = question_dialogs(uow_factory=uow_factory, clock=clock)
        for verb, dialog in self._questions.items():
            self.add_dialog(dialog)
            self._flows[verb] = dialog.id
        for verb, dialog in (flows or {}).items():
            if dialog.id not in self._flows.values():  # one flow may serve several verbs
                self.add_dialog(dialog)
            self._flows[verb] = dialog.id

    async def on_begin_dialog(self, inner_dc: DialogContext, options: object) -> DialogTurnResult:
        return await self._route(inner_dc, command_of(inner_dc.context.activity))

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        command = command_of(inner_dc.context.activity)
        if command.verb in _INTERRUPTIONS:
            return await self._interrupt(inner_dc, command)
        if _is_clear_question(command) and command.verb in self._questions:
            # "vilka mål ligger efter?" in the middle of reporting: answer it, then ask
            # the open question again. Only short, confidently recognised text counts,
            # so an analysis that happens to mention a cue word stays an answer.
            await self._questions[command.verb].answer_now(inner_dc.context)
            await inner_dc.reprompt_dialog()
            return DialogTurnResult(DialogTurnStatus.Waiting)
        return await super().on_continue_dialog(inner_dc)

    async def _interrupt(self, inner_dc: DialogContext, command: Command) -> DialogTurnResult:
        texts = texts_of(inner_dc.context)
        if command.verb == "cancel":
            await inner_dc.cancel_all_dialogs()
            await inner_dc.context.send_activity(texts.t("cancel.done"))
            return DialogTurnResult(DialogTurnStatus.Complete)
        await self._answer_simple(inner_dc.context, command)
        # Ask the open question again, so the person knows where they were.
        await inner_dc.reprompt_dialog()
        return DialogTurnResult(DialogTurnStatus.Waiting)

    async def _route(self, inner_dc: DialogContext, command: Command) -> DialogTurnResult:
        dialog_id = self._flows.get(command.verb)
        if dialog_id is not None:
            return await inner_dc.begin_dialog(dialog_id, command.data)
        await self._answer_simple(inner_dc.context, command)
        return await inner_dc.end_dialog()

    @staticmethod
    async def _answer_simple(context: TurnContext, command: Command) -> None:
        texts = texts_of(context)
        match command.verb:
            case "help":
                await _send_card(context, build_help_card(texts))
            case "menu":
                await _send_card(context, build_menu_card(texts))
            case "greeting":
                first_name = actor_of(context).person.name.split(" ")[0]
                await context.send_activity(texts.t("greeting.text", name=first_name))
                await _send_card(context, build_menu_card(texts))
            case "cancel":
                await context.send_activity(texts.t("cancel.nothing"))
            case "unknown":
                await context.send_activity(texts.t("unknown.text"))
                await _send_card(context, build_menu_card(texts))
            case _:
                # A known verb whose flow is not part of this build yet.
                await context.send_activity(texts.t("unavailable.text"))
