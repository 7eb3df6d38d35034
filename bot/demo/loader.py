"""Load a demo city into the database, idempotently and audited.

Structure goes through the goal services (create_org_node, add_person,
assign_role, create_goal, create_period, close_period) with `actor=None`, the
system, so the demo is set up exactly as an import would be, each change with
its audit row. Goal areas and the follow-up history have no "import" service
(a person reports follow-ups through the dialog, with the workflow's rules);
they are written through the repositories here, each with its audit row in the
same transaction.

Everything is matched by natural key before it is written (org nodes by tenant
and code, people by Entra id, goals by owner and code, periods by root, kind and
year, follow-ups by goal and period), so loading twice changes nothing and
writes no audit rows the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from goals.model import AuditRecord, FollowUp, Goal, GoalArea, OrgNode, Period
from goals.ports import Clock, UnitOfWork
from goals.profiles import load_profile
from goals.services import add_person, assign_role, close_period, create_goal, create_org_node, create_period
from goals.services.recording import jsonable

from bot.demo.malmo_2023 import MALMO_2023
from bot.demo.plan import Plan, plan_demo
from bot.demo.spec import DemoSpec
from bot.demo.stockholm_ils import STOCKHOLM_ILS

DEMOS: dict[str, DemoSpec] = {spec.key: spec for spec in (STOCKHOLM_ILS, MALMO_2023)}


@dataclass
class LoadReport:
    """What one load created (all zero when the demo was already there)."""

    demo: str
    today: date
    current_period: str | None = None
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n

    @property
    def total(self) -> int:
        return sum(self.created.values())


async def load_demo(uow_factory: Callable[[], UnitOfWork], *, demo: str, clock: Clock) -> LoadReport:
    """Load the named demo (see DEMOS) as of `clock.today()`."""
    spec = DEMOS[demo]
    profile = load_profile(spec.profile)
    today = clock.today()
    plan = plan_demo(spec, profile, today)
    current = f"{plan.current[1]} {plan.current[0]}" if plan.current else None
    report = LoadReport(demo=demo, today=today, current_period=current)

    nodes = await _org_nodes(uow_factory, spec, clock, report)
    people = await _people(uow_factory, spec, clock, report)
    for node_spec in spec.root.walk():
        for person, role in node_spec.people:
            async with uow_factory() as uow:
                known = await uow.people.roles(people[person.number])
            if not any(r.org_node_id == nodes[node_spec.code].id and r.role == role for r in known):
                await assign_role(
                    uow_factory(), actor=None, person_id=people[person.number], org_node_id=nodes[node_spec.code].id,
                    role=role, clock=clock,
                )
                report.count("roles")
    root = nodes[spec.root.code]
    areas = await _areas(uow_factory, spec, root, clock, report)
    goals = await _goals(uow_factory, plan, nodes, areas, clock, report)
    periods = await _periods(uow_factory, plan, root, clock, report)
    await _follow_ups(uow_factory, plan, goals, periods, people, clock, report)
    return report


async def _org_nodes(uow_factory, spec: DemoSpec, clock: Clock, report: LoadReport) -> dict[str, OrgNode]:
    nodes: dict[str, OrgNode] = {}
    for node_spec, parent_code in spec.root.walk_with_parents():
        async with uow_factory() as uow:
            existing = await uow.orgs.get_by_code(spec.tenant_id, node_spec.code)
        if existing is None:
            existing = await create_org_node(
                uow_factory(),
                actor=None,
                code=node_spec.code,
                name=node_spec.name,
                kind=node_spec.kind,
                clock=clock,
                parent_id=nodes[parent_code].id if parent_code else None,
                tenant_id=spec.tenant_id if parent_code is None else None,
                profile=spec.profile if parent_code is None else None,
            )
            report.count("org_nodes")
        nodes[node_spec.code] = existing
    return nodes


async def _people(uow_factory, spec: DemoSpec, clock: Clock, report: LoadReport) -> dict[int, int]:
    """person number -> person id"""
    ids: dict[int, int] = {}
    for person in spec.people():
        async with uow_factory() as uow:
            existing = await uow.people.get_by_entra(spec.tenant_id, person.entra_object_id)
        if existing is None:
            existing = await add_person(
                uow_factory(),
                actor=None,
                tenant_id=spec.tenant_id,
                entra_object_id=person.entra_object_id,
                name=person.name,
                email=person.email,
                clock=clock,
            )
            report.count("people")
        ids[person.number] = existing.id
    return ids


async def _areas(uow_factory, spec: DemoSpec, root: OrgNode, clock: Clock, report: LoadReport) -> dict[str, int]:
    async with uow_factory() as uow:
        existing = {area.code: area.id for area in await uow.goals.areas(root.id)}
        for area_spec in spec.areas:
            if area_spec.code in existing:
                continue
            area = await uow.goals.add_area(GoalArea(id=0, code=area_spec.code, name=area_spec.name, org_node_id=root.id))
            await uow.audit.add(
                AuditRecord(
                    at=clock.now(), actor_id=None, action="goal_area.created", entity="goal_area", entity_id=area.id,
                    details={"created": jsonable(area)},
                )
            )
            existing[area.code] = area.id
            report.count("goal_areas")
        await uow.commit()
    return existing


async def _goals(uow_factory, plan: Plan, nodes, areas, clock: Clock, report: LoadReport) -> dict[str, Goal]:
    """goal code -> stored Goal (parents are stored before their children: the plan
    lists goals top-down, as the organisation tree is walked)."""
    stored: dict[str, Goal] = {}
    for planned in plan.goals:
        owner = nodes[planned.owner_code]
        async with uow_factory() as uow:
            existing = await uow.goals.get_by_code(owner.id, planned.goal.code)
        if existing is None:
            goal = replace(
                planned.goal,
                owner_id=owner.id,
                parent_id=stored[planned.parent_code].id if planned.parent_code else None,
                area_id=areas.get(planned.area_code) if planned.area_code else None,
            )
            existing = await create_goal(uow_factory(), actor=None, goal=goal, clock=clock)
            report.count("goals")
        stored[planned.goal.code] = existing
    return stored


async def _periods(uow_factory, plan: Plan, root: OrgNode, clock: Clock, report: LoadReport) -> dict[tuple[int, str], Period]:
    async with uow_factory() as uow:
        existing = {(p.year, p.kind): p for p in await uow.periods.for_root(root.id)}
    for planned in plan.periods:
        key = (planned.year, planned.kind)
        if key not in existing:
            existing[key] = await create_period(
                uow_factory(), actor=None, root_id=root.id, kind=planned.kind, year=planned.year, clock=clock
            )
            report.count("periods")
    return existing


async def _close_passed_periods(uow_factory, plan: Plan, periods, clock: Clock, report: LoadReport) -> None:
    for planned in plan.periods:
        stored = periods[(planned.year, planned.kind)]
        if stored.is_open and not planned.is_open:
            periods[(planned.year, planned.kind)] = await close_period(
                uow_factory(), actor=None, period_id=stored.id, clock=clock
            )
            report.count("periods_closed")


async def _follow_ups(uow_factory, plan: Plan, goals, periods, people, clock: Clock, report: LoadReport) -> None:
    """The follow-up history and the current period's reports, in one transaction
    (written before periods are closed: a closed period takes no reports)."""
    async with uow_factory() as uow:
        goal_ids = [goal.id for goal in goals.values()]
        period_ids = [period.id for period in periods.values()]
        have = {(f.goal_id, f.period_id) for f in await uow.follow_ups.for_goals(goal_ids, period_ids)}
        for planned in plan.follow_ups:
            goal = goals[planned.goal_code]
            period = periods[planned.period]
            if (goal.id, period.id) in have:
                continue
            indicator_ids = {indicator.code: indicator.id for indicator in goal.indicators}
            follow_up = await uow.follow_ups.add(
                FollowUp(
                    id=0,
                    goal_id=goal.id,
                    period_id=period.id,
                    state=planned.state,
                    assessment=planned.assessment,
                    forecast=planned.forecast,
                    analysis=planned.analysis,
                    actions=planned.actions,
                    evidence_note=planned.evidence_note,
                    resource_use=planned.resource_use,
                    cross_sectoral=planned.cross_sectoral,
                    indicator_values={indicator_ids[code]: value for code, value in planned.values.items()},
                    activity_statuses={goal.activities[i].id: status for i, status in planned.activity_statuses.items()},
                    author_id=people.get(planned.author) if planned.author else None,
                    submitted_at=planned.submitted_at,
                    approver_id=people.get(planned.approver) if planned.approver else None,
                    decided_at=planned.decided_at,
                    updated_at=planned.decided_at or planned.submitted_at or clock.now(),
                    updated_by=people.get(planned.author) if planned.author else None,
                )
            )
            await uow.audit.add(
                AuditRecord(
                    at=clock.now(), actor_id=None, action="follow_up.imported", entity="follow_up",
                    entity_id=follow_up.id,
                    details={"goal": goal.code, "period": f"{planned.period[1]} {planned.period[0]}", "state": planned.state},
                )
            )
            report.count("follow_ups")
        await uow.commit()
    await _close_passed_periods(uow_factory, plan, periods, clock, report)
