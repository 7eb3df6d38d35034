"""The reminder card: what is still to report for a period, by unit, with
"Rapportera nu" (starts the follow-up dialog: verb "report" with the ids) and
"Påminn mig i morgon" (verb "snooze" with the period id)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from microsoft_teams.cards import TextBlock

from dialogs.cards.common import card, paragraph, submit, title
from dialogs.formatting import format_date
from dialogs.texts import Texts
from goals.model import FollowUpState
from goals.reminders import Outstanding

MAX_GOALS_LISTED = 15  # a reminder is a nudge, not the overview: the card stays small

_STATE_KEYS = {
    None: "reminders.state_none",
    FollowUpState.DRAFT: "reminders.state_draft",
    FollowUpState.RETURNED: "reminders.state_returned",
}


def reminder_title(texts: Texts, *, kind: str, period_name: str, deadline: date, sent_on: date) -> str:
    when = format_date(deadline, texts.language)
    if kind.startswith("after_") or sent_on > deadline:
        return texts.t("reminders.title_after", period=period_name, deadline=when)
    if kind == "deadline":
        # Moved to the working day before a weekend/holiday deadline: say the date.
        key = "reminders.title_deadline" if sent_on == deadline else "reminders.title_deadline_moved"
        return texts.t(key, period=period_name, deadline=when)
    return texts.t("reminders.title_before", period=period_name, deadline=when)


def report_data(items: Sequence[Outstanding]) -> dict[str, Any]:
    """What "Rapportera nu" sends: one goal opens that goal's follow-up; several
    goals of one unit open the unit's overview for the period; goals of several
    units let the dialog ask which unit first."""
    period_id = items[0].period_id
    if len(items) == 1:
        return {"goal_id": items[0].goal_id, "period_id": period_id}
    units = {item.unit_id for item in items}
    if len(units) == 1:
        return {"unit_id": items[0].unit_id, "period_id": period_id}
    return {"period_id": period_id}


def build_reminder_card(
    texts: Texts, *, kind: str, period_name: str, deadline: date, sent_on: date, items: Sequence[Outstanding]
) -> dict[str, Any]:
    if not items:
        raise ValueError("a reminder lists at least one goal")
    body: list[Any] = [
        title(reminder_title(texts, kind=kind, period_name=period_name, deadline=deadline, sent_on=sent_on)),
        paragraph(texts.t("reminders.intro")),
    ]
    unit = None
    for item in items[:MAX_GOALS_LISTED]:
        if item.unit_id != unit:
            unit = item.unit_id
            body.append(TextBlock(text=item.unit_name, weight="Bolder", wrap=True, spacing="Medium"))
        state = texts.t(_STATE_KEYS.get(item.state and FollowUpState(item.state), "reminders.state_draft"))
        body.append(
            TextBlock(text=texts.t("reminders.goal", number=item.goal_number, title=item.goal_title, state=state),
                      wrap=True, spacing="Small")
        )
    if len(items) > MAX_GOALS_LISTED:
        body.append(paragraph(texts.t("reminders.more", count=len(items) - MAX_GOALS_LISTED), subtle=True))
    actions = [
        submit(texts.t("reminders.report_now"), "report", **report_data(items)),
        submit(texts.t("reminders.snooze"), "snooze", period_id=items[0].period_id),
    ]
    return card(body, actions)
