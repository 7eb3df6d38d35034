"""The reminder plan: when reminders go out (working days, Swedish holidays, local
time), to whom and listing what, and what a pass sends when it runs late."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.working_days import holiday_name, is_working_day
from goals.model import FollowUpState, Period
from goals.periods import periods_for_year
from goals.profiles import available_profiles, load_profile
from goals.reminders import (
    Outstanding,
    ReminderConfig,
    ReminderConfigError,
    ReminderPolicy,
    delivery_day,
    due_now,
    kind_for,
    next_delivery,
    parse_config,
    period_slots,
    plan,
)

STHLM = ZoneInfo("Europe/Stockholm")
POLICY = ReminderPolicy()


def period(pid: int, deadline: date, *, kind: str = "T1", is_open: bool = True) -> Period:
    return Period(id=pid, root_id=1, kind=kind, year=deadline.year, start=date(deadline.year, 1, 1),
                  end=deadline - timedelta(days=1), deadline=deadline, is_open=is_open)


def slots_by_kind(p: Period, policy: ReminderPolicy = POLICY) -> dict[str, datetime]:
    return {s.kind: s.at for s in period_slots(p, policy, is_working_day)}


# --- a whole year per profile ------------------------------------------------------


@pytest.mark.parametrize("profile_key", available_profiles())
def test_whole_year_plan_of_every_profile_lands_on_working_days_at_nine(profile_key):
    profile = load_profile(profile_key)
    periods = periods_for_year(profile, root_id=1, year=2025) + periods_for_year(profile, root_id=1, year=2026)
    seen_days = 0
    for i, p in enumerate(periods, start=1):
        p = Period(**{**{f: getattr(p, f) for f in p.__slots__}, "id": i})
        slots = period_slots(p, POLICY, is_working_day)
        assert slots, p
        days = [s.at.date() for s in slots]
        assert len(days) == len(set(days)), f"two reminders on one day for {p.kind} {p.year}"
        for s in slots:
            assert is_working_day(s.at.date()), (p.kind, s.kind, s.at, holiday_name(s.at.date()))
            assert s.at.timetz().replace(tzinfo=None) == time(9, 0) and s.at.tzinfo == STHLM
            if s.offset >= 0:
                assert s.at.date() <= p.deadline, "a reminder before the deadline never comes after it"
                assert (p.deadline - s.at.date()).days >= s.offset
            else:
                assert s.at.date() > p.deadline
        seen_days += len(slots)
    assert seen_days >= 3 * len(periods)


def test_stockholm_t1_2026_deadline_on_a_sunday_moves_the_reminders_back():
    t1 = next(p for p in periods_for_year(load_profile("stockholm_ils"), root_id=1, year=2026) if p.kind == "T1")
    assert t1.deadline == date(2026, 5, 10)  # a Sunday
    got = {k: at.date() for k, at in slots_by_kind(t1).items()}
    assert got == {
        "before_14": date(2026, 4, 24),  # 26 April is a Sunday → Friday
        "before_7": date(2026, 4, 30),  # 3 May is a Sunday → Thursday (Valborg is a half day: working); 1 May is a holiday
        "deadline": date(2026, 5, 8),  # Friday before the Sunday deadline; "2 days before" (also the 8th) is merged into it
        "after_2": date(2026, 5, 12),
    }


def test_deadline_on_midsommarafton_is_reminded_the_day_before():
    got = {k: at.date() for k, at in slots_by_kind(period(1, date(2026, 6, 19))).items()}
    assert holiday_name(date(2026, 6, 19)) == "Midsommarafton"
    assert got["deadline"] == date(2026, 6, 18)
    assert got["before_2"] == date(2026, 6, 17)
    assert got["after_2"] == date(2026, 6, 22)  # Sunday 21 → Monday (Midsommardagen the 20th)


def test_christmas_deadline_comes_before_julafton_and_lateness_after_the_holidays():
    got = {k: at.date() for k, at in slots_by_kind(period(1, date(2026, 12, 25))).items()}
    assert got["deadline"] == date(2026, 12, 23)  # 25th Juldagen, 24th Julafton
    assert "before_2" not in got  # 23 December too: one reminder that day
    assert got["after_2"] == date(2026, 12, 28)  # Sunday 27th → Monday


def test_new_year_lateness_skips_nyarsafton_and_nyarsdagen():
    assert delivery_day(date(2026, 12, 29), -2, is_working_day) == date(2027, 1, 4)  # 31st, 1st, weekend


def test_nine_o_clock_local_is_the_same_wall_time_in_winter_and_summer():
    winter = slots_by_kind(period(1, date(2026, 2, 10)))["deadline"]
    summer = slots_by_kind(period(2, date(2026, 9, 10)))["deadline"]
    assert (winter.astimezone(ZoneInfo("UTC")).hour, summer.astimezone(ZoneInfo("UTC")).hour) == (8, 7)


def test_kinds_are_named_by_offset():
    assert [kind_for(o) for o in (14, 2, 0, -2)] == ["before_14", "before_2", "deadline", "after_2"]


# --- who and what ------------------------------------------------------------------


def item(goal_id: int, unit_id: int, period_id: int = 1, state=None, unit_name: str | None = None) -> Outstanding:
    return Outstanding(goal_id=goal_id, goal_number=goal_id, goal_title=f"Mål {goal_id}", unit_id=unit_id,
                       unit_name=unit_name or f"Enhet {unit_id}", period_id=period_id, state=state)


def run_plan(periods, outstanding, reporters, start, end, config=ReminderConfig()):
    return plan(periods=periods, outstanding=outstanding, reporters=reporters,
                policy_for_unit=lambda unit_id: config.policy_for([f"U{unit_id}"]),
                is_working_day=is_working_day, start=start, end=end)


def test_only_people_with_something_to_report_get_one_reminder_per_period_listing_exactly_that():
    p = period(1, date(2026, 3, 10))  # Tuesday
    outstanding = [
        item(1, 10, unit_name="Solrosen"),
        item(2, 10, state=FollowUpState.SUBMITTED, unit_name="Solrosen"),  # reported: not listed
        item(3, 20, state=FollowUpState.RETURNED, unit_name="Blåklinten"),  # returned: to report again
        item(4, 30, state=FollowUpState.APPROVED),  # unit 30 is done: its manager gets nothing
        item(5, 40, state=FollowUpState.DRAFT),  # nobody reports for unit 40
    ]
    reporters = {10: [100], 20: [100, 200], 30: [300]}
    day = datetime(2026, 3, 10, 0, tzinfo=STHLM)
    reminders = run_plan([p], outstanding, reporters, day, day + timedelta(days=1))
    assert [(r.person_id, r.kind) for r in reminders] == [(100, "deadline"), (200, "deadline")]
    anna, bo = reminders
    assert [(i.unit_name, i.goal_id) for i in anna.items] == [("Blåklinten", 3), ("Solrosen", 1)]
    assert [i.goal_id for i in bo.items] == [3]
    assert anna.at == datetime(2026, 3, 10, 9, tzinfo=STHLM)


def test_closed_periods_get_no_reminders():
    p = period(1, date(2026, 3, 10), is_open=False)
    start = datetime(2026, 1, 1, tzinfo=STHLM)
    assert run_plan([p], [item(1, 10)], {10: [1]}, start, start + timedelta(days=365)) == []


def test_an_administration_may_have_its_own_offsets_and_time():
    config = parse_config('[default]\noffsets=[7,0]\n[administration.U20]\noffsets=[3]\ntime="08:30"\n')
    p = period(1, date(2026, 3, 10))
    start = datetime(2026, 1, 1, tzinfo=STHLM)
    reminders = run_plan([p], [item(1, 10), item(2, 20)], {10: [1], 20: [2]}, start, start + timedelta(days=365), config)
    assert [(r.person_id, r.kind, r.at) for r in reminders] == [
        (1, "before_7", datetime(2026, 3, 3, 9, tzinfo=STHLM)),
        (2, "before_3", datetime(2026, 3, 6, 8, 30, tzinfo=STHLM)),  # Saturday the 7th → Friday
        (1, "deadline", datetime(2026, 3, 10, 9, tzinfo=STHLM)),
    ]


def test_policy_is_taken_from_the_nearest_configured_node():
    config = parse_config("[administration.NORRA]\noffsets=[5]\n[administration.AVD]\noffsets=[1]\n")
    assert config.policy_for(["SOL", "AVD", "NORRA"]).offsets == (1,)
    assert config.policy_for(["VIT", "X", "NORRA"]).offsets == (5,)
    assert config.policy_for(["Y"]).offsets == (14, 7, 2, 0, -2)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[default]\noffsets = []", "offsets"),
        ("[default]\noffsets = [7, 7]", "offsets"),
        ("[default]\noffsets = ['7']", "offsets"),
        ('[default]\ntime = "9 am"', "time"),
        ('[default]\ntimezone = "Mars/Olympus"', "timezone"),
        ("[default]\noffset = [7]", "offset"),
        ("[defaults]\n", "defaults"),
        ("[default\n", "TOML"),
    ],
)
def test_bad_configuration_names_the_field(text, field):
    with pytest.raises(ReminderConfigError, match=field):
        parse_config(text)


# --- a pass at a given time ---------------------------------------------------------


def test_a_late_pass_sends_only_the_newest_due_reminder_and_nothing_stale():
    p = period(1, date(2026, 3, 10))  # before_2 on Sunday 8th → Friday 6th; deadline Tuesday 10th
    kwargs = dict(periods=[p], outstanding=[item(1, 10)], reporters={10: [1]},
                  policy_for_unit=lambda _: POLICY, is_working_day=is_working_day)
    at_deadline = due_now(now=datetime(2026, 3, 10, 9, 0, tzinfo=STHLM), **kwargs)
    assert [r.kind for r in at_deadline] == ["deadline"]  # not also "before_2" from Friday
    assert due_now(now=datetime(2026, 3, 10, 8, 59, tzinfo=STHLM), **kwargs)[0].kind == "before_2"
    # A week after the last reminder, nothing is due any more.
    assert due_now(now=datetime(2026, 3, 20, 9, tzinfo=STHLM), **kwargs) == []


def test_snooze_asks_again_the_next_working_day_at_nine():
    friday = datetime(2026, 6, 18, 14, 30, tzinfo=STHLM)  # Thursday; Friday is Midsommarafton
    assert next_delivery(friday, POLICY, is_working_day) == datetime(2026, 6, 22, 9, tzinfo=STHLM)
    tuesday = datetime(2026, 3, 10, 9, 5, tzinfo=STHLM)
    assert next_delivery(tuesday, POLICY, is_working_day) == datetime(2026, 3, 11, 9, tzinfo=STHLM)
