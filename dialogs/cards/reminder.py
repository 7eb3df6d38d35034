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
    return ReminderCards(texts, kind=kind, period_name=period_name, deadline=deadline, sent_on=sent_on).build(items)


class ReminderCards:
    """The reminder cards of one language, kind, period and day. A pass sends
    thousands that differ only in their goal lines: what they share (title, intro,
    button labels, the shape of each line) is built once through the card models,
    and each card is then filled in with plain dicts of the same shape, a fraction
    of the cost of building and dumping the models per person."""

    def __init__(self, texts: Texts, *, kind: str, period_name: str, deadline: date, sent_on: date) -> None:
        self._texts = texts
        shared = card(
            [title(reminder_title(texts, kind=kind, period_name=period_name, deadline=deadline, sent_on=sent_on)),
             paragraph(texts.t("reminders.intro")),
             TextBlock(text="", weight="Bolder", wrap=True, spacing="Medium"),
             TextBlock(text="", wrap=True, spacing="Small"),
             paragraph("", subtle=True)],
            [submit(texts.t("reminders.report_now"), "report"), submit(texts.t("reminders.snooze"), "snooze")],
        )
        *head, self._unit_line, self._goal_line, self._more_line = shared["body"]
        self._envelope = {key: value for key, value in shared.items() if key not in ("body", "actions")}
        self._head = head
        self._report, self._snooze = shared["actions"]
        self._states = {state: texts.t(key) for state, key in _STATE_KEYS.items()}
        self._draft = texts.t("reminders.state_draft")

    def build(self, items: Sequence[Outstanding]) -> dict[str, Any]:
        if not items:
            raise ValueError("a reminder lists at least one goal")
        texts = self._texts
        body: list[dict[str, Any]] = [dict(block) for block in self._head]
        unit = None
        for item in items[:MAX_GOALS_LISTED]:
            if item.unit_id != unit:
                unit = item.unit_id
                body.append({**self._unit_line, "text": item.unit_name})
            state = self._states.get(item.state and FollowUpState(item.state), self._draft)
            body.append({**self._goal_line, "text": texts.t("reminders.goal", number=item.goal_number,
                                                            title=item.goal_title, state=state)})
        if len(items) > MAX_GOALS_LISTED:
            body.append({**self._more_line, "text": texts.t("reminders.more", count=len(items) - MAX_GOALS_LISTED)})
        actions = [
            {**self._report, "data": {"verb": "report", **report_data(items)}},
            {**self._snooze, "data": {"verb": "snooze", "period_id": items[0].period_id}},
        ]
        return {**self._envelope, "body": body, "actions": actions}
