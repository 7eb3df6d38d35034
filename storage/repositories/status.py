"""The bulk read behind "which goals are behind?".

A fixed number of statements whatever the number of goals (see STATEMENTS):
goals (with their owner's name and root, found by a recursive CTE), the three
goal-child tables, periods, follow-ups, their indicator values and activity
statuses. Each id list travels as one text parameter (an int[] literal on
PostgreSQL, a JSON array on SQLite; see `_Dialect.ids`), so the SQL text never
changes with the list's length. The owner ids go to the first statement only;
the later ones are bound to the goal ids it found, so the database never works
the owner filter out again and PostgreSQL finds follow-ups by their
(goal_id, period_id) index.

On a department (~500 goals, ~2,900 follow-ups, ~3,900 indicator values) the
read is dominated by per-row Python work, not by the database. So:

- the SQL is written out per dialect once, at import time, and run on the
  session's own driver connection (asyncpg / aiosqlite, the drivers
  storage.session picks; the same connection and transaction as the rest of the
  unit of work, so a reader sees its own unit's writes): no statement construction, no
  compile-cache lookup, and no SQLAlchemy Result/Row per row — rows come back as
  the driver's tuples/records and are unpacked directly. SQLite hands back dates
  as ISO text and booleans as 0/1; `_Dialect` says which conversions apply;
- goals, their children, follow-ups and measurements are built by the fast
  constructors at the end of this module, which fill the slots directly instead of
  going through the frozen dataclass `__init__` (about half the cost; the objects
  equal ones built the usual way), after all rows are read, with the cyclic
  garbage collector paused (see `snapshots`).

Measured figures: bench/README.md, behind_query.py.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from goals.gc_pause import cycle_collection_paused
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
from goals.status import GoalStatus, goal_status_of
from goals.status_memo import StatusMemo

STATEMENTS = 8  # what one snapshots() call costs; tests hold us to it

_DIRECTION = {member.value: member for member in Direction}
_ACTIVITY = {member.value: member for member in ActivityStatus}
_STATE = {member.value: member for member in FollowUpState}
_FULFILMENT = {member.value: member for member in Fulfilment}
_FULFILMENT[None] = None

# Templates filled per dialect by _Dialect: {in_1}/{in_2} = "is one of the ids in
# parameter 1/2" (`= ANY($n::int[])` on PostgreSQL, a JSON array walked by json_each
# on SQLite); {p2} = parameter 2 itself.
# Goals with their owner's name and root. {start}: the org nodes to walk up from;
# {which}: the goals wanted. Filled below for "the goals of these owners" and for
# "these goals" (the ones the status memo has to work out again).
_GOALS_OF = """
WITH RECURSIVE up(owner_id, id, parent_id, name) AS (
    SELECT id, id, parent_id, name FROM org_nodes WHERE id {start}
    UNION ALL
    SELECT up.owner_id, n.id, n.parent_id, up.name FROM org_nodes n JOIN up ON n.id = up.parent_id
)
SELECT g.id, g.code, g.title, g.level, g.owner_id, g.valid_from, g.valid_to, g.number, g.description,
       g.parent_id, g.area_id, up.name, up.id
FROM goals g JOIN up ON up.owner_id = g.owner_id AND up.parent_id IS NULL
WHERE {which} AND g.valid_from <= {{p2}} AND g.valid_to >= {{p2}}
ORDER BY g.owner_id, g.number
"""
_GOALS = _GOALS_OF.format(start="{in_1}", which="g.owner_id {in_1}")
_GOALS_BY_ID = _GOALS_OF.format(start="IN (SELECT owner_id FROM goals WHERE id {in_1})", which="g.id {in_1}")
# Which goals the owners have in the year, in _GOALS' order, with each goal's stamp
# and the epoch (migration 0005): all the status memo needs to know what it can reuse.
_STAMPS = """
SELECT g.id, COALESCE(s.stamp, 0), (SELECT stamp FROM status_epoch WHERE id = 1)
FROM goals g LEFT JOIN goal_status_stamps s ON s.goal_id = g.id
WHERE g.owner_id {in_1} AND g.valid_from <= {p2} AND g.valid_to >= {p2}
ORDER BY g.owner_id, g.number
"""
_RESULTS = """
SELECT goal_id, id, text, direction, target_value, baseline FROM expected_results
WHERE goal_id {in_1} ORDER BY position, id
"""
_INDICATORS = """
SELECT goal_id, id, code, name, unit, direction, target, baseline, gender_split, kpi_id FROM indicators
WHERE goal_id {in_1} ORDER BY position, id
"""
_ACTIVITIES = """
SELECT goal_id, id, title, start, "end", status FROM activities
WHERE goal_id {in_1} ORDER BY position, id
"""
_PERIODS = """
SELECT id, root_id, kind, year, start, "end", deadline, is_open, is_year_end FROM periods
WHERE root_id {in_1} AND year IN ({p2} - 1, {p2}) ORDER BY start, "end", id
"""
# What the status rules read of a follow-up. The free texts, cross-sectoral notes
# and timestamps stay behind: materialising them doubled the cost of the largest
# query, and a snapshot is a status view (read a whole follow-up with
# uow.follow_ups.get/find when showing it).
_FOLLOW_UPS = """
SELECT id, goal_id, period_id, state, assessment, forecast, version, author_id, approver_id, updated_by
FROM follow_ups WHERE goal_id {in_1} AND period_id {in_2}
"""
# A follow-up's indicator values and activity statuses. SQLite walks the follow-ups
# of the goals and periods by their index and probes each follow-up's rows by the
# primary key. PostgreSQL, left to choose, hashes the whole values or statuses
# table (a parallel scan of 400,000 values in the generated city): a cost that
# grows with the city, not with the department asked about. So it gets the
# follow-up ids the previous statement found, and a LATERAL subquery that OFFSET 0
# keeps from being flattened into a join, i.e. one primary-key probe per follow-up.
_VALUES = {
    "sqlite": """
SELECT v.follow_up_id, v.indicator_id, v.total, v.women, v.men
FROM follow_ups f JOIN follow_up_indicator_values v ON v.follow_up_id = f.id
WHERE f.goal_id {in_1} AND f.period_id {in_2}
""",
    "postgresql": """
SELECT v.follow_up_id, v.indicator_id, v.total, v.women, v.men
FROM unnest($1::text::int[]) AS f(id) CROSS JOIN LATERAL (
    SELECT follow_up_id, indicator_id, total, women, men FROM follow_up_indicator_values
    WHERE follow_up_id = f.id OFFSET 0
) v
""",
}
_STATUSES = {
    "sqlite": """
SELECT s.follow_up_id, s.activity_id, s.status
FROM follow_ups f JOIN follow_up_activity_statuses s ON s.follow_up_id = f.id
WHERE f.goal_id {in_1} AND f.period_id {in_2}
""",
    "postgresql": """
SELECT s.follow_up_id, s.activity_id, s.status
FROM unnest($1::text::int[]) AS f(id) CROSS JOIN LATERAL (
    SELECT follow_up_id, activity_id, status FROM follow_up_activity_statuses WHERE follow_up_id = f.id OFFSET 0
) s
""",
}


class _Dialect:
    """The statements filled for one database, and how its driver is called."""

    def __init__(self, name: str) -> None:
        self.postgres = postgres = name == "postgresql"
        if postgres:
            marks = {"in_1": "= ANY($1::text::int[])", "in_2": "= ANY($2::text::int[])", "p2": "$2::int"}
        else:
            marks = {
                "in_1": "IN (SELECT value FROM json_each(?1))",
                "in_2": "IN (SELECT value FROM json_each(?2))",
                "p2": "?2",
            }
        fill = lambda sql: " ".join(sql.format(**marks).split())  # noqa: E731
        self.goals, self.results, self.indicators, self.activities, self.periods = map(
            fill, (_GOALS, _RESULTS, _INDICATORS, _ACTIVITIES, _PERIODS)
        )
        self.goals_by_id, self.stamps = fill(_GOALS_BY_ID), fill(_STAMPS)
        self.follow_ups, self.values, self.statuses = map(fill, (_FOLLOW_UPS, _VALUES[name], _STATUSES[name]))
        # SQLite: dates are ISO text, booleans 0/1; asyncpg decodes both itself
        self.day = _same if postgres else date.fromisoformat

    def of_follow_ups(self, goal_ids: str, period_ids: str, follow_up_rows: list) -> tuple:
        """The parameters of `values` and `statuses` (see _VALUES)."""
        if self.postgres:
            return (self.ids([row[0] for row in follow_up_rows]),)
        return goal_ids, period_ids

    def ids(self, ids: Sequence[int]) -> str:
        """A list of ids as one text parameter: a JSON array for SQLite's json_each, an
        array literal cast to int[] on PostgreSQL (asyncpg encodes a Python list
        element by element with an isinstance check each: ~4 ms for a department's
        ~3,400 ids, against ~0.3 ms for the text)."""
        values = [int(value) for value in ids]
        return "{%s}" % ",".join(map(str, values)) if self.postgres else json.dumps(values)

    async def fetch(self, driver, sql: str, *parameters) -> list:
        if self.postgres:
            return await driver.fetch(sql, *parameters)
        return await driver.execute_fetchall(sql, parameters)


def _same(value):
    return value


_DIALECTS = {name: _Dialect(name) for name in ("postgresql", "sqlite")}


class _Rows(NamedTuple):
    """What the statements returned, as the driver's rows."""

    goals: list
    results: list
    indicators: list
    activities: list
    periods: list
    follow_ups: list
    values: list
    statuses: list


class SqlStatusReader(StatusReader):
    """`memo`: the statuses kept between units of work (one per database and process,
    see storage.unit_of_work); None works every status out afresh."""

    def __init__(self, session: AsyncSession, memo: StatusMemo | None = None) -> None:
        self.session = session
        self.memo = memo

    async def snapshots(self, owner_ids: Sequence[int], year: int) -> list[GoalSnapshot]:
        if not owner_ids:
            return []
        dialect, driver = await self._driver()
        rows = await _fetch(dialect, driver, dialect.goals, owner_ids, year)
        if rows is None:
            return []
        # Reading first and building after lets the build run with the cyclic garbage
        # collector paused (goals/gc_pause.py): nothing else runs meanwhile (no await
        # in _build).
        with cycle_collection_paused():
            return _build(rows, dialect.day)

    async def statuses(self, owner_ids: Sequence[int], today: date) -> list[GoalStatus]:
        """One small read of the goals' stamps; only goals whose kept status is out of
        date (or never worked out) are read in full and judged again."""
        memo = self.memo
        if memo is None:
            return await super().statuses(owner_ids, today)
        if not owner_ids:
            return []
        dialect, driver = await self._driver()
        year = today.year
        stamped = await dialect.fetch(driver, dialect.stamps, dialect.ids(owner_ids), year)
        if not stamped:
            return []
        epoch = stamped[0][2]
        found, missing = memo.recall(today, epoch, stamped)
        if not missing:
            return found  # type: ignore[return-value]  # no None left
        # Most of them out of date (a first question, a new day): the owners' read is
        # the cheaper; a few (someone just reported): those goals only.
        if len(missing) * 2 > len(stamped):
            rows = await _fetch(dialect, driver, dialect.goals, owner_ids, year)
        else:
            rows = await _fetch(dialect, driver, dialect.goals_by_id, missing, year)
        fresh: dict[int, GoalStatus] = {}
        if rows is not None:
            with cycle_collection_paused():
                for snapshot in _build(rows, dialect.day):
                    fresh[snapshot.goal.id] = goal_status_of(snapshot, today)
        memo.keep(today, epoch, {row[0]: row[1] for row in stamped}, fresh.values())
        # A goal gone or out of the year between the two reads (PostgreSQL reads each
        # statement's own committed state) is left out, as a later question would.
        answer = []
        for (goal_id, *_), status in zip(stamped, found, strict=True):
            if status is None:
                status = fresh.get(goal_id)
            if status is not None:
                answer.append(status)
        return answer

    async def _driver(self) -> tuple[_Dialect, object]:
        connection = await self.session.connection()
        return _DIALECTS[connection.dialect.name], (await connection.get_raw_connection()).driver_connection


async def _fetch(dialect: _Dialect, driver, goals_sql: str, ids: Sequence[int], year: int) -> _Rows | None:
    """Everything the rules read of the goals `goals_sql` selects by `ids` (owner
    ids for dialect.goals, goal ids for dialect.goals_by_id)."""
    fetch = dialect.fetch
    goals = await fetch(driver, goals_sql, dialect.ids(ids), year)
    if not goals:
        return None
    goal_ids = dialect.ids([row[0] for row in goals])
    results = await fetch(driver, dialect.results, goal_ids)
    indicators = await fetch(driver, dialect.indicators, goal_ids)
    activities = await fetch(driver, dialect.activities, goal_ids)
    periods = await fetch(driver, dialect.periods, dialect.ids(sorted({row[12] for row in goals})), year)
    follow_ups: list = []
    values: list = []
    statuses: list = []
    if periods:
        in_periods = dialect.ids([row[0] for row in periods])
        follow_ups = await fetch(driver, dialect.follow_ups, goal_ids, in_periods)
        if follow_ups:
            of_these = dialect.of_follow_ups(goal_ids, in_periods, follow_ups)
            values = await fetch(driver, dialect.values, *of_these)
            statuses = await fetch(driver, dialect.statuses, *of_these)
    return _Rows(goals, results, indicators, activities, periods, follow_ups, values, statuses)


def _build(rows: _Rows, day) -> list[GoalSnapshot]:
    results: dict[int, list[ExpectedResult]] = defaultdict(list)
    result, directions = _fast_result, _DIRECTION
    for goal_id, id_, text, direction, target, baseline in rows.results:
        results[goal_id].append(result(id_, text, directions[direction], target, baseline))

    indicators: dict[int, list[Indicator]] = defaultdict(list)
    indicator = _fast_indicator
    for goal_id, id_, code, name, unit, direction, target, baseline, split, kpi in rows.indicators:
        indicators[goal_id].append(indicator(id_, code, name, unit, directions[direction], target, baseline, bool(split), kpi))

    activities: dict[int, list[Activity]] = defaultdict(list)
    activity, activity_statuses = _fast_activity, _ACTIVITY
    for goal_id, id_, title, start, end, status in rows.activities:
        activities[goal_id].append(activity(id_, title, day(start), day(end), activity_statuses[status]))

    periods_by_root: dict[int, list[Period]] = defaultdict(list)
    for id_, root_id, kind, period_year, start, end, deadline, is_open, is_year_end in rows.periods:
        periods_by_root[root_id].append(
            Period(
                id=id_,
                root_id=root_id,
                kind=kind,
                year=period_year,
                start=day(start),
                end=day(end),
                deadline=day(deadline),
                is_open=bool(is_open),
                is_year_end=bool(is_year_end),
            )
        )

    follow_ups = _follow_ups(rows)

    snapshots = []
    no_periods: tuple[Period, ...] = ()
    periods_of_root = {root_id: tuple(periods) for root_id, periods in periods_by_root.items()}
    period_ids_of_root = {root_id: tuple(p.id for p in periods) for root_id, periods in periods_of_root.items()}
    goal, no_children = _fast_goal, ()
    for goal_id, code, title, level, owner_id, valid_from, valid_to, number, description, parent_id, area_id, owner_name, root_id in rows.goals:  # fmt: skip
        goal_follow_ups = follow_ups.get(goal_id)
        snapshots.append(
            GoalSnapshot(
                goal(
                    goal_id, code, title, level, owner_id, valid_from, valid_to, number, description, parent_id,
                    area_id, tuple(results.get(goal_id, no_children)), tuple(indicators.get(goal_id, no_children)),
                    tuple(activities.get(goal_id, no_children)),
                ),  # fmt: skip
                owner_name,
                periods_of_root.get(root_id, no_periods),
                goal_follow_ups or {},
                _history(period_ids_of_root[root_id], goal_follow_ups) if goal_follow_ups else {},
            )
        )
    return snapshots


def _follow_ups(rows: _Rows) -> dict[int, dict[int, FollowUp]]:
    """The follow-ups with their indicator values and activity statuses, by goal id
    then period id."""
    values: dict[int, dict[int, Measurement]] = defaultdict(dict)
    measurement = _fast_measurement
    for follow_up_id, indicator_id, total, women, men in rows.values:
        values[follow_up_id][indicator_id] = measurement(total, women, men)

    statuses: dict[int, dict[int, ActivityStatus]] = defaultdict(dict)
    activity_statuses = _ACTIVITY
    for follow_up_id, activity_id, status in rows.statuses:
        statuses[follow_up_id][activity_id] = activity_statuses[status]

    by_goal: dict[int, dict[int, FollowUp]] = defaultdict(dict)
    follow_up, states, fulfilments = _fast_follow_up, _STATE, _FULFILMENT
    values_of, statuses_of = values.get, statuses.get
    for id_, goal_id, period_id, state, assessment, forecast, version, author_id, approver_id, updated_by in rows.follow_ups:
        by_goal[goal_id][period_id] = follow_up(
            id_,
            goal_id,
            period_id,
            states[state],
            fulfilments[assessment],
            fulfilments[forecast],
            values_of(id_) or {},
            statuses_of(id_) or {},
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
    """A positional constructor setting every field of `cls` in declaration order.

    Generated as straight-line code (as `dataclasses` does for `__init__`): a loop
    over the setters costs nearly twice as much per object, and this runs for
    every goal and child of a department."""
    names = tuple(cls.__dataclass_fields__)
    namespace = {"_new": _new, "_cls": cls} | {f"_set{i}": cls.__dict__[name].__set__ for i, name in enumerate(names)}
    parameters = ", ".join(f"v{i}" for i in range(len(names)))
    body = "".join(f"    _set{i}(instance, v{i})\n" for i in range(len(names)))
    exec(f"def build({parameters}):\n    instance = _new(_cls)\n{body}    return instance\n", namespace)  # noqa: S102
    return namespace["build"]


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
