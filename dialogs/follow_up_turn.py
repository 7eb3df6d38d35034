"""One turn of the follow-up dialog (dialogs/follow_up_dialog.py): what a card
command or a typed answer does, checked against the database, saved at once,
refused (and audited) when the card cannot be trusted.

The dialog state (`state`) only says where the person is looking: the stage,
unit, period, goal, follow-up and the version they saw, and the open question.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from dialogs.cards.follow_up import (
    build_confirmation_card,
    build_evidence_card,
    build_goal_card,
    build_overview_card,
    build_review_card,
    build_unit_choice_card,
    describe_problem,
    local_time,
    value_text,
)
from dialogs.follow_up_items import AnswerProblem, answer, first_unanswered, fold, is_word, question
from goals.services.follow_up_view import (
    GoalView,
    audit_refusal,
    find_follow_up,
    goal_view,
    reporting_units,
    unit_period_view,
)
from dialogs.formatting import format_date
from dialogs.parsing import NumberInputError, gender_split_warning, is_additive_unit, is_percent_unit, parse_number
from dialogs.submissions import (
    MAX_TEXT,
    CancelFollowUp,
    ChoosePeriod,
    ChooseUnit,
    ConfirmEvidence,
    OpenGoal,
    Refusal,
    SaveGoalFollowUp,
    ShowOverview,
    SubmitFollowUp,
    Verb,
    parse_submission,
)
from dialogs.turn_state import actor_of, texts_of
from goals.access import Actor
from goals.assessment import evidence_conflicts, problems_for_submit
from goals.errors import ConcurrencyConflict, InvalidTransition, PeriodClosed, PermissionDenied, ValidationFailed
from goals.model import FollowUp, FollowUpState, Measurement
from goals.ports import Clock, UnitOfWork
from goals.services import FollowUpChanges, open_follow_up, save_follow_up, submit_follow_up

# Stages: where the person is looking; decides what a typed answer means.
CHOOSE_UNIT, OVERVIEW, GOAL = "choose_unit", "overview", "goal"
_REFUSAL_MESSAGES = {
    "card.text_too_long": "follow_up.refused.text_too_long",
    "card.unknown_action": "follow_up.refused.unknown_action",
}


class ReportingTurn:
    """One turn of the reporting dialog: the context, the person, the state."""

    def __init__(self, dc: DialogContext, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
        self.dc = dc
        self.uow = uow_factory
        self.clock = clock
        self.context = dc.context
        self.texts = texts_of(dc.context)
        self.actor: Actor = actor_of(dc.context)
        self.state: dict[str, Any] = dc.active_dialog.state
        # Dialog state belongs to the conversation; in a team channel another
        # person may answer. Their turn starts afresh instead of using someone
        # else's goal and version (every card is checked against them anyway).
        if self.state.get("person_id") not in (None, self.actor.person.id):
            self.state.clear()
        self.state["person_id"] = self.actor.person.id

    @property
    def today(self) -> date:
        return self.clock.today()

    # --- starting and resuming --------------------------------------------------

    async def start(self) -> DialogTurnResult:
        units = await reporting_units(self.uow(), actor=self.actor)
        if not units:
            await self.say("follow_up.no_units")
            return await self.dc.end_dialog()
        if len(units) == 1:
            return await self.overview(units[0].id, None)
        self.state.update(stage=CHOOSE_UNIT, question=self.texts.t("follow_up.choose_hint"))
        await self.send_card(build_unit_choice_card(self.texts, units))
        return Dialog.end_of_turn

    async def report(self, options: dict[str, Any]) -> DialogTurnResult:
        """A "report" request from the menu, an overview or a reminder: one goal,
        one unit's period, or (no ids) the person's units."""
        if "goal_id" in options:
            return await self.command(parse_submission({**options, "verb": Verb.OPEN_GOAL}))
        if "unit_id" in options:
            verb = Verb.CHOOSE_PERIOD if "period_id" in options else Verb.CHOOSE_UNIT
            return await self.command(parse_submission({**options, "verb": verb}))
        return await self.start()

    async def resume(self) -> DialogTurnResult:
        """The first goal of the period not yet submitted, at its first unanswered item."""
        units = await reporting_units(self.uow(), actor=self.actor)
        preferred = self.state.get("unit_id")
        units.sort(key=lambda u: u.id != preferred)
        for unit in units:
            try:
                view = await unit_period_view(self.uow(), actor=self.actor, unit_id=unit.id, period_id=None, today=self.today)
            except (LookupError, PermissionDenied):
                continue
            if not view.period.is_open:
                continue
            rows = sorted(view.rows, key=lambda r: r.goal.id != self.state.get("goal_id"))
            for row in rows:
                if row.follow_up is None or row.follow_up.state in (FollowUpState.DRAFT, FollowUpState.RETURNED):
                    self.state.update(unit_id=unit.id, period_id=view.period.id)
                    await self.say("follow_up.resume", number=row.goal.number, title=row.goal.title)
                    return await self.open_goal(row.goal.id, view.period.id)
        await self.say("follow_up.nothing_to_resume")
        return await self.dc.end_dialog()

    # --- card commands ------------------------------------------------------------

    async def command(self, command: Any) -> DialogTurnResult:
        match command:
            case Refusal(key="evidence.explain"):
                await self.say("evidence.explain")  # an empty explanation: ask again, nothing to audit
                return Dialog.end_of_turn
            case Refusal():
                message = _REFUSAL_MESSAGES.get(command.key, "follow_up.refused.tampered")
                return await self.refuse(command.key, message, {"verb": command.verb, "field": command.field}, max=MAX_TEXT)
            case ChooseUnit(unit_id=unit_id):
                return await self.overview(unit_id, None)
            case ChoosePeriod(unit_id=unit_id, period_id=period_id) | ShowOverview(unit_id=unit_id, period_id=period_id):
                return await self.overview(unit_id, period_id)
            case OpenGoal(goal_id=goal_id, period_id=period_id):
                return await self.open_goal(goal_id, period_id)
            case SaveGoalFollowUp():
                return await self.save_card(command)
            case ConfirmEvidence():
                view = await self.checked_view(command.goal_id, command.period_id, command.follow_up_id, command.version)
                if view is None:
                    return Dialog.end_of_turn
                return await self.save(view, FollowUpChanges(evidence_note=command.evidence_note), command.version)
            case SubmitFollowUp():
                return await self.submit(command.goal_id, command.period_id, command.follow_up_id, command.version)
            case CancelFollowUp():
                await self.say("follow_up.cancelled")
                return await self.dc.end_dialog()
        return await self.refuse("card.unknown_action", "follow_up.refused.unknown_action", {})

    async def overview(self, unit_id: int, period_id: int | None) -> DialogTurnResult:
        try:
            view = await unit_period_view(self.uow(), actor=self.actor, unit_id=unit_id, period_id=period_id, today=self.today)
        except PermissionDenied:
            return await self.refuse("not_in_scope", "follow_up.refused.not_yours", {"unit_id": unit_id, "period_id": period_id})
        except LookupError:
            await self.say("follow_up.no_period", unit=await self._unit_name(unit_id))
            return await self.dc.end_dialog()
        if not view.period.is_open:
            return await self.refuse("period_closed", "follow_up.refused.period_closed", {"unit_id": unit_id, "period_id": view.period.id})
        self.state.update(stage=OVERVIEW, unit_id=view.unit.id, period_id=view.period.id, goal_id=None, question=None)
        await self.send_card(build_overview_card(self.texts, view))
        return Dialog.end_of_turn

    async def open_goal(self, goal_id: int, period_id: int, *, notes: list[str] | None = None) -> DialogTurnResult:
        try:
            follow_up = await find_follow_up(self.uow(), actor=self.actor, goal_id=goal_id, period_id=period_id)
            if follow_up is None:
                follow_up = await open_follow_up(self.uow(), actor=self.actor, goal_id=goal_id, period_id=period_id, clock=self.clock)
            view = await goal_view(self.uow(), actor=self.actor, follow_up=follow_up)
        except PermissionDenied:
            return await self.refuse("not_in_scope", "follow_up.refused.not_yours", {"goal_id": goal_id, "period_id": period_id})
        except PeriodClosed:
            return await self.refuse("period_closed", "follow_up.refused.period_closed", {"goal_id": goal_id, "period_id": period_id})
        except ValidationFailed as failed:
            await self.say_problems(None, failed.problems)
            return Dialog.end_of_turn
        if not view.period.is_open:
            return await self.refuse("period_closed", "follow_up.refused.period_closed", {"goal_id": goal_id, "period_id": period_id})
        self.remember(view)
        if view.follow_up.state == FollowUpState.APPROVED:
            await self.say("follow_up.refused.approved")
            await self.send_card(build_review_card(self.texts, view, {}))
            return Dialog.end_of_turn
        if view.follow_up.state == FollowUpState.SUBMITTED and self.today > view.period.deadline:
            await self.say("follow_up.refused.after_deadline", deadline=format_date(view.period.deadline, self.texts.language))
            await self.send_card(build_review_card(self.texts, view, {}))
            return Dialog.end_of_turn
        await self.send_card(build_goal_card(self.texts, view, notes=notes or ()))
        await self.ask_next(view)
        return Dialog.end_of_turn

    async def save_card(self, command: SaveGoalFollowUp) -> DialogTurnResult:
        view = await self.checked_view(command.goal_id, command.period_id, command.follow_up_id, command.version)
        if view is None:
            return Dialog.end_of_turn
        indicators = {i.id: i for i in view.goal.indicators}
        activities = {a.id for a in view.goal.activities}
        if any(i not in indicators for i in command.indicator_values) or any(a not in activities for a in command.activity_statuses):
            return await self.refuse("card.tampered", "follow_up.refused.tampered", {"goal_id": command.goal_id, "field": "child_id"})
        notes: list[str] = []
        pending: dict[int, Any] = {}
        values: dict[int, Measurement] = {}
        ask_split = False
        for indicator_id, raw in command.indicator_values.items():
            indicator = indicators[indicator_id]
            parsed: dict[str, float | None] = {}
            for part in ("total", "women", "men"):
                text = getattr(raw, part)
                try:
                    parsed[part] = None if text is None else parse_number(text, lang=self.texts.language, percent=is_percent_unit(indicator.unit))
                except NumberInputError as err:
                    notes.append(describe_problem(self.texts, view, f"indicator:{indicator_id}:{part}", err.key))
                    pending[indicator_id] = raw
            if indicator_id in pending:
                continue
            measurement = Measurement(**parsed)
            warning = gender_split_warning(total=measurement.total, women=measurement.women, men=measurement.men, additive=is_additive_unit(indicator.unit))
            if warning is not None and not command.confirm_split:
                notes.append(self._split_text(view, indicator_id, warning))
                pending[indicator_id] = raw
                ask_split = True
                continue
            if measurement != view.follow_up.indicator_values.get(indicator_id, Measurement()):
                values[indicator_id] = measurement
        changes = FollowUpChanges(
            indicator_values=values or None,
            activity_statuses=command.activity_statuses or None,
            assessment=command.assessment,
            forecast=command.forecast,
            analysis=command.analysis,
            actions=command.actions,
            resource_use=command.resource_use,
            cross_sectoral=dict(command.cross_sectoral) or None,
        )
        if notes:
            saved = await self.write(view, changes, command.version)
            if saved is None:
                return Dialog.end_of_turn
            await self.say("follow_up.values_need_look")
            await self.send_card(build_goal_card(self.texts, saved, notes=notes, pending=pending, ask_split_confirmation=ask_split))
            return Dialog.end_of_turn
        return await self.save(view, changes, command.version)

    async def save(self, view: GoalView, changes: FollowUpChanges, version: int) -> DialogTurnResult:
        """Save, then the next step: the evidence question, or the review."""
        saved = await self.write(view, changes, version)
        if saved is None:
            return Dialog.end_of_turn
        if saved.follow_up.state == FollowUpState.SUBMITTED and saved.follow_up.version != version:
            await self.say("follow_up.edited_after_submit")
        return await self.next_step(saved)

    async def next_step(self, view: GoalView) -> DialogTurnResult:
        conflicts = evidence_conflicts(view.goal, view.follow_up, self.today)
        if conflicts and not view.follow_up.evidence_note.strip():
            self.state["question"] = question(self.texts, view, "evidence_note", self.today)
            await self.send_card(build_evidence_card(self.texts, view, conflicts))
            return Dialog.end_of_turn
        problems = problems_for_submit(view.profile, view.goal, view.period, view.follow_up, self.today)
        self.state["question"] = None
        await self.send_card(build_review_card(self.texts, view, problems))
        return Dialog.end_of_turn

    async def submit(self, goal_id: int, period_id: int, follow_up_id: int, version: int) -> DialogTurnResult:
        view = await self.checked_view(goal_id, period_id, follow_up_id, version)
        if view is None:
            return Dialog.end_of_turn
        try:
            submitted = await submit_follow_up(self.uow(), actor=self.actor, follow_up_id=follow_up_id, expected_version=version, clock=self.clock)
        except ValidationFailed as failed:
            await self.say_problems(view, failed.problems)
            await self.send_card(build_review_card(self.texts, view, failed.problems))
            return Dialog.end_of_turn
        except ConcurrencyConflict as conflict:
            return await self.conflict(view, conflict.current)
        except InvalidTransition:
            key = "follow_up.refused.approved" if view.follow_up.state == FollowUpState.APPROVED else "follow_up.refused.already_submitted"
            await self.say(key)
            return Dialog.end_of_turn
        except (PermissionDenied, PeriodClosed) as err:
            return await self._refuse_error(err, {"follow_up_id": follow_up_id})
        done = await goal_view(self.uow(), actor=self.actor, follow_up=submitted)
        overview = await unit_period_view(self.uow(), actor=self.actor, unit_id=done.unit.id, period_id=done.period.id, today=self.today)
        next_row = next(
            (r for r in overview.rows if r.goal.id != goal_id and (r.follow_up is None or r.follow_up.state in (FollowUpState.DRAFT, FollowUpState.RETURNED))),
            None,
        )
        self.state.update(stage=OVERVIEW, goal_id=None, question=None)
        await self.send_card(build_confirmation_card(self.texts, done, next_row))
        return Dialog.end_of_turn

    # --- plain text -----------------------------------------------------------------

    async def text(self, text: str) -> DialogTurnResult:
        texts = self.texts
        if not text:
            await self.context.send_activity(self.state.get("question") or texts.t("follow_up.text_hint"))
            return Dialog.end_of_turn
        if is_word(texts, text, "cancel"):
            await self.say("follow_up.cancelled")
            return await self.dc.end_dialog()
        if is_word(texts, text, "continue"):
            return await self.resume()
        if is_word(texts, text, "report"):
            if self.state.get("unit_id"):
                return await self.overview(self.state["unit_id"], self.state.get("period_id"))
            return await self.start()
        if is_word(texts, text, "overview") and self.state.get("unit_id"):
            return await self.overview(self.state["unit_id"], self.state.get("period_id"))
        stage = self.state.get("stage")
        if stage == CHOOSE_UNIT:
            return await self.choose_unit_by_text(text)
        goal_id, period_id = self.state.get("goal_id"), self.state.get("period_id")
        if stage == OVERVIEW and period_id:
            wanted = fold(text)
            if wanted.isdigit():
                view = await unit_period_view(self.uow(), actor=self.actor, unit_id=self.state["unit_id"], period_id=period_id, today=self.today)
                row = next((r for r in view.rows if r.goal.number == int(wanted)), None)
                if row is not None:
                    return await self.open_goal(row.goal.id, period_id)
            await self.say("follow_up.text_hint")
            return Dialog.end_of_turn
        if not (goal_id and period_id and self.state.get("follow_up_id")):
            return await self.start()
        view = await self.checked_view(goal_id, period_id, self.state["follow_up_id"], self.state["version"])
        if view is None:
            return Dialog.end_of_turn
        if is_word(texts, text, "submit"):
            return await self.submit(goal_id, period_id, view.follow_up.id, view.follow_up.version)
        if is_word(texts, text, "edit"):
            self.state["item"] = "assessment"
            await self.send_card(build_goal_card(texts, view))
            return await self.ask(view, "assessment")
        item = self.state.get("item") or first_unanswered(view, self.today)
        if item is None:
            return await self.next_step(view)
        result = answer(texts, view, item, text)
        if isinstance(result, AnswerProblem):
            if result.key.startswith("number."):
                await self.context.send_activity(describe_problem(texts, view, "indicator:" + item.split(":", 1)[1], result.key))
            else:
                await self.say(result.key, **result.params)
            return await self.ask(view, item)
        if result.indicator_values and not await self._split_confirmed(view, item, text, result):
            return Dialog.end_of_turn
        saved = await self.write(view, result, view.follow_up.version)
        if saved is None:
            return Dialog.end_of_turn
        self.state["item"] = None
        following = first_unanswered(saved, self.today)
        if following == item == "analysis":  # a one-word analysis is sent back, with why
            problems = problems_for_submit(saved.profile, saved.goal, saved.period, saved.follow_up, self.today)
            await self.context.send_activity(describe_problem(texts, saved, "analysis", problems["analysis"]))
        if following is None:
            return await self.next_step(saved)
        return await self.ask(saved, following)

    async def choose_unit_by_text(self, text: str) -> DialogTurnResult:
        units = await reporting_units(self.uow(), actor=self.actor)
        wanted = fold(text)
        chosen = None
        if wanted.isdigit() and 1 <= int(wanted) <= len(units):
            chosen = units[int(wanted) - 1]
        else:
            matches = [u for u in units if wanted and wanted in fold(u.name)]
            chosen = matches[0] if len(matches) == 1 else None
        if chosen is None:
            await self.say("follow_up.not_a_unit")
            return Dialog.end_of_turn
        return await self.overview(chosen.id, None)

    async def _split_confirmed(self, view: GoalView, item: str, text: str, changes: FollowUpChanges) -> bool:
        """Typed women/men that do not add up are saved only when typed twice."""
        (indicator_id, measurement), = changes.indicator_values.items()
        indicator = next(i for i in view.goal.indicators if i.id == indicator_id)
        warning = gender_split_warning(total=measurement.total, women=measurement.women, men=measurement.men, additive=is_additive_unit(indicator.unit))
        if warning is None or self.state.get("split_confirm") == [item, fold(text)]:
            self.state["split_confirm"] = None
            return True
        self.state["split_confirm"] = [item, fold(text)]
        await self.context.send_activity(self._split_text(view, indicator_id, warning) + " " + self.texts.t("follow_up.question.confirm_split"))
        return False

    # --- checks, writes and refusals ---------------------------------------------------

    async def checked_view(self, goal_id: int, period_id: int, follow_up_id: int, version: int) -> GoalView | None:
        """The follow-up a card (or the dialog state) names, if the ids belong
        together, it is the person's to change, its period is open and the version
        is current; otherwise the refusal is said and audited, and None returned."""
        details = {"goal_id": goal_id, "period_id": period_id, "follow_up_id": follow_up_id, "version": version}
        try:
            stored = await find_follow_up(self.uow(), actor=self.actor, goal_id=goal_id, period_id=period_id)
        except PermissionDenied:
            await self.refuse("not_in_scope", "follow_up.refused.not_yours", details)
            return None
        if stored is None or stored.id != follow_up_id:
            await self.refuse("card.tampered", "follow_up.refused.tampered", details)
            return None
        view = await goal_view(self.uow(), actor=self.actor, follow_up=stored)
        if not view.period.is_open:
            await self.refuse("period_closed", "follow_up.refused.period_closed", details)
            return None
        if stored.version != version:
            await self.conflict(view, stored, sent_version=version)
            return None
        return view

    async def write(self, view: GoalView, changes: FollowUpChanges, version: int) -> GoalView | None:
        try:
            stored = await save_follow_up(
                self.uow(), actor=self.actor, follow_up_id=view.follow_up.id, expected_version=version, changes=changes, clock=self.clock
            )
        except ConcurrencyConflict as conflict:
            await self.conflict(view, conflict.current, sent_version=version)
            return None
        except InvalidTransition:
            if view.follow_up.state == FollowUpState.APPROVED:
                await self.say("follow_up.refused.approved")
            else:
                await self.say("follow_up.refused.after_deadline", deadline=format_date(view.period.deadline, self.texts.language))
            return None
        except ValidationFailed as failed:
            await self.refuse("card.tampered", "follow_up.refused.tampered", {"problems": str(failed.problems)})
            return None
        except (PermissionDenied, PeriodClosed) as err:
            await self._refuse_error(err, {"follow_up_id": view.follow_up.id})
            return None
        saved = await goal_view(self.uow(), actor=self.actor, follow_up=stored)
        self.remember(saved)
        return saved

    async def conflict(self, view: GoalView, current: FollowUp, *, sent_version: int | None = None) -> DialogTurnResult:
        """Someone saved after the card was made: say who and when, show what is stored."""
        fresh = await goal_view(self.uow(), actor=self.actor, follow_up=current)
        mine = current.updated_by == self.actor.person.id
        await audit_refusal(
            self.uow(), actor=self.actor, clock=self.clock, reason="stale_version" if mine else "edited_by_other",
            details={"follow_up_id": current.id, "sent_version": sent_version, "current_version": current.version},
        )
        if mine or current.updated_at is None:
            await self.say("follow_up.stale")
        else:
            at = local_time(current.updated_at)
            await self.say("follow_up.conflict", name=fresh.updated_by_name, time=f"{at:%H:%M}")
        self.remember(fresh)
        await self.send_card(build_goal_card(self.texts, fresh))
        return Dialog.end_of_turn

    async def refuse(self, reason: str, message_key: str, details: dict[str, Any], **params: Any) -> DialogTurnResult:
        await audit_refusal(self.uow(), actor=self.actor, clock=self.clock, reason=reason, details=details)
        await self.say(message_key, **params)
        return Dialog.end_of_turn

    async def _refuse_error(self, err: Exception, details: dict[str, Any]) -> DialogTurnResult:
        if isinstance(err, PeriodClosed):
            return await self.refuse("period_closed", "follow_up.refused.period_closed", details)
        return await self.refuse("not_in_scope", "follow_up.refused.not_yours", details)

    # --- saying things ---------------------------------------------------------------------

    def remember(self, view: GoalView) -> None:
        self.state.update(
            stage=GOAL,
            unit_id=view.unit.id,
            period_id=view.period.id,
            goal_id=view.goal.id,
            follow_up_id=view.follow_up.id,
            version=view.follow_up.version,
        )

    async def ask_next(self, view: GoalView) -> None:
        item = first_unanswered(view, self.today)
        if item is not None:
            await self.ask(view, item, hint=True)

    async def ask(self, view: GoalView, item: str, *, hint: bool = False) -> DialogTurnResult:
        text = question(self.texts, view, item, self.today)
        self.state["question"] = text
        await self.context.send_activity(f"{self.texts.t('follow_up.text_hint')} {text}" if hint else text)
        return Dialog.end_of_turn

    async def say(self, key: str, **params: Any) -> None:
        await self.context.send_activity(self.texts.t(key, **params))

    async def say_problems(self, view: GoalView | None, problems: dict[str, str]) -> None:
        lines = [self.texts.t("follow_up.submit_problems")]
        for field, key in problems.items():
            line = describe_problem(self.texts, view, field, key) if view else self.texts.t(key)
            lines.append(f"• {line}")
        await self.context.send_activity("\n\n".join(lines))

    async def send_card(self, card: dict[str, Any]) -> None:
        await self.context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(card)))

    def _split_text(self, view: GoalView, indicator_id: int, warning: Any) -> str:
        indicator = next(i for i in view.goal.indicators if i.id == indicator_id)
        return self.texts.t(
            warning.key,
            name=indicator.name,
            total=value_text(self.texts, warning.total, indicator.unit),
            women=value_text(self.texts, warning.women, indicator.unit),
            men=value_text(self.texts, warning.men, indicator.unit),
        )

    async def _unit_name(self, unit_id: int) -> str:
        units = await reporting_units(self.uow(), actor=self.actor)
        return next((u.name for u in units if u.id == unit_id), "")

