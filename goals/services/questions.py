"""Read-only answers: the actor's goals, which are behind and why, what is left to report.

All of them are scoped: a person sees the subtrees their roles open (goals.access),
and a node asked about outside that scope is refused without saying whether it exists.
The "behind" and "to report" answers come from `uow.status.statuses`: the pure status
rules applied to the bulk read (kept between questions while nothing they depend on
changed, goals/status_memo.py), so the chat answer and the rules can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from goals.access import Actor, own_subtree_top, require_in_scope_in, scope_nodes_in, visible_to
from goals.model import Goal, OrgNode, Period, Role
from goals.periods import current_period
from goals.ports import SubtreeHeadlines, UnitOfWork
from goals.status import Due, GoalStatus, Reason, sorted_by_severity


@dataclass(frozen=True, slots=True)
class UnitOverview:
    unit: OrgNode
    goals: tuple[Goal, ...]
    period: Period | None  # the period to report now; None if the root has none open


@dataclass(frozen=True, slots=True)
class BehindGoal:
    goal: Goal
    owner_name: str
    reasons: tuple[Reason, ...]


async def goals_overview(uow: UnitOfWork, *, actor: Actor, today: date) -> list[UnitOverview]:
    """Per node in scope that owns goals (and every unit the actor manages, even
    without goals): the goals valid in the current period's year (number and title;
    their children are not read), and that period.

    Asked on every "mina mål", so it reads little: for someone whose scope is one
    subtree of their own node (a unit manager, a department head) one read of the
    subtree with its root's periods and goals; for anyone else the scope, one
    ancestor query per organisation root not already in scope, the root's periods,
    and the goals."""
    async with uow:
        top = own_subtree_top(actor)
        if top is not None:
            # goals of both years the period to show may be in; filtered below
            read = await uow.overview.subtree_headlines(top, today.year - 1, today.year)
            parts = [read] if read is not None and visible_to(actor, read.nodes[0]) else []
        else:
            parts = await _scope_by_root(uow, actor, today)
    # A unit manager's unit is the top of a scope subtree (tenant-checked there),
    # so the managed units are among the nodes read: no need to read them again.
    in_scope = {node.id for part in parts for node in part.nodes}
    managed = {a.org_node_id for a in actor.roles if a.role == Role.UNIT_MANAGER} & in_scope
    overviews: list[UnitOverview] = []
    for part in parts:
        period, year = _period_to_show(part.periods, today)
        owned: dict[int, list[Goal]] = {}
        for goal in part.goals:
            if goal.is_valid_in(year):
                owned.setdefault(goal.owner_id, []).append(goal)
        overviews.extend(
            UnitOverview(unit=node, goals=tuple(owned.get(node.id, ())), period=period)
            for node in part.nodes
            if node.id in owned or node.id in managed
        )
    return overviews


def _period_to_show(periods: Iterable[Period], today: date) -> tuple[Period | None, int]:
    """The period to report now among this year's and last year's, and the year whose
    goals to show (that period's, or this year's when none is open)."""
    period = current_period([p for p in periods if p.year in (today.year - 1, today.year)], today)
    return period, period.year if period else today.year


async def _scope_by_root(uow: UnitOfWork, actor: Actor, today: date) -> list[SubtreeHeadlines]:
    """The actor's whole scope (any roles), grouped by organisation root, in the shape
    of `OverviewReader.subtree_headlines` (goals of the year to show only)."""
    nodes = await scope_nodes_in(uow, actor=actor)
    by_root: dict[int, list[OrgNode]] = {}
    root_cache: dict[int, int] = {}
    root_periods: dict[int, list[Period]] = {}  # read with the walk to the root
    for node in nodes:
        root_id = await _root_id(uow, node, root_cache, root_periods)
        by_root.setdefault(root_id, []).append(node)
    parts: list[SubtreeHeadlines] = []
    for root_id, root_nodes in by_root.items():
        periods = root_periods[root_id] if root_id in root_periods else await uow.periods.for_root(root_id)
        _, year = _period_to_show(periods, today)
        goals = await uow.goals.headlines_for_owners([n.id for n in root_nodes], year)
        parts.append(SubtreeHeadlines(tuple(root_nodes), root_id, tuple(periods), tuple(goals)))
    return parts


async def behind_goals(
    uow: UnitOfWork, *, actor: Actor, today: date, node_id: int | None = None
) -> list[BehindGoal]:
    """Goals behind in the actor's scope (or below `node_id`, which must be in it),
    most behind first; ties by owner name, goal number, id so pages stay stable."""
    async with uow:
        owner_ids = await _owner_ids(uow, actor, node_id)
        statuses = await uow.status.statuses(owner_ids, today) if owner_ids else []
    return behind_of(statuses)


def behind_of(statuses: Iterable[GoalStatus]) -> list[BehindGoal]:
    """The goals among `statuses` that are behind, most behind first."""
    return [
        BehindGoal(goal=status.goal, owner_name=status.owner_name, reasons=status.reasons)
        for status in sorted_by_severity(status for status in statuses if status.reasons)
    ]


async def left_to_report(uow: UnitOfWork, *, actor: Actor, today: date) -> list[tuple[Goal, OrgNode, Due]]:
    """Every open period's follow-up in scope not yet submitted or approved,
    earliest deadline first (then owner name, goal number)."""
    async with uow:
        nodes = {n.id: n for n in await scope_nodes_in(uow, actor=actor)}
        statuses = await uow.status.statuses(list(nodes), today) if nodes else []
    due = [(status.goal, nodes[status.goal.owner_id], item) for status in statuses for item in status.due]
    due.sort(key=lambda t: (t[2].period.deadline, t[1].name, t[0].number, t[0].id, t[2].period.id))
    return due


async def _owner_ids(uow: UnitOfWork, actor: Actor, node_id: int | None) -> Sequence[int]:
    if node_id is None:
        return [n.id for n in await scope_nodes_in(uow, actor=actor)]
    # Scope is a union of whole subtrees, so everything below an in-scope node is in scope.
    node = await require_in_scope_in(uow, actor=actor, node_id=node_id)
    return [n.id for n in await uow.orgs.subtree(node.id)]


async def _root_id(uow: UnitOfWork, node: OrgNode, cache: dict[int, int], periods: dict[int, list[Period]]) -> int:
    # Scope nodes come parents first, so a node's parent is usually cached already.
    # Otherwise one read walks up to the root and brings its periods along.
    if node.parent_id is None:
        cache[node.id] = node.id
    elif node.parent_id in cache:
        cache[node.id] = cache[node.parent_id]
    else:
        found = await uow.periods.root_and_periods(node.id)
        root_id = found[0] if found else node.id
        if found:
            periods[root_id] = found[1]
        cache[node.id] = root_id
    return cache[node.id]
