"""The summary of an org node for a period, as posted to a team channel.

`summarise` is pure: it takes the node's subtree, the period, and the status
snapshots of this year and last year (GoalSnapshot, one bulk read each), and says
- how many goals were assessed fulfilled / partly / not, and how many not yet;
- which goals are behind and why (goals.status, most behind first);
- which units have not yet reported the period (no follow-up, a draft, or returned);
- the largest movements of indicators since the same period last year.

Decisions:
- A goal's assessment for the period counts once its follow-up is submitted or
  approved (a draft is not yet an assessment); the assessment wins over the forecast,
  a forecast alone counts as what it forecasts.
- Only goals valid in the period's year, and only once the period has started.
- Last year's value of an indicator: from the same goal's history when the goal
  runs over several years (Malmö's mandate-period contributions), else from last
  year's goal of the same owner with an indicator of the same Kolada id, code or
  name (Stockholm's unit goals are set anew each year, with new ids).
- Movements are ranked by relative change (|after − before| / |before|), so "sick
  days 4 → 6" and "share 70 % → 75 %" compare fairly; a zero baseline ranks by the
  absolute change. "better" follows the indicator's direction.

`load_summary` is the one read behind it (through the UnitOfWork port).
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from goals.gc_pause import cycle_collection_paused
from goals.model import Direction, Fulfilment, Goal, Indicator, Measurement, OrgKind, OrgNode, Period
from goals.ports import GoalSnapshot, UnitOfWork
from goals.status import REPORTED, Reason, behind_and_severity

MOVEMENTS = 5  # the largest movements kept
# An assessment as stored (a Fulfilment, or its plain string from the database) →
# the Fulfilment; a dict lookup, not an enum call per goal.
_FULFILMENT: dict[object, Fulfilment | None] = {f.value: f for f in Fulfilment} | {None: None, "": None}


@dataclass(frozen=True, slots=True)
class BehindItem:
    goal: Goal
    owner_name: str
    reasons: tuple[Reason, ...]
    severity: int


@dataclass(frozen=True, slots=True)
class UnitNotReported:
    unit: OrgNode
    missing: int  # goals of the unit without a submitted/approved follow-up for the period
    goals: int  # goals of the unit for the period
    department: str  # the name of the unit's parent, for grouping in large organisations


@dataclass(frozen=True, slots=True)
class Movement:
    goal: Goal
    owner_name: str
    indicator: Indicator
    before: float
    after: float
    better: bool | None  # None: the indicator has no direction to judge by (unchanged value)

    @property
    def change(self) -> float:
        return self.after - self.before

    @property
    def relative(self) -> float:
        return abs(self.change) / abs(self.before) if self.before else abs(self.change)


@dataclass(frozen=True, slots=True)
class Summary:
    node: OrgNode
    period: Period
    goals: int
    by_assessment: dict[Fulfilment | None, int]  # None = not yet assessed for the period
    behind: tuple[BehindItem, ...]  # most behind first
    not_reported: tuple[UnitNotReported, ...]  # by department, then unit name
    units_with_goals: int
    movements: tuple[Movement, ...] = field(default=())  # largest first

    @property
    def reported_units(self) -> int:
        return self.units_with_goals - len(self.not_reported)


def summary_period(periods: Sequence[Period], today: date) -> Period | None:
    """The period being reported now: of the started periods, the one with the
    nearest deadline not yet passed (T1 until its deadline in May, then T2 …);
    after the year's last deadline, the last one."""
    started = sorted((p for p in periods if p.start <= today), key=lambda p: (p.deadline, p.start, p.id))
    if not started:
        return None
    return next((p for p in started if p.deadline >= today), started[-1])


def summarise(
    *,
    node: OrgNode,
    nodes: Sequence[OrgNode],
    period: Period,
    snapshots: Sequence[GoalSnapshot],
    previous: Sequence[GoalSnapshot] = (),
    today: date,
    movements: int = MOVEMENTS,
    units_only: bool = False,
) -> Summary:
    """`nodes`: the node's subtree; `snapshots`: goals owned in it for the period's
    year; `previous`: the same for the year before (for movements). `units_only`:
    the counts and the units not reported, without the status rules and movements
    (no goals behind, no movements): what a "Visa fler" page of units shows."""
    with cycle_collection_paused():  # plain data: see goals/gc_pause.py
        return _summarise(node, nodes, period, snapshots, previous, today, movements, units_only)


def _summarise(node: OrgNode, nodes: Sequence[OrgNode], period: Period, snapshots: Sequence[GoalSnapshot],
               previous: Sequence[GoalSnapshot], today: date, movements: int, units_only: bool) -> Summary:
    by_id = {n.id: n for n in nodes}
    year, period_id = period.year, period.id
    counted = [
        s for s in snapshots
        if s.goal.owner_id in by_id and s.goal.is_valid_in(year) and period.start <= today
    ]
    by_assessment: dict[Fulfilment | None, int] = {f: 0 for f in Fulfilment}
    by_assessment[None] = 0
    per_unit: dict[int, list[int]] = {}  # owner id -> [goals, missing]
    # (sort key, snapshot, reasons, severity): each goal's reasons and their severity
    # worked out once, BehindItems made in the final order.
    found: list[tuple[tuple[int, str, int, int], GoalSnapshot, tuple[Reason, ...], int]] = []
    for snapshot in counted:
        goal = snapshot.goal
        follow_up = snapshot.follow_ups.get(period_id)
        reported = follow_up is not None and follow_up.state in REPORTED
        verdict = (follow_up.assessment or follow_up.forecast) if reported else None
        by_assessment[_FULFILMENT.get(verdict)] += 1
        tally = per_unit.get(goal.owner_id)
        if tally is None:
            tally = per_unit[goal.owner_id] = [0, 0]
        tally[0] += 1
        if not reported:
            tally[1] += 1
        if units_only:
            continue
        reasons, weight = behind_and_severity(snapshot, today)
        if reasons:
            found.append(((-weight, snapshot.owner_name, goal.number, goal.id), snapshot, reasons, weight))
    found.sort(key=_rank)
    behind = [BehindItem(snapshot.goal, snapshot.owner_name, reasons, weight) for _, snapshot, reasons, weight in found]
    not_reported = [
        UnitNotReported(
            unit=by_id[owner_id],
            missing=missing,
            goals=total,
            department=_parent_name(by_id, by_id[owner_id]),
        )
        for owner_id, (total, missing) in per_unit.items()
        if missing
    ]
    not_reported.sort(key=lambda u: (u.department, u.unit.name, u.unit.id))
    return Summary(
        node=node,
        period=period,
        goals=len(counted),
        by_assessment=by_assessment,
        behind=tuple(behind),
        not_reported=tuple(not_reported),
        units_with_goals=len(per_unit),
        movements=() if units_only else tuple(largest_movements(counted, previous, period, limit=movements)),
    )


def largest_movements(
    snapshots: Sequence[GoalSnapshot], previous: Sequence[GoalSnapshot], period: Period, *, limit: int = MOVEMENTS
) -> list[Movement]:
    """Indicator values of `period` against the same kind of period a year earlier."""
    if limit <= 0:
        return []
    earlier_of = _EarlierPeriod(period)
    period_id = period.id
    last_year_values: dict[int, dict[str, float]] | None = None  # read only if some goal needs it
    # (rank, snapshot, indicator, before, after); Movement objects only for the few kept.
    # `found` is cut back to the best `limit` now and then, and a value whose relative
    # change is below the worst kept one cannot rank among them: most are never kept.
    found: list[tuple[tuple[float, str, int, int], GoalSnapshot, Indicator, float, float]] = []
    cutoff = -1.0  # the relative change of the `limit`-th best so far, once there are that many
    for snapshot in snapshots:
        indicators = snapshot.goal.indicators
        if not indicators:
            continue
        follow_ups = snapshot.follow_ups
        history = snapshot.history
        now = follow_ups.get(period_id)
        if not history and (now is None or not now.indicator_values):
            continue  # nothing recorded for the period (most goals before their report)
        now_recorded = now.indicator_values if now is not None else _NO_MEASUREMENTS
        earlier = earlier_of(snapshot.periods)
        earlier_id = earlier.id if earlier is not None else None
        before = follow_ups.get(earlier_id) if earlier_id is not None else None
        before_recorded = before.indicator_values if before is not None else _NO_MEASUREMENTS
        # (indicator, value now, value a year earlier): the follow-up's, else history's
        pairs = []
        for indicator in indicators:
            measurement = now_recorded.get(indicator.id)
            after = measurement.total if measurement is not None else None
            points = history.get(indicator.id) if history else None
            if after is None:
                if not points or (after := _in_history(points, period_id)) is None:
                    continue
            measurement = before_recorded.get(indicator.id)
            value_before = measurement.total if measurement is not None else None
            if value_before is None and points and earlier_id is not None:
                value_before = _in_history(points, earlier_id)
            pairs.append((indicator, after, value_before))
        for indicator, after, before in pairs:
            if after is None:
                continue
            if before is None:
                if last_year_values is None:
                    last_year_values = _last_year_values(previous, period)
                of_owner = last_year_values.get(snapshot.goal.owner_id)
                if of_owner is None:
                    continue
                before = of_owner.get(_indicator_name(indicator))
                if before is None:
                    continue
            if before == after:
                continue
            relative = abs(after - before) / abs(before) if before else abs(after - before)
            if relative < cutoff:
                continue
            found.append(((-relative, snapshot.owner_name, snapshot.goal.number, indicator.id), snapshot, indicator,
                          before, after))
            if len(found) >= 4 * limit + 16:
                found = heapq.nsmallest(limit, found, key=_rank)
                cutoff = -found[-1][0][0]
    return [
        Movement(snapshot.goal, snapshot.owner_name, indicator, before, after,
                 (after > before) == (indicator.direction != Direction.DECREASE))
        for _, snapshot, indicator, before, after in heapq.nsmallest(limit, found, key=_rank)
    ]


async def load_summary(uow: UnitOfWork, *, node_id: int, today: date, period_id: int | None = None,
                       units_only: bool = False) -> Summary | None:
    """The summary of the node for `period_id` (default: `summary_period` of its
    organisation's periods); None if the node or a period is missing. No access
    check here: the callers (a channel link made by someone with the node in scope,
    the scheduler) decide who sees it. `units_only` (see `summarise`) also skips
    reading last year's goals, which only the movements need."""
    async with uow:
        node = await uow.orgs.get(node_id)
        if node is None:
            return None
        ancestors = await uow.orgs.ancestors(node_id)
        root = ancestors[-1] if ancestors else node
        if period_id is not None:
            period = await uow.periods.get(period_id)
            if period is None or period.root_id != root.id:
                return None
        else:
            period = summary_period(
                [p for p in await uow.periods.for_root(root.id) if p.year in (today.year - 1, today.year)], today
            )
            if period is None:
                return None
        nodes = await uow.orgs.subtree(node.id)
        owner_ids = [n.id for n in nodes]
        snapshots = await uow.status.snapshots(owner_ids, period.year)
        previous = [] if units_only else await uow.status.snapshots(owner_ids, period.year - 1)
    return summarise(node=node, nodes=nodes, period=period, snapshots=snapshots, previous=previous, today=today,
                     units_only=units_only)


# --- helpers -----------------------------------------------------------------


def _parent_name(by_id: dict[int, OrgNode], node: OrgNode) -> str:
    parent = by_id.get(node.parent_id) if node.parent_id is not None else None
    return parent.name if parent is not None and parent.kind != OrgKind.MUNICIPALITY else ""


class _EarlierPeriod:
    """The same kind of period a year before `period`, per periods tuple (snapshots of
    one organisation share theirs, so this is worked out once, not per goal)."""

    def __init__(self, period: Period) -> None:
        self._period = period
        self._cache: dict[int, Period | None] = {}

    def __call__(self, periods: Sequence[Period]) -> Period | None:
        key = id(periods)
        if key not in self._cache:
            self._cache[key] = next(
                (p for p in periods if p.kind == self._period.kind and p.year == self._period.year - 1), None
            )
        return self._cache[key]


_NO_MEASUREMENTS: dict[int, Measurement] = {}


def _in_history(points: tuple[tuple[int, Measurement], ...], period_id: int) -> float | None:
    """History's total for the period (the last one recorded for it), None if none."""
    for pid, measurement in reversed(points):
        if pid == period_id and measurement.total is not None:
            return measurement.total
    return None


def _rank(item: tuple) -> tuple:
    return item[0]


def _indicator_name(indicator: Indicator) -> str:
    """What identifies an indicator across years: its Kolada id, code or name, folded."""
    return _folded(indicator.kpi_id or indicator.code or indicator.name)


@functools.lru_cache(maxsize=8192)
def _folded(raw: str) -> str:
    # Thousands of goals share a handful of these: each is folded once.
    return raw.strip().casefold()


def _last_year_values(previous: Sequence[GoalSnapshot], period: Period) -> dict[int, dict[str, float]]:
    """Owner id -> indicator name (see `_indicator_name`) -> last year's value of the
    same kind of period; the first goal of an owner with a name wins."""
    values: dict[int, dict[str, float]] = {}
    earlier_of = _EarlierPeriod(period)
    for snapshot in previous:
        indicators = snapshot.goal.indicators
        if not indicators:
            continue
        earlier = earlier_of(snapshot.periods)
        if earlier is None:
            continue
        follow_up = snapshot.follow_ups.get(earlier.id)
        history = snapshot.history
        if not history and (follow_up is None or not follow_up.indicator_values):
            continue
        measurements = follow_up.indicator_values if follow_up is not None else _NO_MEASUREMENTS
        found = []
        for indicator in indicators:
            measurement = measurements.get(indicator.id)
            value = measurement.total if measurement is not None else None
            if value is None and history and (points := history.get(indicator.id)):
                value = _in_history(points, earlier.id)
            found.append((indicator, value))
        of_owner = None
        for indicator, value in found:
            if value is not None:
                if of_owner is None:
                    of_owner = values.get(snapshot.goal.owner_id)
                    if of_owner is None:
                        of_owner = values[snapshot.goal.owner_id] = {}
                of_owner.setdefault(_indicator_name(indicator), value)
    return values
