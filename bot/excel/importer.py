"""Import a filled-in goal-plan workbook: all or nothing, idempotent, audited.

The file is first checked on its own (goals.spreadsheet.parse_plan lists every
problem). Then everything is written in ONE transaction: V's write services are
given a unit of work that joins the importer's open one (their `async with` and
`commit()` do not end it), so one problem anywhere rolls back the whole file.
Rows are matched by code; unchanged rows write nothing (services skip unchanged
goals and existing roles), so re-importing the same file adds no audit row.
Changes the services have no update for (a unit's name, a person's e-mail, a
period's dates) are written here with their own audit rows, in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from goals import services
from goals.errors import DomainError, ValidationFailed
from goals.model import Activity, ExpectedResult, Goal, Indicator, OrgNode, Person
from goals.ports import Clock, UnitOfWork
from goals.services.recording import changed_fields, record
from goals.spreadsheet import (
    GOALS,
    ORG,
    PEOPLE,
    PERIODS,
    ROLES,
    GoalRow,
    Plan,
    PlanInvalid,
    Problem,
    column_letter,
    parse_plan,
    problem,
)

from bot.excel.template import read_sheets


@dataclass
class ImportReport:
    """What was written, counted by kind: "units", "people", "roles", "periods", "goals"
    (worded by the catalogs' excel.cli.counted.*)."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, *, created: bool) -> None:
        target = self.created if created else self.updated
        target[kind] = target.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


class _Joined(UnitOfWork):
    """A unit of work that lives inside the importer's open one: entering and
    committing are no-ops, so every service call lands in the same transaction."""

    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner

    async def __aenter__(self) -> _Joined:
        for name in ("orgs", "people", "goals", "periods", "follow_ups", "status", "overview", "audit", "outbox"):
            setattr(self, name, getattr(self._inner, name))
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        return None

    async def rollback(self) -> None:
        return None


async def import_workbook(uow_factory: Callable[[], UnitOfWork], path: Path, *, clock: Clock) -> ImportReport:
    """Write the file's plan; raise PlanInvalid (nothing written) listing every problem."""
    sheets = read_sheets(path)
    plan = parse_plan(sheets)
    async with uow_factory() as uow:
        writer = _Writer(uow, clock)
        await writer.write(plan)
        if writer.problems:
            raise PlanInvalid(writer.problems, {name: sheet.name for name, sheet in sheets.items()})
        await uow.commit()
        return writer.report


class _Writer:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow, self.clock = uow, clock
        self.problems: list[Problem] = []
        self.report = ImportReport()
        self.nodes: dict[str, OrgNode] = {}
        self.people: dict[str, Person] = {}

    def joined(self) -> _Joined:
        return _Joined(self.uow)

    def problem(self, sheet: str, row: int, header: str, error: DomainError) -> None:
        detail = ", ".join(f"{k}: {v}" for k, v in error.problems.items()) if isinstance(error, ValidationFailed) else str(error)
        self.problems.append(problem(sheet, row, column_letter(sheet, header), "not_saved", detail=detail))

    async def write(self, plan: Plan) -> None:
        await self._units(plan)
        if self.problems:
            return  # everything below needs the units
        await self._people(plan)
        await self._periods(plan)
        await self._goals(plan)

    async def _units(self, plan: Plan) -> None:
        tenant = plan.root.tenant_id
        for row in plan.units:
            parent = self.nodes.get(row.parent_code) if row.parent_code else None
            existing = await self.uow.orgs.get_by_code(tenant, row.code)
            if existing is None:
                try:
                    node = await services.create_org_node(
                        self.joined(), actor=None, code=row.code, name=row.name, kind=row.kind, clock=self.clock,
                        parent_id=parent.id if parent else None,
                        tenant_id=tenant if parent is None else None,
                        profile=row.profile if parent is None else None,
                    )
                except DomainError as error:
                    self.problem(ORG, row.row, "Kod", error)
                    return
                self.report.count("units", created=True)
            else:
                if (existing.parent_id is None) != (parent is None):
                    self.problems.append(problem(ORG, row.row, column_letter(ORG, "Överordnad kod"), "moved_in_tree",
                                                 code=row.code))
                    return
                wanted = replace(existing, name=row.name, kind=row.kind, parent_id=parent.id if parent else None,
                                 profile=row.profile if parent is None else existing.profile)
                node = await self._update(existing, wanted, "org_node", ("name", "kind", "parent_id", "profile"),
                                          self.uow.orgs.update, "units")
            self.nodes[row.code] = node

    async def _update(self, existing, wanted, entity: str, names: tuple[str, ...], store, counted: str):
        changes = changed_fields(existing, wanted, names)
        if not changes:
            return existing
        stored = await store(wanted)
        await record(self.uow, actor=None, clock=self.clock, action=f"{entity}.updated", entity=entity,
                     entity_id=existing.id, details={"changes": changes, "source": "excel"})
        self.report.count(counted, created=False)
        return stored

    async def _people(self, plan: Plan) -> None:
        tenant = plan.root.tenant_id
        for row in plan.people:
            existing = await self.uow.people.get_by_entra(tenant, row.entra_object_id)
            if existing is None:
                try:
                    person = await services.add_person(
                        self.joined(), actor=None, tenant_id=tenant, entra_object_id=row.entra_object_id,
                        name=row.name, email=row.email, locale=row.locale, clock=self.clock,
                    )
                except DomainError as error:
                    self.problem(PEOPLE, row.row, "Entra objekt-id", error)
                    continue
                self.report.count("people", created=True)
            else:
                wanted = replace(existing, name=row.name, email=row.email, locale=row.locale)
                person = await self._update(existing, wanted, "person", ("name", "email", "locale"),
                                            self.uow.people.update, "people")
            self.people[row.entra_object_id] = person
        for role in plan.roles:
            person, node = self.people.get(role.entra_object_id), self.nodes[role.unit_code]
            if person is None:
                continue
            before = len(await self.uow.people.roles(person.id))
            try:
                await services.assign_role(self.joined(), actor=None, person_id=person.id, org_node_id=node.id,
                                           role=role.role, clock=self.clock)
            except DomainError as error:
                self.problem(ROLES, role.row, "Roll", error)
                continue
            if len(await self.uow.people.roles(person.id)) > before:
                self.report.count("roles", created=True)

    async def _periods(self, plan: Plan) -> None:
        root = self.nodes[plan.root.code]
        for row in plan.periods:
            existing = next((p for p in await self.uow.periods.for_root(root.id, row.year) if p.kind == row.kind), None)
            if existing is None:
                try:
                    await services.create_period(
                        self.joined(), actor=None, root_id=root.id, kind=row.kind, year=row.year, clock=self.clock,
                        start=row.start, end=row.end, deadline=row.deadline,
                    )
                except DomainError as error:
                    self.problem(PERIODS, row.row, "Typ", error)
                    continue
                self.report.count("periods", created=True)
            else:
                wanted = replace(existing, start=row.start or existing.start, end=row.end or existing.end,
                                 deadline=row.deadline or existing.deadline)
                if not wanted.start <= wanted.end <= wanted.deadline:
                    self.problems.append(
                        problem(PERIODS, row.row, column_letter(PERIODS, "Slut"), "dates_out_of_order"))
                    continue
                await self._update(existing, wanted, "period", ("start", "end", "deadline"),
                                   self.uow.periods.update, "periods")

    async def _goals(self, plan: Plan) -> None:
        stored: dict[str, Goal] = {}
        for row in plan.goals:
            owner = self.nodes[row.owner_code]
            existing = await self.uow.goals.get_by_code(owner.id, row.code)
            parent = stored.get(row.parent_code) if row.parent_code else None
            if row.parent_code and parent is None:
                continue  # its parent failed; that row already has a problem
            goal = _goal(row, owner.id, parent.id if parent else None, existing)
            try:
                if existing is None:
                    saved = await services.create_goal(self.joined(), actor=None, goal=goal, clock=self.clock)
                    self.report.count("goals", created=True)
                elif goal != existing:
                    saved = await services.update_goal(self.joined(), actor=None, goal=goal, clock=self.clock)
                    self.report.count("goals", created=False)
                else:
                    saved = existing
            except DomainError as error:
                self.problem(GOALS, row.row, "Kod", error)
                continue
            stored[row.code] = saved


def _goal(row: GoalRow, owner_id: int, parent_id: int | None, existing: Goal | None) -> Goal:
    """The goal as the file says, keeping the stored ids of children that are
    still there (results by text, indicators by code, activities by title), so an
    unchanged row compares equal and writes nothing."""
    old_results = {r.text: r.id for r in existing.expected_results} if existing else {}
    old_indicators = {i.code: i.id for i in existing.indicators} if existing else {}
    old_activities = {a.title: a.id for a in existing.activities} if existing else {}
    return Goal(
        id=existing.id if existing else 0,
        code=row.code,
        title=row.title,
        level=row.level,
        owner_id=owner_id,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        number=existing.number if existing else 0,
        description=row.description,
        parent_id=parent_id,
        area_id=existing.area_id if existing else None,
        expected_results=tuple(
            ExpectedResult(id=old_results.get(r.text, 0), text=r.text, direction=r.direction,
                           target_value=r.target, baseline=r.baseline)
            for r in row.results
        ),
        indicators=tuple(
            Indicator(id=old_indicators.get(i.code, 0), code=i.code, name=i.name, unit=i.unit, direction=i.direction,
                      target=i.target, baseline=i.baseline, gender_split=i.gender_split, kpi_id=i.kpi_id)
            for i in row.indicators
        ),
        activities=tuple(
            Activity(id=old_activities.get(a.title, 0), title=a.title, start=a.start, end=a.end, status=a.status)
            for a in row.activities
        ),
    )
