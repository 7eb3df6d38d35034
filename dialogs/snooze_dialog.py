""""Påminn mig i morgon": the reminder card's button (verb "snooze" with the
period id) or the typed phrase asks for the person's current reminders again on
the next working day. The dialog only talks; the ledger write is the injected
`snooze` function's (bot/scheduler.py), so no database session is touched here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from dialogs.formatting import format_date
from dialogs.turn_state import actor_of, texts_of
from goals.model import Person

SNOOZE_DIALOG_ID = "snooze"
MAX_ID = 2**31 - 1

# (person, the periods asked about or None for "my current reminders") → when, or
# None when nothing is left to report.
Snoozer = Callable[[Person, list[int] | None], Awaitable[datetime | None]]


class SnoozeDialog(Dialog):
    def __init__(self, *, snooze: Snoozer) -> None:
        super().__init__(SNOOZE_DIALOG_ID)
        self._snooze = snooze

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        context = dialog_context.context
        texts = texts_of(context)
        period_id = options.get("period_id") if isinstance(options, dict) else None
        # Card data is untrusted: anything but a plausible id means "my current
        # reminders" (the snoozer only ever snoozes the person's own reminders).
        periods = [period_id] if isinstance(period_id, int) and not isinstance(period_id, bool) and 0 < period_id <= MAX_ID else None
        until = await self._snooze(actor_of(context).person, periods)
        if until is None:
            await context.send_activity(texts.t("reminders.nothing_to_snooze"))
        else:
            await context.send_activity(
                texts.t("reminders.snoozed", day=format_date(until.date(), texts.language), time=until.strftime("%H:%M"))
            )
        return await dialog_context.end_dialog()
