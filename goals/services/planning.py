"""Setting up goals and reporting periods (demo, import, administrators).

Goals are written by whoever may edit the owner's follow-ups (goals.access.
EDITOR_ROLES); periods by an admin of the organisation root. `actor=None` is the
system. Every write leaves one audit row.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from goals.access import EDITOR_ROLES, Actor, find_in_scope_in, profile_for_in
from goals.errors import NotFound, PermissionDenied, ValidationFailed
from goals.model import Goal, Period
from goals.periods import periods_for_year
from goals.ports import Clock, UnitOfWork
from goals.services.organisation import require_admin_in
from goals.services.recording import changed_fields, jsonable, record

_GOAL_FIELDS = (
    "code", "title", "level", "owner_id", "valid_from", "valid_to", "number", "description",
    "parent_id", "area_id", "expected_results", "indicators", "activities",
)


async def create_goal(uow: UnitOfWork, *, actor: Actor | None, goal: Goal, clock: Clock) -> Goal:
    """Store a new goal with its expected results, indicators and activities
    (ids 0); returns it with ids and, when `number` is 0, the next free number."""
    async with uow:
        await _require_goal_writer(uow, actor, goal.owner_id)
        await _validate_goal(uow, goal)
        if await uow.goals.get_by_code(goal.owner_id, goal.code) is not None:
            raise ValidationFailed({"code": "code.taken"})
        stored = await uow.goals.add(replace(goal, id=0))
        await record(
            uow, actor=actor, clock=clock, action="goal.created", entity="goal", entity_id=stored.id,
            details={"created": jsonable(stored)},
        )
        await uow.commit()
        return stored


async def update_goal(uow: UnitOfWork, *, actor: Actor | None, goal: Goal, clock: Clock) -> Goal:
    """Replace a goal's fields and children; the audit row lists what changed."""
    async with uow:
        existing = await uow.goals.get(goal.id)
        if existing is None:
            raise PermissionDenied("goal not in scope") if actor is not None else NotFound("no such goal")
        await _require_goal_writer(uow, actor, existing.owner_id)
        if goal.owner_id != existing.owner_id:
            await _require_goal_writer(uow, actor, goal.owner_id)
        await _validate_goal(uow, goal)
        changes = changed_fields(existing, goal, _GOAL_FIELDS)
        if not changes:
            return existing
        stored = await uow.goals.update(goal)
        await record(
            uow, actor=actor, clock=clock, action="goal.updated", entity="goal", entity_id=stored.id,
            details={"changes": changes},
        )
        await uow.commit()
        return stored


async def create_period(
    uow: UnitOfWork,
    *,
    actor: Actor | None,
    root_id: int,
    kind: str,
    year: int,
    clock: Clock,
    start: date | None = None,
    end: date | None = None,
    deadline: date | None = None,
) -> Period:
    """A reporting period of the root, with the dates its profile gives the kind
    (each can be overridden: an administration may move a deadline)."""
    async with uow:
        await require_admin_in(uow, actor=actor, node_id=root_id)
        root = await uow.orgs.get(root_id)
        if root is None or root.parent_id is not None:
            raise ValidationFailed({"root_id": "period.root_required"})
        profile = await profile_for_in(uow, node_id=root_id)
        template = next((p for p in periods_for_year(profile, root_id=root_id, year=year) if p.kind == kind), None)
        if template is None:
            raise ValidationFailed({"kind": "period.kind_unknown"})
        if any(p.kind == kind for p in await uow.periods.for_root(root_id, year)):
            raise ValidationFailed({"kind": "period.exists"})
        period = replace(
            template,
            id=0,
            start=start or template.start,
            end=end or template.end,
            deadline=deadline or template.deadline,
        )
        if not period.start <= period.end <= period.deadline:
            raise ValidationFailed({"deadline": "period.dates_out_of_order"})
        stored = await uow.periods.add(period)
        await record(
            uow, actor=actor, clock=clock, action="period.created", entity="period", entity_id=stored.id,
            details={"created": jsonable(stored)},
        )
        await uow.commit()
        return stored


async def close_period(uow: UnitOfWork, *, actor: Actor | None, period_id: int, clock: Clock) -> Period:
    """Close a period to all follow-up writes (closing a closed one writes nothing)."""
    async with uow:
        period = await uow.periods.get(period_id)
        if period is None:
            raise PermissionDenied("period not in scope") if actor is not None else NotFound("no such period")
        await require_admin_in(uow, actor=actor, node_id=period.root_id)
        if not period.is_open:
            return period
        stored = await uow.periods.update(replace(period, is_open=False))
        await record(
            uow, actor=actor, clock=clock, action="period.closed", entity="period", entity_id=stored.id,
            details={"changes": changed_fields(period, stored, ("is_open",))},
        )
        await uow.commit()
        return stored


async def _require_goal_writer(uow: UnitOfWork, actor: Actor | None, owner_id: int) -> None:
    if actor is None:
        if await uow.orgs.get(owner_id) is None:
            raise NotFound("no such owner", node_id=owner_id)
        return
    if await find_in_scope_in(uow, actor=actor, node_id=owner_id, roles=EDITOR_ROLES) is None:
        raise PermissionDenied("may not write this node's goals")


async def _validate_goal(uow: UnitOfWork, goal: Goal) -> None:
    problems: dict[str, str] = {}
    owner = await uow.orgs.get(goal.owner_id)
    if owner is not None:
        profile = await profile_for_in(uow, node_id=owner.id)
        level = next((lvl for lvl in profile.levels if lvl.key == goal.level), None)
        if level is None:
            problems["level"] = "goal.level_unknown"
        elif owner.kind not in level.org_kinds:
            problems["level"] = "goal.level_not_for_owner"
    if goal.valid_from > goal.valid_to:
        problems["valid_to"] = "goal.validity_out_of_order"
    if goal.parent_id is not None and await uow.goals.get(goal.parent_id) is None:
        problems["parent_id"] = "goal.parent_unknown"
    if problems:
        raise ValidationFailed(problems)
