"""A tiny municipality for the service tests, built through the services themselves.

    Småköpings kommun (Stockholm ILS profile, tenant TENANT)
    ├── Norra stadsdelsförvaltningen (administration)   director David, admin Eva
    │   ├── Stab (unit)                                  staff Cecilia
    │   ├── Avdelning förskola (department)              head Bertil
    │   │   ├── Solrosens förskola (unit)                manager Anna
    │   │   └── Vitsippans förskola (unit)               manager Vera
    │   └── Avdelning äldreomsorg (department)           head Frida
    │       └── Ekhagens äldreboende (unit)              manager Erik
    └── Södra stadsdelsförvaltningen (administration)
        └── Lönnens fritidsgård (unit)                   manager Lars
    Annanstad (another tenant) └── Annanstads förskola   manager "Anna" with Anna's object id

Periods T1–T3 of 2026; the clock stands on 5 May 2026 (T1 ended 30 April, its
deadline is 10 May). Goals, one per unit unless said:
    SOL-1 Solrosen: activity "Språkpromenader" ended 31 March, still ongoing (overdue)
    SOL-2 Solrosen: on track (indicator without values yet, no activities)
    VIT-1 Vitsippan: T1 follow-up drafted with assessment "ej uppfyllt"
    EKH-1 Ekhagen: T1 follow-up drafted with an indicator value off target (70 < 90)
    LON-1 Lönnen: on track
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from goals import services
from goals.access import Actor, identify
from goals.clock import FixedClock
from goals.model import (
    Activity,
    ActivityStatus,
    Direction,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
    OrgKind,
    Role,
)

TENANT = "11111111-1111-4111-8111-111111111111"
OTHER_TENANT = "22222222-2222-4222-8222-222222222222"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def clock_at(day: date, hour: int = 10) -> FixedClock:
    return FixedClock(datetime(day.year, day.month, day.day, hour, tzinfo=STOCKHOLM))


TODAY = date(2026, 5, 5)
CLOCK = clock_at(TODAY)


def oid(n: int) -> str:
    return f"a0000000-0000-4000-8000-0000000000{n:02d}"


@dataclass
class City:
    uow_factory: object
    nodes: dict[str, int]  # code -> id
    goals: dict[str, Goal]  # code -> goal
    periods: dict[str, int]  # kind -> id (2026)
    people: dict[str, int]  # first name -> person id
    stranger_id: int  # the other tenant's "Anna"

    async def actor(self, name: str) -> Actor:
        actor = await identify(self.uow_factory(), tenant_id=TENANT, entra_object_id=OIDS[name])
        assert actor is not None
        return actor


OIDS = {
    "anna": oid(1),
    "bertil": oid(2),
    "cecilia": oid(3),
    "david": oid(4),
    "eva": oid(5),
    "erik": oid(6),
    "frida": oid(7),
    "vera": oid(8),
    "lars": oid(9),
}
ROLES = {
    "anna": ("SOL", Role.UNIT_MANAGER),
    "bertil": ("AVD-F", Role.DEPARTMENT_HEAD),
    "cecilia": ("STAB", Role.STAFF),
    "david": ("NORRA", Role.DIRECTOR),
    "eva": ("NORRA", Role.ADMIN),
    "erik": ("EKH", Role.UNIT_MANAGER),
    "frida": ("AVD-A", Role.DEPARTMENT_HEAD),
    "vera": ("VIT", Role.UNIT_MANAGER),
    "lars": ("LON", Role.UNIT_MANAGER),
}
TREE = [  # code, name, kind, parent code
    ("NORRA", "Norra stadsdelsförvaltningen", OrgKind.ADMINISTRATION, "KOMMUN"),
    ("STAB", "Stab", OrgKind.UNIT, "NORRA"),
    ("AVD-F", "Avdelning förskola", OrgKind.DEPARTMENT, "NORRA"),
    ("SOL", "Solrosens förskola", OrgKind.UNIT, "AVD-F"),
    ("VIT", "Vitsippans förskola", OrgKind.UNIT, "AVD-F"),
    ("AVD-A", "Avdelning äldreomsorg", OrgKind.DEPARTMENT, "NORRA"),
    ("EKH", "Ekhagens äldreboende", OrgKind.UNIT, "AVD-A"),
    ("SODRA", "Södra stadsdelsförvaltningen", OrgKind.ADMINISTRATION, "KOMMUN"),
    ("LON", "Lönnens fritidsgård", OrgKind.UNIT, "SODRA"),
]


def unit_goal(code: str, title: str, owner_id: int, **extra) -> Goal:
    return Goal(id=0, code=code, title=title, level="enhet", owner_id=owner_id, valid_from=2026, valid_to=2026, **extra)


def satisfaction(code: str) -> Indicator:
    return Indicator(id=0, code=code, name="Andel nöjda brukare", unit="%", direction=Direction.INCREASE, target=90.0)


async def build_city(uow_factory) -> City:
    make = uow_factory
    nodes: dict[str, int] = {}
    root = await services.create_org_node(
        make(), actor=None, code="KOMMUN", name="Småköpings kommun", kind=OrgKind.MUNICIPALITY,
        tenant_id=TENANT, profile="stockholm_ils", clock=CLOCK,
    )
    nodes["KOMMUN"] = root.id
    for code, name, kind, parent in TREE:
        node = await services.create_org_node(
            make(), actor=None, code=code, name=name, kind=kind, parent_id=nodes[parent], clock=CLOCK
        )
        nodes[code] = node.id
    other_root = await services.create_org_node(
        make(), actor=None, code="ANNAN", name="Annanstad", kind=OrgKind.MUNICIPALITY,
        tenant_id=OTHER_TENANT, profile="stockholm_ils", clock=CLOCK,
    )
    other_unit = await services.create_org_node(
        make(), actor=None, code="ANNAN-F", name="Annanstads förskola", kind=OrgKind.UNIT,
        parent_id=other_root.id, clock=CLOCK,
    )
    nodes["ANNAN"], nodes["ANNAN-F"] = other_root.id, other_unit.id

    people: dict[str, int] = {}
    for name, object_id in OIDS.items():
        person = await services.add_person(
            make(), actor=None, tenant_id=TENANT, entra_object_id=object_id, name=name.capitalize(), clock=CLOCK
        )
        people[name] = person.id
        node_code, role = ROLES[name]
        await services.assign_role(make(), actor=None, person_id=person.id, org_node_id=nodes[node_code], role=role, clock=CLOCK)
    stranger = await services.add_person(
        make(), actor=None, tenant_id=OTHER_TENANT, entra_object_id=OIDS["anna"], name="Anna i Annanstad", clock=CLOCK
    )
    await services.assign_role(
        make(), actor=None, person_id=stranger.id, org_node_id=other_unit.id, role=Role.UNIT_MANAGER, clock=CLOCK
    )

    periods: dict[str, int] = {}
    for kind in ("T1", "T2", "T3"):
        period = await services.create_period(make(), actor=None, root_id=root.id, kind=kind, year=2026, clock=CLOCK)
        periods[kind] = period.id

    goals: dict[str, Goal] = {}
    specs = [
        unit_goal(
            "SOL-1", "Alla barn utvecklar sitt språk", nodes["SOL"],
            indicators=(satisfaction("SOL-1-NKI"),),
            activities=(
                Activity(id=0, title="Språkpromenader", start=date(2026, 1, 15), end=date(2026, 3, 31),
                         status=ActivityStatus.ONGOING),
            ),
        ),
        unit_goal("SOL-2", "Utemiljön används varje dag", nodes["SOL"], indicators=(satisfaction("SOL-2-NKI"),)),
        unit_goal("VIT-1", "Vårdnadshavare är delaktiga", nodes["VIT"]),
        unit_goal("EKH-1", "De äldre är nöjda med maten", nodes["EKH"], indicators=(satisfaction("EKH-1-NKI"),)),
        unit_goal("LON-1", "Fler unga hittar till gården", nodes["LON"]),
    ]
    for spec in specs:
        goals[spec.code] = await services.create_goal(make(), actor=None, goal=spec, clock=CLOCK)

    city = City(uow_factory=uow_factory, nodes=nodes, goals=goals, periods=periods, people=people,
                stranger_id=stranger.id)
    vera, erik = await city.actor("vera"), await city.actor("erik")
    vit = await services.open_follow_up(
        make(), actor=vera, goal_id=goals["VIT-1"].id, period_id=periods["T1"], clock=CLOCK
    )
    await services.save_follow_up(
        make(), actor=vera, follow_up_id=vit.id, expected_version=vit.version,
        changes=services.FollowUpChanges(assessment=Fulfilment.NOT), clock=CLOCK,
    )
    ekh = await services.open_follow_up(
        make(), actor=erik, goal_id=goals["EKH-1"].id, period_id=periods["T1"], clock=CLOCK
    )
    indicator_id = goals["EKH-1"].indicators[0].id
    await services.save_follow_up(
        make(), actor=erik, follow_up_id=ekh.id, expected_version=ekh.version,
        changes=services.FollowUpChanges(indicator_values={indicator_id: Measurement(total=70.0)}), clock=CLOCK,
    )
    return city


ANALYSIS = (
    "Språkutvecklingen går framåt men promenaderna kom igång sent eftersom personalen "
    "var sjuk i februari och vikarier saknades under flera veckor."
)


def complete_changes(city: City) -> services.FollowUpChanges:
    """Everything Stockholm ILS asks of SOL-1's T1 follow-up."""
    goal = city.goals["SOL-1"]
    return services.FollowUpChanges(
        assessment=Fulfilment.PARTLY,
        forecast=Fulfilment.FULFILLED,
        analysis=ANALYSIS,
        actions="Promenaderna flyttas till förmiddagarna och fler pedagoger utbildas.",
        resource_use="Två pedagoger har gått språkutbildning inom befintlig budget.",
        indicator_values={goal.indicators[0].id: Measurement(total=92.0)},
        activity_statuses={goal.activities[0].id: ActivityStatus.DELAYED},
    )


@pytest.fixture
async def city(uow_factory) -> City:
    return await build_city(uow_factory)
