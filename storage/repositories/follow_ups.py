"""Follow-ups with optimistic concurrency.

`update` is one conditional UPDATE … WHERE id = :id AND version = :expected: the
database decides who was first, so two people saving the same follow-up can
never silently overwrite each other, on SQLite or PostgreSQL, without locks held
while a user types.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from goals.errors import ConcurrencyConflict, NotFound
from goals.model import (
    ActivityStatus,
    CrossSectoral,
    FollowUp,
    FollowUpState,
    Fulfilment,
    Measurement,
)
from goals.ports import FollowUpRepository
from storage.models import (
    FollowUpActivityStatusRow,
    FollowUpIndicatorValueRow,
    FollowUpRow,
    GoalRow,
)
from storage.repositories._sql import insert_ignoring_duplicates, one_of, utc

FOLLOW_UPS = FollowUpRow.__table__
VALUES = FollowUpIndicatorValueRow.__table__
STATUSES = FollowUpActivityStatusRow.__table__
GOALS = GoalRow.__table__

FOLLOW_UP_COLUMNS = (
    FOLLOW_UPS.c.id,
    FOLLOW_UPS.c.goal_id,
    FOLLOW_UPS.c.period_id,
    FOLLOW_UPS.c.state,
    FOLLOW_UPS.c.assessment,
    FOLLOW_UPS.c.forecast,
    FOLLOW_UPS.c.analysis,
    FOLLOW_UPS.c.actions,
    FOLLOW_UPS.c.evidence_note,
    FOLLOW_UPS.c.resource_use,
    FOLLOW_UPS.c.cross_sectoral,
    FOLLOW_UPS.c.author_id,
    FOLLOW_UPS.c.submitted_at,
    FOLLOW_UPS.c.approver_id,
    FOLLOW_UPS.c.decided_at,
    FOLLOW_UPS.c.return_comment,
    FOLLOW_UPS.c.version,
    FOLLOW_UPS.c.updated_at,
    FOLLOW_UPS.c.updated_by,
)
VALUE_COLUMNS = (VALUES.c.follow_up_id, VALUES.c.indicator_id, VALUES.c.total, VALUES.c.women, VALUES.c.men)
STATUS_COLUMNS = (STATUSES.c.follow_up_id, STATUSES.c.activity_id, STATUSES.c.status)


def _fulfilment(value: str | None) -> Fulfilment | None:
    return None if value is None else Fulfilment(value)


def _float(value) -> float | None:
    return None if value is None else float(value)


def to_measurement(row: Row) -> Measurement:
    return Measurement(total=_float(row.total), women=_float(row.women), men=_float(row.men))


def to_follow_up(row: Row, indicator_values: dict[int, Measurement], activity_statuses: dict[int, ActivityStatus]) -> FollowUp:
    return FollowUp(
        id=row.id,
        goal_id=row.goal_id,
        period_id=row.period_id,
        state=FollowUpState(row.state),
        assessment=_fulfilment(row.assessment),
        forecast=_fulfilment(row.forecast),
        analysis=row.analysis,
        actions=row.actions,
        evidence_note=row.evidence_note,
        resource_use=row.resource_use,
        cross_sectoral={CrossSectoral(key): text for key, text in (row.cross_sectoral or {}).items()},
        indicator_values=indicator_values,
        activity_statuses=activity_statuses,
        author_id=row.author_id,
        submitted_at=utc(row.submitted_at),
        approver_id=row.approver_id,
        decided_at=utc(row.decided_at),
        return_comment=row.return_comment,
        version=row.version,
        updated_at=utc(row.updated_at),
        updated_by=row.updated_by,
    )


async def load_follow_ups(session: AsyncSession, where: ColumnElement[bool]) -> list[FollowUp]:
    """Follow-ups matching `where` with their indicator values and activity
    statuses: three statements whatever the number of follow-ups."""
    rows = (await session.execute(select(*FOLLOW_UP_COLUMNS).where(where).order_by(FOLLOW_UPS.c.id))).all()
    if not rows:
        return []
    if len(rows) == 1:
        only = rows[0].id
        matching = lambda column: column == only  # noqa: E731
    else:
        subquery = select(FOLLOW_UPS.c.id).where(where)
        matching = lambda column: column.in_(subquery)  # noqa: E731
    values: dict[int, dict[int, Measurement]] = defaultdict(dict)
    for row in (await session.execute(select(*VALUE_COLUMNS).where(matching(VALUES.c.follow_up_id)))).all():
        values[row.follow_up_id][row.indicator_id] = to_measurement(row)
    statuses: dict[int, dict[int, ActivityStatus]] = defaultdict(dict)
    for row in (await session.execute(select(*STATUS_COLUMNS).where(matching(STATUSES.c.follow_up_id)))).all():
        statuses[row.follow_up_id][row.activity_id] = ActivityStatus(row.status)
    return [to_follow_up(row, values.get(row.id, {}), statuses.get(row.id, {})) for row in rows]


def _values(follow_up: FollowUp) -> dict:
    """The columns a save may change (goal and period are fixed at creation)."""
    return {
        "state": follow_up.state.value,
        "assessment": follow_up.assessment.value if follow_up.assessment else None,
        "forecast": follow_up.forecast.value if follow_up.forecast else None,
        "analysis": follow_up.analysis,
        "actions": follow_up.actions,
        "evidence_note": follow_up.evidence_note,
        "resource_use": follow_up.resource_use,
        "cross_sectoral": {CrossSectoral(key).value: text for key, text in follow_up.cross_sectoral.items()},
        "author_id": follow_up.author_id,
        "submitted_at": utc(follow_up.submitted_at),
        "approver_id": follow_up.approver_id,
        "decided_at": utc(follow_up.decided_at),
        "return_comment": follow_up.return_comment,
        "updated_at": utc(follow_up.updated_at),
        "updated_by": follow_up.updated_by,
    }


def _normalised(follow_up: FollowUp, **changes) -> FollowUp:
    """What a reader will get back: timestamps in UTC."""
    return replace(
        follow_up,
        submitted_at=utc(follow_up.submitted_at),
        decided_at=utc(follow_up.decided_at),
        updated_at=utc(follow_up.updated_at),
        **changes,
    )


class SqlFollowUpRepository(FollowUpRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, follow_up_id: int) -> FollowUp | None:
        found = await load_follow_ups(self.session, FOLLOW_UPS.c.id == follow_up_id)
        return found[0] if found else None

    async def find(self, goal_id: int, period_id: int) -> FollowUp | None:
        found = await load_follow_ups(
            self.session, (FOLLOW_UPS.c.goal_id == goal_id) & (FOLLOW_UPS.c.period_id == period_id)
        )
        return found[0] if found else None

    async def add(self, follow_up: FollowUp) -> FollowUp:
        # ON CONFLICT DO NOTHING rather than catching IntegrityError: a second
        # writer racing to start the same follow-up gets the first one's row.
        statement = (
            insert_ignoring_duplicates(self.session, FOLLOW_UPS, "goal_id", "period_id")
            .values(goal_id=follow_up.goal_id, period_id=follow_up.period_id, version=1, **_values(follow_up))
            .returning(FOLLOW_UPS.c.id)
        )
        new_id = (await self.session.execute(statement)).scalar_one_or_none()
        if new_id is None:
            raise ConcurrencyConflict(current=await self.find(follow_up.goal_id, follow_up.period_id))
        await self._write_details(new_id, follow_up)
        return _normalised(follow_up, id=new_id, version=1)

    async def update(self, follow_up: FollowUp, *, expected_version: int) -> FollowUp:
        statement = (
            update(FOLLOW_UPS)
            .where(FOLLOW_UPS.c.id == follow_up.id, FOLLOW_UPS.c.version == expected_version)
            .values(version=expected_version + 1, **_values(follow_up))
        )
        if (await self.session.execute(statement)).rowcount == 0:
            current = await self.get(follow_up.id)
            if current is None:
                raise NotFound(f"follow-up {follow_up.id}", entity="follow_up", id=follow_up.id)
            raise ConcurrencyConflict(current=current)
        await self.session.execute(delete(VALUES).where(VALUES.c.follow_up_id == follow_up.id))
        await self.session.execute(delete(STATUSES).where(STATUSES.c.follow_up_id == follow_up.id))
        await self._write_details(follow_up.id, follow_up)
        return _normalised(follow_up, version=expected_version + 1)

    async def _write_details(self, follow_up_id: int, follow_up: FollowUp) -> None:
        if follow_up.indicator_values:
            rows = [
                {"follow_up_id": follow_up_id, "indicator_id": indicator_id, "total": m.total, "women": m.women, "men": m.men}
                for indicator_id, m in follow_up.indicator_values.items()
            ]
            await self.session.execute(insert(VALUES), rows)
        if follow_up.activity_statuses:
            rows = [
                {"follow_up_id": follow_up_id, "activity_id": activity_id, "status": ActivityStatus(status).value}
                for activity_id, status in follow_up.activity_statuses.items()
            ]
            await self.session.execute(insert(STATUSES), rows)

    async def for_goals(self, goal_ids: Sequence[int], period_ids: Sequence[int]) -> list[FollowUp]:
        if not goal_ids or not period_ids:
            return []
        where = one_of(self.session, FOLLOW_UPS.c.goal_id, goal_ids) & one_of(self.session, FOLLOW_UPS.c.period_id, period_ids)
        return await load_follow_ups(self.session, where)

    async def submitted_for_owners(self, owner_ids: Sequence[int]) -> list[FollowUp]:
        if not owner_ids:
            return []
        goals = select(GOALS.c.id).where(one_of(self.session, GOALS.c.owner_id, owner_ids))
        where = (FOLLOW_UPS.c.state == FollowUpState.SUBMITTED.value) & FOLLOW_UPS.c.goal_id.in_(goals)
        found = await load_follow_ups(self.session, where)
        return sorted(found, key=lambda f: (f.submitted_at is None, f.submitted_at or f.updated_at, f.id))
