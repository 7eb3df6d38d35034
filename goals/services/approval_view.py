"""What an approval card shows about a submitted follow-up: a read model loaded
in one unit of work, so the dialog and the outbox dispatcher never read
repositories themselves. `pending_approvals`: the follow-ups waiting for one
person's decision, as the same views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from goals.access import (
    Actor,
    approvers_in,
    find_in_scope_in,
    holds_role_above,
    managed_units_in,
    profile_for_in,
)
from goals.errors import NotFound
from goals.model import FollowUp, FollowUpState, Goal, OrgNode, Period, Role
from goals.ports import UnitOfWork
from goals.profiles import Profile


@dataclass(frozen=True, slots=True)
class ApprovalView:
    """What the card shows: the follow-up with its goal, unit, period and people."""

    follow_up: FollowUp
    goal: Goal
    unit: OrgNode
    period: Period
    profile: Profile
    author_name: str
    author_id: int | None
    approver_name: str = ""  # who decided, once decided


async def load_approval_view(uow: UnitOfWork, *, follow_up_id: int) -> ApprovalView | None:
    """The follow-up with what the card shows, read as the system (no access check:
    callers are the dispatcher, and this dialog after the services decided)."""
    async with uow:
        follow_up = await uow.follow_ups.get(follow_up_id)
        goal = await uow.goals.get(follow_up.goal_id) if follow_up else None
        period = await uow.periods.get(follow_up.period_id) if follow_up else None
        unit = await uow.orgs.get(goal.owner_id) if goal else None
        if follow_up is None or goal is None or period is None or unit is None:
            return None
        return await _view_in(uow, follow_up, goal, unit, period)


async def _view_in(uow: UnitOfWork, follow_up: FollowUp, goal: Goal, unit: OrgNode, period: Period) -> ApprovalView:
    profile = await profile_for_in(uow, node_id=unit.id)
    author = await uow.people.get(follow_up.author_id) if follow_up.author_id else None
    approver = await uow.people.get(follow_up.approver_id) if follow_up.approver_id else None
    return ApprovalView(
        follow_up=follow_up,
        goal=goal,
        unit=unit,
        period=period,
        profile=profile,
        author_name=author.name if author else "",
        author_id=follow_up.author_id,
        approver_name=approver.name if approver else "",
    )


@dataclass(frozen=True, slots=True)
class PendingApprovals:
    """What waits for one person's decision ("vad ska jag godkänna?").

    `views`: the first `limit` follow-ups they may decide now, oldest submitted first;
    `total`: how many there are in all. `approver`: whether they hold the approving
    role anywhere; if not, `approver_role` says which role approves where they work and
    `approver_names` who approves the units they manage (empty when they manage none)."""

    views: tuple[ApprovalView, ...]
    total: int
    approver: bool
    approver_role: Role | None = None
    approver_names: tuple[str, ...] = ()
    # Not an approver but managing units ("är min uppföljning godkänd?"): the period to
    # report now and how many of their goals' follow-ups for it are in each state
    # (None = not started), most pressing first; empty without `today` or units.
    own_period: Period | None = None
    own_states: tuple[tuple[FollowUpState | None, int], ...] = ()


async def pending_approvals(
    uow: UnitOfWork, *, actor: Actor, limit: int = 5, today: date | None = None
) -> PendingApprovals:
    """The submitted follow-ups this person may approve or return now, scoped exactly
    as goals.services.follow_ups decides (goal owner in scope, the owner's profile's
    approver role held on an ancestor of the owner, period open, state submitted).
    For someone who approves nothing, with `today`: where their own units' follow-ups
    stand (PendingApprovals.own_states)."""
    async with uow:
        tops = await _approving_nodes_in(uow, actor)
        if not tops:
            role, names = await _approvers_of_own_units_in(uow, actor)
            period, states = await _own_states_in(uow, actor, today) if today is not None else (None, ())
            return PendingApprovals((), 0, False, role, names, period, states)
        owner_ids: set[int] = set()
        for top in tops:
            owner_ids.update(node.id for node in (await uow.orgs.subtree(top))[1:])
        decidable: list[tuple[FollowUp, Goal, OrgNode, Period]] = []
        owners: dict[int, OrgNode | None] = {}
        periods: dict[int, Period | None] = {}
        submitted = await uow.follow_ups.submitted_for_owners(sorted(owner_ids))
        # one read for all their goals: a department in reporting week has hundreds waiting
        goals = {goal.id: goal for goal in await uow.goals.get_many([f.goal_id for f in submitted])}
        for follow_up in submitted:
            goal = goals.get(follow_up.goal_id)
            if goal is None:
                continue
            if goal.owner_id not in owners:
                owners[goal.owner_id] = await _decidable_owner_in(uow, actor, goal.owner_id)
            owner = owners[goal.owner_id]
            if follow_up.period_id not in periods:
                periods[follow_up.period_id] = await uow.periods.get(follow_up.period_id)
            period = periods[follow_up.period_id]
            if owner is None or period is None or not period.is_open:
                continue
            decidable.append((follow_up, goal, owner, period))
        decidable.sort(key=lambda item: (_submitted_key(item[0]), item[0].id))
        views = [await _view_in(uow, follow_up, goal, owner, period) for follow_up, goal, owner, period in decidable[:limit]]
    return PendingApprovals(tuple(views), len(decidable), True)


def _submitted_key(follow_up: FollowUp) -> datetime:
    return follow_up.submitted_at or follow_up.updated_at or datetime.min.replace(tzinfo=UTC)


async def _approving_nodes_in(uow: UnitOfWork, actor: Actor) -> list[int]:
    """The nodes on which the actor holds the approver role of that node's profile."""
    tops: list[int] = []
    for assignment in actor.roles:
        node = await uow.orgs.get(assignment.org_node_id)
        if node is None or (node.tenant_id and node.tenant_id != actor.person.tenant_id):
            continue
        try:
            profile = await profile_for_in(uow, node_id=node.id)
        except NotFound:
            continue
        if assignment.role == profile.approver_role and node.id not in tops:
            tops.append(node.id)
    return tops


async def _decidable_owner_in(uow: UnitOfWork, actor: Actor, owner_id: int) -> OrgNode | None:
    """The owner if the actor may decide on its follow-ups (follow_ups._load_for_decision)."""
    owner = await find_in_scope_in(uow, actor=actor, node_id=owner_id)
    if owner is None:
        return None
    profile = await profile_for_in(uow, node_id=owner.id)
    ancestor_ids = {a.id for a in await uow.orgs.ancestors(owner.id)}
    return owner if holds_role_above(actor, role=profile.approver_role, ancestor_ids=ancestor_ids) else None


# Most pressing first: waiting for a decision, sent back, not yet sent, then done.
_OWN_ORDER = (FollowUpState.SUBMITTED, FollowUpState.RETURNED, FollowUpState.DRAFT, None, FollowUpState.APPROVED)


async def _own_states_in(
    uow: UnitOfWork, actor: Actor, today: date
) -> tuple[Period | None, tuple[tuple[FollowUpState | None, int], ...]]:
    """The states of the follow-ups of the actor's own units' goals for the period to
    report now (the status memo's view: goals valid this year, each with its period)."""
    units = [unit.id for unit in await managed_units_in(uow, actor=actor)]
    statuses = await uow.status.statuses(units, today) if units else []
    period = next((s.period for s in statuses if s.period is not None), None)
    if period is None:
        return None, ()
    counts: dict[FollowUpState | None, int] = {}
    for status in statuses:
        if status.period is not None and status.period.id == period.id:
            counts[status.state] = counts.get(status.state, 0) + 1
    return period, tuple((state, counts[state]) for state in _OWN_ORDER if state in counts)


async def _approvers_of_own_units_in(uow: UnitOfWork, actor: Actor) -> tuple[Role | None, tuple[str, ...]]:
    role: Role | None = None
    names: dict[int, str] = {}
    for unit in await managed_units_in(uow, actor=actor):
        try:
            profile = await profile_for_in(uow, node_id=unit.id)
        except NotFound:
            continue
        role = role or profile.approver_role
        for person_id in await approvers_in(uow, node_id=unit.id, role=profile.approver_role):
            if person_id not in names and (person := await uow.people.get(person_id)) is not None:
                names[person_id] = person.name
    for assignment in actor.roles if role is None else ():
        # No unit of their own (staff, a director): the role that approves where they work.
        try:
            role = (await profile_for_in(uow, node_id=assignment.org_node_id)).approver_role
            break
        except NotFound:
            continue
    return role, tuple(sorted(names.values()))
