"""The bulk read behind a reminder pass: a few queries whatever the size of the city.

One pass needs the open periods near their deadlines, every goal still to be
reported for them, who reports for each owner (unit managers; department heads
where a node has no manager), and the people's Teams identities. Going through
the repositories node by node would cost a query per unit (10,000 units = 10,000
round trips); here it is five queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import json

from goals.model import FollowUpState, OrgKind, OrgNode, Period, Person, Role
from goals.reminders import Outstanding, is_outstanding
from storage.bot_tables import ConversationReferenceRow as RefRow
from storage.models import FollowUpRow, GoalRow, OrgNodeRow, PeriodRow, PersonRow, RoleAssignmentRow
from storage.references import ConversationRef

REPORTER_ROLES = (Role.UNIT_MANAGER, Role.DEPARTMENT_HEAD)


@dataclass(frozen=True)
class ReminderData:
    nodes: dict[int, OrgNode]
    periods: list[Period]
    outstanding: list[Outstanding]
    reporters: dict[int, list[int]]  # owner node id → person ids who report for it
    heads: dict[int, list[int]]  # node id → department heads on exactly that node
    people: dict[int, Person] = field(default_factory=dict)

    def ancestors(self, node_id: int) -> list[OrgNode]:
        """The node's parent, its parent … up to the root (nearest first)."""
        chain: list[OrgNode] = []
        node = self.nodes.get(node_id)
        while node is not None and node.parent_id is not None and len(chain) < 64:
            node = self.nodes.get(node.parent_id)
            if node is not None:
                chain.append(node)
        return chain

    def root_of(self, node_id: int) -> OrgNode | None:
        chain = [self.nodes[node_id], *self.ancestors(node_id)] if node_id in self.nodes else []
        return chain[-1] if chain else None


class ReminderReader:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def load(self, *, deadlines_from: date, deadlines_to: date) -> ReminderData:
        """Everything needed for the open periods whose deadline lies in
        [deadlines_from, deadlines_to] (all organisations)."""
        async with self._sessionmaker() as session:
            nodes = {
                row.id: OrgNode(id=row.id, code=row.code, name=row.name, kind=OrgKind(row.kind), parent_id=row.parent_id,
                                tenant_id=row.tenant_id, profile=row.profile)
                for row in await session.scalars(select(OrgNodeRow))
            }
            periods = [
                Period(id=r.id, root_id=r.root_id, kind=r.kind, year=r.year, start=r.start, end=r.end,
                       deadline=r.deadline, is_open=r.is_open, is_year_end=r.is_year_end)
                for r in await session.scalars(
                    select(PeriodRow)
                    .where(PeriodRow.is_open.is_(True), PeriodRow.deadline >= deadlines_from,
                           PeriodRow.deadline <= deadlines_to)
                    .order_by(PeriodRow.deadline, PeriodRow.id)
                )
            ]
            data = ReminderData(nodes=nodes, periods=periods, outstanding=[], reporters={}, heads={})
            if not periods:
                return data
            await self._outstanding(session, data)
            await self._reporters(session, data)
            return data

    async def people(self, person_ids: Sequence[int]) -> dict[int, Person]:
        if not person_ids:
            return {}
        found: dict[int, Person] = {}
        ids = sorted(set(person_ids))
        async with self._sessionmaker() as session:
            for start in range(0, len(ids), 900):
                for row in await session.scalars(select(PersonRow).where(PersonRow.id.in_(ids[start : start + 900]))):
                    found[row.id] = Person(id=row.id, tenant_id=row.tenant_id, entra_object_id=row.entra_object_id,
                                           name=row.name, email=row.email, locale=row.locale)
        return found

    async def personal_chats(self, people: Sequence[Person]) -> dict[int, ConversationRef]:
        """Person id → their active personal chat with Målkoll (the most recently
        used if several), for many people in one query per 900; what
        ReferenceStore.personal_for answers for one."""
        wanted = {(p.tenant_id, p.entra_object_id): p.id for p in people}
        users = sorted({user for _, user in wanted})
        found: dict[int, tuple[tuple, ConversationRef]] = {}
        table = RefRow.__table__
        # Core rows, not ORM objects: a pass reads thousands of these while its
        # messages are being sent, and the ORM's identity map is pure overhead here.
        query = select(table).where(table.c.user_aad_id.in_(bindparam("users", expanding=True)),
                                    table.c.conversation_type == "personal", table.c.active.is_(True))
        async with self._sessionmaker() as session:
            for start in range(0, len(users), 900):
                rows = await session.execute(query, {"users": users[start : start + 900]})
                for row in rows:
                    person_id = wanted.get((row.tenant_id, row.user_aad_id))
                    if person_id is None:
                        continue
                    rank = (row.updated_at, row.id)
                    if person_id not in found or rank > found[person_id][0]:
                        found[person_id] = (rank, _ref(row))
        return {person_id: ref for person_id, (_, ref) in found.items()}

    async def _outstanding(self, session: AsyncSession, data: ReminderData) -> None:
        by_id = {p.id: p for p in data.periods}
        rows = await session.execute(
            select(GoalRow.id, GoalRow.number, GoalRow.title, GoalRow.owner_id, PeriodRow.id, PeriodRow.root_id,
                   FollowUpRow.state)
            .join(PeriodRow, and_(PeriodRow.id.in_(list(by_id)), GoalRow.valid_from <= PeriodRow.year,
                                  GoalRow.valid_to >= PeriodRow.year))
            .outerjoin(FollowUpRow, and_(FollowUpRow.goal_id == GoalRow.id, FollowUpRow.period_id == PeriodRow.id))
        )
        root_cache: dict[int, int | None] = {}
        for goal_id, number, title, owner_id, period_id, root_id, state in rows:
            if not is_outstanding(state):
                continue
            if owner_id not in root_cache:
                root = data.root_of(owner_id)
                root_cache[owner_id] = root.id if root else None
            if root_cache[owner_id] != root_id:  # another organisation's period
                continue
            owner = data.nodes[owner_id]
            data.outstanding.append(
                Outstanding(goal_id=goal_id, goal_number=number, goal_title=title, unit_id=owner_id,
                            unit_name=owner.name, period_id=period_id,
                            state=FollowUpState(state) if state else None)
            )

    async def _reporters(self, session: AsyncSession, data: ReminderData) -> None:
        managers: dict[int, list[int]] = {}
        for person_id, node_id, role in await session.execute(
            select(RoleAssignmentRow.person_id, RoleAssignmentRow.org_node_id, RoleAssignmentRow.role)
            .where(RoleAssignmentRow.role.in_([r.value for r in REPORTER_ROLES]))
            .order_by(RoleAssignmentRow.person_id)
        ):
            target = managers if role == Role.UNIT_MANAGER.value else data.heads
            target.setdefault(node_id, []).append(person_id)
        # Who reports for a goal: the owner's unit managers; a department-level goal
        # (no manager on the node) is reported by the department's head.
        for owner_id in {item.unit_id for item in data.outstanding}:
            people = managers.get(owner_id) or data.heads.get(owner_id) or []
            if people:
                data.reporters[owner_id] = people


def _ref(row) -> ConversationRef:
    return ConversationRef(
        conversation_id=row.conversation_id, service_url=row.service_url, tenant_id=row.tenant_id,
        channel_id=row.channel_id, conversation_type=row.conversation_type, user_aad_id=row.user_aad_id,
        team_id=row.team_id, teams_channel_id=row.teams_channel_id, reference=json.loads(row.reference),
        active=row.active, updated_at=row.updated_at,
    )
