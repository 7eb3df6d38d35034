"""Status questions on the real database: which goals are behind (exactly those the
status rules flag, with their reasons, most behind first), the overview, and what is
left to report — each within the asker's scope."""

from __future__ import annotations

from datetime import date

import pytest
from tiny_city import CLOCK, TODAY, City, city, complete_changes  # noqa: F401  (fixture)

from goals import services
from goals.errors import PermissionDenied
from goals.model import FollowUpState
from goals.status import ReasonKind, behind_reasons

AFTER_T1_DEADLINE = date(2026, 5, 11)


def summary(behind: list[services.BehindGoal]) -> list[tuple[str, list[ReasonKind]]]:
    return [(b.goal.code, sorted(r.kind for r in b.reasons)) for b in behind]


async def test_behind_goals_are_those_the_rules_flag_most_behind_first(city: City) -> None:
    eva = await city.actor("eva")

    behind = await services.behind_goals(city.uow_factory(), actor=eva, today=TODAY)

    assert summary(behind) == [
        ("VIT-1", [ReasonKind.ASSESSMENT]),  # "ej uppfyllt" weighs most
        ("EKH-1", [ReasonKind.INDICATOR_OFF_TARGET]),
        ("SOL-1", [ReasonKind.ACTIVITY_OVERDUE]),
    ]
    assert [b.owner_name for b in behind] == ["Vitsippans förskola", "Ekhagens äldreboende", "Solrosens förskola"]
    off_target = behind[1].reasons[0]
    assert (off_target.value, off_target.target) == (70.0, 90.0)
    # The very same verdicts as the status rules on the same snapshots.
    async with city.uow_factory() as uow:
        snapshots = await uow.status.snapshots(list(city.nodes.values()), 2026)
    flagged = {s.goal.code: behind_reasons(s, TODAY) for s in snapshots if behind_reasons(s, TODAY)}
    assert {b.goal.code: b.reasons for b in behind} == flagged


async def test_missing_reports_after_the_deadline_and_a_stable_tie_break(city: City) -> None:
    eva = await city.actor("eva")

    behind = await services.behind_goals(city.uow_factory(), actor=eva, today=AFTER_T1_DEADLINE)

    assert summary(behind) == [
        ("VIT-1", [ReasonKind.ASSESSMENT, ReasonKind.REPORT_MISSING]),
        ("EKH-1", [ReasonKind.INDICATOR_OFF_TARGET, ReasonKind.REPORT_MISSING]),
        ("SOL-1", [ReasonKind.ACTIVITY_OVERDUE, ReasonKind.REPORT_MISSING]),
        ("LON-1", [ReasonKind.REPORT_MISSING]),  # equally behind: by owner name
        ("SOL-2", [ReasonKind.REPORT_MISSING]),
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anna", ["SOL-1"]),
        ("bertil", ["VIT-1", "SOL-1"]),
        ("frida", ["EKH-1"]),
        ("david", ["VIT-1", "EKH-1", "SOL-1"]),
        ("lars", []),
    ],
)
async def test_behind_goals_stay_in_scope(city: City, who: str, expected: list[str]) -> None:
    actor = await city.actor(who)

    behind = await services.behind_goals(city.uow_factory(), actor=actor, today=TODAY)

    assert [b.goal.code for b in behind] == expected


async def test_behind_goals_narrowed_to_a_node_and_refused_outside_scope(city: City) -> None:
    bertil = await city.actor("bertil")

    narrowed = await services.behind_goals(city.uow_factory(), actor=bertil, today=TODAY, node_id=city.nodes["VIT"])
    assert [b.goal.code for b in narrowed] == ["VIT-1"]

    for node_id in (city.nodes["EKH"], 987654):
        with pytest.raises(PermissionDenied):
            await services.behind_goals(city.uow_factory(), actor=bertil, today=TODAY, node_id=node_id)


async def test_goals_overview_per_unit_with_the_current_period(city: City) -> None:
    anna, bertil = await city.actor("anna"), await city.actor("bertil")

    mine = await services.goals_overview(city.uow_factory(), actor=anna, today=TODAY)
    department = await services.goals_overview(city.uow_factory(), actor=bertil, today=TODAY)

    assert [(o.unit.code, [g.code for g in o.goals]) for o in mine] == [("SOL", ["SOL-1", "SOL-2"])]
    assert mine[0].period is not None and mine[0].period.id == city.periods["T2"]  # 5 May lies in T2
    assert [(o.unit.code, [g.code for g in o.goals]) for o in department] == [
        ("SOL", ["SOL-1", "SOL-2"]),
        ("VIT", ["VIT-1"]),
    ]


async def test_left_to_report_by_deadline_and_gone_once_submitted(city: City) -> None:
    anna, vera = await city.actor("anna"), await city.actor("vera")
    t1, t2 = city.periods["T1"], city.periods["T2"]

    def rows(left):
        return [(goal.code, unit.code, due.period.id, due.state) for goal, unit, due in left]

    assert rows(await services.left_to_report(city.uow_factory(), actor=anna, today=TODAY)) == [
        ("SOL-1", "SOL", t1, None),
        ("SOL-2", "SOL", t1, None),
        ("SOL-1", "SOL", t2, None),
        ("SOL-2", "SOL", t2, None),
    ]
    assert rows(await services.left_to_report(city.uow_factory(), actor=vera, today=TODAY)) == [
        ("VIT-1", "VIT", t1, FollowUpState.DRAFT),
        ("VIT-1", "VIT", t2, None),
    ]

    draft = await services.open_follow_up(city.uow_factory(), actor=anna, goal_id=city.goals["SOL-1"].id,
                                          period_id=t1, clock=CLOCK)
    filled = await services.save_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id,
                                           expected_version=draft.version, changes=complete_changes(city), clock=CLOCK)
    await services.submit_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id,
                                    expected_version=filled.version, clock=CLOCK)

    assert rows(await services.left_to_report(city.uow_factory(), actor=anna, today=TODAY)) == [
        ("SOL-2", "SOL", t1, None),
        ("SOL-1", "SOL", t2, None),
        ("SOL-2", "SOL", t2, None),
    ]
