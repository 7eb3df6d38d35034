"""The large generated city for benchmarks: `malkoll generate --units 2000 --years 5`.

A municipality (profile stockholm_ils) with administrations of about five
departments each, departments of about fifty units, and per unit ten unit goals
(each under a department goal, under a committee goal, under a council goal)
with an expected result, one or two indicators and one or two activities. Every
started period of every year has a follow-up per goal with indicator values, so
"which goals are behind" reads realistic volumes: most goals on track, some
behind for each reason, some not reported yet. Deterministic for a seed and a day.

Rows go in through storage.bulk_load (Core executemany with ids assigned here),
department by department, so memory stays flat and 2,000 units take seconds to a
minute, not hours. One audit row records the generation.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from goals.clock import SystemClock
from goals.errors import ValidationFailed
from goals.model import ActivityStatus, Direction, FollowUpState, Fulfilment, OrgKind, Role
from goals.periods import periods_for_year
from goals.ports import Clock
from goals.profiles import load_profile
from storage import bulk_load

GENERATED_TENANT_ID = "a0000000-0000-4000-8000-00000000c17e"
ROOT_CODE = "GEN"
PROFILE = "stockholm_ils"
UNITS_PER_DEPARTMENT = 50
DEPARTMENTS_PER_ADMINISTRATION = 5
GOALS_PER_UNIT = 10
COUNCIL_GOALS = 10
COMMITTEE_GOALS_PER_ADMINISTRATION = 5
DEPARTMENT_GOALS = 3
TABLES = (
    "org_nodes", "people", "role_assignments", "goals", "expected_results", "indicators", "activities",
    "periods", "follow_ups", "follow_up_indicator_values", "follow_up_activity_statuses",
)  # fmt: skip
# Tables whose ids are handed out here (the two detail tables are keyed by their parents).
ID_TABLES = TABLES[:-2]
_UNIT_KINDS = ("Förskolan", "Äldreboendet", "Hemtjänsten", "Fritidsgården", "Skolan", "Biblioteket", "Enheten")
_ANALYSIS = (
    "Resultaten rör sig åt rätt håll och arbetssättet är etablerat. Vi bedömer att det förväntade resultatet nås "
    "för helåret eftersom aktiviteterna genomförs enligt plan."
)


@dataclass
class GenerationReport:
    units: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    root_id: int = 0

    def add(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


@dataclass
class _Ids:
    """The next free id per table; ids are handed out here so rows can point at
    each other before anything is written."""

    next: dict[str, int]

    def take(self, name: str) -> int:
        value = self.next[name]
        self.next[name] = value + 1
        return value


async def generate_city(
    engine: AsyncEngine, *, units: int, years: int, seed: int = 1, clock: Clock | None = None,
    progress: Callable[[str], None] | None = None,
) -> GenerationReport:
    if units < 1 or years < 1:
        raise ValidationFailed({"units": "generate.positive"})
    clock = clock or SystemClock()
    today = clock.today()
    profile = load_profile(PROFILE)
    rng = random.Random(seed)
    report = GenerationReport(units=units)
    async with engine.begin() as connection:
        existing = await connection.execute(
            bulk_load.table("org_nodes").select().where(
                (bulk_load.table("org_nodes").c.code == ROOT_CODE)
                & (bulk_load.table("org_nodes").c.tenant_id == GENERATED_TENANT_ID)
            )
        )
        if existing.first() is not None:
            raise ValidationFailed({"generate": "generate.exists"})
        ids = _Ids(await bulk_load.next_ids(connection, ID_TABLES))
        city = _City(rng=rng, ids=ids, today=today, years=years, profile=profile)
        rows = city.skeleton(units)
        for name in TABLES:
            if rows.get(name):
                report.add(name, await bulk_load.insert_rows(connection, name, rows[name]))
        for index, department in enumerate(city.departments):
            batch = city.department_rows(department)
            for name in TABLES:
                if batch.get(name):
                    report.add(name, await bulk_load.insert_rows(connection, name, batch[name]))
            if progress and (index + 1) % 10 == 0:
                progress(f"{index + 1}/{len(city.departments)} departments")
        await bulk_load.sync_sequences(connection, (*ID_TABLES, "audit_log"))
        await bulk_load.analyze(connection, TABLES)
        report.root_id = city.root_id
        await bulk_load.insert_rows(
            connection,
            "audit_log",
            [
                {
                    "at": clock.now(),
                    "actor_id": None,
                    "action": "city.generated",
                    "entity": "org_node",
                    "entity_id": city.root_id,
                    "details": {"units": units, "years": years, "seed": seed, "today": today.isoformat(), "rows": report.counts},
                }
            ],
        )
    return report


@dataclass
class _Department:
    id: int
    number: str
    committee_goal_ids: list[int]
    goal_ids: list[int] = field(default_factory=list)
    unit_count: int = 0
    head_id: int = 0


class _City:
    def __init__(self, *, rng: random.Random, ids: _Ids, today: date, years: int, profile) -> None:
        self.rng, self.ids, self.today = rng, ids, today
        self.year = today.year
        self.first_year = self.year - years + 1
        self.profile = profile
        self.root_id = 0
        self.departments: list[_Department] = []
        self.periods: list = []
        self.current = None
        self.last_passed = None

    # --- the top: root, administrations, departments, periods, upper goals ------------

    def skeleton(self, units: int) -> dict[str, list[dict]]:
        rows: dict[str, list[dict]] = {name: [] for name in TABLES}
        self.root_id = self._node(rows, ROOT_CODE, "Storstads kommun", OrgKind.MUNICIPALITY, None, PROFILE)
        council = [
            self._goal(rows, self.root_id, f"KF-{i}", f"Kommunfullmäktiges mål {i}", "kf", i, None, (self.first_year, self.year + 1))
            for i in range(1, COUNCIL_GOALS + 1)
        ]
        self._periods(rows)
        department_count = max(1, round(units / UNITS_PER_DEPARTMENT))
        administration_count = max(1, round(department_count / DEPARTMENTS_PER_ADMINISTRATION))
        administrations = []
        for a in range(1, administration_count + 1):
            admin_id = self._node(rows, f"GEN-F{a}", f"Förvaltning {a}", OrgKind.ADMINISTRATION, self.root_id)
            committee = [
                self._goal(rows, admin_id, f"NM-{a}-{i}", f"Nämndmål {a}.{i}", "namnd", i, self.rng.choice(council))
                for i in range(1, COMMITTEE_GOALS_PER_ADMINISTRATION + 1)
            ]
            administrations.append((a, admin_id, committee))
        for d in range(department_count):
            a, admin_id, committee = administrations[d % administration_count]
            number = f"{a}.{d // administration_count + 1}"
            department_id = self._node(rows, f"GEN-A{number}", f"Avdelning {number}", OrgKind.DEPARTMENT, admin_id)
            department = _Department(id=department_id, number=number, committee_goal_ids=committee)
            department.head_id = self._person(rows, f"Avdelningschef {number}", department_id, Role.DEPARTMENT_HEAD)
            department.goal_ids = [
                self._goal(rows, department_id, f"AM-{number}-{i}", f"Avdelningens mål {number}.{i}", "avdelning", i,
                           self.rng.choice(committee))
                for i in range(1, DEPARTMENT_GOALS + 1)
            ]  # fmt: skip
            self.departments.append(department)
        for u in range(units):
            self.departments[u % department_count].unit_count += 1
        return rows

    def _periods(self, rows) -> None:
        periods = [p for y in range(self.first_year, self.year + 1) for p in periods_for_year(self.profile, root_id=self.root_id, year=y)]
        passed = [p for p in periods if p.deadline < self.today]
        self.last_passed = max(passed, key=lambda p: p.deadline, default=None)
        for period in periods:
            period_id = self.ids.take("periods")
            is_open = not (period.deadline < self.today and period is not self.last_passed)
            rows["periods"].append(
                {"id": period_id, "root_id": self.root_id, "kind": period.kind, "year": period.year, "start": period.start,
                 "end": period.end, "deadline": period.deadline, "is_open": is_open, "is_year_end": period.is_year_end}
            )  # fmt: skip
            self.periods.append(replace(period, id=period_id, is_open=is_open))
        started = [p for p in self.periods if p.start <= self.today]
        containing = [p for p in started if p.end >= self.today]
        self.current = (containing or started or [None])[-1]

    def _node(self, rows, code: str, name: str, kind: OrgKind, parent_id: int | None, profile: str | None = None) -> int:
        node_id = self.ids.take("org_nodes")
        rows["org_nodes"].append(
            {"id": node_id, "tenant_id": GENERATED_TENANT_ID, "code": code, "name": name, "kind": kind.value,
             "parent_id": parent_id, "profile": profile}
        )  # fmt: skip
        return node_id

    def _person(self, rows, title: str, node_id: int, role: Role) -> int:
        person_id = self.ids.take("people")
        rows["people"].append(
            {"id": person_id, "tenant_id": GENERATED_TENANT_ID, "entra_object_id": f"gen-{person_id:08d}",
             "name": title, "email": "", "locale": "sv-SE"}
        )  # fmt: skip
        rows["role_assignments"].append(
            {"id": self.ids.take("role_assignments"), "person_id": person_id, "org_node_id": node_id, "role": role.value}
        )
        return person_id

    def _goal(self, rows, owner_id, code, title, level, number, parent_id, valid=None) -> int:
        goal_id = self.ids.take("goals")
        valid_from, valid_to = valid or (self.first_year, self.year)
        rows["goals"].append(
            {"id": goal_id, "code": code, "title": title, "level": level, "owner_id": owner_id, "valid_from": valid_from,
             "valid_to": valid_to, "number": number, "description": "", "parent_id": parent_id, "area_id": None}
        )  # fmt: skip
        return goal_id

    # --- one department's units, goals and follow-ups --------------------------------------

    def department_rows(self, department: _Department) -> dict[str, list[dict]]:
        rows: dict[str, list[dict]] = {name: [] for name in TABLES}
        for u in range(1, department.unit_count + 1):
            kind = _UNIT_KINDS[(u + len(department.number)) % len(_UNIT_KINDS)]
            name = f"{kind} {department.number}.{u}"
            unit_id = self._node(rows, f"GEN-E{department.number}.{u}", name, OrgKind.UNIT, department.id)
            manager_id = self._person(rows, f"Enhetschef {department.number}.{u}", unit_id, Role.UNIT_MANAGER)
            for g in range(1, GOALS_PER_UNIT + 1):
                self._unit_goal(rows, department, unit_id, f"{department.number}.{u}", g, manager_id)
        return rows

    def _unit_goal(self, rows, department: _Department, unit_id: int, unit: str, g: int, manager_id: int) -> None:
        rng = self.rng
        parent = rng.choice(department.goal_ids)
        goal_id = self._goal(rows, unit_id, f"E-{unit}-{g}", f"Enhetsmål {g} för enhet {unit}", "enhet", g, parent)
        # What this goal shows now: mostly on track, a few behind for each reason, some unreported.
        scenario = rng.choices(
            ("on_track", "not_reported", "forecast", "off_target", "overdue", "delayed", "missing"),
            weights=(55, 20, 7, 8, 4, 3, 3),
        )[0]
        indicators = []
        for position in range(1 if rng.random() < 0.65 else 2):
            indicator_id = self.ids.take("indicators")
            lower_better = rng.random() < 0.25
            target = float(rng.choice((50, 75, 80, 85, 90, 95, 100, 1200)))
            split = rng.random() < 0.5
            rows["indicators"].append(
                {"id": indicator_id, "goal_id": goal_id, "position": position, "code": f"I-{unit}-{g}-{position + 1}",
                 "name": f"Indikator {position + 1} för mål {g}", "unit": "%" if target <= 100 else "antal",
                 "direction": (Direction.DECREASE if lower_better else Direction.INCREASE).value, "target": target,
                 "baseline": None, "gender_split": split, "kpi_id": None}
            )  # fmt: skip
            indicators.append((indicator_id, target, -1.0 if lower_better else 1.0, split))
        rows["expected_results"].append(
            {"id": self.ids.take("expected_results"), "goal_id": goal_id, "position": 0,
             "text": f"Det förväntade resultatet för mål {g} nås vid årets slut", "direction": Direction.REACH.value,
             "target_value": None, "baseline": None}
        )  # fmt: skip
        activities = []
        for position in range(rng.choice((1, 2))):
            activity_id = self.ids.take("activities")
            status, start, end = ActivityStatus.ONGOING, self.today - timedelta(days=60), self.today + timedelta(days=45)
            if position == 0 and scenario == "overdue":
                end = self.today - timedelta(days=rng.randint(3, 40))
            elif position == 0 and scenario == "delayed":
                status = ActivityStatus.DELAYED
            elif rng.random() < 0.3:
                status, start, end = ActivityStatus.DONE, self.today - timedelta(days=150), self.today - timedelta(days=20)
            rows["activities"].append(
                {"id": activity_id, "goal_id": goal_id, "position": position, "title": f"Aktivitet {position + 1}",
                 "start": start, "end": end, "status": status.value}
            )  # fmt: skip
            activities.append((activity_id, status))
        self._follow_ups(rows, goal_id, scenario, indicators, activities, manager_id, department.head_id)

    def _follow_ups(self, rows, goal_id, scenario, indicators, activities, manager_id, head_id) -> None:
        rng = self.rng
        started = [p for p in self.periods if p.start <= self.today]
        for index, period in enumerate(started):
            current = period is self.current
            if current and scenario in ("not_reported", "missing"):
                continue
            if scenario == "missing" and period is self.last_passed:
                continue
            passed = period.deadline < self.today
            state = FollowUpState.APPROVED if passed or (current and rng.random() < 0.4) else FollowUpState.SUBMITTED
            judgement = Fulfilment.FULFILLED
            if current and scenario == "forecast":
                judgement = rng.choice((Fulfilment.PARTLY, Fulfilment.NOT))
            year_end = period.is_year_end and self.today > period.end
            submitted = datetime.combine(min(period.deadline, self.today) - timedelta(days=3), datetime.min.time(), UTC)
            follow_up_id = self.ids.take("follow_ups")
            rows["follow_ups"].append(
                {"id": follow_up_id, "goal_id": goal_id, "period_id": period.id, "state": state.value,
                 "assessment": judgement.value if year_end else None, "forecast": None if year_end else judgement.value,
                 "analysis": _ANALYSIS, "actions": "", "evidence_note": "", "resource_use": "", "cross_sectoral": {},
                 "author_id": manager_id, "submitted_at": submitted,
                 "approver_id": head_id if state is FollowUpState.APPROVED else None,
                 "decided_at": submitted + timedelta(days=1) if state is FollowUpState.APPROVED else None,
                 "return_comment": "", "version": 1, "updated_at": submitted, "updated_by": manager_id}
            )  # fmt: skip
            progress = min(1.0, (index + 1) / max(1, len(started) - 2))
            for indicator_id, target, better, split in indicators:
                total = target * (0.85 + 0.17 * progress) if better > 0 else target * (1.2 - 0.22 * progress)
                if current and scenario == "off_target":
                    total = target * (0.9 if better > 0 else 1.1)
                total = round(total + rng.uniform(-0.004, 0.004) * target, 1)
                women = round(total + 1.0, 1) if split else None
                men = round(total - 1.0, 1) if split else None
                rows["follow_up_indicator_values"].append(
                    {"follow_up_id": follow_up_id, "indicator_id": indicator_id, "total": total, "women": women, "men": men}
                )
            if period.year == self.year:
                for activity_id, status in activities:
                    reported = ActivityStatus.ONGOING if status is ActivityStatus.DONE and not current else status
                    rows["follow_up_activity_statuses"].append(
                        {"follow_up_id": follow_up_id, "activity_id": activity_id, "status": reported.value}
                    )
