"""What an approval card shows about a submitted follow-up: a read model loaded
in one unit of work, so the dialog and the outbox dispatcher never read
repositories themselves."""

from __future__ import annotations

from dataclasses import dataclass

from goals.access import profile_for_in
from goals.model import FollowUp, Goal, OrgNode, Period
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
