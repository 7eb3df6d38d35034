"""What the follow-up dialog shows, read through the UnitOfWork port with the
same scope rules as the services (goals.access), plus the audit of refused cards.

The goals services answer "which goals" and write follow-ups; the reporting
cards also need a goal's parent, the indicator values of earlier periods (the
last one, and the same period last year, for the movement) and the name of who
last changed a follow-up. Those reads live here, beside the dialog that needs
them, and never reach past the port (no session, no SQL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from goals.access import (
    EDITOR_ROLES,
    Actor,
    find_in_scope_in,
    managed_units_in,
    profile_for_in,
    root_of_in,
    scope_nodes_in,
)
from goals.errors import PermissionDenied
from goals.model import AuditRecord, FollowUp, Goal, Measurement, OrgKind, OrgNode, Period
from goals.periods import current_period
from goals.ports import Clock, UnitOfWork
from goals.profiles import Profile

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class IndicatorHistory:
    """Earlier values of one indicator: the latest before this period, and the
    same period last year (the movement the follow-up is asked to describe)."""

    last: Measurement | None = None
    last_period: Period | None = None
    last_year: Measurement | None = None
    last_year_period: Period | None = None


@dataclass(frozen=True, slots=True)
class GoalRow:
    goal: Goal
    follow_up: FollowUp | None


@dataclass(frozen=True, slots=True)
class UnitPeriodView:
    unit: OrgNode
    profile: Profile
    period: Period
    open_periods: tuple[Period, ...]
    rows: tuple[GoalRow, ...]


@dataclass(frozen=True, slots=True)
class GoalView:
    unit: OrgNode
    profile: Profile
    goal: Goal
    parent: Goal | None
    period: Period
    follow_up: FollowUp
    history: dict[int, IndicatorHistory] = field(default_factory=dict)
    updated_by_name: str = ""


async def reporting_units(uow: UnitOfWork, *, actor: Actor) -> list[OrgNode]:
    """The units this person reports for: the ones they manage; for someone who
    manages none but may edit (a department head, staff), the units in their scope."""
    async with uow:
        managed = await managed_units_in(uow, actor=actor)
        if managed:
            return managed
        nodes = await scope_nodes_in(uow, actor=actor, roles=EDITOR_ROLES)
        return sorted((n for n in nodes if n.kind == OrgKind.UNIT), key=lambda n: (n.name, n.id))


async def unit_period_view(
    uow: UnitOfWork, *, actor: Actor, unit_id: int, period_id: int | None, today: date
) -> UnitPeriodView:
    """The unit's goals for the period (the current one when None) with their
    follow-ups. PermissionDenied for a unit or period outside the actor's scope;
    a closed period is returned as such (the dialog refuses to report it)."""
    async with uow:
        unit = await find_in_scope_in(uow, actor=actor, node_id=unit_id, roles=EDITOR_ROLES)
        if unit is None:
            raise PermissionDenied("unit not in scope")
        root = await root_of_in(uow, node_id=unit.id)
        profile = await profile_for_in(uow, node_id=unit.id)
        periods = [p for p in await uow.periods.for_root(root.id) if p.year in (today.year - 1, today.year)]
        if period_id is None:
            period = current_period(periods, today)
            if period is None:
                raise LookupError("no open period")
        else:
            found = await uow.periods.get(period_id)
            if found is None or found.root_id != root.id:
                raise PermissionDenied("period not in scope")
            period = found
        goals = await uow.goals.for_owners([unit.id], period.year)
        follow_ups = {f.goal_id: f for f in await uow.follow_ups.for_goals([g.id for g in goals], [period.id])}
        return UnitPeriodView(
            unit=unit,
            profile=profile,
            period=period,
            open_periods=tuple(p for p in periods if p.is_open),
            rows=tuple(GoalRow(goal=g, follow_up=follow_ups.get(g.id)) for g in goals),
        )


async def goal_view(uow: UnitOfWork, *, actor: Actor, follow_up: FollowUp) -> GoalView:
    """Everything the goal card shows for this follow-up (already access-checked
    by open_follow_up/save_follow_up; checked again, the card being untrusted)."""
    async with uow:
        goal = await uow.goals.get(follow_up.goal_id)
        unit = await find_in_scope_in(uow, actor=actor, node_id=goal.owner_id) if goal else None
        period = await uow.periods.get(follow_up.period_id)
        if goal is None or unit is None or period is None:
            raise PermissionDenied("follow-up not in scope")
        profile = await profile_for_in(uow, node_id=unit.id)
        parent = await uow.goals.get(goal.parent_id) if goal.parent_id else None
        history = await _history(uow, goal, period)
        updater = await uow.people.get(follow_up.updated_by) if follow_up.updated_by else None
        return GoalView(
            unit=unit,
            profile=profile,
            goal=goal,
            parent=parent,
            period=period,
            follow_up=follow_up,
            history=history,
            updated_by_name=updater.name if updater else "",
        )


async def find_follow_up(uow: UnitOfWork, *, actor: Actor, goal_id: int, period_id: int) -> FollowUp | None:
    """The stored follow-up of a goal in the actor's scope, without creating one
    (a card is checked before anything is written). PermissionDenied otherwise."""
    async with uow:
        goal = await uow.goals.get(goal_id)
        owner = await find_in_scope_in(uow, actor=actor, node_id=goal.owner_id) if goal else None
        if goal is None or owner is None:
            raise PermissionDenied("goal not in scope")
        return await uow.follow_ups.find(goal_id, period_id)


async def person_name(uow: UnitOfWork, *, person_id: int | None) -> str:
    if person_id is None:
        return ""
    async with uow:
        person = await uow.people.get(person_id)
        return person.name if person else ""


async def audit_refusal(
    uow: UnitOfWork, *, actor: Actor | None, clock: Clock, reason: str, details: dict[str, Any]
) -> None:
    """A refused card is a security-relevant event (tampering, someone else's
    unit, a stale version): it is recorded even though nothing else is written."""
    async with uow:
        await uow.audit.add(
            AuditRecord(
                at=clock.now(),
                actor_id=actor.person.id if actor else None,
                action="card.refused",
                entity="card",
                entity_id=None,
                details={"reason": reason, **_jsonable(details)},
            )
        )
        await uow.commit()


async def _history(uow: UnitOfWork, goal: Goal, period: Period) -> dict[int, IndicatorHistory]:
    if not goal.indicators:
        return {}
    periods = [
        p
        for p in await uow.periods.for_root(period.root_id)
        if p.year in (period.year - 1, period.year) and p.start < period.start
    ]
    earlier = await uow.follow_ups.for_goals([goal.id], [p.id for p in periods]) if periods else []
    by_period = {f.period_id: f for f in earlier}
    ordered = sorted(periods, key=lambda p: p.start, reverse=True)
    same_kind = next((p for p in ordered if p.kind == period.kind and p.year == period.year - 1), None)
    history: dict[int, IndicatorHistory] = {}
    for indicator in goal.indicators:
        last = _latest(indicator.id, ordered, by_period)
        last_year = _value(by_period.get(same_kind.id), indicator.id) if same_kind else None
        history[indicator.id] = IndicatorHistory(
            last=last[1] if last else None,
            last_period=last[0] if last else None,
            last_year=last_year,
            last_year_period=same_kind if last_year is not None else None,
        )
    return history


def _latest(
    indicator_id: int, ordered: Sequence[Period], by_period: dict[int, FollowUp]
) -> tuple[Period, Measurement] | None:
    for p in ordered:
        value = _value(by_period.get(p.id), indicator_id)
        if value is not None:
            return p, value
    return None


def _value(follow_up: FollowUp | None, indicator_id: int) -> Measurement | None:
    if follow_up is None:
        return None
    value = follow_up.indicator_values.get(indicator_id)
    return value if value is not None and value.total is not None else None


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | int | float | bool | type(None)) else str(v) for k, v in details.items()}
