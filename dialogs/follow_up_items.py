"""The follow-up of one goal as a list of questions, for resuming and for plain text.

"fortsätt" resumes at the first unanswered item, and people on clients that show
cards poorly answer one question at a time. Both need the same thing: the items
a follow-up consists of under its profile, in the order a person would fill them
in, and for each whether it is answered. What counts as answered comes from the
submit rules themselves (goals.assessment), so a one-word analysis stays
unanswered and is asked again with the reason.

Item keys: "ind:<id>:total|women|men", "act:<id>", "assessment", "forecast",
"analysis", "actions", "cs:<perspective>", "resource_use", "evidence_note".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from dialogs.cards.follow_up import conflict_text
from goals.services.follow_up_view import GoalView
from dialogs.overview_dialog import fold as fold_words
from dialogs.parsing import NumberInputError, is_percent_unit, parse_number
from dialogs.submissions import MAX_TEXT
from goals.assessment import actions_required, evidence_conflicts, problems_for_submit
from goals.model import ActivityStatus, CrossSectoral, Fulfilment, Measurement
from goals.services import FollowUpChanges


@dataclass(frozen=True, slots=True)
class AnswerProblem:
    """The answer could not be used; `key` is a catalog key, `params` its values."""

    key: str
    params: dict[str, Any]


def fold(text: str) -> str:
    """Case, å/ä/ö and quotes folded (the overview's folding, plus ”…” people copy)."""
    return fold_words(text.strip("”\"'“"))


def is_word(texts: Any, text: str, word: str) -> bool:
    """Is the whole message one of the catalog's words for `word` (e.g. "cancel")?"""
    return fold(text) in {fold(w) for w in texts.t(f"follow_up.words.{word}").split("|")}


def items_for(view: GoalView, today: date) -> list[str]:
    goal, follow_up, rules = view.goal, view.follow_up, view.profile.requirements
    items: list[str] = []
    if rules.indicators_required:
        for indicator in goal.indicators:
            items.append(f"ind:{indicator.id}:total")
            if rules.gender_split and indicator.gender_split:
                items += [f"ind:{indicator.id}:women", f"ind:{indicator.id}:men"]
    items += [f"act:{a.id}" for a in goal.activities]
    items.append("assessment")
    if rules.forecast and not view.period.is_year_end:
        items.append("forecast")
    items.append("analysis")
    if actions_required(goal, view.period, follow_up, today):
        items.append("actions")
    items += [f"cs:{p.value}" for p in rules.cross_sectoral]
    if rules.resource_use:
        items.append("resource_use")
    if evidence_conflicts(goal, follow_up, today):
        items.append("evidence_note")
    return items


def is_answered(view: GoalView, item: str, problems: dict[str, str]) -> bool:
    follow_up = view.follow_up
    kind, _, rest = item.partition(":")
    match kind:
        case "ind":
            raw_id, _, part = rest.partition(":")
            value = follow_up.indicator_values.get(int(raw_id))
            return value is not None and getattr(value, part) is not None
        case "act":
            return int(rest) in follow_up.activity_statuses
        case "assessment" | "forecast":
            return getattr(follow_up, kind) is not None
        case "cs":
            return f"cross_sectoral:{rest}" not in problems and bool(follow_up.cross_sectoral.get(CrossSectoral(rest)))
        case "resource_use" | "evidence_note":
            return bool(getattr(follow_up, kind).strip())
    return kind not in problems  # analysis, actions


def first_unanswered(view: GoalView, today: date) -> str | None:
    problems = problems_for_submit(view.profile, view.goal, view.period, view.follow_up, today)
    return next((item for item in items_for(view, today) if not is_answered(view, item, problems)), None)


def question(texts: Any, view: GoalView, item: str, today: date) -> str:
    kind, _, rest = item.partition(":")
    match kind:
        case "ind":
            raw_id, _, part = rest.partition(":")
            indicator = next(i for i in view.goal.indicators if i.id == int(raw_id))
            return texts.t(f"follow_up.question.indicator_{part}", name=indicator.name, unit=indicator.unit)
        case "act":
            activity = next(a for a in view.goal.activities if a.id == int(rest))
            labels = [texts.t(f"follow_up.status.{s.value}") for s in ActivityStatus]
            return texts.t("follow_up.question.activity", title=activity.title, choices=_choices(texts, labels))
        case "assessment" | "forecast":
            labels = [view.profile.label(f, texts.language) for f in Fulfilment]
            return texts.t(f"follow_up.question.{kind}", number=view.goal.number, choices=_choices(texts, labels))
        case "actions":
            return texts.t("follow_up.question.plan" if view.period.is_year_end else "follow_up.question.actions")
        case "cs":
            return texts.t("follow_up.question.cross_sectoral", perspective=texts.t(f"follow_up.perspective.{rest}"))
        case "evidence_note":
            conflicts = evidence_conflicts(view.goal, view.follow_up, today)
            return texts.t(
                "follow_up.question.evidence",
                label=view.profile.label(Fulfilment.FULFILLED, texts.language),
                conflicts="; ".join(conflict_text(texts, view, c) for c in conflicts),
            )
    return texts.t(f"follow_up.question.{kind}")  # analysis, resource_use


def choices_for(texts: Any, view: GoalView, item: str) -> str:
    kind = item.partition(":")[0]
    if kind == "act":
        return _choices(texts, [texts.t(f"follow_up.status.{s.value}") for s in ActivityStatus])
    return _choices(texts, [view.profile.label(f, texts.language) for f in Fulfilment])


def answer(texts: Any, view: GoalView, item: str, text: str) -> FollowUpChanges | AnswerProblem:
    """The typed answer to `item` as the change to save, or why it cannot be used."""
    kind, _, rest = item.partition(":")
    text = text.strip()
    match kind:
        case "ind":
            raw_id, _, part = rest.partition(":")
            indicator = next(i for i in view.goal.indicators if i.id == int(raw_id))
            try:
                number = parse_number(text, lang=texts.language, percent=is_percent_unit(indicator.unit))
            except NumberInputError as err:
                return AnswerProblem(err.key, {})
            stored = view.follow_up.indicator_values.get(indicator.id) or Measurement()
            updated = Measurement(**{**_measurement_dict(stored), part: number})
            return FollowUpChanges(indicator_values={indicator.id: updated})
        case "act":
            labels = {s: texts.t(f"follow_up.status.{s.value}") for s in ActivityStatus}
            status = _pick(text, list(labels), labels)
            if status is None:
                return AnswerProblem("follow_up.question.not_understood", {"choices": choices_for(texts, view, item)})
            return FollowUpChanges(activity_statuses={int(rest): status})
        case "assessment" | "forecast":
            labels = {f: view.profile.label(f, texts.language) for f in Fulfilment}
            synonyms = {f: texts.t(f"follow_up.words.{f.value}") for f in Fulfilment}
            chosen = _pick(text, list(labels), labels, synonyms)
            if chosen is None:
                return AnswerProblem("follow_up.question.not_understood", {"choices": choices_for(texts, view, item)})
            return FollowUpChanges(**{kind: chosen})
    if not text:
        return AnswerProblem("follow_up.question.not_understood", {"choices": "…"})
    if len(text) > MAX_TEXT:
        return AnswerProblem("follow_up.refused.text_too_long", {"max": MAX_TEXT})
    if kind == "cs":
        return FollowUpChanges(cross_sectoral={CrossSectoral(rest): text})
    return FollowUpChanges(**{kind: text})  # analysis, actions, resource_use, evidence_note


def _measurement_dict(m: Measurement) -> dict[str, float | None]:
    return {"total": m.total, "women": m.women, "men": m.men}


def _choices(texts: Any, labels: list[str]) -> str:
    numbered = [texts.t("follow_up.question.choice_item", number=i, label=label) for i, label in enumerate(labels, 1)]
    return ", ".join(numbered[:-1]) + f" {texts.t('follow_up.question.or')} " + numbered[-1]


def _pick(text: str, options: list[Any], labels: dict[Any, str], synonyms: dict[Any, str] | None = None) -> Any:
    """An option by its number, its label or a catalog synonym (case and å/ä/ö folded)."""
    wanted = fold(text)
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1]
    for option in options:
        names = {fold(labels[option])}
        if synonyms:
            names |= {fold(s) for s in synonyms[option].split("|")}
        if wanted in names:
            return option
    return None
