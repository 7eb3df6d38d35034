"""The approval card: a submitted follow-up in brief for the approver, with its
evidence, and the buttons Godkänn / Skicka tillbaka (the latter needs a comment).

After a decision the same card is sent again as an update of the message (no
input, no buttons, who decided and when), so nobody acts on it twice. The buttons
carry the follow-up's id and the version the approver saw: the server refuses a
decision on anything else (goals.services), whatever the card claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from microsoft_teams.cards import CardElement, Container, Fact, FactSet, SubmitAction, TextBlock, TextInput

from dialogs.cards.common import card, paragraph, title
from dialogs.cards.overview import period_name
from dialogs.cards.status import measured
from dialogs.formatting import format_date
from dialogs.texts import Texts
from goals.assessment import evidence_conflicts
from goals.model import ActivityStatus, FollowUp, Fulfilment, Goal
from goals.profiles import Profile
from goals.services.approval_view import ApprovalView
from goals.status import is_off_target

APPROVAL_VERB = "approval"
APPROVE, RETURN = "approve", "return"
COMMENT_INPUT = "comment"
COMMENT_MAX = 2000
TEXT_MAX = 1200  # analysis/actions shown on the card; the rest is in the follow-up


@dataclass(frozen=True, slots=True)
class Decided:
    """How a card ends: approved/returned (by whom, when, comment) or superseded."""

    kind: str  # "approved" | "returned" | "superseded"
    name: str = ""
    on: date | None = None
    comment: str = ""


def build_approval_card(texts: Texts, view: ApprovalView, *, today: date, decided: Decided | None = None,
                        note: str | None = None) -> dict[str, Any]:
    """The card with buttons, or (with `decided`) its final form. `note`: a line on top
    (e.g. "the follow-up changed since the card was sent")."""
    body: list[CardElement] = []
    if note:
        body.append(TextBlock(text=note, wrap=True, color="Warning", weight="Bolder"))
    body.extend(_brief(texts, view, today))
    if decided is not None:
        body.append(_decided_line(texts, decided))
        return card(body)
    body.append(
        TextInput(
            id=COMMENT_INPUT,
            label=texts.t("approvals.comment"),
            placeholder=texts.t("approvals.comment_placeholder"),
            is_multiline=True,
            max_length=COMMENT_MAX,
            error_message=texts.t("approvals.comment_required"),
        )
    )
    ids = {"verb": APPROVAL_VERB, "follow_up_id": view.follow_up.id, "version": view.follow_up.version}
    actions = [
        # Approving needs no comment, so it does not carry (or validate) the input.
        SubmitAction(title=texts.t("approvals.approve"), style="positive", associated_inputs="none",
                     data={**ids, "decision": APPROVE}),
        SubmitAction(title=texts.t("approvals.return"), style="destructive", data={**ids, "decision": RETURN}),
    ]
    return card(body, actions)


def _brief(texts: Texts, view: ApprovalView, today: date) -> list[CardElement]:
    lang = texts.language
    follow_up, goal = view.follow_up, view.goal
    goal_line = texts.t("questions.goal", number=goal.number, title=goal.title) if goal.number else goal.title
    submitted = follow_up.submitted_at.date() if follow_up.submitted_at else today
    items: list[CardElement] = [
        title(texts.t("approvals.title")),
        TextBlock(text=goal_line, weight="Bolder", wrap=True),
        paragraph(texts.t("approvals.unit_period", unit=view.unit.name, period=period_name(texts, view.period)),
                  subtle=True),
        paragraph(texts.t("approvals.submitted_by", author=view.author_name, date=format_date(submitted, lang)),
                  subtle=True),
    ]
    facts = [Fact(title=texts.t("approvals.assessment"), value=_label(texts, view.profile, follow_up.assessment))]
    if view.profile.requirements.forecast and not view.period.is_year_end:
        facts.append(Fact(title=texts.t("approvals.forecast"), value=_label(texts, view.profile, follow_up.forecast)))
    items.append(FactSet(facts=facts))
    if goal.indicators:
        items.append(_section(texts.t("approvals.indicators")))
        items.extend(_indicator_line(texts, goal, follow_up, i) for i in goal.indicators)
    if goal.activities:
        items.append(_section(texts.t("approvals.activities")))
        for activity in goal.activities:
            status = follow_up.activity_statuses.get(activity.id, activity.status)
            name = texts.t(f"follow_up.status.{ActivityStatus(status).value}")
            items.append(_line(texts.t("approvals.activity", title=activity.title, status=name),
                               attention=status == ActivityStatus.DELAYED))
    items.append(_section(texts.t("approvals.analysis")))
    items.append(paragraph(_shortened(texts, follow_up.analysis)))
    if follow_up.actions.strip() or follow_up.assessment in (Fulfilment.PARTLY, Fulfilment.NOT):
        items.append(_section(texts.t("approvals.actions")))
        items.append(paragraph(_shortened(texts, follow_up.actions)))
    if follow_up.evidence_note.strip():
        items.append(_section(texts.t("approvals.evidence_note")))
        items.append(paragraph(_shortened(texts, follow_up.evidence_note)))
    elif evidence_conflicts(goal, follow_up, today):
        # The Malmö audit: a "fulfilled" claim against off-target evidence deserves a question.
        items.append(_line(texts.t("approvals.evidence_question"), attention=True))
    return [Container(items=items)]


def _decided_line(texts: Texts, decided: Decided) -> TextBlock:
    when = format_date(decided.on, texts.language) if decided.on else ""
    match decided.kind:
        case "approved":
            return TextBlock(text=texts.t("approvals.decided.approved", name=decided.name, date=when), wrap=True,
                             color="Good", weight="Bolder", separator=True)
        case "returned":
            return TextBlock(text=texts.t("approvals.decided.returned", name=decided.name, date=when,
                                          comment=decided.comment), wrap=True, color="Attention", weight="Bolder",
                             separator=True)
    return TextBlock(text=texts.t("approvals.decided.superseded"), wrap=True, is_subtle=True, separator=True)


def _indicator_line(texts: Texts, goal: Goal, follow_up: FollowUp, indicator) -> TextBlock:
    measurement = follow_up.indicator_values.get(indicator.id)
    value = measurement.total if measurement else None
    if value is None:
        return _line(texts.t("approvals.indicator_missing", name=indicator.name), attention=True)
    shown = measured(texts, value, indicator)
    if indicator.target is None:
        return _line(texts.t("approvals.indicator_no_target", name=indicator.name, value=shown))
    line = texts.t("approvals.indicator", name=indicator.name, value=shown,
                   target=measured(texts, indicator.target, indicator))
    off = is_off_target(indicator, value)
    return _line(f"{line} – {texts.t('approvals.indicator_off')}" if off else line, attention=off)


def _label(texts: Texts, profile: Profile, value: Fulfilment | None) -> str:
    return profile.label(Fulfilment(value), texts.language) if value else texts.t("approvals.none")


def _shortened(texts: Texts, text: str) -> str:
    text = text.strip()
    if not text:
        return texts.t("approvals.empty_text")
    return text if len(text) <= TEXT_MAX else text[:TEXT_MAX].rstrip() + " " + texts.t("approvals.truncated")


def _section(text: str) -> TextBlock:
    return TextBlock(text=text, weight="Bolder", wrap=True, spacing="Medium")


def _line(text: str, *, attention: bool = False) -> TextBlock:
    return TextBlock(text="• " + text, wrap=True, spacing="Small", color="Attention" if attention else None)


def build_outcome_card(texts: Texts, view: ApprovalView, *, approved: bool, approver: str, comment: str = "") -> dict[str, Any]:
    """To the unit manager: the decision, the comment, and a button into the follow-up."""
    params = {"approver": approver, "goal": view.goal.title, "unit": view.unit.name,
              "period": period_name(texts, view.period)}
    body: list[CardElement] = [
        title(texts.t("approvals.outcome.approved_title" if approved else "approvals.outcome.returned_title")),
        paragraph(texts.t("approvals.outcome.approved" if approved else "approvals.outcome.returned", **params)),
    ]
    if comment:
        body.append(TextBlock(text=texts.t("approvals.outcome.comment", comment=comment), wrap=True,
                              weight="Bolder" if not approved else None))
    button = SubmitAction(
        title=texts.t("approvals.outcome.open"),
        data={"verb": "report", "unit_id": view.unit.id, "goal_id": view.goal.id, "period_id": view.period.id},
    )
    return card(body, [button])
