"""The goal-plan spreadsheet as plain data: its sheets and columns, and the checks
that need nothing but the file itself.

The Excel template (bot/excel/template.py) writes these sheets and headers; the
importer reads the cells into `Sheet`s and calls `parse_plan`, which either gives
a `Plan` or lists EVERY problem with sheet, row, column and what is wrong, so a
staff unit can fix the whole file in one go. The sheet and header names here are
the file format's own (Swedish) names; a template in another language is read back
onto them by bot/excel. What is wrong is a catalog key and its parameters, not a
sentence: goals/ cannot read the catalogs, so bot/excel/problems.py words it in the
reader's language. Codes are the natural keys: a unit
is matched by its code within the tenant, a goal by its code within its owner.
Enum cells accept the Swedish word shown in the template's drop-down or the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from goals.errors import ProfileError
from goals.model import ActivityStatus, Direction, OrgKind, Role
from goals.profiles import Profile, available_profiles, load_profile

ORG, PEOPLE, ROLES, GOALS, RESULTS, INDICATORS, ACTIVITIES, PERIODS = (
    "Organisation", "Personer", "Roller", "Mål", "Förväntade resultat", "Indikatorer", "Aktiviteter", "Perioder",
)

# Sheet -> column headers, in template order.
COLUMNS: dict[str, tuple[str, ...]] = {
    ORG: ("Kod", "Namn", "Typ", "Överordnad kod", "Tenant-id", "Profil"),
    PEOPLE: ("Entra objekt-id", "Namn", "E-post", "Språk"),
    ROLES: ("Entra objekt-id", "Enhetskod", "Roll"),
    GOALS: ("Kod", "Titel", "Nivå", "Ägare (enhetskod)", "Överordnat mål (kod)", "Giltigt från år",
            "Giltigt till år", "Beskrivning"),
    RESULTS: ("Målkod", "Text", "Riktning", "Målvärde", "Basvärde"),
    INDICATORS: ("Målkod", "Kod", "Namn", "Måttenhet", "Riktning", "Målvärde", "Basvärde", "Könsuppdelad",
                 "Kolada-id"),
    ACTIVITIES: ("Målkod", "Titel", "Start", "Slut", "Status"),
    PERIODS: ("Typ", "År", "Start", "Slut", "Sista rapportdag"),
}

# The Swedish words offered in the template's drop-downs.
SWEDISH: dict[type[StrEnum], dict[str, StrEnum]] = {
    OrgKind: {"kommun": OrgKind.MUNICIPALITY, "förvaltning": OrgKind.ADMINISTRATION, "nämnd": OrgKind.COMMITTEE,
              "avdelning": OrgKind.DEPARTMENT, "enhet": OrgKind.UNIT},
    Role: {"enhetschef": Role.UNIT_MANAGER, "avdelningschef": Role.DEPARTMENT_HEAD, "stab": Role.STAFF,
           "direktör": Role.DIRECTOR, "administratör": Role.ADMIN},
    Direction: {"öka": Direction.INCREASE, "minska": Direction.DECREASE, "uppnå": Direction.REACH},
    ActivityStatus: {"ej påbörjad": ActivityStatus.NOT_STARTED, "pågår": ActivityStatus.ONGOING,
                     "klar": ActivityStatus.DONE, "försenad": ActivityStatus.DELAYED,
                     "avbruten": ActivityStatus.CANCELLED},
}
YES, NO = ("ja", "yes", "true", "1", "x"), ("nej", "no", "false", "0", "")


def swedish_word(value: StrEnum) -> str:
    return next(word for word, member in SWEDISH[type(value)].items() if member == value)


@dataclass(frozen=True, order=True)
class Problem:
    sheet: str  # the sheet's name in COLUMNS
    row: int
    column: str  # the column's letter, "" when the problem is the whole sheet
    key: str  # under "excel.problem." in the catalogs
    params: tuple[tuple[str, str], ...] = ()  # placeholder -> text, in the order given

    @property
    def values(self) -> dict[str, str]:
        return dict(self.params)

    def __str__(self) -> str:
        # For logs and test failures; people read bot/excel/problems.py's wording.
        where = f"{self.sheet}!{self.column}{self.row}" if self.column else f"{self.sheet}:{self.row}"
        return f"{where}: {self.key} {self.values}" if self.params else f"{where}: {self.key}"


def problem(sheet: str, row: int, column: str, key: str, **params: object) -> Problem:
    return Problem(sheet, row, column, key, tuple((name, str(value)) for name, value in params.items()))


@dataclass(frozen=True)
class Sheet:
    """The cells read from one sheet: data rows (1-based Excel row numbers) keyed by header."""

    name: str
    rows: Sequence[tuple[int, Mapping[str, Any]]]
    missing_columns: tuple[str, ...] = ()
    letters: Mapping[str, str] = field(default_factory=dict)  # header -> column letter where it was found


@dataclass(frozen=True)
class OrgRow:
    row: int
    code: str
    name: str
    kind: OrgKind
    parent_code: str | None
    tenant_id: str = ""
    profile: str | None = None


@dataclass(frozen=True)
class PersonRow:
    row: int
    entra_object_id: str
    name: str
    email: str
    locale: str


@dataclass(frozen=True)
class RoleRow:
    row: int
    entra_object_id: str
    unit_code: str
    role: Role


@dataclass(frozen=True)
class ResultRow:
    text: str
    direction: Direction
    target: float | None
    baseline: float | None


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    name: str
    unit: str
    direction: Direction
    target: float | None
    baseline: float | None
    gender_split: bool
    kpi_id: str | None


@dataclass(frozen=True)
class ActivityRow:
    title: str
    start: date
    end: date
    status: ActivityStatus


@dataclass
class GoalRow:
    row: int
    code: str
    title: str
    level: str
    owner_code: str
    parent_code: str | None
    valid_from: int
    valid_to: int
    description: str
    results: list[ResultRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)
    activities: list[ActivityRow] = field(default_factory=list)


@dataclass(frozen=True)
class PeriodRow:
    row: int
    kind: str
    year: int
    start: date | None
    end: date | None
    deadline: date | None


@dataclass(frozen=True)
class Plan:
    """A checked file. `units` and `goals` are ordered parents first."""

    root: OrgRow
    profile: Profile
    units: tuple[OrgRow, ...]
    people: tuple[PersonRow, ...]
    roles: tuple[RoleRow, ...]
    periods: tuple[PeriodRow, ...]
    goals: tuple[GoalRow, ...]


class PlanInvalid(Exception):
    """Every problem of a file. `titles` maps a sheet's name in COLUMNS to the tab's
    name in the file, so a problem points at the tab the person sees (an English
    template's "Goals" for "Mål")."""

    def __init__(self, problems: Sequence[Problem], titles: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems)
        self.titles = dict(titles or {})


def column_letter(sheet: str, header: str) -> str:
    """The header's column in the template (every sheet has fewer than 26 columns)."""
    index = COLUMNS[sheet].index(header)
    return chr(ord("A") + index)


class _Reader:
    """Typed cell access that records a problem instead of raising."""

    def __init__(self, sheets: Mapping[str, Sheet]) -> None:
        self.problems: list[Problem] = []
        # Problems name the column where the header really is, even if someone moved it.
        self.letters = {name: sheet.letters for name, sheet in sheets.items()}

    def problem(self, sheet: str, row: int, header: str, key: str, **params: object) -> None:
        self.problems.append(problem(sheet, row, self._letter(sheet, header) if header else "", key, **params))

    def _letter(self, sheet: str, header: str) -> str:
        return self.letters.get(sheet, {}).get(header) or column_letter(sheet, header)

    def text(self, sheet: str, row: int, cells: Mapping[str, Any], header: str, *, required: bool = False) -> str:
        value = cells.get(header)
        text = "" if value is None else (str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)).strip()
        if required and not text:
            self.problem(sheet, row, header, "missing_value")
        return text

    def number(self, sheet: str, row: int, cells: Mapping[str, Any], header: str) -> float | None:
        value = cells.get(header)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            self.problem(sheet, row, header, "not_a_number", value=value)
            return None
        if isinstance(value, int | float):
            return float(value)
        try:  # "12,5" as typed in a Swedish Excel that stored it as text
            return float(str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", "."))
        except ValueError:
            self.problem(sheet, row, header, "not_a_number", value=value)
            return None

    def year(self, sheet: str, row: int, cells: Mapping[str, Any], header: str) -> int | None:
        number = self.number(sheet, row, cells, header)
        if number is None:
            if not any(p.row == row and p.sheet == sheet and p.column == self._letter(sheet, header) for p in self.problems):
                self.problem(sheet, row, header, "missing_year")
            return None
        if not number.is_integer() or not 2000 <= number <= 2100:
            self.problem(sheet, row, header, "not_a_year", value=cells.get(header))
            return None
        return int(number)

    def day(self, sheet: str, row: int, cells: Mapping[str, Any], header: str, *, required: bool) -> date | None:
        value = cells.get(header)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(sheet, row, header, "missing_date")
            return None
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.problem(sheet, row, header, "not_a_date", value=value)
            return None

    def choice(self, sheet: str, row: int, cells: Mapping[str, Any], header: str, enum: type[StrEnum],
               *, default: StrEnum | None = None):
        text = self.text(sheet, row, cells, header).lower()
        if not text and default is not None:
            return default
        member = SWEDISH[enum].get(text) or next((m for m in enum if m.value == text), None)
        if member is None:
            # The words allowed depend on the reader's language; the renderer lists them.
            if text:
                self.problem(sheet, row, header, "unknown_choice", value=text, allowed=enum.__name__)
            else:
                self.problem(sheet, row, header, "missing_choice", allowed=enum.__name__)
        return member

    def flag(self, sheet: str, row: int, cells: Mapping[str, Any], header: str) -> bool:
        text = self.text(sheet, row, cells, header).lower()
        if text in YES:
            return True
        if text not in NO:
            self.problem(sheet, row, header, "not_yes_no", value=text)
        return False


def parse_plan(sheets: Mapping[str, Sheet]) -> Plan:
    """Check the whole file; raise PlanInvalid listing every problem found."""
    r = _Reader(sheets)
    for name in COLUMNS:
        sheet = sheets.get(name)
        if sheet is None:
            r.problems.append(problem(name, 1, "", "sheet_missing"))
        else:
            for header in sheet.missing_columns:
                r.problems.append(problem(name, 1, column_letter(name, header), "column_missing", header=header))
    titles = {name: sheet.name for name, sheet in sheets.items()}
    if r.problems:
        raise PlanInvalid(r.problems, titles)

    root, units = _units(r, sheets[ORG])
    profile = _profile(r, root)
    unit_codes = {u.code for u in units}
    people = _people(r, sheets[PEOPLE])
    roles = _roles(r, sheets[ROLES], {p.entra_object_id for p in people}, unit_codes)
    periods = _periods(r, sheets[PERIODS], profile)
    goals = _goals(r, sheets, {u.code: u for u in units}, profile)
    if r.problems or root is None or profile is None:
        raise PlanInvalid(r.problems or [problem(ORG, 1, "", "no_root")], titles)
    return Plan(root=root, profile=profile, units=tuple(units), people=tuple(people), roles=tuple(roles),
                periods=tuple(periods), goals=tuple(goals))


def _duplicate(r: _Reader, seen: dict[str, int], key: str, sheet: str, row: int, header: str) -> bool:
    if key in seen:
        r.problem(sheet, row, header, "duplicate", value=key, first_row=seen[key])
        return True
    seen[key] = row
    return False


def _units(r: _Reader, sheet: Sheet) -> tuple[OrgRow | None, list[OrgRow]]:
    rows: list[OrgRow] = []
    seen: dict[str, int] = {}
    for row, cells in sheet.rows:
        code = r.text(ORG, row, cells, "Kod", required=True)
        name = r.text(ORG, row, cells, "Namn", required=True)
        kind = r.choice(ORG, row, cells, "Typ", OrgKind)
        parent = r.text(ORG, row, cells, "Överordnad kod") or None
        tenant = r.text(ORG, row, cells, "Tenant-id", required=parent is None)
        profile = r.text(ORG, row, cells, "Profil", required=parent is None) or None
        if code and not _duplicate(r, seen, code, ORG, row, "Kod") and kind is not None:
            rows.append(OrgRow(row, code, name, kind, parent, tenant, profile))
    roots = [u for u in rows if u.parent_code is None]
    for extra in roots[1:]:
        r.problem(ORG, extra.row, "Överordnad kod", "second_root", root=roots[0].code)
    for unit in rows:
        if unit.parent_code is not None and unit.parent_code not in seen:
            r.problem(ORG, unit.row, "Överordnad kod", "unknown_parent_unit", code=unit.parent_code)
    ordered = _parents_first(rows, lambda u: u.code, lambda u: u.parent_code)
    for unit in rows:
        if unit not in ordered and unit.parent_code in seen:
            r.problem(ORG, unit.row, "Överordnad kod", "unit_cycle")
    return (roots[0] if roots else None), ordered


def _parents_first(rows, key, parent_of) -> list:
    """Rows whose parent chain reaches a row without parent, parents before children."""
    by_parent: dict[str | None, list] = {}
    for item in rows:
        by_parent.setdefault(parent_of(item), []).append(item)
    known = {key(item) for item in rows}
    ordered: list = []
    queue = [item for item in rows if parent_of(item) is None or parent_of(item) not in known]
    while queue:
        item = queue.pop(0)
        ordered.append(item)
        queue.extend(by_parent.get(key(item), []))
    return ordered


def _profile(r: _Reader, root: OrgRow | None) -> Profile | None:
    if root is None or root.profile is None:
        return None
    try:
        return load_profile(root.profile)
    except ProfileError:
        r.problem(ORG, root.row, "Profil", "unknown_profile", profile=root.profile,
                  profiles=", ".join(available_profiles()))
        return None


def _people(r: _Reader, sheet: Sheet) -> list[PersonRow]:
    people: list[PersonRow] = []
    seen: dict[str, int] = {}
    for row, cells in sheet.rows:
        entra = r.text(PEOPLE, row, cells, "Entra objekt-id", required=True).lower()
        name = r.text(PEOPLE, row, cells, "Namn", required=True)
        email = r.text(PEOPLE, row, cells, "E-post")
        if email and "@" not in email:
            r.problem(PEOPLE, row, "E-post", "not_an_email", value=email)
        locale = r.text(PEOPLE, row, cells, "Språk") or "sv-SE"
        if entra and not _duplicate(r, seen, entra, PEOPLE, row, "Entra objekt-id"):
            people.append(PersonRow(row, entra, name, email, locale))
    return people


def _roles(r: _Reader, sheet: Sheet, people: set[str], units: set[str]) -> list[RoleRow]:
    roles: list[RoleRow] = []
    for row, cells in sheet.rows:
        entra = r.text(ROLES, row, cells, "Entra objekt-id", required=True).lower()
        unit = r.text(ROLES, row, cells, "Enhetskod", required=True)
        role = r.choice(ROLES, row, cells, "Roll", Role)
        if entra and entra not in people:
            r.problem(ROLES, row, "Entra objekt-id", "unknown_person", person=entra, sheet=PEOPLE)
        if unit and unit not in units:
            r.problem(ROLES, row, "Enhetskod", "unknown_unit", code=unit)
        if entra and unit and role is not None:
            roles.append(RoleRow(row, entra, unit, role))
    return roles


def _periods(r: _Reader, sheet: Sheet, profile: Profile | None) -> list[PeriodRow]:
    periods: list[PeriodRow] = []
    seen: dict[str, int] = {}
    kinds = [k.key for k in profile.period_kinds] if profile else []
    for row, cells in sheet.rows:
        kind = r.text(PERIODS, row, cells, "Typ", required=True)
        if kind and profile is not None and kind not in kinds:
            r.problem(PERIODS, row, "Typ", "unknown_period_kind", kind=kind, kinds=", ".join(kinds))
        year = r.year(PERIODS, row, cells, "År")
        start = r.day(PERIODS, row, cells, "Start", required=False)
        end = r.day(PERIODS, row, cells, "Slut", required=False)
        deadline = r.day(PERIODS, row, cells, "Sista rapportdag", required=False)
        if start and end and end < start:
            r.problem(PERIODS, row, "Slut", "end_before_start", end=end, start=start)
        if end and deadline and deadline < end:
            r.problem(PERIODS, row, "Sista rapportdag", "deadline_before_end", deadline=deadline, end=end)
        if kind and year is not None and not _duplicate(r, seen, f"{kind}/{year}", PERIODS, row, "Typ"):
            periods.append(PeriodRow(row, kind, year, start, end, deadline))
    return periods


def _goals(r: _Reader, sheets: Mapping[str, Sheet], units: dict[str, OrgRow], profile: Profile | None) -> list[GoalRow]:
    goals: dict[str, GoalRow] = {}
    levels = {level.key: level for level in profile.levels} if profile else {}
    for row, cells in sheets[GOALS].rows:
        code = r.text(GOALS, row, cells, "Kod", required=True)
        title = r.text(GOALS, row, cells, "Titel", required=True)
        level = r.text(GOALS, row, cells, "Nivå", required=True)
        owner = r.text(GOALS, row, cells, "Ägare (enhetskod)", required=True)
        parent = r.text(GOALS, row, cells, "Överordnat mål (kod)") or None
        valid_from = r.year(GOALS, row, cells, "Giltigt från år")
        valid_to = r.year(GOALS, row, cells, "Giltigt till år")
        description = r.text(GOALS, row, cells, "Beskrivning")
        if owner and owner not in units:
            r.problem(GOALS, row, "Ägare (enhetskod)", "unknown_unit", code=owner)
        if level and profile is not None:
            if level not in levels:
                r.problem(GOALS, row, "Nivå", "unknown_level", level=level, levels=", ".join(levels))
            elif owner in units and units[owner].kind not in levels[level].org_kinds:
                r.problem(GOALS, row, "Nivå", "level_does_not_fit", level=level, kind=units[owner].kind.value)
        if valid_from is not None and valid_to is not None and valid_to < valid_from:
            r.problem(GOALS, row, "Giltigt till år", "end_year_before_start", end=valid_to, start=valid_from)
        if code in goals:
            r.problem(GOALS, row, "Kod", "duplicate", value=code, first_row=goals[code].row)
        elif code and valid_from is not None and valid_to is not None:
            goals[code] = GoalRow(row, code, title, level, owner, parent, valid_from, valid_to, description)
    for goal in goals.values():
        if goal.parent_code is not None and goal.parent_code not in goals:
            r.problem(GOALS, goal.row, "Överordnat mål (kod)", "unknown_parent_goal", code=goal.parent_code)
    ordered = _parents_first(list(goals.values()), lambda g: g.code, lambda g: g.parent_code)
    for goal in goals.values():
        if goal not in ordered:
            r.problem(GOALS, goal.row, "Överordnat mål (kod)", "goal_cycle")
    _children(r, sheets, goals)
    return ordered


def _children(r: _Reader, sheets: Mapping[str, Sheet], goals: dict[str, GoalRow]) -> None:
    def goal_of(sheet: str, row: int, cells) -> GoalRow | None:
        code = r.text(sheet, row, cells, "Målkod", required=True)
        if code and code not in goals:
            r.problem(sheet, row, "Målkod", "unknown_goal", code=code)
        return goals.get(code)

    for row, cells in sheets[RESULTS].rows:
        goal = goal_of(RESULTS, row, cells)
        text = r.text(RESULTS, row, cells, "Text", required=True)
        direction = r.choice(RESULTS, row, cells, "Riktning", Direction, default=Direction.REACH)
        target = r.number(RESULTS, row, cells, "Målvärde")
        baseline = r.number(RESULTS, row, cells, "Basvärde")
        if goal is not None and text and direction is not None:
            goal.results.append(ResultRow(text, direction, target, baseline))
    seen: dict[str, int] = {}
    for row, cells in sheets[INDICATORS].rows:
        goal = goal_of(INDICATORS, row, cells)
        code = r.text(INDICATORS, row, cells, "Kod", required=True)
        name = r.text(INDICATORS, row, cells, "Namn", required=True)
        unit = r.text(INDICATORS, row, cells, "Måttenhet", required=True)
        direction = r.choice(INDICATORS, row, cells, "Riktning", Direction, default=Direction.INCREASE)
        target = r.number(INDICATORS, row, cells, "Målvärde")
        baseline = r.number(INDICATORS, row, cells, "Basvärde")
        split = r.flag(INDICATORS, row, cells, "Könsuppdelad")
        kpi = r.text(INDICATORS, row, cells, "Kolada-id") or None
        duplicate = bool(code) and goal is not None and _duplicate(r, seen, f"{goal.code}/{code}", INDICATORS, row, "Kod")
        if goal is not None and code and name and unit and direction is not None and not duplicate:
            goal.indicators.append(IndicatorRow(code, name, unit, direction, target, baseline, split, kpi))
    for row, cells in sheets[ACTIVITIES].rows:
        goal = goal_of(ACTIVITIES, row, cells)
        title = r.text(ACTIVITIES, row, cells, "Titel", required=True)
        start = r.day(ACTIVITIES, row, cells, "Start", required=True)
        end = r.day(ACTIVITIES, row, cells, "Slut", required=True)
        status = r.choice(ACTIVITIES, row, cells, "Status", ActivityStatus, default=ActivityStatus.NOT_STARTED)
        if start and end and end < start:
            r.problem(ACTIVITIES, row, "Slut", "end_before_start", end=end, start=start)
        elif goal is not None and title and start and end and status is not None:
            goal.activities.append(ActivityRow(title, start, end, status))
