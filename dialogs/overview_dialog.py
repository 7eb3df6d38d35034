""""Mina mål" / "my goals": the overview of the goals of the units a person works
with, for the current period. Someone with several units is first asked which
one (or all); the question survives a restart, as every dialog state does."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.dialogs import ComponentDialog, DialogTurnResult, WaterfallDialog, WaterfallStepContext
from botbuilder.dialogs.prompts import PromptOptions, PromptValidatorContext, TextPrompt

from dialogs.cards import build_overview_card, build_unit_choice_card
from dialogs.turn_state import actor_of, texts_of
from goals.ports import Clock, UnitOfWork
from goals.services import goals_overview

ALL = "all"
_CHOOSE_UNIT = "overview.choose_unit"


def fold(text: str) -> str:
    """Case, accents and spacing folded: "Solrosens Förskola!" ~ "solrosens forskola"
    (people type without å/ä/ö)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.strip(" .!?").split())


def choose_unit(answer: str, units: Sequence[dict[str, Any]]) -> str | None:
    """The unit id (as text) or "all" the answer names, by number or name; None if unclear."""
    wanted = fold(answer).strip(" .")
    if not wanted:
        return None
    if wanted in {"alla", "all", "alla enheter", "all units"}:
        return ALL
    if wanted.isdigit():
        index = int(wanted) - 1
        return str(units[index]["id"]) if 0 <= index < len(units) else None
    exact = [u for u in units if fold(u["name"]) == wanted]
    if len(exact) == 1:
        return str(exact[0]["id"])
    partial = [u for u in units if wanted in fold(u["name"])]
    return str(partial[0]["id"]) if len(partial) == 1 else None


class OverviewDialog(ComponentDialog):
    """Options (dict): {"unit_id": int | "all" | None}."""

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
        super().__init__(OverviewDialog.__name__)
        self._uow_factory = uow_factory
        self._clock = clock
        self.add_dialog(TextPrompt(_CHOOSE_UNIT, self._validate_unit))
        self.add_dialog(WaterfallDialog("overview.steps", [self._show_or_ask, self._show_chosen]))
        self.initial_dialog_id = "overview.steps"

    async def _overviews(self, step: WaterfallStepContext) -> list[Any]:
        return await goals_overview(self._uow_factory(), actor=actor_of(step.context), today=self._clock.today())

    async def _show_or_ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        wanted = (step.options or {}).get("unit_id")
        overviews = await self._overviews(step)
        if wanted is None and len(overviews) > 1:
            texts = texts_of(step.context)
            units = [{"id": o.unit.id, "name": o.unit.name} for o in overviews]
            card = build_unit_choice_card(texts, [o.unit for o in overviews])
            return await step.prompt(
                _CHOOSE_UNIT,
                PromptOptions(
                    prompt=MessageFactory.attachment(CardFactory.adaptive_card(card)),
                    retry_prompt=MessageFactory.text(texts.t("overview.not_a_unit")),
                    validations=units,
                ),
            )
        await self._send(step, overviews, wanted)
        return await step.end_dialog()

    async def _show_chosen(self, step: WaterfallStepContext) -> DialogTurnResult:
        # Loaded again: the goals may have changed while the question was open
        # (or the bot restarted), and the person's scope is checked afresh.
        await self._send(step, await self._overviews(step), step.result)
        return await step.end_dialog()

    async def _send(self, step: WaterfallStepContext, overviews: list[Any], wanted: Any) -> None:
        if wanted not in (None, ALL):
            # An id from a card or an answer: shown only if it is among the
            # person's own units, so a tampered id reveals nothing.
            overviews = [o for o in overviews if str(o.unit.id) == str(wanted)]
        card = build_overview_card(texts_of(step.context), overviews)
        await step.context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(card)))

    @staticmethod
    async def _validate_unit(prompt: PromptValidatorContext) -> bool:
        activity = prompt.context.activity
        units = prompt.options.validations or []
        value = activity.value if isinstance(activity.value, dict) else None
        if value is not None and value.get("verb") == "my_goals" and value.get("unit_id") is not None:
            chosen = str(value["unit_id"])
            chosen = chosen if chosen == ALL or any(str(u["id"]) == chosen for u in units) else None
        else:
            chosen = choose_unit(activity.text or "", units)
        if chosen is None:
            return False
        prompt.recognized.value = chosen
        return True
