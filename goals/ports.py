"""Ports: what the domain needs from the outside world, as abstract interfaces.

`storage/` implements them on SQLAlchemy; `goals/fakes.py` implements them in
memory so service tests run without I/O. Repositories speak domain objects only;
no ORM row ever leaves storage.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from goals.model import (
    ActivityStatus,
    AuditRecord,
    FollowUp,
    Goal,
    GoalArea,
    Measurement,
    OrgNode,
    Period,
    Person,
    Role,
    RoleAssignment,
)

if TYPE_CHECKING:
    from goals.status import GoalStatus


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


# --- read model for status questions -----------------------------------------


@dataclass(frozen=True, slots=True)
class GoalSnapshot:
    """Everything the status rules need about one goal, loaded in bulk.

    `periods`: the owner root's periods of the year before and the year asked
    about, sorted by start. `follow_ups`: by period id. `history`: per indicator
    id, (period id, value) pairs sorted by period start, oldest first.
    """

    goal: Goal
    owner_name: str
    periods: tuple[Period, ...]
    follow_ups: dict[int, FollowUp] = field(default_factory=dict)
    history: dict[int, tuple[tuple[int, Measurement], ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """Something to tell someone later (e.g. "follow-up submitted" → approver).
    Stored in the same transaction as the change that caused it."""

    kind: str
    payload: dict[str, Any]
    created_at: datetime
    id: int = 0
    processed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SubtreeHeadlines:
    """What "mina mål" needs of one scope subtree, read together.

    `nodes`: the subtree, its top first, parents before children (as
    `OrgRepository.subtree`). `root_id`: the organisation root above the top (the top
    itself when it is a root, or when no root is found). `periods`: that root's
    periods, as `PeriodRepository.for_root`. `goals`: the subtree's goals valid in
    some year from `first_year` to `last_year`, without children, by owner and number.
    """

    nodes: tuple[OrgNode, ...]
    root_id: int
    periods: tuple[Period, ...]
    goals: tuple[Goal, ...]


# --- repositories ------------------------------------------------------------


class OrgRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, node_id: int) -> OrgNode | None: ...

    @abc.abstractmethod
    async def get_by_code(self, tenant_id: str, code: str) -> OrgNode | None: ...

    @abc.abstractmethod
    async def add(self, node: OrgNode) -> OrgNode:
        """Store a new node; returns it with its id."""

    @abc.abstractmethod
    async def update(self, node: OrgNode) -> OrgNode: ...

    @abc.abstractmethod
    async def children(self, node_id: int) -> list[OrgNode]: ...

    @abc.abstractmethod
    async def subtree(self, node_id: int) -> list[OrgNode]:
        """The node and everything below it, parents before children."""

    @abc.abstractmethod
    async def ancestors(self, node_id: int) -> list[OrgNode]:
        """The node's parent, its parent … up to the root (nearest first)."""

    @abc.abstractmethod
    async def roots(self, tenant_id: str | None = None) -> list[OrgNode]: ...


class PersonRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, person_id: int) -> Person | None: ...

    @abc.abstractmethod
    async def get_by_entra(self, tenant_id: str, entra_object_id: str) -> Person | None: ...

    @abc.abstractmethod
    async def add(self, person: Person) -> Person: ...

    @abc.abstractmethod
    async def update(self, person: Person) -> Person: ...

    @abc.abstractmethod
    async def roles(self, person_id: int) -> list[RoleAssignment]: ...

    @abc.abstractmethod
    async def assign(self, assignment: RoleAssignment) -> None:
        """Idempotent: assigning an existing role changes nothing."""

    @abc.abstractmethod
    async def revoke(self, assignment: RoleAssignment) -> None: ...

    @abc.abstractmethod
    async def with_role(self, org_node_id: int, role: Role) -> list[Person]:
        """People holding `role` on exactly this node."""


class GoalRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, goal_id: int) -> Goal | None:
        """The goal with its expected results, indicators and activities."""

    async def get_many(self, goal_ids: Sequence[int]) -> list[Goal]:
        """The goals with these ids that exist, with their children, by id. This
        default asks one by one; the SQL repository reads them in one go."""
        found = [await self.get(goal_id) for goal_id in sorted(set(goal_ids))]
        return [goal for goal in found if goal is not None]

    @abc.abstractmethod
    async def get_by_code(self, owner_id: int, code: str) -> Goal | None: ...

    @abc.abstractmethod
    async def add(self, goal: Goal) -> Goal:
        """Store a new goal and its children; returns it with all ids set
        (and `number` assigned as the next free number of the owner when 0)."""

    @abc.abstractmethod
    async def update(self, goal: Goal) -> Goal:
        """Replace the goal's fields and children (children with id 0 are new,
        stored children missing from the goal are deleted)."""

    @abc.abstractmethod
    async def for_owners(self, owner_ids: Sequence[int], year: int) -> list[Goal]:
        """Goals owned by these nodes that are valid in `year`, by owner then number."""

    @abc.abstractmethod
    async def headlines_for_owners(self, owner_ids: Sequence[int], year: int) -> list[Goal]:
        """As `for_owners`, but the goals only, without expected results, indicators
        and activities (those tuples are empty): one statement, for lists that show
        numbers and titles."""

    @abc.abstractmethod
    async def children_of(self, goal_id: int) -> list[Goal]: ...

    @abc.abstractmethod
    async def set_activity_status(self, activity_id: int, status: ActivityStatus) -> None: ...

    @abc.abstractmethod
    async def add_area(self, area: GoalArea) -> GoalArea: ...

    @abc.abstractmethod
    async def areas(self, org_node_id: int) -> list[GoalArea]: ...


class PeriodRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, period_id: int) -> Period | None: ...

    @abc.abstractmethod
    async def add(self, period: Period) -> Period: ...

    @abc.abstractmethod
    async def update(self, period: Period) -> Period: ...

    @abc.abstractmethod
    async def for_root(self, root_id: int, year: int | None = None) -> list[Period]:
        """Sorted by start."""

    @abc.abstractmethod
    async def root_and_periods(self, node_id: int) -> tuple[int, list[Period]] | None:
        """The id of the organisation root above (or at) `node_id` and that root's
        periods sorted by start, in one read; None if there is no such node."""


class FollowUpRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, follow_up_id: int) -> FollowUp | None: ...

    @abc.abstractmethod
    async def find(self, goal_id: int, period_id: int) -> FollowUp | None: ...

    @abc.abstractmethod
    async def add(self, follow_up: FollowUp) -> FollowUp:
        """Store a new follow-up; it gets version 1. A second follow-up for the
        same goal and period raises ConcurrencyConflict with the stored one."""

    @abc.abstractmethod
    async def update(self, follow_up: FollowUp, *, expected_version: int) -> FollowUp:
        """Store the new state if the stored version is still `expected_version`
        (a conditional UPDATE, not read-then-write); returns it with version + 1.
        Otherwise raise ConcurrencyConflict carrying the stored follow-up."""

    @abc.abstractmethod
    async def for_goals(self, goal_ids: Sequence[int], period_ids: Sequence[int]) -> list[FollowUp]: ...

    @abc.abstractmethod
    async def submitted_for_owners(self, owner_ids: Sequence[int]) -> list[FollowUp]:
        """Follow-ups in state submitted (waiting for a decision) of goals owned by
        these nodes, oldest submitted first (then by id)."""


class StatusReader(abc.ABC):
    """The bulk read behind "which goals are behind?"; must stay a few queries
    whatever the number of goals (benchmarked in bench/behind_query.py)."""

    @abc.abstractmethod
    async def snapshots(self, owner_ids: Sequence[int], year: int) -> list[GoalSnapshot]: ...

    async def statuses(self, owner_ids: Sequence[int], today: date) -> list[GoalStatus]:
        """The status on `today` of every goal these nodes own that is valid in today's
        year, in the order of `snapshots`. This default works each one out from the
        snapshots; the SQL reader keeps them between calls (goals/status_memo.py)."""
        from goals.status import goal_status_of  # goals.status imports this module

        return [goal_status_of(snapshot, today) for snapshot in await self.snapshots(owner_ids, today.year)]


class OverviewReader(abc.ABC):
    """The overview of a person's goals ("mina mål"), asked on every such turn: the SQL
    reader answers it in one statement (benchmarked in bench/turns.py)."""

    @abc.abstractmethod
    async def subtree_headlines(self, node_id: int, first_year: int, last_year: int) -> SubtreeHeadlines | None:
        """None if there is no such node."""


class AuditLog(abc.ABC):
    @abc.abstractmethod
    async def add(self, record: AuditRecord) -> None: ...

    @abc.abstractmethod
    async def for_entity(self, entity: str, entity_id: int) -> list[AuditRecord]:
        """Oldest first."""

    @abc.abstractmethod
    async def recent(self, limit: int = 100) -> list[AuditRecord]:
        """Newest first."""


class Outbox(abc.ABC):
    @abc.abstractmethod
    async def add(self, event: OutboxEvent) -> OutboxEvent: ...

    @abc.abstractmethod
    async def pending(self, kind: str | None = None, limit: int = 100) -> list[OutboxEvent]: ...

    @abc.abstractmethod
    async def mark_processed(self, event_id: int, at: datetime) -> None: ...


class UnitOfWork(abc.ABC):
    """One transaction. Use as `async with uow_factory() as uow: …; await uow.commit()`;
    leaving the block without commit rolls back."""

    orgs: OrgRepository
    people: PersonRepository
    goals: GoalRepository
    periods: PeriodRepository
    follow_ups: FollowUpRepository
    status: StatusReader
    overview: OverviewReader
    audit: AuditLog
    outbox: Outbox

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.rollback()

    @abc.abstractmethod
    async def commit(self) -> None: ...

    @abc.abstractmethod
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Notifier(Protocol):
    """Tells a person something outside the current conversation (proactive)."""

    async def notify(self, person_id: int, message_key: str, params: dict[str, Any]) -> bool: ...
