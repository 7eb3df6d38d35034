"""What waits for one person's decision (goals.services.approval_view.pending_approvals)
and the repository read behind it (FollowUpRepository.submitted_for_owners), on SQLite
and PostgreSQL: exactly the submitted follow-ups the approval services would let this
person decide, oldest submitted first, capped, with the total."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from goals import services
from goals.access import identify
from goals.clock import FixedClock
from goals.errors import PermissionDenied
from goals.model import FollowUpState, Fulfilment, Goal, OrgKind, Role
from goals.periods import current_period
from goals.services import (
    FollowUpChanges,
    approve_follow_up,
    open_follow_up,
    save_follow_up,
    submit_follow_up,
)
from goals.services.approval_view import pending_approvals
from tests.support.activities import DEMO_TENANT, demo_user
from tests.support.org import build_demo_org

YEAR = 2026
STOCKHOLM = ZoneInfo("Europe/Stockholm")
ANALYSIS = "Läsningen har ökat i alla grupper, men barnen med annat modersmål behöver mer stöd framöver."


def clock_at(day: int, hour: int = 10) -> FixedClock:
    return FixedClock(datetime(YEAR, 5, day, hour, tzinfo=STOCKHOLM))


async def _actor(uow_factory, number: int):
    return await identify(uow_factory(), tenant_id=DEMO_TENANT, entra_object_id=demo_user(number))


async def _submit(uow_factory, actor, goal_id: int, clock: FixedClock):
    async with uow_factory() as uow:
        goal = await uow.goals.get(goal_id)
        root = (await uow.orgs.ancestors(goal.owner_id))[-1]
        period = current_period(await uow.periods.for_root(root.id, YEAR), clock.today())
    draft = await open_follow_up(uow_factory(), actor=actor, goal_id=goal_id, period_id=period.id, clock=clock)
    changes = FollowUpChanges(assessment=Fulfilment.FULFILLED, forecast=Fulfilment.FULFILLED, analysis=ANALYSIS,
                              resource_use="Inom budget.")
    saved = await save_follow_up(uow_factory(), actor=actor, follow_up_id=draft.id, expected_version=draft.version,
                                 changes=changes, clock=clock)
    return await submit_follow_up(uow_factory(), actor=actor, follow_up_id=saved.id, expected_version=saved.version,
                                  clock=clock)


async def _goal_ids(uow_factory, unit_id: int) -> list[int]:
    async with uow_factory() as uow:
        return [g.id for g in await uow.goals.for_owners([unit_id], YEAR)]


async def _city(uow_factory):
    """The demo org, plus a second department with its own head and unit (Ekens förskola,
    manager 05, head 06), all goals of all three units submitted on different days."""
    org = await build_demo_org(uow_factory, year=YEAR)
    clock = clock_at(2)
    async with uow_factory() as uow:
        admin = await uow.orgs.get_by_code(DEMO_TENANT, "NORRA")
    other = await services.create_org_node(uow_factory(), actor=None, code="AVD-S", name="Avdelning skola",
                                           kind=OrgKind.DEPARTMENT, parent_id=admin.id, clock=clock)
    ek = await services.create_org_node(uow_factory(), actor=None, code="EK", name="Ekens förskola",
                                        kind=OrgKind.UNIT, parent_id=other.id, clock=clock)
    for nn, name, role, node in ((5, "Erik Ek", Role.UNIT_MANAGER, ek.id), (6, "Frida Ask", Role.DEPARTMENT_HEAD, other.id)):
        person = await services.add_person(uow_factory(), actor=None, tenant_id=DEMO_TENANT,
                                           entra_object_id=demo_user(nn), name=name, clock=clock)
        await services.assign_role(uow_factory(), actor=None, person_id=person.id, org_node_id=node, role=role,
                                   clock=clock)
    await services.create_goal(uow_factory(), actor=None, clock=clock, goal=Goal(
        id=0, code="EK-1", title="Alla barn rör sig varje dag", level="enhet", owner_id=ek.id,
        valid_from=YEAR, valid_to=YEAR))
    org.units["EK"] = ek.id
    # Vitsippan has no manager of its own: the head (an editor there) reports it.
    anna, bertil, erik = [await _actor(uow_factory, n) for n in (1, 2, 5)]
    sol = await _goal_ids(uow_factory, org.units["SOL"])
    vit = await _goal_ids(uow_factory, org.units["VIT"])
    eks = await _goal_ids(uow_factory, ek.id)
    submitted = {
        "sol_late": await _submit(uow_factory, anna, sol[0], clock_at(6)),
        "vit": await _submit(uow_factory, bertil, vit[0], clock_at(3)),
        "sol_early": await _submit(uow_factory, anna, sol[1], clock_at(4)),
        "ek": await _submit(uow_factory, erik, eks[0], clock_at(5)),
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
    bertil, frida = await _actor(uow_factory, 2), await _actor(uow_factory, 6)

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


async def test_nothing_waiting(uow_factory):
    await build_demo_org(uow_factory, year=YEAR)
    pending = await pending_approvals(uow_factory(), actor=await _actor(uow_factory, 2))
    assert (pending.approver, pending.total, pending.views) == (True, 0, ())

