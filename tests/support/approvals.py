"""Follow-ups submitted for approval in the demo org (tests/support/org.py), through the
services: for the tests of "vad ska jag godkänna?" (goals.services.approval_view.pending_approvals,
dialogs.approval.PendingApprovalsDialog)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from goals import services
from goals.access import Actor, identify
from goals.clock import FixedClock, SystemClock
from goals.model import FollowUp, Fulfilment, Goal, OrgKind, Role
from goals.periods import current_period
from goals.ports import UnitOfWork
from goals.services import (
    FollowUpChanges,
    open_follow_up,
    save_follow_up,
    submit_follow_up,
)
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory
from tests.support.activities import DEMO_TENANT, demo_user
from tests.support.org import DemoOrg

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ANALYSIS = "Läsningen har ökat i alla grupper, men barnen med annat modersmål behöver mer stöd framöver."
# The other department: Avdelning skola with head 06 (Frida Ask) and Ekens förskola, manager 05 (Erik Ek).
OTHER_MANAGER, OTHER_HEAD = 5, 6


def may_day(year: int, day: int, hour: int = 10) -> FixedClock:
    return FixedClock(datetime(year, 5, day, hour, tzinfo=STOCKHOLM))


async def actor_of(uow_factory: Callable[[], UnitOfWork], number: int) -> Actor:
    actor = await identify(uow_factory(), tenant_id=DEMO_TENANT, entra_object_id=demo_user(number))
    assert actor is not None
    return actor


async def goal_ids(uow_factory: Callable[[], UnitOfWork], unit_id: int, year: int) -> list[int]:
    async with uow_factory() as uow:
        return [g.id for g in await uow.goals.for_owners([unit_id], year)]


async def submit(uow_factory: Callable[[], UnitOfWork], actor: Actor, goal_id: int, clock: FixedClock) -> FollowUp:
    """The goal's follow-up for the clock's period, filled in and submitted by `actor`."""
    today = clock.today()
    async with uow_factory() as uow:
        goal = await uow.goals.get(goal_id)
        root = (await uow.orgs.ancestors(goal.owner_id))[-1]
        period = current_period(await uow.periods.for_root(root.id, today.year), today)
    draft = await open_follow_up(uow_factory(), actor=actor, goal_id=goal_id, period_id=period.id, clock=clock)
    changes = FollowUpChanges(assessment=Fulfilment.FULFILLED, forecast=Fulfilment.FULFILLED, analysis=ANALYSIS,
                              resource_use="Inom budget.")
    saved = await save_follow_up(uow_factory(), actor=actor, follow_up_id=draft.id, expected_version=draft.version,
                                 changes=changes, clock=clock)
    return await submit_follow_up(uow_factory(), actor=actor, follow_up_id=saved.id, expected_version=saved.version,
                                  clock=clock)


async def add_other_department(uow_factory: Callable[[], UnitOfWork], org: DemoOrg, year: int) -> int:
    """A second department under the same administration, with its own head and a unit
    (code "EK") with one goal; returns the unit's id (also put in `org.units`)."""
    clock = may_day(year, 2)
    async with uow_factory() as uow:
        admin = await uow.orgs.get_by_code(DEMO_TENANT, "NORRA")
    department = await services.create_org_node(uow_factory(), actor=None, code="AVD-S", name="Avdelning skola",
                                                kind=OrgKind.DEPARTMENT, parent_id=admin.id, clock=clock)
    unit = await services.create_org_node(uow_factory(), actor=None, code="EK", name="Ekens förskola",
                                          kind=OrgKind.UNIT, parent_id=department.id, clock=clock)
    for number, name, role, node in ((OTHER_MANAGER, "Erik Ek", Role.UNIT_MANAGER, unit.id),
                                     (OTHER_HEAD, "Frida Ask", Role.DEPARTMENT_HEAD, department.id)):
        person = await services.add_person(uow_factory(), actor=None, tenant_id=DEMO_TENANT,
                                           entra_object_id=demo_user(number), name=name, clock=clock)
        org.people[number] = person.id
        await services.assign_role(uow_factory(), actor=None, person_id=person.id, org_node_id=node, role=role,
                                   clock=clock)
    await services.create_goal(uow_factory(), actor=None, clock=clock, goal=Goal(
        id=0, code="EK-1", title="Alla barn rör sig varje dag", level="enhet", owner_id=unit.id,
        valid_from=year, valid_to=year))
    org.units["EK"] = unit.id
    return unit.id


E2E_ANALYSIS = (
    "Språkutvecklingen har gått framåt i alla grupper sedan vi införde dagliga läsestunder, men barnen "
    "med annat modersmål behöver mer stöd, och två av fyra pedagoger har inte gått utbildningen ännu."
)


async def submitted_by_anna(engine, unit_id: int) -> FollowUp:
    """Anna's (demo person 01) follow-up of her unit's first goal for the current period,
    submitted today by the system clock: what the e2e approval tests press buttons on."""
    make_uow = uow_factory(make_sessionmaker(engine))
    clock = SystemClock()
    today = clock.today()
    anna = await identify(make_uow(), tenant_id=DEMO_TENANT, entra_object_id=demo_user(1))
    async with make_uow() as uow:
        goal = (await uow.goals.for_owners([unit_id], today.year))[0]
        root = (await uow.orgs.ancestors(unit_id))[-1]
        period = current_period(await uow.periods.for_root(root.id, today.year), today)
    draft = await open_follow_up(make_uow(), actor=anna, goal_id=goal.id, period_id=period.id, clock=clock)
    changes = FollowUpChanges(
        assessment=Fulfilment.PARTLY,
        forecast=None if period.is_year_end else Fulfilment.FULFILLED,
        analysis=E2E_ANALYSIS,
        actions="Alla pedagoger går utbildningen före sommaren.",
        resource_use="Utbildningen ryms i enhetens budget.",
    )
    saved = await save_follow_up(make_uow(), actor=anna, follow_up_id=draft.id, expected_version=draft.version,
                                 changes=changes, clock=clock)
    return await submit_follow_up(make_uow(), actor=anna, follow_up_id=saved.id, expected_version=saved.version,
                                  clock=clock)
