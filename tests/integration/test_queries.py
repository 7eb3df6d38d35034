"""The status answers' read side on the real database (SQLite and PostgreSQL):
one unit's and one goal's status, units that have not reported, deadlines and an
indicator's trend — each within the asker's scope, and a question outside it
refused exactly like a question about something that does not exist."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from tiny_city import CLOCK, TODAY, City, city, complete_changes  # noqa: F401  (fixture)

from goals import queries, services
from goals.access import Actor
from goals.errors import PermissionDenied
from goals.model import FollowUpState, Indicator, Measurement
from goals.status import ReasonKind, behind_reasons

AFTER_T1_DEADLINE = date(2026, 5, 11)
MISSING_ID = 987_654


async def _flagged(city: City, codes: list[str], today: date = TODAY) -> dict[str, tuple]:
    """What the status rules say, read straight from the snapshots."""
    async with city.uow_factory() as uow:
        snapshots = await uow.status.snapshots([city.nodes[c] for c in codes], today.year)
    return {s.goal.code: behind_reasons(s, today) for s in snapshots}


async def test_unit_status_of_a_department_lists_its_units_goals_most_behind_first(city: City) -> None:
    bertil = await city.actor("bertil")

    status = await queries.unit_status(city.uow_factory(), actor=bertil, node_id=city.nodes["AVD-F"], today=TODAY)

    assert status.node.name == "Avdelning förskola"
    assert [g.goal.code for g in status.goals] == ["VIT-1", "SOL-1", "SOL-2"]
    assert [g.goal.code for g in status.behind] == ["VIT-1", "SOL-1"]
    rules = await _flagged(city, ["SOL", "VIT"])
    assert {g.goal.code: g.reasons for g in status.goals} == rules
    assert [(d.period.kind, d.state) for d in status.goals[0].due] == [("T1", FollowUpState.DRAFT), ("T2", None)]
    assert status.goals[1].due[0].state is None  # nothing started for Solrosen


async def test_unit_status_outside_scope_is_refused_like_a_missing_unit(city: City) -> None:
    anna = await city.actor("anna")
    with pytest.raises(PermissionDenied) as other:
        await queries.unit_status(city.uow_factory(), actor=anna, node_id=city.nodes["VIT"], today=TODAY)
    with pytest.raises(PermissionDenied) as missing:
        await queries.unit_status(city.uow_factory(), actor=anna, node_id=MISSING_ID, today=TODAY)
    assert str(other.value) == str(missing.value)
    assert other.value.params == missing.value.params == {}


async def test_goal_status_has_the_rules_reasons_and_what_is_due(city: City) -> None:
    anna = await city.actor("anna")

    status = await queries.goal_status(city.uow_factory(), actor=anna, goal_id=city.goals["SOL-1"].id, today=TODAY)

    assert status.owner_name == "Solrosens förskola"
    assert [r.kind for r in status.reasons] == [ReasonKind.ACTIVITY_OVERDUE]
    assert status.reasons == (await _flagged(city, ["SOL"]))["SOL-1"]
    assert [d.period.kind for d in status.due] == ["T1", "T2"]
    assert status.period is not None and status.period.kind == "T2"  # 5 May lies in T2


@pytest.mark.parametrize("who", ["anna", "frida", "lars"])
async def test_goal_status_of_someone_elses_goal_is_refused(city: City, who: str) -> None:
    actor = await city.actor(who)
    with pytest.raises(PermissionDenied):
        await queries.goal_status(city.uow_factory(), actor=actor, goal_id=city.goals["VIT-1"].id, today=TODAY)
    with pytest.raises(PermissionDenied):
        await queries.goal_status(city.uow_factory(), actor=actor, goal_id=MISSING_ID, today=TODAY)


async def test_goal_status_from_another_tenant_is_refused(city: City) -> None:
    async with city.uow_factory() as uow:
        stranger = await uow.people.get(city.stranger_id)
        roles = await uow.people.roles(city.stranger_id)
    actor = Actor(person=stranger, roles=tuple(roles))
    with pytest.raises(PermissionDenied):
        await queries.goal_status(city.uow_factory(), actor=actor, goal_id=city.goals["SOL-1"].id, today=TODAY)


async def test_not_reported_is_not_a_unit_managers_question(city: City) -> None:
    anna = await city.actor("anna")
    with pytest.raises(PermissionDenied):
        await queries.not_reported(city.uow_factory(), actor=anna, today=TODAY)


async def test_not_reported_for_a_department_head_names_their_units_and_states(city: City) -> None:
    bertil = await city.actor("bertil")

    answer = await queries.not_reported(city.uow_factory(), actor=bertil, today=TODAY)

    t1 = [n for n in answer if n.period.kind == "T1"]
    assert [n.unit.name for n in t1] == ["Solrosens förskola", "Vitsippans förskola"]
    assert [[(g.code, state) for g, state in n.goals] for n in t1] == [
        [("SOL-1", None), ("SOL-2", None)],
        [("VIT-1", FollowUpState.DRAFT)],
    ]
    assert not any(n.overdue for n in t1)  # T1's deadline is 10 May
    names = {n.unit.name for n in answer}
    assert "Ekhagens äldreboende" not in names and "Lönnens fritidsgård" not in names


@pytest.mark.parametrize("who", ["cecilia", "david"])
async def test_not_reported_for_staff_and_director_covers_their_administration(city: City, who: str) -> None:
    actor = await city.actor(who)

    answer = await queries.not_reported(city.uow_factory(), actor=actor, today=AFTER_T1_DEADLINE)

    names = {n.unit.name for n in answer}
    assert names == {"Solrosens förskola", "Vitsippans förskola", "Ekhagens äldreboende"}
    overdue = [n for n in answer if n.overdue]
    assert overdue and all(n.period.kind == "T1" for n in overdue)
    assert answer[: len(overdue)] == overdue  # overdue first


async def test_not_reported_leaves_out_submitted_follow_ups(city: City) -> None:
    anna, bertil = await city.actor("anna"), await city.actor("bertil")
    for code in ("SOL-1", "SOL-2"):
        goal = city.goals[code]
        follow_up = await services.open_follow_up(
            city.uow_factory(), actor=anna, goal_id=goal.id, period_id=city.periods["T1"], clock=CLOCK
        )
        changes = complete_changes(city)
        if code == "SOL-2":
            changes = replace(changes, indicator_values={goal.indicators[0].id: Measurement(total=95.0)},
                              activity_statuses=None)
        saved = await services.save_follow_up(
            city.uow_factory(), actor=anna, follow_up_id=follow_up.id, expected_version=follow_up.version,
            changes=changes, clock=CLOCK,
        )
        await services.submit_follow_up(
            city.uow_factory(), actor=anna, follow_up_id=saved.id, expected_version=saved.version, clock=CLOCK
        )

    answer = await queries.not_reported(city.uow_factory(), actor=bertil, today=TODAY)

    assert [n.unit.name for n in answer if n.period.kind == "T1"] == ["Vitsippans förskola"]


async def test_not_reported_below_a_node_outside_scope_is_refused(city: City) -> None:
    bertil = await city.actor("bertil")
    with pytest.raises(PermissionDenied):
        await queries.not_reported(city.uow_factory(), actor=bertil, today=TODAY, node_id=city.nodes["EKH"])
    inside = await queries.not_reported(city.uow_factory(), actor=bertil, today=TODAY, node_id=city.nodes["VIT"])
    assert {n.unit.name for n in inside} == {"Vitsippans förskola"}


async def test_deadlines_count_what_is_left_in_scope(city: City) -> None:
    anna = await city.actor("anna")

    answer = await queries.deadlines(city.uow_factory(), actor=anna, today=TODAY)

    assert [(d.period.kind, d.left, d.passed) for d in answer] == [("T1", 2, False), ("T2", 2, False), ("T3", 0, False)]
    later = await queries.deadlines(city.uow_factory(), actor=anna, today=AFTER_T1_DEADLINE)
    assert (later[0].period.kind, later[0].passed) == ("T1", True)


async def test_names_in_scope_are_only_the_askers(city: City) -> None:
    anna = await city.actor("anna")

    names = await queries.names_in_scope(city.uow_factory(), actor=anna, today=TODAY)

    assert set(names.units.values()) == {"Solrosens förskola"}
    assert set(names.goals.values()) == {"Alla barn utvecklar sitt språk", "Utemiljön används varje dag"}
    assert set(names.indicator_goal.values()) == {city.goals["SOL-1"].id, city.goals["SOL-2"].id}


async def test_trend_has_values_per_period_with_women_and_men(city: City) -> None:
    anna, vera = await city.actor("anna"), await city.actor("vera")
    split = Indicator(id=0, code="SOL-3-L", name="Andel barn som läser dagligen", unit="%", target=80.0,
                      gender_split=True)
    goal = await services.create_goal(
        city.uow_factory(), actor=None, clock=CLOCK,
        goal=replace(city.goals["SOL-2"], id=0, code="SOL-3", number=0, title="Barnen läser", indicators=(split,)),
    )
    indicator_id = goal.indicators[0].id
    for kind, value in (("T1", Measurement(70.0, 74.0, 66.0)), ("T2", Measurement(76.0, 79.0, 73.0))):
        follow_up = await services.open_follow_up(
            city.uow_factory(), actor=anna, goal_id=goal.id, period_id=city.periods[kind], clock=CLOCK
        )
        await services.save_follow_up(
            city.uow_factory(), actor=anna, follow_up_id=follow_up.id, expected_version=follow_up.version,
            changes=services.FollowUpChanges(indicator_values={indicator_id: value}), clock=CLOCK,
        )

    trend = await queries.indicator_trend(
        city.uow_factory(), actor=anna, goal_id=goal.id, indicator_id=indicator_id, today=TODAY
    )

    assert trend.indicator.target == 80.0 and trend.owner_name == "Solrosens förskola"
    assert [(p.period.kind, p.value) for p in trend.points] == [
        ("T1", Measurement(70.0, 74.0, 66.0)),
        ("T2", Measurement(76.0, 79.0, 73.0)),
    ]
    with pytest.raises(PermissionDenied):
        await queries.indicator_trend(
            city.uow_factory(), actor=vera, goal_id=goal.id, indicator_id=indicator_id, today=TODAY
        )
    with pytest.raises(PermissionDenied):  # an indicator of another goal
        await queries.indicator_trend(
            city.uow_factory(), actor=anna, goal_id=city.goals["SOL-1"].id, indicator_id=indicator_id, today=TODAY
        )


@pytest.mark.parametrize("who", ["anna", "bertil", "cecilia", "david", "eva", "lars"])
async def test_behind_from_one_read_of_the_scope_is_what_behind_goals_says(city: City, who: str) -> None:
    actor = await city.actor(who)

    view = await queries.scope_view(city.uow_factory(), actor=actor, today=TODAY)

    assert queries.behind_in(view, today=TODAY) == await services.behind_goals(
        city.uow_factory(), actor=actor, today=TODAY
    )
    assert set(view.names.units) == {n.id for n in view.nodes}


async def test_behind_from_the_view_below_a_node_and_outside_it(city: City) -> None:
    bertil = await city.actor("bertil")
    view = await queries.scope_view(city.uow_factory(), actor=bertil, today=TODAY)

    below = queries.behind_in(view, today=TODAY, node_id=city.nodes["VIT"])

    assert [b.goal.code for b in below] == ["VIT-1"]
    with pytest.raises(PermissionDenied):
        queries.behind_in(view, today=TODAY, node_id=city.nodes["EKH"])


async def test_a_second_view_has_the_first_views_names_until_a_goal_or_a_node_changes(city: City) -> None:
    # dialogs reuse a person's recognised names while ScopeView.has_names_of holds
    from sqlalchemy import text

    bertil = await city.actor("bertil")
    first = await queries.scope_view(city.uow_factory(), actor=bertil, today=TODAY)
    again = await queries.scope_view(city.uow_factory(), actor=bertil, today=TODAY)
    assert again.has_names_of(first) and again.names == first.names

    goal = city.goals["VIT-1"]
    async with city.uow_factory() as uow:
        await uow.session.execute(text("UPDATE goals SET title = 'Ny titel' WHERE id = :id"), {"id": goal.id})
        await uow.commit()
    retitled = await queries.scope_view(city.uow_factory(), actor=bertil, today=TODAY)
    assert not retitled.has_names_of(again)
    assert retitled.names.goals[goal.id] == "Ny titel"

    async with city.uow_factory() as uow:
        await uow.session.execute(text("UPDATE org_nodes SET name = 'Nytt namn' WHERE id = :id"), {"id": city.nodes["VIT"]})
        await uow.commit()
    renamed = await queries.scope_view(city.uow_factory(), actor=bertil, today=TODAY)
    assert not renamed.has_names_of(retitled)
    assert renamed.names.units[city.nodes["VIT"]] == "Nytt namn"
