"""Read-only answers to status questions that goals.services does not give:
one unit's or one goal's status, which units have not reported, when the next
deadlines are, an indicator's values over time, and the names a person may ask about.

Every function is scoped by goals.access: a node or goal outside the actor's scope
raises PermissionDenied, the same error as for one that does not exist, so asking
about ids reveals nothing. Status always comes from `uow.status.statuses` (the pure
rules in goals.status applied to the bulk read, kept while nothing they depend on
changed), so these answers cannot disagree with `behind_goals` or with each other.

Like the services, each function takes an un-entered UnitOfWork and opens it itself.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from goals.access import Actor, find_in_scope_in, require_in_scope_in, root_of_in, scope_nodes_in, scope_roots_in
from goals.errors import PermissionDenied
from goals.model import FollowUpState, Goal, Indicator, Measurement, OrgNode, Period, Role
from goals.ports import GoalSnapshot, UnitOfWork
from goals.services.questions import BehindGoal, behind_of
from goals.status import GoalStatus, sorted_by_severity

# Who may ask which units have not reported: the people who follow units up.
# A unit manager's own units are answered by "what is left to report".
OVERSEER_ROLES: frozenset[Role] = frozenset({Role.DEPARTMENT_HEAD, Role.STAFF, Role.DIRECTOR, Role.ADMIN})
# How far back a trend reaches: the year asked about and the three before it.
TREND_YEARS = 4


@dataclass(frozen=True, slots=True)
class ScopeNames:
    """The names a person may refer to in a question, all within their scope."""

    units: dict[int, str]  # org node id -> name (units, departments, administrations)
    goals: dict[int, str]  # goal id -> title
    goal_numbers: dict[int, int]  # goal id -> number ("mål 3")
    goal_owners: dict[int, int]  # goal id -> owner org node id
    indicators: dict[int, str]  # indicator id -> name
    indicator_goal: dict[int, int]  # indicator id -> the goal it belongs to


@dataclass(frozen=True, slots=True)
class UnitStatus:
    node: OrgNode
    goals: tuple[GoalStatus, ...]  # of the node and everything below it, most behind first

    @property
    def behind(self) -> tuple[GoalStatus, ...]:
        return tuple(g for g in self.goals if g.is_behind)


@dataclass(frozen=True, slots=True)
class NotReported:
    """A unit with goals whose follow-up for `period` is not submitted or approved."""

    unit: OrgNode
    period: Period
    goals: tuple[tuple[Goal, FollowUpState | None], ...]  # goal and its state (None = not started)
    overdue: bool  # the period's deadline has passed


@dataclass(frozen=True, slots=True)
class PeriodDeadline:
    period: Period
    left: int  # follow-ups in the actor's scope still to report for it
    passed: bool


@dataclass(frozen=True, slots=True)
class TrendPoint:
    period: Period
    value: Measurement


@dataclass(frozen=True, slots=True)
class Trend:
    goal: Goal
    owner_name: str
    indicator: Indicator
    points: tuple[TrendPoint, ...]  # oldest first; periods with a recorded value only


# --- one read for a typed question ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScopeView:
    """Everything in the actor's scope that a typed question needs, read once: the nodes
    (parents first) and their goals' statuses. The names to recognise and the answer to
    "which goals are behind?" both come from it, so a turn reads the goals only once."""

    nodes: tuple[OrgNode, ...]
    statuses: tuple[GoalStatus, ...]

    @property
    def names(self) -> ScopeNames:
        goals = [s.goal for s in self.statuses]
        return ScopeNames(
            units={n.id: n.name for n in self.nodes},
            goals={g.id: g.title for g in goals},
            goal_numbers={g.id: g.number for g in goals if g.number},
            goal_owners={g.id: g.owner_id for g in goals},
            indicators={i.id: i.name for g in goals for i in g.indicators},
            indicator_goal={i.id: g.id for g in goals for i in g.indicators},
        )

    def has_names_of(self, other: ScopeView) -> bool:
        """Whether `other.names` are this view's names, without building them: the same
        nodes (ids and names, in order) and the very same status objects, in order.
        Statuses and goals are frozen, and the status memo hands out the same object
        while a goal is unchanged, so identity is enough (a status worked out again
        fails it, which only costs building the names)."""
        if len(self.statuses) != len(other.statuses) or len(self.nodes) != len(other.nodes):
            return False
        return all(map(operator.is_, self.statuses, other.statuses)) and all(
            a.id == b.id and a.name == b.name for a, b in zip(self.nodes, other.nodes, strict=True)
        )

    def below(self, node_id: int) -> set[int]:
        """The node and every node under it, within the view; PermissionDenied if the node
        is not in it (scope is closed under "below", so this is the access check)."""
        if not any(n.id == node_id for n in self.nodes):
            raise PermissionDenied("not in scope")
        found = {node_id}
        for node in self.nodes:  # parents come before their children
            if node.parent_id in found:
                found.add(node.id)
        return found


async def scope_view(uow: UnitOfWork, *, actor: Actor, today: date) -> ScopeView:
    async with uow:
        nodes = await scope_nodes_in(uow, actor=actor)
        statuses = await uow.status.statuses([n.id for n in nodes], today) if nodes else []
    return ScopeView(nodes=tuple(nodes), statuses=tuple(statuses))


def behind_in(view: ScopeView, *, today: date, node_id: int | None = None) -> list[BehindGoal]:
    """What goals.services.behind_goals answers, from a view already read: the same rules,
    the same order (most behind first; ties by owner name, goal number, id)."""
    owners = view.below(node_id) if node_id is not None else None
    return behind_of(s for s in view.statuses if owners is None or s.goal.owner_id in owners)


# --- names -----------------------------------------------------------------------------


async def names_in_scope(uow: UnitOfWork, *, actor: Actor, today: date) -> ScopeNames:
    """Units, goals (valid this year) and indicators the actor may ask about."""
    async with uow:
        nodes = await scope_nodes_in(uow, actor=actor)
        goals = await uow.goals.for_owners([n.id for n in nodes], today.year) if nodes else []
    return ScopeNames(
        units={n.id: n.name for n in nodes},
        goals={g.id: g.title for g in goals},
        goal_numbers={g.id: g.number for g in goals if g.number},
        goal_owners={g.id: g.owner_id for g in goals},
        indicators={i.id: i.name for g in goals for i in g.indicators},
        indicator_goal={i.id: g.id for g in goals for i in g.indicators},
    )


async def organisation_names(uow: UnitOfWork, *, actor: Actor) -> dict[int, str]:
    """Every org node of the actor's tenant, id -> name: only for telling "a unit that is
    not yours" from "no such unit" in a typed question. Org charts are public, and the
    answer to a unit outside scope says nothing about it, not even its name."""
    async with uow:
        names: dict[int, str] = {}
        for root in await uow.orgs.roots(actor.person.tenant_id):
            names.update((n.id, n.name) for n in await uow.orgs.subtree(root.id))
    return names


# --- status of a unit or a goal -----------------------------------------------------


async def unit_status(uow: UnitOfWork, *, actor: Actor, node_id: int, today: date) -> UnitStatus:
    """Every goal of the node and the nodes below it, with its reasons, most behind first."""
    async with uow:
        node = await require_in_scope_in(uow, actor=actor, node_id=node_id)
        owner_ids = [n.id for n in await uow.orgs.subtree(node.id)]
        statuses = await uow.status.statuses(owner_ids, today)
    return UnitStatus(node=node, goals=tuple(sorted_by_severity(statuses)))


async def goal_status(uow: UnitOfWork, *, actor: Actor, goal_id: int, today: date) -> GoalStatus:
    async with uow:
        goal = await uow.goals.get(goal_id)
        owner = await find_in_scope_in(uow, actor=actor, node_id=goal.owner_id) if goal else None
        # A missing goal and someone else's goal are refused alike.
        if goal is None or owner is None:
            raise PermissionDenied("not in scope")
        status = next((s for s in await uow.status.statuses([goal.owner_id], today) if s.goal.id == goal_id), None)
    if status is None:
        # Not valid this year: nothing can be behind or due.
        return GoalStatus(goal=goal, owner_name=owner.name, reasons=(), severity=0, due=(), period=None, state=None)
    return status


# --- reporting ---------------------------------------------------------------------------


async def not_reported(
    uow: UnitOfWork, *, actor: Actor, today: date, node_id: int | None = None
) -> list[NotReported]:
    """Units in the scope of the actor's head/staff/director roles (or below `node_id`)
    with follow-ups still to report for a started, open period; overdue ones first,
    then by deadline and unit name. Unit managers alone may not ask this."""
    async with uow:
        roles = OVERSEER_ROLES & {a.role for a in actor.roles}
        if not roles:
            raise PermissionDenied("not_reported is for department heads, staff and directors")
        if node_id is None:
            nodes = await scope_nodes_in(uow, actor=actor, roles=roles)
        else:
            top = await require_in_scope_in(uow, actor=actor, node_id=node_id, roles=roles)
            nodes = await uow.orgs.subtree(top.id)
        by_id = {n.id: n for n in nodes}
        statuses = await uow.status.statuses(list(by_id), today) if by_id else []
    missing: dict[tuple[int, int], list[tuple[Goal, FollowUpState | None]]] = {}
    periods: dict[int, Period] = {}
    for status in statuses:
        for due in status.due:
            periods[due.period.id] = due.period
            missing.setdefault((status.goal.owner_id, due.period.id), []).append((status.goal, due.state))
    answer = [
        NotReported(
            unit=by_id[owner_id],
            period=periods[period_id],
            goals=tuple(sorted(goals, key=lambda pair: (pair[0].number, pair[0].id))),
            overdue=periods[period_id].deadline < today,
        )
        for (owner_id, period_id), goals in missing.items()
    ]
    answer.sort(key=lambda n: (not n.overdue, n.period.deadline, n.unit.name, n.unit.id))
    return answer


async def deadlines(uow: UnitOfWork, *, actor: Actor, today: date) -> list[PeriodDeadline]:
    """The open periods of the actor's organisation that are still ahead or still have
    follow-ups to report, soonest deadline first, with how many are left in scope."""
    async with uow:
        nodes = await scope_nodes_in(uow, actor=actor)
        statuses = await uow.status.statuses([n.id for n in nodes], today) if nodes else []
        root_periods: dict[int, Period] = {}
        roots = {(await root_of_in(uow, node_id=top.id)).id for top in await scope_roots_in(uow, actor=actor)}
        for root_id in sorted(roots):
            for period in await uow.periods.for_root(root_id, today.year):
                root_periods[period.id] = period
    left: dict[int, int] = {}
    for status in statuses:
        for due in status.due:
            left[due.period.id] = left.get(due.period.id, 0) + 1
            root_periods.setdefault(due.period.id, due.period)
    answer = [
        PeriodDeadline(period=p, left=left.get(p.id, 0), passed=p.deadline < today)
        for p in root_periods.values()
        if p.is_open and (p.deadline >= today or left.get(p.id))
    ]
    answer.sort(key=lambda d: (d.period.deadline, d.period.start, d.period.id))
    return answer


# --- trend -------------------------------------------------------------------------------


async def indicator_trend(
    uow: UnitOfWork, *, actor: Actor, goal_id: int, indicator_id: int, today: date, years: int = TREND_YEARS
) -> Trend:
    """The indicator's recorded values per period over the last `years` years, oldest first."""
    async with uow:
        goal = await uow.goals.get(goal_id)
        indicator = next((i for i in goal.indicators if i.id == indicator_id), None) if goal else None
        if goal is None or indicator is None or await find_in_scope_in(uow, actor=actor, node_id=goal.owner_id) is None:
            raise PermissionDenied("not in scope")
        # One snapshot read covers a year and the one before it.
        snapshots = [
            _only(await uow.status.snapshots([goal.owner_id], year), goal_id)
            for year in range(today.year, today.year - years, -2)
        ]
    periods: dict[int, Period] = {}
    values: dict[int, Measurement] = {}
    owner_name = ""
    first_year = today.year - years + 1
    for snapshot in (s for s in reversed(snapshots) if s is not None):
        owner_name = snapshot.owner_name
        periods.update((p.id, p) for p in snapshot.periods if first_year <= p.year <= today.year and p.start <= today)
        values.update(snapshot.history.get(indicator_id, ()))
    points = [TrendPoint(periods[pid], m) for pid, m in values.items() if pid in periods and _has_value(m)]
    points.sort(key=lambda p: (p.period.start, p.period.end, p.period.id))
    return Trend(goal=goal, owner_name=owner_name, indicator=indicator, points=tuple(points))


# --- helpers -------------------------------------------------------------------------------


def _only(snapshots: Sequence[GoalSnapshot], goal_id: int) -> GoalSnapshot | None:
    return next((s for s in snapshots if s.goal.id == goal_id), None)


def _has_value(m: Measurement) -> bool:
    return m.total is not None or m.women is not None or m.men is not None
