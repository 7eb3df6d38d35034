"""The follow-up workflow on the real database: draft → submitted → returned →
resubmitted → approved, with the wrong person refused at every step, closed periods,
deadlines and stale versions."""

from __future__ import annotations

from datetime import date

import pytest
from tiny_city import ANALYSIS, CLOCK, City, city, clock_at, complete_changes  # noqa: F401  (fixture)

from goals import services
from goals.errors import ConcurrencyConflict, InvalidTransition, PeriodClosed, PermissionDenied, ValidationFailed
from goals.model import ActivityStatus, FollowUp, FollowUpState, Fulfilment, Measurement
from goals.services import FollowUpChanges

async def stored(city: City, follow_up_id: int) -> FollowUp:
    async with city.uow_factory() as uow:
        follow_up = await uow.follow_ups.get(follow_up_id)
    assert follow_up is not None
    return follow_up


async def audit_actions(city: City, follow_up_id: int) -> list[str]:
    async with city.uow_factory() as uow:
        return [r.action for r in await uow.audit.for_entity("follow_up", follow_up_id)]


async def open_sol1(city: City, who: str = "anna") -> FollowUp:
    actor = await city.actor(who)
    return await services.open_follow_up(
        city.uow_factory(), actor=actor, goal_id=city.goals["SOL-1"].id, period_id=city.periods["T1"], clock=CLOCK
    )


async def test_whole_workflow_with_wrong_people_refused_at_every_step(city: City) -> None:
    make = city.uow_factory
    anna, bertil = await city.actor("anna"), await city.actor("bertil")
    erik, frida, david = await city.actor("erik"), await city.actor("frida"), await city.actor("david")

    # Draft: only someone who may edit Solrosen starts it.
    with pytest.raises(PermissionDenied):
        await open_sol1(city, "erik")  # another unit's manager
    with pytest.raises(PermissionDenied):
        await open_sol1(city, "david")  # the director reads, does not report
    draft = await open_sol1(city)
    assert (draft.state, draft.version, draft.author_id) == (FollowUpState.DRAFT, 1, anna.person.id)
    assert (await open_sol1(city)).id == draft.id  # opening again finds the same one

    # Incomplete → submit names what is missing.
    partial = await services.save_follow_up(
        make(), actor=anna, follow_up_id=draft.id, expected_version=1,
        changes=FollowUpChanges(assessment=Fulfilment.PARTLY, analysis="Bra."), clock=CLOCK,
    )
    with pytest.raises(ValidationFailed) as incomplete:
        await services.submit_follow_up(make(), actor=anna, follow_up_id=draft.id, expected_version=partial.version,
                                        clock=CLOCK)
    assert incomplete.value.problems["analysis"] == "analysis.too_short"
    assert {"forecast", "actions", "resource_use", f"indicator:{city.goals['SOL-1'].indicators[0].id}"} <= set(
        incomplete.value.problems
    )

    for stranger in (erik, david):
        with pytest.raises(PermissionDenied):
            await services.save_follow_up(make(), actor=stranger, follow_up_id=draft.id,
                                          expected_version=partial.version, changes=complete_changes(city), clock=CLOCK)
    filled = await services.save_follow_up(make(), actor=anna, follow_up_id=draft.id, expected_version=partial.version,
                                           changes=complete_changes(city), clock=CLOCK)

    # Submit: only an editor; then the unit's department head decides.
    with pytest.raises(PermissionDenied):
        await services.submit_follow_up(make(), actor=erik, follow_up_id=draft.id, expected_version=filled.version,
                                        clock=CLOCK)
    submitted = await services.submit_follow_up(make(), actor=anna, follow_up_id=draft.id,
                                                 expected_version=filled.version, clock=CLOCK)
    assert submitted.state == FollowUpState.SUBMITTED
    assert submitted.submitted_at == CLOCK.now()
    with pytest.raises(InvalidTransition):
        await services.submit_follow_up(make(), actor=anna, follow_up_id=draft.id, expected_version=submitted.version,
                                        clock=CLOCK)

    for not_the_approver in (anna, frida, david):  # own unit, other department's head, director
        with pytest.raises(PermissionDenied):
            await services.approve_follow_up(make(), actor=not_the_approver, follow_up_id=draft.id,
                                             expected_version=submitted.version, clock=CLOCK)
        with pytest.raises(PermissionDenied):
            await services.return_follow_up(make(), actor=not_the_approver, follow_up_id=draft.id,
                                            expected_version=submitted.version, comment="Nej", clock=CLOCK)

    # Return needs a comment.
    with pytest.raises(ValidationFailed) as no_comment:
        await services.return_follow_up(make(), actor=bertil, follow_up_id=draft.id,
                                        expected_version=submitted.version, comment="  ", clock=CLOCK)
    assert no_comment.value.problems == {"comment": "return.comment_required"}
    returned = await services.return_follow_up(
        make(), actor=bertil, follow_up_id=draft.id, expected_version=submitted.version,
        comment="Beskriv hur vikariebristen ska lösas.", clock=CLOCK,
    )
    assert returned.state == FollowUpState.RETURNED
    assert (returned.return_comment, returned.approver_id) == ("Beskriv hur vikariebristen ska lösas.", bertil.person.id)
    with pytest.raises(InvalidTransition):
        await services.approve_follow_up(make(), actor=bertil, follow_up_id=draft.id,
                                         expected_version=returned.version, clock=CLOCK)

    # Fixed and resubmitted.
    fixed = await services.save_follow_up(
        make(), actor=anna, follow_up_id=draft.id, expected_version=returned.version,
        changes=FollowUpChanges(actions="Vi tecknar avtal med en bemanningspool för vikarier."), clock=CLOCK,
    )
    assert fixed.state == FollowUpState.RETURNED
    resubmitted = await services.submit_follow_up(make(), actor=anna, follow_up_id=draft.id,
                                                  expected_version=fixed.version, clock=CLOCK)
    assert resubmitted.state == FollowUpState.SUBMITTED
    assert resubmitted.approver_id is None  # awaiting a new decision

    approved = await services.approve_follow_up(make(), actor=bertil, follow_up_id=draft.id,
                                                expected_version=resubmitted.version, clock=CLOCK)
    assert (approved.state, approved.approver_id, approved.decided_at) == (
        FollowUpState.APPROVED, bertil.person.id, CLOCK.now()
    )

    # Approved is final.
    with pytest.raises(InvalidTransition):
        await services.save_follow_up(make(), actor=anna, follow_up_id=draft.id, expected_version=approved.version,
                                      changes=FollowUpChanges(analysis=ANALYSIS + " Tillägg."), clock=CLOCK)
    with pytest.raises(InvalidTransition):
        await services.return_follow_up(make(), actor=bertil, follow_up_id=draft.id,
                                        expected_version=approved.version, comment="Ändra", clock=CLOCK)

    assert await stored(city, draft.id) == approved
    assert await audit_actions(city, draft.id) == [
        "follow_up.created",
        "follow_up.saved",
        "follow_up.saved",
        "follow_up.submitted",
        "follow_up.returned",
        "follow_up.saved",
        "follow_up.submitted",
        "follow_up.approved",
    ]


async def test_save_sets_the_activities_current_status(city: City) -> None:
    anna = await city.actor("anna")
    draft = await open_sol1(city)
    activity_id = city.goals["SOL-1"].activities[0].id

    await services.save_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id, expected_version=1,
                                  changes=FollowUpChanges(activity_statuses={activity_id: ActivityStatus.DONE}),
                                  clock=CLOCK)

    async with city.uow_factory() as uow:
        goal = await uow.goals.get(city.goals["SOL-1"].id)
    assert goal is not None and goal.activities[0].status == ActivityStatus.DONE


async def test_save_refuses_ids_of_another_goal(city: City) -> None:
    anna = await city.actor("anna")
    draft = await open_sol1(city)
    foreign = city.goals["EKH-1"].indicators[0].id

    with pytest.raises(ValidationFailed) as refused:
        await services.save_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id, expected_version=1,
                                      changes=FollowUpChanges(indicator_values={foreign: Measurement(total=1.0)}),
                                      clock=CLOCK)

    assert refused.value.problems == {f"indicator:{foreign}": "indicator.unknown"}
    assert await stored(city, draft.id) == draft


async def test_edit_after_submit_stays_submitted_until_the_deadline(city: City) -> None:
    anna = await city.actor("anna")
    draft = await open_sol1(city)
    filled = await services.save_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id, expected_version=1,
                                           changes=complete_changes(city), clock=CLOCK)
    submitted = await services.submit_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id,
                                                expected_version=filled.version, clock=CLOCK)

    edited = await services.save_follow_up(
        city.uow_factory(), actor=anna, follow_up_id=draft.id, expected_version=submitted.version,
        changes=FollowUpChanges(forecast=Fulfilment.PARTLY), clock=clock_at(date(2026, 5, 10)),  # deadline day
    )
    assert (edited.state, edited.forecast) == (FollowUpState.SUBMITTED, Fulfilment.PARTLY)
    async with city.uow_factory() as uow:
        last = (await uow.audit.for_entity("follow_up", draft.id))[-1]
    assert last.action == "follow_up.saved"
    assert last.details["after_submit"] is True
    assert last.details["changes"] == {"forecast": {"from": "fulfilled", "to": "partly"}}

    with pytest.raises(InvalidTransition):
        await services.save_follow_up(
            city.uow_factory(), actor=anna, follow_up_id=draft.id, expected_version=edited.version,
            changes=FollowUpChanges(forecast=Fulfilment.NOT), clock=clock_at(date(2026, 5, 11)),
        )
    assert await stored(city, draft.id) == edited


async def test_closed_period_takes_no_writes(city: City) -> None:
    anna, eva = await city.actor("anna"), await city.actor("eva")
    draft = await open_sol1(city)
    await services.close_period(city.uow_factory(), actor=eva, period_id=city.periods["T1"], clock=CLOCK)

    with pytest.raises(PeriodClosed):
        await services.open_follow_up(city.uow_factory(), actor=anna, goal_id=city.goals["SOL-2"].id,
                                      period_id=city.periods["T1"], clock=CLOCK)
    with pytest.raises(PeriodClosed):
        await services.save_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id, expected_version=1,
                                      changes=FollowUpChanges(analysis=ANALYSIS), clock=CLOCK)
    with pytest.raises(PeriodClosed):
        await services.submit_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id, expected_version=1,
                                        clock=CLOCK)
    assert await stored(city, draft.id) == draft
    async with city.uow_factory() as uow:
        assert await uow.follow_ups.find(city.goals["SOL-2"].id, city.periods["T1"]) is None


async def test_period_of_another_municipality_is_refused_like_a_missing_one(city: City) -> None:
    anna = await city.actor("anna")
    foreign = await services.create_period(city.uow_factory(), actor=None, root_id=city.nodes["ANNAN"], kind="T1",
                                           year=2026, clock=CLOCK)

    refusals = []
    for period_id in (foreign.id, 987654):
        with pytest.raises(PermissionDenied) as refused:
            await services.open_follow_up(city.uow_factory(), actor=anna, goal_id=city.goals["SOL-1"].id,
                                          period_id=period_id, clock=CLOCK)
        refusals.append((str(refused.value), refused.value.params))
    assert refusals[0] == refusals[1]


async def test_two_writers_second_gets_conflict_with_current_state_and_nothing_is_written(city: City) -> None:
    anna, bertil = await city.actor("anna"), await city.actor("bertil")
    draft = await open_sol1(city)
    first = await services.save_follow_up(city.uow_factory(), actor=bertil, follow_up_id=draft.id,
                                          expected_version=draft.version,
                                          changes=FollowUpChanges(analysis="Bertils analys."), clock=CLOCK)
    audit_before = await audit_actions(city, draft.id)
    activity_id = city.goals["SOL-1"].activities[0].id

    with pytest.raises(ConcurrencyConflict) as conflict:
        await services.save_follow_up(
            city.uow_factory(), actor=anna, follow_up_id=draft.id, expected_version=draft.version,
            changes=FollowUpChanges(analysis="Annas analys.", activity_statuses={activity_id: ActivityStatus.DONE}),
            clock=CLOCK,
        )
    current = conflict.value.current
    assert (current.version, current.analysis, current.updated_by) == (first.version, "Bertils analys.", bertil.person.id)
    with pytest.raises(ConcurrencyConflict):
        await services.submit_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id,
                                        expected_version=draft.version, clock=CLOCK)

    assert await stored(city, draft.id) == first
    assert await audit_actions(city, draft.id) == audit_before
    async with city.uow_factory() as uow:
        goal = await uow.goals.get(city.goals["SOL-1"].id)
        assert goal is not None and goal.activities[0].status == ActivityStatus.ONGOING
        assert await uow.outbox.pending("follow_up.submitted") == []


async def test_submit_stores_the_event_for_the_approvers(city: City) -> None:
    anna = await city.actor("anna")
    draft = await open_sol1(city)
    filled = await services.save_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id, expected_version=1,
                                           changes=complete_changes(city), clock=CLOCK)

    await services.submit_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id,
                                    expected_version=filled.version, clock=CLOCK)

    async with city.uow_factory() as uow:
        events = await uow.outbox.pending("follow_up.submitted")
    assert len(events) == 1
    assert events[0].payload == {
        "follow_up_id": draft.id,
        "goal_id": city.goals["SOL-1"].id,
        "unit_id": city.nodes["SOL"],
        "period_id": city.periods["T1"],
        "author_id": anna.person.id,
        "approver_ids": [city.people["bertil"]],
    }
    assert events[0].created_at == CLOCK.now()


async def test_tampered_values_are_refused_field_by_field(city: City) -> None:
    anna = await city.actor("anna")
    draft = await open_sol1(city)
    activity_id = city.goals["SOL-1"].activities[0].id

    with pytest.raises(ValidationFailed) as refused:
        await services.save_follow_up(
            city.uow_factory(), actor=anna, follow_up_id=draft.id, expected_version=1, clock=CLOCK,
            changes=FollowUpChanges(
                assessment="mostly",  # type: ignore[arg-type]  (what a tampered card could send)
                cross_sectoral={"weather": "Soligt"},  # type: ignore[dict-item]
                activity_statuses={activity_id: "paused", 987654: ActivityStatus.DONE},  # type: ignore[dict-item]
            ),
        )

    assert refused.value.problems == {
        "assessment": "assessment.unknown",
        "cross_sectoral:weather": "cross_sectoral.unknown",
        f"activity:{activity_id}": "activity.unknown",
        "activity:987654": "activity.unknown",
    }
    assert await stored(city, draft.id) == draft


async def test_decisions_are_kept_for_the_unit_to_hear_of(city: City) -> None:
    anna, bertil = await city.actor("anna"), await city.actor("bertil")
    draft = await open_sol1(city)
    filled = await services.save_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id, expected_version=1,
                                           changes=complete_changes(city), clock=CLOCK)
    submitted = await services.submit_follow_up(city.uow_factory(), actor=anna, follow_up_id=draft.id,
                                                expected_version=filled.version, clock=CLOCK)

    await services.return_follow_up(city.uow_factory(), actor=bertil, follow_up_id=draft.id,
                                    expected_version=submitted.version, comment="Komplettera analysen.", clock=CLOCK)

    async with city.uow_factory() as uow:
        events = await uow.outbox.pending("follow_up.returned")
    assert [e.payload for e in events] == [{
        "follow_up_id": draft.id,
        "goal_id": city.goals["SOL-1"].id,
        "unit_id": city.nodes["SOL"],
        "period_id": city.periods["T1"],
        "author_id": anna.person.id,
        "approver_id": bertil.person.id,
        "comment": "Komplettera analysen.",
    }]
