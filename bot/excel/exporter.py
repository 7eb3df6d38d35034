"""A period's follow-ups as .xlsx, for the staff unit compiling the tertial report
or delårsrapport.

Sheet "Uppföljning" ("Follow-up" in English): every goal valid in the period's year owned in the root's
subtree (or the subtree of the nodes given), one row per goal and unit, and per
indicator when the goal has several (a goal without indicators has one row), with
assessment, forecast, indicator values (total, women, men), the same period last
year and the movement, analysis, actions and approval state. Then one sheet per
goal level holding the same flat rows for that level only, so a pivot table can
be built on each. Numbers are written as numbers, never as text. Headers, states,
assessments and level names are in the language asked for (Swedish by default; the
catalogs' excel.export.*).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from dialogs.texts import DEFAULT_LANGUAGE, Texts
from goals.access import Actor, scope_nodes_in
from goals.errors import PermissionDenied
from goals.model import FollowUp, FollowUpState, Goal, Indicator, OrgKind, OrgNode, Period, Role
from goals.ports import UnitOfWork
from goals.profiles import Profile, load_profile

# The columns, as keys under excel.export.column in the catalogs.
COLUMNS = (
    "administration", "department", "unit", "unit_code", "level", "goal_code", "goal_number", "goal", "parent_goal",
    "status", "assessment", "forecast", "indicator", "measure", "target", "total", "women", "men", "last_year",
    "change", "analysis", "actions",
)
STATES = {
    None: "not_started",
    FollowUpState.DRAFT: "draft",
    FollowUpState.SUBMITTED: "submitted",
    FollowUpState.APPROVED: "approved",
    FollowUpState.RETURNED: "returned",
}
WIDE = {"goal": 40, "analysis": 60, "actions": 50, "parent_goal": 30}
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def headers(texts: Texts) -> tuple[str, ...]:
    return tuple(texts.t(f"excel.export.column.{column}") for column in COLUMNS)


def summary_title(texts: Texts) -> str:
    return texts.t("excel.export.summary")


class ExportError(Exception):
    """Nothing to export as asked (no such root or period): a catalog key under
    excel.export.error and its parameters; `describe` words it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(f"{key} {params}")
        self.key, self.params = key, params

    def describe(self, texts: Texts) -> str:
        return texts.t(f"excel.export.error.{self.key}", **self.params)


@dataclass(frozen=True)
class ExportRow:
    level: str
    values: tuple


async def export_period(
    uow_factory: Callable[[], UnitOfWork], *, kind: str, year: int, out: Path,
    root_code: str | None = None, node_ids: Sequence[int] | None = None, texts: Texts | None = None,
) -> int:
    """Write the workbook in `texts`' language (Swedish by default); returns the number of follow-up rows."""
    texts = texts or Texts(DEFAULT_LANGUAGE)
    async with uow_factory() as uow:
        root = await _root(uow, root_code, node_ids)
        if root.profile is None:
            raise ExportError("no_profile", root=root.code)
        profile = load_profile(root.profile)
        period = await _period(uow, root, kind, year)
        rows = await _rows(uow, root, profile, period, node_ids, texts)
    # Seconds of openpyxl for a large administration: in a thread, so the bot's other
    # turns keep being served while a head's export is written ("exportera T2").
    await asyncio.to_thread(write_workbook, rows, profile, out, texts)
    return len(rows)


HEAD_ROLES = frozenset({Role.DEPARTMENT_HEAD, Role.DIRECTOR, Role.STAFF, Role.ADMIN})


async def export_for_actor(
    uow_factory: Callable[[], UnitOfWork], *, actor: Actor, kind: str, year: int, out: Path,
    texts: Texts | None = None,
) -> int:
    """The export a head may ask for in chat: only the goals under the nodes where
    they hold a head's role (a department head their department, a director or the
    staff unit the administration). Unit managers and strangers get PermissionDenied."""
    async with uow_factory() as uow:
        nodes = await scope_nodes_in(uow, actor=actor, roles=HEAD_ROLES)
    if not nodes:
        raise PermissionDenied("only heads export follow-ups")
    return await export_period(uow_factory, kind=kind, year=year, out=out, node_ids=[n.id for n in nodes],
                               texts=texts)


async def _root(uow: UnitOfWork, root_code: str | None, node_ids: Sequence[int] | None) -> OrgNode:
    if node_ids:
        node = await uow.orgs.get(node_ids[0])
        chain = await uow.orgs.ancestors(node.id) if node else []
        return chain[-1] if chain else node
    roots = await uow.orgs.roots()
    if root_code is not None:
        found = [r for r in roots if r.code == root_code]
        if not found:
            raise ExportError("no_such_root", code=root_code, roots=", ".join(r.code for r in roots))
        return found[0]
    if len(roots) != 1:
        raise ExportError("name_the_root", roots=", ".join(r.code for r in roots)) if roots else ExportError("no_roots")
    return roots[0]


async def _period(uow: UnitOfWork, root: OrgNode, kind: str, year: int) -> Period:
    period = next((p for p in await uow.periods.for_root(root.id, year) if p.kind == kind), None)
    if period is None:
        raise ExportError("no_period", root=root.code, kind=kind, year=year)
    return period


async def _rows(
    uow: UnitOfWork, root: OrgNode, profile: Profile, period: Period, node_ids: Sequence[int] | None, texts: Texts
) -> list[ExportRow]:
    language = texts.language
    if node_ids:
        nodes = {n.id: n for node_id in node_ids for n in await uow.orgs.subtree(node_id)}
    else:
        nodes = {n.id: n for n in await uow.orgs.subtree(root.id)}
    everything = {n.id: n for n in await uow.orgs.subtree(root.id)}
    goals = await uow.goals.for_owners(list(nodes), period.year)
    follow_ups = {f.goal_id: f for f in await uow.follow_ups.for_goals([g.id for g in goals], [period.id])}
    last_year = await _last_year(uow, root, period, goals)
    parents = {g.id: g for g in goals}
    missing_parents = {g.parent_id for g in goals if g.parent_id and g.parent_id not in parents}
    for parent_id in missing_parents:
        parent = await uow.goals.get(parent_id)
        if parent is not None:
            parents[parent.id] = parent

    def path_of(node: OrgNode, kinds: Iterable[OrgKind]) -> str:
        current: OrgNode | None = node
        while current is not None:
            if current.kind in kinds:
                return current.name
            current = everything.get(current.parent_id) if current.parent_id else None
        return ""

    rows: list[ExportRow] = []
    ordered = sorted(goals, key=lambda g: (_level_index(profile, g.level), _org_sort(everything, g.owner_id), g.number))
    for goal in ordered:
        owner = everything[goal.owner_id]
        follow_up = follow_ups.get(goal.id)
        parent = parents.get(goal.parent_id) if goal.parent_id else None
        head = (
            path_of(owner, (OrgKind.ADMINISTRATION, OrgKind.COMMITTEE)),
            path_of(owner, (OrgKind.DEPARTMENT,)),
            owner.name,
            owner.code,
            _level_name(profile, goal.level, language),
            goal.code,
            goal.number,
            goal.title,
            f"{parent.code} {parent.title}" if parent else None,
            texts.t(f"excel.export.state.{STATES[follow_up.state if follow_up else None]}"),
            profile.label(follow_up.assessment, language) if follow_up and follow_up.assessment else None,
            profile.label(follow_up.forecast, language) if follow_up and follow_up.forecast else None,
        )
        tail = (follow_up.analysis or None, follow_up.actions or None) if follow_up else (None, None)
        for indicator in goal.indicators or (None,):
            rows.append(ExportRow(goal.level, head + _indicator_cells(indicator, follow_up, last_year) + tail))
    return rows


def _indicator_cells(indicator: Indicator | None, follow_up: FollowUp | None, last_year: dict[int, float]) -> tuple:
    if indicator is None:
        return (None,) * 8
    value = follow_up.indicator_values.get(indicator.id) if follow_up else None
    before = last_year.get(indicator.id)
    total = value.total if value else None
    movement = total - before if total is not None and before is not None else None
    return (
        indicator.name, indicator.unit, indicator.target, total,
        value.women if value else None, value.men if value else None, before, movement,
    )


async def _last_year(uow: UnitOfWork, root: OrgNode, period: Period, goals: list[Goal]) -> dict[int, float]:
    """Indicator totals of the same period kind last year, by indicator id (a goal
    running over several years keeps its indicators; a goal's code is unique per
    owner, so a yearly goal cannot be re-made under the same code)."""
    previous = next((p for p in await uow.periods.for_root(root.id, period.year - 1) if p.kind == period.kind), None)
    if previous is None:
        return {}
    running = [g.id for g in goals if g.is_valid_in(previous.year)]
    return {
        indicator_id: value.total
        for follow_up in await uow.follow_ups.for_goals(running, [previous.id])
        for indicator_id, value in follow_up.indicator_values.items()
        if value.total is not None
    }


def _level_index(profile: Profile, key: str) -> int:
    keys = [level.key for level in profile.levels]
    return keys.index(key) if key in keys else len(keys)


def _level_name(profile: Profile, key: str, language: str) -> str:
    return next((level.name(language) for level in profile.levels if level.key == key), key)


def _org_sort(nodes: dict[int, OrgNode], node_id: int) -> tuple[str, ...]:
    names: list[str] = []
    current = nodes.get(node_id)
    while current is not None:
        names.append(current.name)
        current = nodes.get(current.parent_id) if current.parent_id else None
    return tuple(reversed(names))


def write_workbook(rows: Sequence[ExportRow], profile: Profile, out: Path, texts: Texts | None = None) -> None:
    texts = texts or Texts(DEFAULT_LANGUAGE)
    shown = headers(texts)
    book = Workbook()
    summary = summary_title(texts)
    _fill(book.active, summary, shown, rows)
    used: set[str] = {summary}
    for level in profile.levels:
        level_rows = [r for r in rows if r.level == level.key]
        if level_rows:
            _fill(book.create_sheet(), _sheet_name(level.name(texts.language), used), shown, level_rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)


def _sheet_name(name: str, used: set[str]) -> str:
    base = _SHEET_NAME_FORBIDDEN.sub(" ", name)[:31].strip()
    candidate, n = base, 2
    while candidate in used:
        candidate = f"{base[:28]} {n}"
        n += 1
    used.add(candidate)
    return candidate


def _fill(sheet, title: str, shown: Sequence[str], rows: Sequence[ExportRow]) -> None:
    sheet.title = title
    sheet.append(list(shown))
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E78")
    for row in rows:
        sheet.append(list(row.values))
    for index, (column, header) in enumerate(zip(COLUMNS, shown, strict=True), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDE.get(column, max(12, len(header) + 3))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(rows) + 1}"
