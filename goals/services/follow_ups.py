"""The follow-up workflow: draft → submitted → approved, or → returned → submitted.

Rules checked here, on the server, whatever the card or chat claimed:
- only someone whose scope covers the goal's owner with an editing role may write
  it; only the profile's approver role held on an ancestor of the owner may decide;
- a closed period takes no writes (PeriodClosed);
- approved follow-ups are final; submitted ones stay editable until the period's
  deadline (an edit keeps them submitted, and the audit row says so);
- the caller's `expected_version` must be the stored one, else ConcurrencyConflict
  with the stored follow-up, and nothing is written. The repository re-checks it
  with a conditional UPDATE, so a race between two savers ends the same way.
Every write leaves one audit row in the same transaction; submit also stores the
"follow_up.submitted" outbox event for the approvers' notification.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from goals.access import (
    EDITOR_ROLES,
    Actor,
    approvers_in,
    find_in_scope_in,
    holds_role_above,
    profile_for_in,
    root_of_in,
)
from goals.assessment import problems_for_submit
from goals.errors import ConcurrencyConflict, InvalidTransition, PeriodClosed, PermissionDenied, ValidationFailed
from goals.model import FollowUp, FollowUpState, Goal, OrgNode, Period
from goals.ports import Clock, OutboxEvent, UnitOfWork
from goals.services.follow_up_changes import FollowUpChanges, activity_changes, apply_changes, describe_changes
from goals.services.recording import changed_fields, jsonable, record

__all__ = [
    "FollowUpChanges",
    "approve_follow_up",
    "open_follow_up",
    "return_follow_up",
    "save_follow_up",
    "submit_follow_up",
]


@dataclass(frozen=True, slots=True)
class _Loaded:
    follow_up: FollowUp
    goal: Goal
    period: Period
    owner: OrgNode


# --- use cases ---------------------------------------------------------------


async def open_follow_up(uow: UnitOfWork, *, actor: Actor, goal_id: int, period_id: int, clock: Clock) -> FollowUp:
    """The follow-up of this goal and period; a new draft if there is none yet.
    Reading an existing one needs the goal in scope; starting one needs edit rights."""
    async with uow:
        goal = await uow.goals.get(goal_id)
        owner = await find_in_scope_in(uow, actor=actor, node_id=goal.owner_id) if goal else None
        if goal is None or owner is None:
            raise PermissionDenied("goal not in scope")
        period = await uow.periods.get(period_id)
        root = await root_of_in(uow, node_id=owner.id)
        if period is None or period.root_id != root.id:
            raise PermissionDenied("period not in scope")
        existing = await uow.follow_ups.find(goal.id, period.id)
        if existing is not None:
            return existing
        await _require_editor(uow, actor, owner)
        if not period.is_open:
            raise PeriodClosed("period closed", period_id=period.id)
        if not goal.is_valid_in(period.year):
            raise ValidationFailed({"period": "period.outside_goal_validity"})
        now = clock.now()
        draft = FollowUp(
            id=0,
            goal_id=goal.id,
            period_id=period.id,
            author_id=actor.person.id,
            updated_at=now,
            updated_by=actor.person.id,
        )
        try:
            stored = await uow.follow_ups.add(draft)
        except ConcurrencyConflict as conflict:  # someone opened it at the same moment
            return conflict.current
        await record(
            uow,
            actor=actor,
            clock=clock,
            action="follow_up.created",
            entity="follow_up",
            entity_id=stored.id,
            details={"goal_id": goal.id, "period_id": period.id, "state": stored.state},
        )
        await uow.commit()
        return stored


async def save_follow_up(
    uow: UnitOfWork,
    *,
    actor: Actor,
    follow_up_id: int,
    expected_version: int,
    changes: FollowUpChanges,
    clock: Clock,
) -> FollowUp:
    """Store answered items at once (a draft survives restarts and "avbryt").
    Activity statuses also become the activities' current status on the goal."""
    async with uow:
        loaded = await _load(uow, actor, follow_up_id)
        await _require_editor(uow, actor, loaded.owner)
        _require_fresh(loaded.follow_up, expected_version)
        _require_open(loaded.period)
        _require_editable(loaded, clock)
        current = loaded.follow_up
        updated = apply_changes(current, changes, loaded.goal)
        details = describe_changes(current, updated)
        if not details:
            return current
        moved = activity_changes(loaded.goal, current, updated)
        stored = await uow.follow_ups.update(
            replace(updated, updated_at=clock.now(), updated_by=actor.person.id),
            expected_version=expected_version,
        )
        for activity_id, (_, status) in moved.items():
            await uow.goals.set_activity_status(activity_id, status)
        audit: dict[str, Any] = {"changes": details, "state": stored.state, "version": stored.version}
        if moved:
            audit["activity_current_status"] = {
                str(i): {"from": jsonable(old), "to": jsonable(new)} for i, (old, new) in moved.items()
            }
        if current.state == FollowUpState.SUBMITTED:
            audit["after_submit"] = True
        await record(
            uow, actor=actor, clock=clock, action="follow_up.saved", entity="follow_up", entity_id=stored.id, details=audit
        )
        await uow.commit()
        return stored


async def submit_follow_up(
    uow: UnitOfWork, *, actor: Actor, follow_up_id: int, expected_version: int, clock: Clock
) -> FollowUp:
    """Hand the follow-up to the approver. ValidationFailed(problems) names every
    missing or insufficient item (catalog keys from goals.assessment)."""
    async with uow:
        loaded = await _load(uow, actor, follow_up_id)
        await _require_editor(uow, actor, loaded.owner)
        _require_fresh(loaded.follow_up, expected_version)
        _require_open(loaded.period)
        current = loaded.follow_up
        if current.state not in (FollowUpState.DRAFT, FollowUpState.RETURNED):
            raise InvalidTransition("only drafts and returned follow-ups can be submitted", state=current.state.value)
        profile = await profile_for_in(uow, node_id=loaded.owner.id)
        problems = problems_for_submit(profile, loaded.goal, loaded.period, current, clock.today())
        if problems:
            raise ValidationFailed(problems)
        now = clock.now()
        submitted = replace(
            current,
            state=FollowUpState.SUBMITTED,
            author_id=actor.person.id,
            submitted_at=now,
            approver_id=None,  # a resubmission awaits a new decision
            decided_at=None,
            updated_at=now,
            updated_by=actor.person.id,
        )
        stored = await uow.follow_ups.update(submitted, expected_version=expected_version)
        approver_ids = await approvers_in(uow, node_id=loaded.owner.id, role=profile.approver_role)
        await record(
            uow,
            actor=actor,
            clock=clock,
            action="follow_up.submitted",
            entity="follow_up",
            entity_id=stored.id,
            details={
                "changes": changed_fields(current, stored, ("state", "author_id", "approver_id", "decided_at")),
                "version": stored.version,
            },
        )
        await uow.outbox.add(
            OutboxEvent(
                kind="follow_up.submitted",
                payload={**_event_ids(stored, loaded), "author_id": actor.person.id, "approver_ids": approver_ids},
                created_at=now,
            )
        )
        await uow.commit()
        return stored


async def approve_follow_up(
    uow: UnitOfWork, *, actor: Actor, follow_up_id: int, expected_version: int, clock: Clock
) -> FollowUp:
    async with uow:
        loaded = await _load_for_decision(uow, actor, follow_up_id, expected_version)
        return await _decide(uow, actor, loaded, expected_version, clock, FollowUpState.APPROVED, comment=None)


async def return_follow_up(
    uow: UnitOfWork, *, actor: Actor, follow_up_id: int, expected_version: int, comment: str, clock: Clock
) -> FollowUp:
    """Send the follow-up back to the unit with a comment saying what to fix."""
    async with uow:
        loaded = await _load_for_decision(uow, actor, follow_up_id, expected_version)
        if not comment or not comment.strip():
            raise ValidationFailed({"comment": "return.comment_required"})
        return await _decide(uow, actor, loaded, expected_version, clock, FollowUpState.RETURNED, comment=comment.strip())


# --- rules -------------------------------------------------------------------


async def _load(uow: UnitOfWork, actor: Actor, follow_up_id: int) -> _Loaded:
    """The follow-up with its goal, period and owner, if the actor can see it.
    A missing follow-up and someone else's give the same PermissionDenied."""
    follow_up = await uow.follow_ups.get(follow_up_id)
    goal = await uow.goals.get(follow_up.goal_id) if follow_up else None
    owner = await find_in_scope_in(uow, actor=actor, node_id=goal.owner_id) if goal else None
    period = await uow.periods.get(follow_up.period_id) if follow_up and owner else None
    if follow_up is None or goal is None or owner is None or period is None:
        raise PermissionDenied("follow-up not in scope")
    return _Loaded(follow_up=follow_up, goal=goal, period=period, owner=owner)


async def _require_editor(uow: UnitOfWork, actor: Actor, owner: OrgNode) -> None:
    if await find_in_scope_in(uow, actor=actor, node_id=owner.id, roles=EDITOR_ROLES) is None:
        raise PermissionDenied("may not edit this unit's follow-up")


def _require_fresh(follow_up: FollowUp, expected_version: int) -> None:
    if follow_up.version != expected_version:
        raise ConcurrencyConflict(current=follow_up)


def _require_open(period: Period) -> None:
    if not period.is_open:
        raise PeriodClosed("period closed", period_id=period.id)


def _require_editable(loaded: _Loaded, clock: Clock) -> None:
    state = loaded.follow_up.state
    if state == FollowUpState.APPROVED:
        raise InvalidTransition("approved follow-ups are final", state=state.value)
    if state == FollowUpState.SUBMITTED and clock.today() > loaded.period.deadline:
        raise InvalidTransition(
            "submitted follow-ups are editable until the deadline",
            state=state.value,
            deadline=loaded.period.deadline.isoformat(),
        )


async def _load_for_decision(
    uow: UnitOfWork, actor: Actor, follow_up_id: int, expected_version: int
) -> _Loaded:
    """Only the profile's approver role, held on an ancestor of the owner, decides;
    and only on a submitted follow-up."""
    loaded = await _load(uow, actor, follow_up_id)
    profile = await profile_for_in(uow, node_id=loaded.owner.id)
    ancestor_ids = {a.id for a in await uow.orgs.ancestors(loaded.owner.id)}
    if not holds_role_above(actor, role=profile.approver_role, ancestor_ids=ancestor_ids):
        raise PermissionDenied("may not decide on this follow-up")
    _require_fresh(loaded.follow_up, expected_version)
    _require_open(loaded.period)
    if loaded.follow_up.state != FollowUpState.SUBMITTED:
        raise InvalidTransition("only submitted follow-ups can be decided", state=loaded.follow_up.state.value)
    return loaded


async def _decide(
    uow: UnitOfWork,
    actor: Actor,
    loaded: _Loaded,
    expected_version: int,
    clock: Clock,
    state: FollowUpState,
    *,
    comment: str | None,
) -> FollowUp:
    now = clock.now()
    current = loaded.follow_up
    decided = replace(
        current,
        state=state,
        approver_id=actor.person.id,
        decided_at=now,
        return_comment=comment if comment is not None else current.return_comment,
        updated_at=now,
        updated_by=actor.person.id,
    )
    stored = await uow.follow_ups.update(decided, expected_version=expected_version)
    action = "follow_up.approved" if state == FollowUpState.APPROVED else "follow_up.returned"
    await record(
        uow,
        actor=actor,
        clock=clock,
        action=action,
        entity="follow_up",
        entity_id=stored.id,
        details={
            "changes": changed_fields(current, stored, ("state", "approver_id", "decided_at", "return_comment")),
            "version": stored.version,
        },
    )
    # The unit hears of the decision later (approvals issue); the event is kept now.
    payload = {**_event_ids(stored, loaded), "author_id": stored.author_id, "approver_id": actor.person.id}
    if comment is not None:
        payload["comment"] = comment
    await uow.outbox.add(OutboxEvent(kind=action, payload=payload, created_at=now))
    await uow.commit()
    return stored


def _event_ids(follow_up: FollowUp, loaded: _Loaded) -> dict[str, int]:
    return {
        "follow_up_id": follow_up.id,
        "goal_id": loaded.goal.id,
        "unit_id": loaded.owner.id,
        "period_id": loaded.period.id,
    }
