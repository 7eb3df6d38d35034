"""Status questions answered: "vilka mål ligger efter?", "hur går det för mål 3?",
"status för Solrosens förskola", "vad har jag kvar att rapportera?", "när är deadline?",
"vilka enheter har inte rapporterat?", "visa trenden för andel nöjda brukare".

A typed question is recognised again here, this time against the names the person
may ask about (goals.queries.names_in_scope), so "Solrosen" or "mål 3" become ids.
The names of the whole organisation are recognised as well, only to tell a unit that
is not the person's from one that does not exist: both get the same "not yours"
answer, which names nothing. A card button carries its verb and ids instead; those
are untrusted and every id is checked against the person's scope in goals.queries.

Several candidates → a "Vilken menade du?" card whose buttons carry the whole
question; nothing to go on → what can be asked. Each question is answered in one
turn and leaves no dialog state behind, so a button pressed days later (or after a
restart) still works.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from dialogs.cards.status import (
    Choice,
    build_behind_card,
    build_choice_card,
    build_deadline_card,
    build_goal_status_card,
    build_left_card,
    build_not_reported_card,
    build_questions_help_card,
    build_trend_card,
    build_unit_status_card,
)
from dialogs.recognizer import Intent, Recognition, Vocabulary, recognize
from dialogs.texts import Texts
from dialogs.turn_state import actor_of, texts_of
from goals import queries
from goals.access import EDITOR_ROLES, Actor, require_in_scope, scope_nodes
from goals.errors import PermissionDenied
from goals.model import OrgKind
from goals.ports import Clock, UnitOfWork
from goals.services import behind_goals, left_to_report

# Verb (as main_dialog routes it) → the question it asks.
QUESTION_VERBS: dict[str, Intent] = {
    "behind": Intent.BEHIND,
    "goal_status": Intent.GOAL_STATUS,
    "unit_status": Intent.UNIT_STATUS,
    "left_to_report": Intent.LEFT_TO_REPORT,
    "deadline": Intent.DEADLINE,
    "not_reported": Intent.NOT_REPORTED,
    "trend": Intent.TREND,
    "unknown": Intent.UNKNOWN,
}
_ANSWERED = frozenset(QUESTION_VERBS.values()) | {Intent.HELP}
# A unit can be named in these; only there is "not yours" a possible answer.
_NAMES_A_UNIT = frozenset({Intent.BEHIND, Intent.UNIT_STATUS, Intent.GOAL_STATUS, Intent.NOT_REPORTED,
                           Intent.TREND, Intent.UNKNOWN})
MAX_PAGE = 1000
MAX_ID = 2**31 - 1
# The organisation's names change rarely; reading 2,000 of them for every question would not.
ORGANISATION_NAMES_TTL = 300.0
_MAX_CACHED_PEOPLE = 256


@dataclass(frozen=True, slots=True)
class Question:
    intent: Intent
    unit_ids: tuple[int, ...] = ()
    goal_ids: tuple[int, ...] = ()
    indicator_ids: tuple[int, ...] = ()
    page: int = 1
    period: str | None = None
    outside_scope: bool = False  # a unit was named that is not the person's


@dataclass(frozen=True, slots=True)
class Reply:
    """One message: a text, a card, or both (the text first)."""

    text: str | None = None
    card: dict[str, Any] | None = None


@dataclass
class Timings:
    """Seconds spent per phase, for bench/questions.py; None in production."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


@contextmanager
def _phase(timings: Timings | None, name: str) -> Iterator[None]:
    if timings is None:
        yield
    else:
        with timings.phase(name):
            yield


# --- untrusted card data ----------------------------------------------------------------


def _int(value: Any, *, upper: int = MAX_ID) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        value = int(value)
    return value if isinstance(value, int) and 0 < value <= upper else None


def question_from_card(verb: str, data: Mapping[str, Any]) -> Question:
    """A button's question; ids that are not sane positive integers are dropped."""
    node_id, goal_id, indicator_id = (_int(data.get(k)) for k in ("node_id", "goal_id", "indicator_id"))
    return Question(
        intent=QUESTION_VERBS.get(verb, Intent.UNKNOWN),
        unit_ids=(node_id,) if node_id else (),
        goal_ids=(goal_id,) if goal_id else (),
        indicator_ids=(indicator_id,) if indicator_id else (),
        page=_int(data.get("page"), upper=MAX_PAGE) or 1,
    )


# --- the answers ----------------------------------------------------------------------------


class Answerer:
    """Answers questions for the people of one app; holds the vocabularies it built so
    the recognizer's name indexes are reused while the names stay the same."""

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._scope_vocabularies: OrderedDict[int, tuple[queries.ScopeNames, Vocabulary]] = OrderedDict()
        # person id -> the last view read for them and its names (see _names_of)
        self._scope_names: OrderedDict[int, tuple[queries.ScopeView, queries.ScopeNames]] = OrderedDict()
        self._organisations: dict[str, tuple[float, Vocabulary]] = {}

    async def answer_text(
        self, text: str, *, actor: Actor, texts: Texts, fallback: Intent = Intent.UNKNOWN, timings: Timings | None = None
    ) -> list[Reply]:
        today = self._clock.today()
        with _phase(timings, "database"):
            # One read of the scope gives both the names to recognise and, for the most
            # asked question, the goals behind.
            view = await queries.scope_view(self._uow_factory(), actor=actor, today=today)
            organisation = await self._organisation_vocabulary(actor)
        with _phase(timings, "recognition"):
            names = self._names_of(actor, view)
            question = self.understand(text, names=names, organisation=organisation, actor=actor, fallback=fallback)
        return await self.answer(question, actor=actor, texts=texts, names=names, view=view, timings=timings)

    def understand(
        self,
        text: str,
        *,
        names: queries.ScopeNames,
        organisation: Vocabulary,
        actor: Actor,
        fallback: Intent = Intent.UNKNOWN,
    ) -> Question:
        recognition = recognize(text, self._scope_vocabulary(actor, names))
        intent = recognition.intent if recognition.intent in _ANSWERED else fallback
        outside = False
        if intent in _NAMES_A_UNIT and not recognition.goal_ids and not recognition.indicator_ids:
            # The organisation's names include the person's own units, so when the best
            # match among all of them lies wholly outside the scope, that is what was meant.
            named = recognize(text, organisation).unit_ids
            outside = bool(named) and not any(unit_id in names.units for unit_id in named)
        return _question(recognition, intent, outside_scope=outside)

    async def answer(
        self,
        question: Question,
        *,
        actor: Actor,
        texts: Texts,
        names: queries.ScopeNames | None = None,
        view: queries.ScopeView | None = None,
        timings: Timings | None = None,
    ) -> list[Reply]:
        if question.outside_scope:
            return [Reply(text=texts.t("questions.not_yours"))]
        try:
            return await _Turn(self, question, actor, texts, names, view, timings).answer()
        except PermissionDenied:
            # Someone else's unit or goal, or an id that does not exist: the same words.
            return [Reply(text=texts.t("questions.not_yours"))]

    async def names(self, actor: Actor) -> queries.ScopeNames:
        return await queries.names_in_scope(self._uow_factory(), actor=actor, today=self._clock.today())

    def _names_of(self, actor: Actor, view: queries.ScopeView) -> queries.ScopeNames:
        """`view.names`, or the same names built from the person's previous view when
        nothing in them can have changed (queries.ScopeView.has_names_of): building a
        department's ~500 goals' names for every question was ~15 % of its answer."""
        key = actor.person.id
        cached = self._scope_names.get(key)
        if cached is not None and view.has_names_of(cached[0]):
            self._scope_names.move_to_end(key)
            return cached[1]
        names = view.names
        self._scope_names[key] = (view, names)
        while len(self._scope_names) > _MAX_CACHED_PEOPLE:
            self._scope_names.popitem(last=False)
        return names

    def _scope_vocabulary(self, actor: Actor, names: queries.ScopeNames) -> Vocabulary:
        key = actor.person.id
        cached = self._scope_vocabularies.get(key)
        if cached is not None and (cached[0] is names or cached[0] == names):
            self._scope_vocabularies.move_to_end(key)
            return cached[1]
        vocabulary = Vocabulary(
            units=names.units, goals=names.goals, goal_numbers=names.goal_numbers, indicators=names.indicators
        )
        self._scope_vocabularies[key] = (names, vocabulary)
        while len(self._scope_vocabularies) > _MAX_CACHED_PEOPLE:
            self._scope_vocabularies.popitem(last=False)
        return vocabulary

    async def _organisation_vocabulary(self, actor: Actor) -> Vocabulary:
        tenant = actor.person.tenant_id
        cached = self._organisations.get(tenant)
        if cached is not None and time.monotonic() - cached[0] < ORGANISATION_NAMES_TTL:
            return cached[1]
        units = await queries.organisation_names(self._uow_factory(), actor=actor)
        vocabulary = Vocabulary(units=units)
        self._organisations[tenant] = (time.monotonic(), vocabulary)
        return vocabulary


def _question(recognition: Recognition, intent: Intent, *, outside_scope: bool) -> Question:
    return Question(
        intent=intent,
        unit_ids=recognition.unit_ids,
        goal_ids=recognition.goal_ids,
        indicator_ids=recognition.indicator_ids,
        period=recognition.period,
        outside_scope=outside_scope,
    )


def can_report(actor: Actor) -> bool:
    """Directors approve and read; the others may fill in follow-ups (goals.access)."""
    return any(assignment.role in EDITOR_ROLES for assignment in actor.roles)


class _Turn:
    """One question being answered."""

    def __init__(self, answerer: Answerer, question: Question, actor: Actor, texts: Texts,
                 names: queries.ScopeNames | None, view: queries.ScopeView | None, timings: Timings | None) -> None:
        self.answerer = answerer
        self.q = question
        self.actor = actor
        self.texts = texts
        self._names = names
        self.view = view
        self.timings = timings
        self.today: date = answerer._clock.today()  # noqa: SLF001 - the answerer's own clock

    def uow(self) -> UnitOfWork:
        return self.answerer._uow_factory()  # noqa: SLF001 - the answerer's own factory

    async def names(self) -> queries.ScopeNames:
        if self._names is None:
            with _phase(self.timings, "database"):
                self._names = await self.answerer.names(self.actor)
        return self._names

    def card(self, builder: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> Reply:
        with _phase(self.timings, "cards"):
            return Reply(card=builder(self.texts, *args, **kwargs))

    async def answer(self) -> list[Reply]:
        match self.q.intent:
            case Intent.BEHIND:
                return await self.behind()
            case Intent.GOAL_STATUS:
                return await self.goal_status()
            case Intent.UNIT_STATUS:
                return await self.unit_status()
            case Intent.LEFT_TO_REPORT:
                return await self.left()
            case Intent.DEADLINE:
                return await self.deadline()
            case Intent.NOT_REPORTED:
                return await self.not_reported()
            case Intent.TREND:
                return await self.trend()
            case Intent.HELP:
                return [self.card(build_questions_help_card)]
            case _:
                return [Reply(text=self.texts.t("unknown.text")), self.card(build_questions_help_card)]

    # --- per question ---------------------------------------------------------------

    async def behind(self) -> list[Reply]:
        if len(self.q.unit_ids) > 1:
            return await self.choose_unit("behind")
        node_id = self.q.unit_ids[0] if self.q.unit_ids else None
        if self.view is not None:
            with _phase(self.timings, "status rules"):
                behind = queries.behind_in(self.view, today=self.today, node_id=node_id)
                scope = next((n for n in self.view.nodes if n.id == node_id), None)
        else:
            with _phase(self.timings, "database"):
                scope = await self.node(node_id)
                behind = await behind_goals(self.uow(), actor=self.actor, today=self.today, node_id=node_id)
        return [self.card(build_behind_card, behind, page=self.q.page, scope=scope, can_report=can_report(self.actor))]

    async def goal_status(self) -> list[Reply]:
        if len(self.q.goal_ids) > 1:
            names = await self.names()
            return [self.choices([
                Choice(self.goal_choice_label(goal_id, names), "goal_status", {"goal_id": goal_id})
                for goal_id in self.q.goal_ids
            ])]
        if not self.q.goal_ids:
            if len(self.q.unit_ids) == 1:
                return await self.unit_status()
            return await self.pick_goal()
        with _phase(self.timings, "database"):
            status = await queries.goal_status(self.uow(), actor=self.actor, goal_id=self.q.goal_ids[0], today=self.today)
        return [self.card(build_goal_status_card, status, today=self.today, can_report=can_report(self.actor))]

    async def unit_status(self) -> list[Reply]:
        if len(self.q.unit_ids) > 1:
            return await self.choose_unit("unit_status")
        node_id = self.q.unit_ids[0] if self.q.unit_ids else await self.only_unit()
        if node_id is None:
            return await self.pick_unit()
        with _phase(self.timings, "database"):
            status = await queries.unit_status(self.uow(), actor=self.actor, node_id=node_id, today=self.today)
        return [self.card(build_unit_status_card, status, today=self.today, page=self.q.page,
                          can_report=can_report(self.actor))]

    async def left(self) -> list[Reply]:
        with _phase(self.timings, "database"):
            left = await left_to_report(self.uow(), actor=self.actor, today=self.today)
        return [self.card(build_left_card, left, today=self.today, page=self.q.page, can_report=can_report(self.actor))]

    async def deadline(self) -> list[Reply]:
        with _phase(self.timings, "database"):
            deadlines = await queries.deadlines(self.uow(), actor=self.actor, today=self.today)
        return [self.card(build_deadline_card, deadlines)]

    async def not_reported(self) -> list[Reply]:
        if not any(a.role in queries.OVERSEER_ROLES for a in self.actor.roles):
            return [Reply(text=self.texts.t("questions.not_reported.only_heads"))]
        if len(self.q.unit_ids) > 1:
            return await self.choose_unit("not_reported")
        node_id = self.q.unit_ids[0] if self.q.unit_ids else None
        with _phase(self.timings, "database"):
            scope = await self.node(node_id)
            items = await queries.not_reported(self.uow(), actor=self.actor, today=self.today, node_id=node_id)
        return [self.card(build_not_reported_card, items, page=self.q.page, scope=scope)]

    async def trend(self) -> list[Reply]:
        names = await self.names()
        indicator_ids = self.q.indicator_ids
        if not indicator_ids and len(self.q.goal_ids) == 1:
            goal_id = self.q.goal_ids[0]
            indicator_ids = tuple(i for i, g in names.indicator_goal.items() if g == goal_id)
            if not indicator_ids and goal_id in names.goals:
                return [Reply(text=self.texts.t("questions.trend.no_indicators"))]
        asking: list[Reply] = []
        if not indicator_ids:
            # Nothing named: say what to ask, and offer the indicators if they are few.
            asking = [Reply(text=self.texts.t("questions.trend.which"))]
            indicator_ids = tuple(names.indicators) if len(names.indicators) <= 10 else ()
            if not indicator_ids:
                return asking
        if len(indicator_ids) > 1:
            return [*asking, self.choices([
                Choice(self.indicator_label(i, names), "trend", {"goal_id": names.indicator_goal[i], "indicator_id": i})
                for i in indicator_ids if i in names.indicator_goal
            ])]
        indicator_id = indicator_ids[0]
        # From a button the goal comes with it; typed, it is the goal the indicator belongs to.
        goal_id = self.q.goal_ids[0] if self.q.goal_ids else names.indicator_goal.get(indicator_id)
        if goal_id is None:
            raise PermissionDenied("not in scope")
        with _phase(self.timings, "database"):
            trend = await queries.indicator_trend(
                self.uow(), actor=self.actor, goal_id=goal_id, indicator_id=indicator_id, today=self.today
            )
        years = {"this_year": self.today.year, "last_year": self.today.year - 1}
        if self.q.period in years:
            wanted = years[self.q.period]
            trend = queries.Trend(goal=trend.goal, owner_name=trend.owner_name, indicator=trend.indicator,
                                  points=tuple(p for p in trend.points if p.period.year == wanted))
        return [self.card(build_trend_card, trend)]

    # --- asking back ----------------------------------------------------------------------

    def choices(self, choices: list[Choice]) -> Reply:
        return self.card(build_choice_card, choices)

    async def choose_unit(self, verb: str) -> list[Reply]:
        names = await self.names()
        return [self.choices([
            Choice(names.units[u], verb, {"node_id": u}) for u in self.q.unit_ids if u in names.units
        ])]

    async def pick_goal(self) -> list[Reply]:
        names = await self.names()
        text = Reply(text=self.texts.t("questions.status.which_goal"))
        if not names.goals or len(names.goals) > 10:
            return [text]
        return [text, self.choices([
            Choice(self.goal_choice_label(g, names), "goal_status", {"goal_id": g}) for g in names.goals
        ])]

    async def pick_unit(self) -> list[Reply]:
        with _phase(self.timings, "database"):
            nodes = await self.scope_units()
        text = Reply(text=self.texts.t("questions.status.which_unit"))
        if not nodes or len(nodes) > 10:
            return [text]
        return [text, self.choices([Choice(n.name, "unit_status", {"node_id": n.id}) for n in nodes])]

    async def only_unit(self) -> int | None:
        """The unit meant when none is named: the one the person manages, if just one."""
        with _phase(self.timings, "database"):
            units = await self.scope_units()
        return units[0].id if len(units) == 1 else None

    async def scope_units(self) -> list[Any]:
        nodes = await scope_nodes(self.uow(), actor=self.actor)
        return sorted((n for n in nodes if n.kind == OrgKind.UNIT), key=lambda n: (n.name, n.id))

    async def node(self, node_id: int | None) -> Any:
        if node_id is None:
            return None
        return await require_in_scope(self.uow(), actor=self.actor, node_id=node_id)

    def goal_choice_label(self, goal_id: int, names: queries.ScopeNames) -> str:
        owner = names.units.get(names.goal_owners.get(goal_id, 0), "")
        return self.texts.t("questions.goal_choice", number=names.goal_numbers.get(goal_id, ""),
                            title=names.goals.get(goal_id, ""), owner=owner)

    def indicator_label(self, indicator_id: int, names: queries.ScopeNames) -> str:
        goal_id = names.indicator_goal[indicator_id]
        owner = names.units.get(names.goal_owners.get(goal_id, 0), "")
        return f"{names.indicators[indicator_id]} ({owner})" if owner else names.indicators[indicator_id]


# --- the dialogs main_dialog routes to ---------------------------------------------------


class QuestionDialog(Dialog):
    """Answers one kind of question (its verb) in a single turn."""

    def __init__(self, verb: str, answerer: Answerer) -> None:
        super().__init__(f"questions.{verb}")
        self.verb = verb
        self._answerer = answerer

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        await self.answer_now(dialog_context.context)
        return await dialog_context.end_dialog()

    async def answer_now(self, context: TurnContext) -> None:
        """Answer without touching the dialog stack: a question asked while another
        flow waits for an answer is answered, and that flow stays where it was."""
        for reply in await self.replies(context):
            await _send(context, reply)

    async def replies(self, context: TurnContext) -> list[Reply]:
        actor, texts = actor_of(context), texts_of(context)
        value = context.activity.value
        if isinstance(value, dict) and value.get("verb") == self.verb:
            return await self._answerer.answer(question_from_card(self.verb, value), actor=actor, texts=texts)
        text = (context.activity.text or "").strip()
        fallback = QUESTION_VERBS.get(self.verb, Intent.UNKNOWN)
        return await self._answerer.answer_text(text, actor=actor, texts=texts, fallback=fallback)


async def _send(context: TurnContext, reply: Reply) -> None:
    if reply.text:
        await context.send_activity(MessageFactory.text(reply.text))
    if reply.card is not None:
        await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(reply.card)))


def question_dialogs(*, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> dict[str, QuestionDialog]:
    """verb → dialog, for MainDialog's flows; one Answerer (and its caches) for all."""
    answerer = Answerer(uow_factory=uow_factory, clock=clock)
    return {verb: QuestionDialog(verb, answerer) for verb in QUESTION_VERBS}
