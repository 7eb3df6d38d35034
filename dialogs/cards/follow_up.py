"""The reporting cards: which unit, the period overview, one goal's follow-up,
the evidence question, the review and the confirmation.

Every action carries a `verb` (dialogs/submissions.py) and the ids it acts on;
actions that write also carry the follow-up `version` the card was built from,
so a stale card is recognised on the server instead of overwriting newer work.
Indicator values are Input.Text, not Input.Number: Teams' number box rejects the
decimal comma Swedish users type ("12,5"), and dialogs/parsing.py reads it.
Layout is plain stacked blocks (no wide tables) so the cards read on a phone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from microsoft_teams.cards import (
    CardElement,
    Choice,
    ChoiceSetInput,
    Container,
    Fact,
    FactSet,
    TeamsCardProperties,
    TextBlock,
    TextInput,
    ToggleInput,
)

from dialogs.cards.common import card, paragraph, submit, title
from goals.services.follow_up_view import GoalRow, GoalView, UnitPeriodView
from dialogs.formatting import format_date, format_number
from dialogs.parsing import is_percent_unit
from dialogs.submissions import MAX_TEXT, MAX_VALUE_TEXT, RawMeasurement, Verb
from goals.model import ActivityStatus, FollowUpState, Fulfilment, Indicator, Measurement, OrgNode, Period
from goals.profiles import Profile
from goals.status import Reason, ReasonKind

MAX_GOALS_ON_OVERVIEW = 15
# Times are shown in the municipalities' time zone; the store may hand back UTC.
LOCAL_ZONE = ZoneInfo("Europe/Stockholm")


def local_time(at: datetime) -> datetime:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(LOCAL_ZONE)


# --- shared wording ------------------------------------------------------------


def period_label(texts: Any, profile: Profile, period: Period) -> str:
    try:
        name = profile.period_kind(period.kind).name(texts.language)
    except KeyError:
        name = period.kind
    return f"{name} {period.year}"


def state_label(texts: Any, follow_up_state: FollowUpState | None) -> str:
    return texts.t(f"follow_up.state.{follow_up_state.value if follow_up_state else 'not_started'}")


def value_text(texts: Any, value: float | None, unit: str) -> str:
    if value is None:
        return texts.t("follow_up.card.no_value")
    number = format_number(value, texts.language)
    if is_percent_unit(unit):
        return f"{number} %"
    return f"{number} {unit}".strip()


def describe_problem(texts: Any, view: GoalView, field: str, key: str, **params: Any) -> str:
    """One problem (field → catalog key, from goals.assessment, the services or the
    number parser) as a sentence in the user's language."""
    parts = field.split(":")
    if parts[0] == "indicator" and len(parts) > 1:
        indicator = _indicator(view, parts[1])
        name = indicator.name if indicator else ""
        if key.startswith("number."):
            part = parts[2] if len(parts) > 2 else "total"
            label = name if part == "total" else f"{name}, {texts.t(f'follow_up.card.value_{part}')}"
            return texts.t("follow_up.field_problem", field=label, problem=texts.t(key))
        return texts.t(key, name=name, **params)
    if parts[0] == "cross_sectoral" and len(parts) > 1:
        perspective = texts.t(f"follow_up.perspective.{parts[1]}") if texts.has(f"follow_up.perspective.{parts[1]}") else parts[1]
        return texts.t(key, perspective=perspective)
    if key == "analysis.too_short":
        return texts.t(key, min=view.profile.requirements.analysis_min_words)
    # A rule newer than this catalog still gets a sentence naming the field.
    return texts.t(key, **params) if texts.has(key) else texts.t("follow_up.problem_unknown", field=field)


def conflict_text(texts: Any, view: GoalView, reason: Reason) -> str:
    if reason.kind == ReasonKind.INDICATOR_OFF_TARGET:
        indicator = _indicator(view, str(reason.indicator_id))
        unit = indicator.unit if indicator else ""
        return texts.t(
            "follow_up.evidence.indicator",
            name=reason.name,
            value=value_text(texts, reason.value, unit),
            target=value_text(texts, reason.target, unit),
        )
    deadline = format_date(reason.deadline, texts.language) if reason.deadline else ""
    return texts.t("follow_up.evidence.activity", name=reason.name, deadline=deadline)


# --- cards ---------------------------------------------------------------------


def build_unit_choice_card(texts: Any, units: Sequence[OrgNode]) -> dict[str, Any]:
    body: list[CardElement] = [title(texts.t("follow_up.choose_unit")), paragraph(texts.t("follow_up.choose_hint"), subtle=True)]
    body.extend(
        TextBlock(text=texts.t("follow_up.choose_item", number=i, name=unit.name), wrap=True, spacing="Small")
        for i, unit in enumerate(units, start=1)
    )
    return card(body, [submit(unit.name, Verb.CHOOSE_UNIT, unit_id=unit.id) for unit in units])


def build_overview_card(texts: Any, view: UnitPeriodView) -> dict[str, Any]:
    """The unit's goals for the period, each with its state, and the deadline."""
    period = period_label(texts, view.profile, view.period)
    body: list[CardElement] = [
        title(texts.t("follow_up.overview_title", unit=view.unit.name, period=period)),
        paragraph(texts.t("follow_up.deadline", deadline=format_date(view.period.deadline, texts.language)), subtle=True),
    ]
    actions = []
    if not view.rows:
        body.append(paragraph(texts.t("follow_up.no_goals")))
    for row in view.rows[:MAX_GOALS_ON_OVERVIEW]:
        body.append(_overview_row(texts, row))
        state = row.follow_up.state if row.follow_up else None
        if state in (None, FollowUpState.DRAFT, FollowUpState.RETURNED):
            actions.append(submit(texts.t("follow_up.open", number=row.goal.number), Verb.OPEN_GOAL, goal_id=row.goal.id, period_id=view.period.id))
        elif state == FollowUpState.SUBMITTED:
            actions.append(submit(texts.t("follow_up.edit", number=row.goal.number), Verb.OPEN_GOAL, goal_id=row.goal.id, period_id=view.period.id))
    for other in view.open_periods:
        if other.id != view.period.id:
            actions.append(
                submit(
                    texts.t("follow_up.other_period", period=period_label(texts, view.profile, other)),
                    Verb.CHOOSE_PERIOD,
                    unit_id=view.unit.id,
                    period_id=other.id,
                )
            )
    return card(body, actions)


def _overview_row(texts: Any, row: GoalRow) -> Container:
    state = row.follow_up.state if row.follow_up else None
    items: list[CardElement] = [
        TextBlock(text=texts.t("follow_up.goal_line", number=row.goal.number, title=row.goal.title), wrap=True, weight="Bolder"),
        TextBlock(
            text=state_label(texts, state),
            wrap=True,
            spacing="None",
            is_subtle=state not in (FollowUpState.RETURNED,) or None,
            color="Attention" if state == FollowUpState.RETURNED else ("Good" if state == FollowUpState.APPROVED else None),
        ),
    ]
    if state == FollowUpState.RETURNED and row.follow_up and row.follow_up.return_comment:
        items.append(paragraph(texts.t("follow_up.returned_comment", comment=row.follow_up.return_comment)))
    return Container(items=items, separator=True, spacing="Medium")


def build_goal_card(
    texts: Any,
    view: GoalView,
    *,
    notes: Sequence[str] = (),
    pending: Mapping[int, RawMeasurement] | None = None,
    ask_split_confirmation: bool = False,
) -> dict[str, Any]:
    """The per-goal follow-up card. `notes` (sentences: what to fix) are shown at
    the top; `pending` are typed values that could not be saved, shown again so
    nothing the user typed is lost."""
    goal, follow_up, rules = view.goal, view.follow_up, view.profile.requirements
    lang = texts.language
    body: list[CardElement] = [title(texts.t("follow_up.goal_line", number=goal.number, title=goal.title))]
    body.append(paragraph(period_label(texts, view.profile, view.period) + " · " + state_label(texts, follow_up.state), subtle=True))
    if view.parent is not None:
        body.append(paragraph(texts.t("follow_up.card.parent", title=view.parent.title), subtle=True))
    if follow_up.state == FollowUpState.RETURNED and follow_up.return_comment:
        body.append(_attention([texts.t("follow_up.returned_comment", comment=follow_up.return_comment)]))
    if notes:
        body.append(_attention(notes))
    if goal.description:
        body.append(paragraph(goal.description))
    if goal.expected_results:
        body.append(_heading(texts.t("follow_up.card.expected_results")))
        body.extend(TextBlock(text=f"• {r.text}", wrap=True, spacing="Small") for r in goal.expected_results)
    if goal.indicators:
        body.append(_heading(texts.t("follow_up.card.indicators")))
        for indicator in goal.indicators:
            body.extend(_indicator_block(texts, view, indicator, (pending or {}).get(indicator.id), rules.gender_split))
        if ask_split_confirmation:
            body.append(ToggleInput(id="confirm_split", title=texts.t("follow_up.card.confirm_split"), value_on="true", value_off="false"))
    if goal.activities:
        body.append(_heading(texts.t("follow_up.card.activities")))
        for activity in goal.activities:
            dates = texts.t("follow_up.card.activity_dates", start=format_date(activity.start, lang), end=format_date(activity.end, lang))
            body.append(TextBlock(text=f"{activity.title} ({dates})", wrap=True, spacing="Medium"))
            current = follow_up.activity_statuses.get(activity.id, activity.status)
            body.append(
                ChoiceSetInput(
                    id=f"act_{activity.id}",
                    label=texts.t("follow_up.card.activity_status", title=activity.title),
                    choices=[Choice(title=texts.t(f"follow_up.status.{s.value}"), value=s.value) for s in ActivityStatus],
                    value=current.value,
                    style="compact",
                )
            )
    body.append(_fulfilment_input(texts, view.profile, "assessment", texts.t("follow_up.card.assessment"), follow_up.assessment))
    if rules.forecast and not view.period.is_year_end:
        body.append(_fulfilment_input(texts, view.profile, "forecast", texts.t("follow_up.card.forecast"), follow_up.forecast))
    body.append(_text_input("analysis", texts.t("follow_up.card.analysis"), texts.t("follow_up.card.analysis_placeholder"), follow_up.analysis))
    which = "plan" if view.period.is_year_end else "actions"
    body.append(_text_input("actions", texts.t(f"follow_up.card.{which}"), texts.t(f"follow_up.card.{which}_placeholder"), follow_up.actions))
    if rules.cross_sectoral:
        body.append(_heading(texts.t("follow_up.card.cross_sectoral")))
        for perspective in rules.cross_sectoral:
            body.append(
                _text_input(
                    f"cs_{perspective.value}",
                    texts.t(f"follow_up.perspective.{perspective.value}"),
                    texts.t("follow_up.card.cross_sectoral_placeholder"),
                    follow_up.cross_sectoral.get(perspective, ""),
                )
            )
    if rules.resource_use:
        body.append(_text_input("resource_use", texts.t("follow_up.card.resource_use"), texts.t("follow_up.card.resource_use_placeholder"), follow_up.resource_use))
    if follow_up.evidence_note:
        body.append(paragraph(texts.t("follow_up.card.evidence_note", note=follow_up.evidence_note), subtle=True))
    if follow_up.updated_at and view.updated_by_name:
        at = local_time(follow_up.updated_at)
        when = f"{format_date(at.date(), lang)} {at:%H:%M}"
        body.append(paragraph(texts.t("follow_up.version_note", when=when, name=view.updated_by_name), subtle=True))
    ids = _ids(view)
    return _wide(
        card(
            body,
            [
                submit(texts.t("follow_up.card.save"), Verb.SAVE_GOAL, **ids),
                submit(texts.t("follow_up.to_overview"), Verb.OVERVIEW, unit_id=view.unit.id, period_id=view.period.id),
            ],
        )
    )


def build_evidence_card(texts: Any, view: GoalView, conflicts: Sequence[Reason]) -> dict[str, Any]:
    """"Fulfilled" against off-target evidence: confirm and explain, or change it."""
    label = view.profile.label(Fulfilment.FULFILLED, texts.language)
    body: list[CardElement] = [
        title(texts.t("follow_up.evidence.title", label=label)),
        paragraph(texts.t("follow_up.goal_line", number=view.goal.number, title=view.goal.title), subtle=True),
        paragraph(texts.t("follow_up.evidence.intro")),
    ]
    body.extend(TextBlock(text=f"• {conflict_text(texts, view, c)}", wrap=True, spacing="Small") for c in conflicts)
    body.append(paragraph(texts.t("follow_up.evidence.ask")))
    body.append(_text_input("evidence_note", texts.t("follow_up.evidence.label"), "", view.follow_up.evidence_note))
    return _wide(
        card(
            body,
            [
                submit(texts.t("follow_up.evidence.confirm"), Verb.CONFIRM_EVIDENCE, **_ids(view)),
                submit(texts.t("follow_up.evidence.change"), Verb.OPEN_GOAL, goal_id=view.goal.id, period_id=view.period.id),
            ],
        )
    )


def build_review_card(texts: Any, view: GoalView, problems: Mapping[str, str]) -> dict[str, Any]:
    """Everything entered, what is still missing, and submit when nothing is."""
    goal, follow_up, profile = view.goal, view.follow_up, view.profile
    lang = texts.language
    none = texts.t("follow_up.card.no_value")
    body: list[CardElement] = [title(texts.t("follow_up.review.title", number=goal.number, title=goal.title))]
    body.append(paragraph(period_label(texts, profile, view.period) + " · " + state_label(texts, follow_up.state), subtle=True))
    facts: list[Fact] = []
    for indicator in goal.indicators:
        facts.append(Fact(title=indicator.name, value=_measurement_text(texts, indicator, follow_up.indicator_values.get(indicator.id))))
    for activity in goal.activities:
        status = follow_up.activity_statuses.get(activity.id, activity.status)
        facts.append(Fact(title=activity.title, value=texts.t(f"follow_up.status.{status.value}")))
    facts.append(Fact(title=texts.t("follow_up.card.assessment"), value=profile.label(follow_up.assessment, lang) if follow_up.assessment else none))
    if profile.requirements.forecast and not view.period.is_year_end:
        facts.append(Fact(title=texts.t("follow_up.card.forecast"), value=profile.label(follow_up.forecast, lang) if follow_up.forecast else none))
    body.append(FactSet(facts=facts))
    sections = [("follow_up.card.analysis", follow_up.analysis), ("follow_up.card.plan" if view.period.is_year_end else "follow_up.card.actions", follow_up.actions)]
    sections += [(f"follow_up.perspective.{p.value}", follow_up.cross_sectoral.get(p, "")) for p in profile.requirements.cross_sectoral]
    if profile.requirements.resource_use:
        sections.append(("follow_up.card.resource_use", follow_up.resource_use))
    if follow_up.evidence_note:
        sections.append(("follow_up.evidence.label", follow_up.evidence_note))
    for key, text in sections:
        body.append(_heading(texts.t(key)))
        body.append(TextBlock(text=text or none, wrap=True, spacing="Small"))
    if problems:
        body.append(_attention([texts.t("follow_up.review.missing"), *(f"• {describe_problem(texts, view, f, k)}" for f, k in problems.items())]))
        actions = [submit(texts.t("follow_up.review.complete"), Verb.OPEN_GOAL, goal_id=goal.id, period_id=view.period.id)]
    else:
        body.append(paragraph(texts.t("follow_up.review.ready")))
        actions = []
        if follow_up.state in (FollowUpState.DRAFT, FollowUpState.RETURNED):
            actions.append(submit(texts.t("follow_up.review.submit"), Verb.SUBMIT, **_ids(view)))
        if follow_up.state != FollowUpState.APPROVED:
            actions.append(submit(texts.t("follow_up.edit", number=goal.number), Verb.OPEN_GOAL, goal_id=goal.id, period_id=view.period.id))
    actions.append(submit(texts.t("follow_up.to_overview"), Verb.OVERVIEW, unit_id=view.unit.id, period_id=view.period.id))
    return _wide(card(body, actions))


def build_confirmation_card(texts: Any, view: GoalView, next_row: GoalRow | None) -> dict[str, Any]:
    body: list[CardElement] = [
        title(texts.t("follow_up.goal_line", number=view.goal.number, title=view.goal.title)),
        paragraph(
            texts.t(
                "follow_up.submitted",
                number=view.goal.number,
                deadline=format_date(view.period.deadline, texts.language),
            )
        ),
    ]
    actions = []
    if next_row is not None:
        actions.append(submit(texts.t("follow_up.next_goal", number=next_row.goal.number), Verb.OPEN_GOAL, goal_id=next_row.goal.id, period_id=view.period.id))
    else:
        body.append(paragraph(texts.t("follow_up.all_done")))
    actions.append(submit(texts.t("follow_up.to_overview"), Verb.OVERVIEW, unit_id=view.unit.id, period_id=view.period.id))
    return card(body, actions)


# --- pieces --------------------------------------------------------------------


def _wide(built: dict[str, Any]) -> dict[str, Any]:
    """Forms use the full message width in Teams (a Teams-only property, outside
    the Adaptive Card schema; other hosts ignore it)."""
    return {**built, "msteams": TeamsCardProperties(width="full").model_dump(by_alias=True, exclude_none=True)}


def _ids(view: GoalView) -> dict[str, int]:
    return {
        "goal_id": view.goal.id,
        "period_id": view.period.id,
        "follow_up_id": view.follow_up.id,
        "version": view.follow_up.version,
    }


def _indicator(view: GoalView, raw_id: str) -> Indicator | None:
    return next((i for i in view.goal.indicators if str(i.id) == raw_id), None)


def _heading(text: str) -> TextBlock:
    return TextBlock(text=text, size="Medium", weight="Bolder", wrap=True, spacing="Large", separator=True)


def _attention(lines: Sequence[str]) -> Container:
    return Container(
        items=[TextBlock(text=line, wrap=True, color="Attention", spacing="Small") for line in lines],
        style="attention",
        spacing="Medium",
    )


def _text_input(input_id: str, label: str, placeholder: str, value: str) -> TextInput:
    return TextInput(
        id=input_id,
        label=label,
        placeholder=placeholder or None,
        value=value or None,
        is_multiline=True,
        max_length=MAX_TEXT,
    )


def _fulfilment_input(texts: Any, profile: Profile, input_id: str, label: str, value: Fulfilment | None) -> ChoiceSetInput:
    return ChoiceSetInput(
        id=input_id,
        label=label,
        placeholder=texts.t("follow_up.card.choose"),
        choices=[Choice(title=profile.label(f, texts.language), value=f.value) for f in Fulfilment],
        value=value.value if value else None,
        style="expanded",
    )


def _indicator_block(
    texts: Any, view: GoalView, indicator: Indicator, pending: RawMeasurement | None, gender_split: bool
) -> list[CardElement]:
    history = view.history.get(indicator.id)
    stored = view.follow_up.indicator_values.get(indicator.id)
    lines = [texts.t("follow_up.card.target", target=value_text(texts, indicator.target, indicator.unit)) if indicator.target is not None else texts.t("follow_up.card.no_target")]
    if history and history.last is not None and history.last_period is not None and history.last_period != history.last_year_period:
        lines.append(texts.t("follow_up.card.last_value", value=value_text(texts, history.last.total, indicator.unit), period=period_label(texts, view.profile, history.last_period)))
    elif not (history and history.last_year is not None):
        lines.append(texts.t("follow_up.card.no_last_value"))
    if history and history.last_year is not None and history.last_year_period is not None:
        lines.append(texts.t("follow_up.card.last_year", value=value_text(texts, history.last_year.total, indicator.unit), period=period_label(texts, view.profile, history.last_year_period)))
        current = stored.total if stored else None
        if current is not None and history.last_year.total is not None:
            lines.append(_movement(texts, current - history.last_year.total, indicator.unit))
    elements: list[CardElement] = [
        TextBlock(text=indicator.name, wrap=True, weight="Bolder", spacing="Medium"),
        TextBlock(text=" · ".join(lines), wrap=True, is_subtle=True, spacing="None"),
    ]
    parts = ["total", "women", "men"] if gender_split and indicator.gender_split else ["total"]
    for part in parts:
        typed = getattr(pending, part) if pending else None
        saved = getattr(stored, part) if stored else None
        label = (
            texts.t("follow_up.card.value_total", name=indicator.name, unit=indicator.unit)
            if part == "total"
            else texts.t(f"follow_up.card.value_{part}")
        )
        elements.append(
            TextInput(
                id=f"ind_{indicator.id}_{part}",
                label=label,
                placeholder=texts.t("follow_up.card.value_placeholder"),
                value=typed if typed is not None else (format_number(saved, texts.language, decimals=4) if saved is not None else None),
                max_length=MAX_VALUE_TEXT,
            )
        )
    return elements


def _movement(texts: Any, delta: float, unit: str) -> str:
    if abs(delta) < 1e-9:
        return texts.t("follow_up.card.movement_none")
    key = "follow_up.card.movement_up" if delta > 0 else "follow_up.card.movement_down"
    return texts.t(key, delta=value_text(texts, abs(delta), unit))


def _measurement_text(texts: Any, indicator: Indicator, value: Measurement | None) -> str:
    if value is None or value.total is None:
        return texts.t("follow_up.card.no_value")
    text = value_text(texts, value.total, indicator.unit)
    if value.women is not None or value.men is not None:
        women = value_text(texts, value.women, indicator.unit)
        men = value_text(texts, value.men, indicator.unit)
        text += f" ({texts.t('follow_up.card.value_women')} {women}, {texts.t('follow_up.card.value_men')} {men})"
    return text
