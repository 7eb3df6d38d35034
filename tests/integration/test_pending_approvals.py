"""What waits for one person's decision (goals.services.approval_view.pending_approvals)
and the repository read behind it (FollowUpRepository.submitted_for_owners), on SQLite
and PostgreSQL: exactly the submitted follow-ups the approval services would let this
person decide, oldest submitted first, capped, with the total."""

from __future__ import annotations

from goals import services
from goals.errors import PermissionDenied
from goals.model import FollowUpState, Role
from goals.services import approve_follow_up
from goals.services.approval_view import pending_approvals
from tests.support.approvals import (
    ANALYSIS,
    OTHER_HEAD,
    OTHER_MANAGER,
    actor_of,
    add_other_department,
    goal_ids,
    may_day,
    submit,
)
from tests.support.org import build_demo_org

YEAR = 2026


def clock_at(day: int, hour: int = 10):
    return may_day(YEAR, day, hour)


async def _actor(uow_factory, number: int):
    return await actor_of(uow_factory, number)


async def _city(uow_factory):
    """The demo org plus a second department (Ekens förskola, manager 05, head 06), one
    follow-up of each of the three units' goals submitted, on different days."""
    org = await build_demo_org(uow_factory, year=YEAR)
    ek = await add_other_department(uow_factory, org, YEAR)
    # Vitsippan has no manager of its own: the head (an editor there) reports it.
    anna, bertil, erik = [await _actor(uow_factory, n) for n in (1, 2, OTHER_MANAGER)]
    sol = await goal_ids(uow_factory, org.units["SOL"], YEAR)
    vit = await goal_ids(uow_factory, org.units["VIT"], YEAR)
    eks = await goal_ids(uow_factory, ek, YEAR)
    submitted = {
        "sol_late": await submit(uow_factory, anna, sol[0], clock_at(6)),
        "vit": await submit(uow_factory, bertil, vit[0], clock_at(3)),
        "sol_early": await submit(uow_factory, anna, sol[1], clock_at(4)),
        "ek": await submit(uow_factory, erik, eks[0], clock_at(5)),
    }
    return org, submitted


async def test_the_repository_lists_submitted_follow_ups_of_the_owners_oldest_first(uow_factory):
    org, submitted = await _city(uow_factory)
    async with uow_factory() as uow:
        both = await uow.follow_ups.submitted_for_owners([org.units["SOL"], org.units["VIT"]])
        only_ek = await uow.follow_ups.submitted_for_owners([org.units["EK"]])
        none = await uow.follow_ups.submitted_for_owners([])
    assert [f.id for f in both] == [submitted[k].id for k in ("vit", "sol_early", "sol_late")]
    assert all(f.state == FollowUpState.SUBMITTED and f.analysis == ANALYSIS for f in both)
    assert [f.id for f in only_ek] == [submitted["ek"].id] and none == []

    # Decided follow-ups no longer wait.
    bertil = await _actor(uow_factory, 2)
    vit = submitted["vit"]
    await approve_follow_up(uow_factory(), actor=bertil, follow_up_id=vit.id, expected_version=vit.version,
                            clock=clock_at(7))
    async with uow_factory() as uow:
        left = await uow.follow_ups.submitted_for_owners([org.units["SOL"], org.units["VIT"]])
    assert [f.id for f in left] == [submitted[k].id for k in ("sol_early", "sol_late")]


async def test_a_head_sees_exactly_what_they_may_decide_oldest_first(uow_factory):
    _, submitted = await _city(uow_factory)
    bertil, frida = await _actor(uow_factory, 2), await _actor(uow_factory, OTHER_HEAD)

    pending = await pending_approvals(uow_factory(), actor=bertil)
    assert pending.approver and pending.total == 3
    assert [v.follow_up.id for v in pending.views] == [submitted[k].id for k in ("vit", "sol_early", "sol_late")]
    assert [v.unit.name for v in pending.views] == ["Vitsippans förskola", "Solrosens förskola", "Solrosens förskola"]
    assert pending.views[1].author_name == "Anna Lindqvist" and pending.views[1].approver_name == ""

    other = await pending_approvals(uow_factory(), actor=frida)
    assert [v.follow_up.id for v in other.views] == [submitted["ek"].id] and other.total == 1

    # What is listed is what the services let them decide, and nothing else.
    for actor, listed in ((bertil, pending), (frida, other)):
        shown = {v.follow_up.id for v in listed.views}
        for follow_up in submitted.values():
            if follow_up.id in shown:
                continue
            try:
                await approve_follow_up(uow_factory(), actor=actor, follow_up_id=follow_up.id,
                                        expected_version=follow_up.version, clock=clock_at(7))
            except PermissionDenied:
                continue
            raise AssertionError(f"{actor.person.name} could decide {follow_up.id}, which was not listed")


async def test_the_list_is_capped_with_the_total_and_shrinks_as_decisions_are_made(uow_factory):
    _, submitted = await _city(uow_factory)
    bertil = await _actor(uow_factory, 2)
    first = await pending_approvals(uow_factory(), actor=bertil, limit=2)
    assert first.total == 3 and [v.follow_up.id for v in first.views] == [submitted["vit"].id, submitted["sol_early"].id]
    view = first.views[0]
    await approve_follow_up(uow_factory(), actor=bertil, follow_up_id=view.follow_up.id,
                            expected_version=view.follow_up.version, clock=clock_at(7))
    after = await pending_approvals(uow_factory(), actor=bertil, limit=2)
    assert after.total == 2 and [v.follow_up.id for v in after.views] == [submitted["sol_early"].id,
                                                                          submitted["sol_late"].id]


async def test_a_closed_period_is_not_listed(uow_factory):
    _, submitted = await _city(uow_factory)
    bertil = await _actor(uow_factory, 2)
    async with uow_factory() as uow:
        period_id = (await uow.follow_ups.get(submitted["vit"].id)).period_id
    await services.close_period(uow_factory(), actor=None, period_id=period_id, clock=clock_at(8))
    pending = await pending_approvals(uow_factory(), actor=bertil)
    assert (pending.total, pending.views) == (0, ())
    assert pending.approver


async def test_people_without_the_approving_role_are_told_who_approves(uow_factory):
    await _city(uow_factory)
    anna, cecilia, david = [await _actor(uow_factory, n) for n in (1, 3, 4)]
    told = await pending_approvals(uow_factory(), actor=anna)
    assert (told.approver, told.total, told.views) == (False, 0, ())
    assert told.approver_role == Role.DEPARTMENT_HEAD and told.approver_names == ("Bertil Ek",)
    # Staff and the director hold no approving role in the Stockholm profile, and manage no unit.
    for actor in (cecilia, david):
        pending = await pending_approvals(uow_factory(), actor=actor)
        assert (pending.approver, pending.total, pending.approver_names) == (False, 0, ())
        assert pending.approver_role == Role.DEPARTMENT_HEAD


async def test_nothing_waiting(uow_factory):
    await build_demo_org(uow_factory, year=YEAR)
    pending = await pending_approvals(uow_factory(), actor=await _actor(uow_factory, 2))
    assert (pending.approver, pending.total, pending.views) == (True, 0, ())

