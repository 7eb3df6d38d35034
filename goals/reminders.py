"""Reminders before (and just after) reporting deadlines, as pure rules.

Everything here is standard library and deterministic: the scheduler (bot/scheduler.py)
loads the data, passes an `is_working_day(date) -> bool` built from the Swedish
public holidays (bot/working_days.py) and records what it sends in the ledger.

The rules, and why:
- A policy says how many days before a period's deadline people are reminded
  (default 14, 7, 2, on the day, and 2 days after: offsets 14, 7, 2, 0, -2) and at
  what local time (default 09:00 Europe/Stockholm). An administration may have its
  own policy (`policy_for` picks the nearest configured node above a unit).
- Reminders go out on working days only. One that falls on a weekend or holiday
  moves to the PREVIOUS working day when it is a before-or-on-the-deadline reminder
  (a deadline reminder on Midsommarafton or Christmas Day must come before the
  deadline, never after it), and to the NEXT working day when it is an after-the-
  deadline reminder (it is about lateness, so it must not come early). Each message
  names the deadline date itself, so a moved reminder never misstates it.
- When two reminders of a period land on the same day after moving, only the one
  nearer the deadline is kept: nobody gets two reminders for one period in a day.
- A reminder goes to the people who report for a goal (the unit managers of the
  goal's owner, else the department heads of the owner) and only while they still
  have something to report for that period: it lists exactly those goals.
- One message per (person, period, kind): a person managing three units gets one
  reminder for the period listing the goals of all three.
- A pass that runs late (the bot was down) sends only the newest due reminder of
  each (person, period), not a burst of stale ones, and nothing older than
  `STALE_AFTER`: a "14 days left" arriving after the deadline would be wrong.
- "Påminn mig i morgon" (snooze) asks again on the next working day at the
  policy's time.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from goals.model import FollowUpState, Period

WorkingDay = Callable[[date], bool]

DEFAULT_OFFSETS: tuple[int, ...] = (14, 7, 2, 0, -2)
DEFAULT_TIME = time(9, 0)
DEFAULT_TIMEZONE = "Europe/Stockholm"
# A due reminder older than this is not sent any more (see the module docstring).
STALE_AFTER = timedelta(days=5)  # covers a long weekend (Easter: Thursday → Tuesday)
# No stretch of non-working days in Sweden is this long; a calendar that claims one is broken.
_MAX_SHIFT_DAYS = 31
_REPORTED = (FollowUpState.SUBMITTED, FollowUpState.APPROVED)


class ReminderConfigError(ValueError):
    """A reminder configuration that cannot be used; the message names the field."""


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    offsets: tuple[int, ...] = DEFAULT_OFFSETS  # days before the deadline; negative = after
    send_at: time = DEFAULT_TIME  # local wall-clock time
    timezone: str = DEFAULT_TIMEZONE

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def kind_for(offset: int) -> str:
    """The ledger's name of a reminder: "before_14", "deadline", "after_2"."""
    if offset > 0:
        return f"before_{offset}"
    if offset == 0:
        return "deadline"
    return f"after_{-offset}"


SNOOZE_PREFIX = "snooze_"


def snooze_kind(day: date) -> str:
    """A snoozed reminder's kind names its day, so snoozing twice makes two reminders."""
    return f"{SNOOZE_PREFIX}{day.isoformat()}"


# --- configuration --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderConfig:
    """The default policy and the policies of administrations (by org node code)."""

    default: ReminderPolicy = ReminderPolicy()
    by_code: Mapping[str, ReminderPolicy] = field(default_factory=dict)

    def policy_for(self, codes_nearest_first: Iterable[str]) -> ReminderPolicy:
        """The policy of the nearest node (the unit, its department, its
        administration …) that has one configured; else the default."""
        for code in codes_nearest_first:
            if code in self.by_code:
                return self.by_code[code]
        return self.default


def parse_config(text: str, *, source: str = "reminders.toml") -> ReminderConfig:
    """Read a reminders file:

        [default]
        offsets = [14, 7, 2, 0, -2]   # days before the deadline; 0 = on the day; -2 = two days after
        time = "09:00"
        timezone = "Europe/Stockholm"

        [administration.NORRA]        # an org node code; its whole subtree
        offsets = [10, 3, 0]
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ReminderConfigError(f"{source}: not valid TOML ({exc})") from None
    unknown = set(data) - {"default", "administration"}
    if unknown:
        raise ReminderConfigError(f"{source}: unknown section {sorted(unknown)[0]!r} (known: default, administration)")
    default = _policy(data.get("default", {}), f"{source} [default]", ReminderPolicy())
    by_code = {
        str(code): _policy(section, f"{source} [administration.{code}]", default)
        for code, section in _table(data.get("administration", {}), f"{source} [administration]").items()
    }
    return ReminderConfig(default=default, by_code=by_code)


def _table(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise ReminderConfigError(f"{where}: expected a table")
    return value


def _policy(value: object, where: str, base: ReminderPolicy) -> ReminderPolicy:
    data = _table(value, where)
    unknown = set(data) - {"offsets", "time", "timezone"}
    if unknown:
        raise ReminderConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} (known: offsets, time, timezone)")
    offsets = base.offsets
    if "offsets" in data:
        raw = data["offsets"]
        if (
            not isinstance(raw, list)
            or not raw
            or any(isinstance(o, bool) or not isinstance(o, int) or not -60 <= o <= 120 for o in raw)
        ):
            raise ReminderConfigError(f"{where}.offsets: expected a non-empty list of whole days from -60 to 120")
        if len(set(raw)) != len(raw):
            raise ReminderConfigError(f"{where}.offsets: a day is listed twice")
        offsets = tuple(sorted(raw, reverse=True))
    send_at = base.send_at
    if "time" in data:
        try:
            send_at = time.fromisoformat(str(data["time"]))
        except ValueError:
            raise ReminderConfigError(f'{where}.time: expected a local time like "09:00"') from None
    timezone = base.timezone
    if "timezone" in data:
        timezone = str(data["timezone"])
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ReminderConfigError(f"{where}.timezone: unknown time zone {timezone!r}") from None
    return ReminderPolicy(offsets=offsets, send_at=send_at, timezone=timezone)


# --- when -------------------------------------------------------------------------


def delivery_day(deadline: date, offset: int, is_working_day: WorkingDay) -> date:
    """The working day a reminder `offset` days before `deadline` goes out on."""
    day = deadline - timedelta(days=offset)
    step = timedelta(days=-1 if offset >= 0 else 1)
    for _ in range(_MAX_SHIFT_DAYS):
        if is_working_day(day):
            return day
        day += step
    raise ValueError(f"no working day within {_MAX_SHIFT_DAYS} days of {deadline - timedelta(days=offset)}")


@dataclass(frozen=True, slots=True)
class Slot:
    """One reminder moment of a period."""

    period: Period
    kind: str
    offset: int
    at: datetime  # aware, in the policy's time zone


def period_slots(period: Period, policy: ReminderPolicy, is_working_day: WorkingDay) -> list[Slot]:
    """The reminder moments of a period, earliest first; of two landing on the same
    day the one nearer (or after) the deadline is kept."""
    by_day: dict[date, int] = {}
    for offset in sorted(policy.offsets, reverse=True):  # far before → after
        by_day[delivery_day(period.deadline, offset, is_working_day)] = offset  # later offset wins the day
    zone = policy.zone
    return sorted(
        (
            Slot(period=period, kind=kind_for(offset), offset=offset, at=datetime.combine(day, policy.send_at, zone))
            for day, offset in by_day.items()
        ),
        key=lambda s: s.at,
    )


def next_delivery(after: datetime, policy: ReminderPolicy, is_working_day: WorkingDay) -> datetime:
    """"Påminn mig i morgon": the next working day after `after`'s local date, at the policy's time."""
    day = after.astimezone(policy.zone).date() + timedelta(days=1)
    for _ in range(_MAX_SHIFT_DAYS):
        if is_working_day(day):
            return datetime.combine(day, policy.send_at, policy.zone)
        day += timedelta(days=1)
    raise ValueError(f"no working day within {_MAX_SHIFT_DAYS} days after {after.date()}")


# --- who and what -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outstanding:
    """A goal whose follow-up for a period is not submitted or approved yet."""

    goal_id: int
    goal_number: int
    goal_title: str
    unit_id: int  # the goal's owner
    unit_name: str
    period_id: int
    state: FollowUpState | None  # None = not started


def is_outstanding(state: FollowUpState | str | None) -> bool:
    """A returned follow-up is to report again; a draft is not reported yet."""
    return state is None or FollowUpState(state) not in _REPORTED


@dataclass(frozen=True, slots=True)
class Reminder:
    person_id: int
    period: Period
    kind: str
    at: datetime
    items: tuple[Outstanding, ...]  # by unit name, goal number

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.person_id, self.period.id, self.kind)

    @property
    def unit_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(item.unit_id for item in self.items))

    @property
    def is_late(self) -> bool:
        return self.kind.startswith("after_") or self.at.date() > self.period.deadline


def by_person(
    *, periods: Sequence[Period], outstanding: Sequence[Outstanding], reporters: Mapping[int, Sequence[int]]
) -> dict[tuple[int, int], tuple[Outstanding, ...]]:
    """(person, open period) → what that person still has to report for it, by
    unit name and goal number."""
    open_ids = {p.id for p in periods if p.is_open}
    items: dict[tuple[int, int], list[Outstanding]] = {}
    for item in outstanding:
        if item.period_id not in open_ids or not is_outstanding(item.state):
            continue
        for person_id in reporters.get(item.unit_id, ()):
            items.setdefault((person_id, item.period_id), []).append(item)
    return {
        key: tuple(sorted(found, key=lambda i: (i.unit_name, i.unit_id, i.goal_number, i.goal_id)))
        for key, found in items.items()
    }


def plan(
    *,
    periods: Sequence[Period],
    outstanding: Sequence[Outstanding],
    reporters: Mapping[int, Sequence[int]],
    policy_for_unit: Callable[[int], ReminderPolicy],
    is_working_day: WorkingDay,
    start: datetime,
    end: datetime,
) -> list[Reminder]:
    """Every reminder with start <= at < end, given who still has what to report
    now (`outstanding`) and who reports for each unit (`reporters`: unit id →
    person ids). Sorted by time, person, period."""
    periods_by_id = {p.id: p for p in periods if p.is_open}
    slot_cache: dict[tuple[int, ReminderPolicy], list[Slot]] = {}
    reminders: list[Reminder] = []
    for (person_id, period_id), found in by_person(periods=periods, outstanding=outstanding, reporters=reporters).items():
        # One policy per (person, period): the one of the first unit listed.
        policy = policy_for_unit(found[0].unit_id)
        cache_key = (period_id, policy)
        if cache_key not in slot_cache:
            slot_cache[cache_key] = period_slots(periods_by_id[period_id], policy, is_working_day)
        for slot in slot_cache[cache_key]:
            if start <= slot.at < end:
                reminders.append(
                    Reminder(person_id=person_id, period=slot.period, kind=slot.kind, at=slot.at, items=found)
                )
    reminders.sort(key=lambda r: (r.at, r.person_id, r.period.start, r.period.id))
    return reminders


def due_now(
    *,
    periods: Sequence[Period],
    outstanding: Sequence[Outstanding],
    reporters: Mapping[int, Sequence[int]],
    policy_for_unit: Callable[[int], ReminderPolicy],
    is_working_day: WorkingDay,
    now: datetime,
) -> list[Reminder]:
    """What a pass at `now` should send (unless the ledger has it already): for each
    (person, period) the newest reminder due in the last STALE_AFTER, if any."""
    candidates = plan(
        periods=periods,
        outstanding=outstanding,
        reporters=reporters,
        policy_for_unit=policy_for_unit,
        is_working_day=is_working_day,
        start=now - STALE_AFTER,
        end=now + timedelta(microseconds=1),
    )
    newest: dict[tuple[int, int], Reminder] = {}
    for reminder in candidates:  # sorted by time: a later one replaces an earlier one
        newest[(reminder.person_id, reminder.period.id)] = reminder
    return sorted(newest.values(), key=lambda r: (r.at, r.person_id, r.period.id))
