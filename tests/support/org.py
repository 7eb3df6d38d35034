"""A small demo-like organisation in the demo tenant, built through the services:

    Demokommun (Stockholm ILS, DEMO_TENANT)
    └── Norra förvaltningen (administration)      staff 03, director 04
        └── Avdelning förskola (department)       head 02
            ├── Solrosens förskola (unit)         manager 01 – two goals
            └── Vitsippans förskola (unit)        one goal
Periods T1–T3 of `year`; goals valid in `year`. Used by the e2e tests and bench/turns.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from goals import services
from goals.clock import FixedClock
from goals.model import Goal, OrgKind, Role
from goals.ports import UnitOfWork
from tests.support.activities import DEMO_TENANT, demo_user

GOALS = {
    "SOL": ("Alla barn utvecklar sitt språk", "Utemiljön används varje dag"),
    "VIT": ("Vårdnadshavare är delaktiga",),
}


@dataclass
class DemoOrg:
    units: dict[str, int]  # code -> id
    people: dict[int, int]  # demo number NN -> person id
    goal_titles: dict[str, tuple[str, ...]]


async def build_demo_org(
    uow_factory: Callable[[], UnitOfWork], *, year: int, extra_managers: int = 0
) -> DemoOrg:
    """`extra_managers`: demo people 11, 12, … each managing one more unit of their own
    with a goal (the benchmark's concurrent users)."""
    clock = FixedClock(datetime(year, 1, 2, 9, tzinfo=ZoneInfo("Europe/Stockholm")))
    root = await services.create_org_node(
        uow_factory(), actor=None, code="DEMO", name="Demokommun", kind=OrgKind.MUNICIPALITY,
        tenant_id=DEMO_TENANT, profile="stockholm_ils", clock=clock,
    )

    async def node(code: str, name: str, kind: OrgKind, parent: int) -> int:
        made = await services.create_org_node(
            uow_factory(), actor=None, code=code, name=name, kind=kind, parent_id=parent, clock=clock
        )
        return made.id

    admin = await node("NORRA", "Norra förvaltningen", OrgKind.ADMINISTRATION, root.id)
    department = await node("AVD-F", "Avdelning förskola", OrgKind.DEPARTMENT, admin)
    units = {
        "SOL": await node("SOL", "Solrosens förskola", OrgKind.UNIT, department),
        "VIT": await node("VIT", "Vitsippans förskola", OrgKind.UNIT, department),
    }
    goal_titles = dict(GOALS)
    for i in range(extra_managers):
        code = f"E{i + 1:03d}"
        units[code] = await node(code, f"Enhet {i + 1}", OrgKind.UNIT, department)
        goal_titles[code] = (f"Mål för enhet {i + 1}",)

    people: dict[int, int] = {}

    async def person(nn: int, name: str, role: Role, node_id: int) -> None:
        made = await services.add_person(
            uow_factory(), actor=None, tenant_id=DEMO_TENANT, entra_object_id=demo_user(nn), name=name, clock=clock
        )
        people[nn] = made.id
        await services.assign_role(uow_factory(), actor=None, person_id=made.id, org_node_id=node_id, role=role, clock=clock)

    await person(1, "Anna Lindqvist", Role.UNIT_MANAGER, units["SOL"])
    await person(2, "Bertil Ek", Role.DEPARTMENT_HEAD, department)
    await person(3, "Cecilia Berg", Role.STAFF, admin)
    await person(4, "David Holm", Role.DIRECTOR, admin)
    for i in range(extra_managers):
        await person(11 + i, f"Chef {i + 1}", Role.UNIT_MANAGER, units[f"E{i + 1:03d}"])

    for kind in ("T1", "T2", "T3"):
        await services.create_period(uow_factory(), actor=None, root_id=root.id, kind=kind, year=year, clock=clock)
    for code, titles in goal_titles.items():
        for n, title in enumerate(titles, start=1):
            goal = Goal(id=0, code=f"{code}-{n}", title=title, level="enhet", owner_id=units[code],
                        valid_from=year, valid_to=year)
            await services.create_goal(uow_factory(), actor=None, goal=goal, clock=clock)
    return DemoOrg(units=units, people=people, goal_titles=goal_titles)
