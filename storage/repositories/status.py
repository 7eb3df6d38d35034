"""The bulk read behind "which goals are behind?".

A fixed number of statements whatever the number of goals (see STATEMENTS):
goals (with their owner's name and root, found by a recursive CTE), the three
goal-child tables, periods, follow-ups, their indicator values and activity
statuses. Each is a Core select of just the columns the status rules need,
filtered by the same owner/year condition as a subquery, so only the owner ids
travel to the database, and as one bound parameter (see `_sql.one_of`). Rows
become domain objects by tuple unpacking and enum lookups in dicts: on a
department of ~500 goals, building ~10,000 frozen dataclasses costs about as
much as the SQL, so goals, their children, follow-ups and measurements are built
by the fast constructors at the end of this module, which fill the slots directly
instead of going through the frozen dataclass `__init__` (one `object.__setattr__`
per field): about half the cost, and the objects equal ones built the usual way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goals.model import (
    Activity,
    ActivityStatus,
    Direction,
    ExpectedResult,
    FollowUp,
    FollowUpState,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
    Period,
)
from goals.ports import GoalSnapshot, StatusReader
from storage.models import OrgNodeRow, PeriodRow
from storage.repositories._sql import one_of
from storage.repositories.follow_ups import FOLLOW_UPS, STATUSES, VALUES
from storage.repositories.goals import (
    ACTIVITIES,
    ACTIVITY_COLUMNS,
    GOAL_COLUMNS,
    GOALS,
    INDICATOR_COLUMNS,
    INDICATORS,
    RESULT_COLUMNS,
    RESULTS,
)
from storage.repositories.periods import COLUMNS as PERIOD_COLUMNS

STATEMENTS = 8  # what one snapshots() call costs; tests hold us to it

_NODES = OrgNodeRow.__table__
_PERIODS = PeriodRow.__table__
_DIRECTION = {member.value: member for member in Direction}
_ACTIVITY = {member.value: member for member in ActivityStatus}
_STATE = {member.value: member for member in FollowUpState}
_FULFILMENT = {member.value: member for member in Fulfilment}
_FULFILMENT[None] = None
# What the status rules read of a follow-up. The free texts, cross-sectoral notes
# and timestamps stay behind: materialising them doubled the cost of the largest
# query, and a snapshot is a status view (read a whole follow-up with
# uow.follow_ups.get/find when showing it).
_FOLLOW_UP_COLUMNS = (
    FOLLOW_UPS.c.id,
    FOLLOW_UPS.c.goal_id,
    FOLLOW_UPS.c.period_id,
    FOLLOW_UPS.c.state,
    FOLLOW_UPS.c.assessment,
    FOLLOW_UPS.c.forecast,
    FOLLOW_UPS.c.version,
    FOLLOW_UPS.c.author_id,
    FOLLOW_UPS.c.approver_id,
    FOLLOW_UPS.c.updated_by,
)


class SqlStatusReader(StatusReader):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _rows(self, statement) -> list:
        return (await self.session.execute(statement)).all()

    async def snapshots(self, owner_ids: Sequence[int], year: int) -> list[GoalSnapshot]:
        if not owner_ids:
            return []
        session = self.session
        goal_filter = (
            one_of(session, GOALS.c.owner_id, owner_ids) & (GOALS.c.valid_from <= year) & (GOALS.c.valid_to >= year)
        )
        owners = self._owners(owner_ids)
        goal_rows = await self._rows(
            select(*GOAL_COLUMNS, owners.c.owner_name, owners.c.root_id)
            .join(owners, owners.c.owner_id == GOALS.c.owner_id)
            .where(goal_filter)
            .order_by(GOALS.c.owner_id, GOALS.c.number)
        )
        if not goal_rows:
            return []
        goal_ids = select(GOALS.c.id).where(goal_filter)

        results: dict[int, list[ExpectedResult]] = defaultdict(list)
        result, directions = _fast_result, _DIRECTION
        for goal_id, id_, text, direction, target, baseline in await self._rows(
            select(*RESULT_COLUMNS).where(RESULTS.c.goal_id.in_(goal_ids)).order_by(RESULTS.c.position, RESULTS.c.id)
        ):
            results[goal_id].append(result(id_, text, directions[direction], target, baseline))

        indicators: dict[int, list[Indicator]] = defaultdict(list)
        indicator = _fast_indicator
        for goal_id, id_, code, name, unit, direction, target, baseline, split, kpi in await self._rows(
            select(*INDICATOR_COLUMNS)
            .where(INDICATORS.c.goal_id.in_(goal_ids))
            .order_by(INDICATORS.c.position, INDICATORS.c.id)
        ):
            indicators[goal_id].append(
                indicator(id_, code, name, unit, directions[direction], target, baseline, bool(split), kpi)
            )

        activities: dict[int, list[Activity]] = defaultdict(list)
        activity, activity_statuses = _fast_activity, _ACTIVITY
        for goal_id, id_, title, start, end, status in await self._rows(
            select(*ACTIVITY_COLUMNS)
            .where(ACTIVITIES.c.goal_id.in_(goal_ids))
            .order_by(ACTIVITIES.c.position, ACTIVITIES.c.id)
        ):
            activities[goal_id].append(activity(id_, title, start, end, activity_statuses[status]))

        root_ids = sorted({row.root_id for row in goal_rows})
        periods_by_root: dict[int, list[Period]] = defaultdict(list)
        period_ids: list[int] = []
        for row in await self._rows(
            select(*PERIOD_COLUMNS)
            .where(one_of(session, _PERIODS.c.root_id, root_ids), _PERIODS.c.year.in_((year - 1, year)))
            .order_by(_PERIODS.c.start, _PERIODS.c.end, _PERIODS.c.id)
        ):
            id_, root_id, kind, period_year, start, end, deadline, is_open, is_year_end = row
            periods_by_root[root_id].append(
                Period(
                    id=id_,
                    root_id=root_id,
                    kind=kind,
                    year=period_year,
                    start=start,
                    end=end,
                    deadline=deadline,
                    is_open=bool(is_open),
                    is_year_end=bool(is_year_end),
                )
            )
            period_ids.append(id_)

        follow_ups = await self._follow_ups(goal_ids, list(period_ids))

        snapshots = []
        no_periods: tuple[Period, ...] = ()
        periods_of_root = {root_id: tuple(periods) for root_id, periods in periods_by_root.items()}
        period_ids_of_root = {root_id: tuple(p.id for p in periods) for root_id, periods in periods_of_root.items()}
        goal, no_children = _fast_goal, ()
        # GOAL_COLUMNS are Goal's first eleven fields, in order (see storage/repositories/goals.py)
        for goal_id, code, title, level, owner_id, valid_from, valid_to, number, description, parent_id, area_id, owner_name, root_id in goal_rows:  # fmt: skip
            goal_follow_ups = follow_ups.get(goal_id) or {}
            snapshots.append(
                GoalSnapshot(
                    goal(
                        goal_id, code, title, level, owner_id, valid_from, valid_to, number, description, parent_id,
                        area_id, tuple(results.get(goal_id, no_children)), tuple(indicators.get(goal_id, no_children)),
                        tuple(activities.get(goal_id, no_children)),
                    ),  # fmt: skip
                    owner_name,
                    periods_of_root.get(root_id, no_periods),
                    goal_follow_ups,
                    _history(period_ids_of_root[root_id], goal_follow_ups) if goal_follow_ups else {},
                )
            )
        return snapshots

    def _owners(self, owner_ids: Sequence[int]):
        """(owner_id, owner_name, root_id) of each owner: one recursive CTE walking up
        the tree, joined into the goals query rather than read on its own."""
        up = (
            select(_NODES.c.id.label("owner_id"), _NODES.c.id, _NODES.c.parent_id, _NODES.c.name)
            .where(one_of(self.session, _NODES.c.id, owner_ids))
            .cte("up", recursive=True)
        )
        up = up.union_all(
            select(up.c.owner_id, _NODES.c.id, _NODES.c.parent_id, up.c.name).join(up, _NODES.c.id == up.c.parent_id)
        )
        return (
            select(up.c.owner_id, up.c.name.label("owner_name"), up.c.id.label("root_id"))
            .where(up.c.parent_id.is_(None))
            .subquery("owners")
        )

    async def _follow_ups(self, goal_ids, period_ids: list[int]) -> dict[int, dict[int, FollowUp]]:
        """Follow-ups of these goals in these periods with their indicator values
        and activity statuses, by goal id then period id."""
        by_goal: dict[int, dict[int, FollowUp]] = defaultdict(dict)
        if not period_ids:
            return by_goal
        in_scope = FOLLOW_UPS.c.goal_id.in_(goal_ids) & one_of(self.session, FOLLOW_UPS.c.period_id, period_ids)
        rows = await self._rows(select(*_FOLLOW_UP_COLUMNS).where(in_scope))
        if not rows:
            return by_goal
        follow_up_ids = select(FOLLOW_UPS.c.id).where(in_scope)

        values: dict[int, dict[int, Measurement]] = defaultdict(dict)
        measurement = _fast_measurement
        for follow_up_id, indicator_id, total, women, men in await self._rows(
            select(VALUES.c.follow_up_id, VALUES.c.indicator_id, VALUES.c.total, VALUES.c.women, VALUES.c.men).where(
                VALUES.c.follow_up_id.in_(follow_up_ids)
            )
        ):
            values[follow_up_id][indicator_id] = measurement(total, women, men)

        statuses: dict[int, dict[int, ActivityStatus]] = defaultdict(dict)
        for follow_up_id, activity_id, status in await self._rows(
            select(STATUSES.c.follow_up_id, STATUSES.c.activity_id, STATUSES.c.status).where(
                STATUSES.c.follow_up_id.in_(follow_up_ids)
            )
        ):
            statuses[follow_up_id][activity_id] = _ACTIVITY[status]

        follow_up, states, fulfilments = _fast_follow_up, _STATE, _FULFILMENT
        for id_, goal_id, period_id, state, assessment, forecast, version, author_id, approver_id, updated_by in rows:
            by_goal[goal_id][period_id] = follow_up(
                id_,
                goal_id,
                period_id,
                states[state],
                fulfilments[assessment],
                fulfilments[forecast],
                values.get(id_) or {},
                statuses.get(id_) or {},
                author_id,
                approver_id,
                version,
                updated_by,
            )
        return by_goal


def _history(period_ids: Sequence[int], follow_ups: dict[int, FollowUp]) -> dict[int, tuple[tuple[int, Measurement], ...]]:
    """Each indicator's values over the periods, oldest first (period ids in period order)."""
    history: dict[int, tuple[tuple[int, Measurement], ...]] = {}
    for period_id in period_ids:
        follow_up = follow_ups.get(period_id)
        if follow_up is not None:
            for indicator_id, measurement in follow_up.indicator_values.items():
                # tuples grow by concatenation: a goal has a handful of periods, and this
                # spares the list-to-tuple pass over every indicator afterwards
                history[indicator_id] = history.get(indicator_id, ()) + ((period_id, measurement),)
    return history


# --- fast constructors -----------------------------------------------------------
# Frozen slotted dataclasses refuse attribute assignment, but their slot
# descriptors do not: `object.__new__` plus one descriptor `__set__` per field
# builds the same object as `__init__` at about half the cost. Every field is
# set (the defaults here are FollowUp's own), so equality and repr are unchanged.

_new = object.__new__
_slot = {cls: {name: cls.__dict__[name].__set__ for name in cls.__dataclass_fields__} for cls in (FollowUp, Measurement)}
_m_total, _m_women, _m_men = (_slot[Measurement][name] for name in ("total", "women", "men"))
(
    _f_id, _f_goal_id, _f_period_id, _f_state, _f_assessment, _f_forecast, _f_analysis, _f_actions,
    _f_evidence_note, _f_resource_use, _f_cross_sectoral, _f_indicator_values, _f_activity_statuses,
    _f_author_id, _f_submitted_at, _f_approver_id, _f_decided_at, _f_return_comment, _f_version,
    _f_updated_at, _f_updated_by,
) = _slot[FollowUp].values()  # fmt: skip
assert tuple(_slot[FollowUp]) == (
    "id", "goal_id", "period_id", "state", "assessment", "forecast", "analysis", "actions", "evidence_note",
    "resource_use", "cross_sectoral", "indicator_values", "activity_statuses", "author_id", "submitted_at",
    "approver_id", "decided_at", "return_comment", "version", "updated_at", "updated_by",
), "FollowUp's fields changed: update _fast_follow_up"  # fmt: skip


def _builder(cls):
    """A positional constructor setting every field of `cls` in declaration order."""
    setters = tuple(cls.__dict__[name].__set__ for name in cls.__dataclass_fields__)

    def build(*values):
        instance = _new(cls)
        for set_, value in zip(setters, values, strict=True):
            set_(instance, value)
        return instance

    return build


_fast_goal = _builder(Goal)
_fast_result = _builder(ExpectedResult)
_fast_indicator = _builder(Indicator)
_fast_activity = _builder(Activity)


def _fast_measurement(total, women, men) -> Measurement:
    measurement = _new(Measurement)
    _m_total(measurement, total)
    _m_women(measurement, women)
    _m_men(measurement, men)
    return measurement


def _fast_follow_up(
    id_, goal_id, period_id, state, assessment, forecast, indicator_values, activity_statuses, author_id, approver_id,
    version, updated_by,
) -> FollowUp:  # fmt: skip
    """A status-view FollowUp: the texts, cross-sectoral notes and timestamps are not
    read (see _FOLLOW_UP_COLUMNS) and get FollowUp's defaults."""
    follow_up = _new(FollowUp)
    _f_id(follow_up, id_)
    _f_goal_id(follow_up, goal_id)
    _f_period_id(follow_up, period_id)
    _f_state(follow_up, state)
    _f_assessment(follow_up, assessment)
    _f_forecast(follow_up, forecast)
    _f_analysis(follow_up, "")
    _f_actions(follow_up, "")
    _f_evidence_note(follow_up, "")
    _f_resource_use(follow_up, "")
    _f_cross_sectoral(follow_up, {})
    _f_indicator_values(follow_up, indicator_values)
    _f_activity_statuses(follow_up, activity_statuses)
    _f_author_id(follow_up, author_id)
    _f_submitted_at(follow_up, None)
    _f_approver_id(follow_up, approver_id)
    _f_decided_at(follow_up, None)
    _f_return_comment(follow_up, "")
    _f_version(follow_up, version)
    _f_updated_at(follow_up, None)
    _f_updated_by(follow_up, updated_by)
    return follow_up
