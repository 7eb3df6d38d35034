"""The status stamps (migration 0005) on the real database, SQLite and PostgreSQL.

A kept goal status (goals/status_memo.py) is reused while its goal's stamp and the
epoch are unchanged, so every write that can change what the status read returns
must change one of them, in the writing transaction. Checked here:

- every table the status read (storage/repositories/status.py) selects from is one
  the migration stamps: a statement reading a new table fails this test until the
  migration covers it;
- for every stamped table, an insert, an update and a delete made in raw SQL (no
  repository code, as an import or a hand-made fix would) change the stamp of
  exactly the goals whose rows were written, or the epoch; and the writes the
  database makes itself (ON DELETE CASCADE / SET NULL) count as writes;
- a stamp from a rolled-back transaction is never committed later.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from goals.model import (
    Activity,
    ActivityStatus,
    ExpectedResult,
    FollowUp,
    Goal,
    GoalArea,
    Indicator,
    Measurement,
    OrgKind,
    OrgNode,
    Period,
    Person,
)
from storage.repositories import status as status_module

ROOT = Path(__file__).resolve().parents[2]


def _migration_0005():
    path = ROOT / "storage" / "migrations" / "versions" / "0005_status_stamps.py"
    spec = importlib.util.spec_from_file_location("migration_0005_status_stamps", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MIGRATION = _migration_0005()
GOAL_TABLES = dict(MIGRATION.GOAL_TABLES)
EPOCH_TABLES = tuple(MIGRATION.EPOCH_TABLES)

# --- every table the status read selects from is stamped ---------------------------

# The statements the brief of the memo names; any other SQL constant of the module is
# found and checked too (see _status_statements), except the stamps read itself.
NAMED_STATEMENTS = (
    "_GOALS", "_GOALS_BY_ID", "_RESULTS", "_INDICATORS", "_ACTIVITIES", "_PERIODS", "_FOLLOW_UPS", "_VALUES",
    "_STATUSES",
)  # fmt: skip
STAMP_TABLES = {"goal_status_stamps", "status_epoch"}
_FROM_OR_JOIN = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z_0-9]*)\b(?!\s*\()", re.IGNORECASE)
_CTE = re.compile(r"(?:\bWITH(?:\s+RECURSIVE)?|,)\s*([A-Za-z_][A-Za-z_0-9]*)\s*(?:\([^)]*\))?\s+AS\s*\(", re.IGNORECASE)
_SQL_WORDS = {"lateral", "select", "unnest", "json_each"}


def _status_statements() -> dict[str, str]:
    """Every SQL text of storage/repositories/status.py (each dialect's, for the ones
    that differ), by constant name."""
    statements: dict[str, str] = {}
    for name, value in vars(status_module).items():
        if not name.startswith("_") or not name[1:].isupper():
            continue
        texts = value.items() if isinstance(value, dict) else [("", value)]
        for dialect, sql in texts:
            if isinstance(sql, str) and re.search(r"\bSELECT\b", sql):
                statements[f"{name}[{dialect}]" if dialect else name] = sql
    return statements


def tables_read_by(sql: str) -> set[str]:
    ctes = {name.lower() for name in _CTE.findall(sql)}
    return {name.lower() for name in _FROM_OR_JOIN.findall(sql)} - ctes - _SQL_WORDS


def test_the_table_parser_finds_tables_and_skips_ctes_and_functions() -> None:
    sql = """WITH RECURSIVE up(a, b) AS (SELECT a, b FROM org_nodes UNION ALL SELECT 1 FROM x n JOIN up ON 1=1)
    SELECT * FROM goals g JOIN up ON 1 = 1 JOIN follow_ups f ON 1 = 1
    CROSS JOIN LATERAL (SELECT 1 FROM follow_up_indicator_values WHERE 1 = 1 OFFSET 0) v,
    unnest($1::int[]) AS w(id) WHERE g.id IN (SELECT value FROM json_each(?1))"""
    assert tables_read_by(sql) == {"org_nodes", "x", "goals", "follow_ups", "follow_up_indicator_values"}


def test_every_table_the_status_read_selects_from_is_stamped_by_migration_0005() -> None:
    statements = _status_statements()
    found = {name.split("[")[0] for name in statements}
    assert set(NAMED_STATEMENTS) <= found, f"statements no longer found: {set(NAMED_STATEMENTS) - found}"
    assert {"_VALUES[sqlite]", "_VALUES[postgresql]", "_STATUSES[sqlite]", "_STATUSES[postgresql]"} <= set(statements)

    read: dict[str, set[str]] = {}
    for name, sql in statements.items():
        tables = tables_read_by(sql)
        if name == "_STAMPS":
            tables -= STAMP_TABLES  # the stamps themselves
        assert tables, f"{name}: no table found in {sql!r}"
        read[name] = tables
    stamped = set(GOAL_TABLES) | set(EPOCH_TABLES)
    unstamped = {name: tables - stamped for name, tables in read.items() if tables - stamped}
    assert not unstamped, f"read by the status rules but not stamped by migration 0005: {unstamped}"
    # and the read does select from each stamped table (else the lists have drifted apart)
    assert set().union(*read.values()) == stamped


def test_each_goal_table_names_its_goal_by_a_column_the_triggers_understand() -> None:
    assert set(GOAL_TABLES.values()) <= {"id", "goal_id", "follow_up_id"}
    assert GOAL_TABLES["goals"] == "id"
    assert {t for t, c in GOAL_TABLES.items() if c == "follow_up_id"} == {
        "follow_up_indicator_values",
        "follow_up_activity_statuses",
    }
    assert set(MIGRATION.OPERATIONS) == {"insert", "update", "delete"}


async def test_every_stamped_table_has_a_trigger_for_every_operation(engine) -> None:
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = (
                await conn.execute(
                    text(
                        "SELECT c.relname, t.tgtype FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "WHERE NOT t.tgisinternal AND t.tgname LIKE 'status_stamp_%' AND t.tgenabled <> 'D'"
                    )
                )
            ).all()
            # tgtype bits: 4 insert, 8 delete, 16 update
            bits = {"insert": 4, "update": 16, "delete": 8}
            have = {(table, op) for table, tgtype in rows for op, bit in bits.items() if tgtype & bit}
        else:
            rows = (
                await conn.execute(text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"))
            ).all()
            have = {
                (table, op)
                for table, sql in rows
                for op in ("insert", "update", "delete")
                if re.search(rf"\bAFTER\s+{op}\s+ON\b", sql, re.IGNORECASE)
            }
    expected = {(table, op) for table in (*GOAL_TABLES, *EPOCH_TABLES) for op in ("insert", "update", "delete")}
    assert expected <= have


# --- a small world: two units' goals with every kind of child row -------------------


@dataclass
class World:
    root: int
    unit_a: int
    unit_b: int
    spare_node: int
    area: int
    person: int
    periods: dict[str, int]  # kind -> id (2026)
    a: Goal  # owned by unit A, in area `area`; follow-up in T1 with one value and one status
    b: Goal  # owned by unit B; follow-up in T1 with one value and one status
    c: Goal  # owned by unit A, a sub-goal of A, no follow-ups
    fu_a: int
    fu_b: int

    @property
    def goal_ids(self) -> set[int]:
        return {self.a.id, self.b.id, self.c.id}


def _goal(owner: int, code: str, number: int, **extra) -> Goal:
    return Goal(
        0, code, f"Mål {code}", "enhet", owner, 2026, 2026, number,
        expected_results=(ExpectedResult(0, "R1"), ExpectedResult(0, "R2")),
        indicators=(Indicator(0, f"{code}-I1", "Nöjda", "%", target=80.0), Indicator(0, f"{code}-I2", "Andel", "%", target=50.0)),
        activities=(
            Activity(0, "Första", date(2026, 1, 1), date(2026, 3, 1)),
            Activity(0, "Andra", date(2026, 2, 1), date(2026, 9, 1)),
        ),
        **extra,
    )  # fmt: skip


@pytest.fixture
async def world(uow_factory) -> World:
    async with uow_factory() as uow:
        root = await uow.orgs.add(OrgNode(0, "K", "Kommunen", OrgKind.MUNICIPALITY, tenant_id="t", profile="stockholm_ils"))
        dept = await uow.orgs.add(OrgNode(0, "D", "Avdelningen", OrgKind.DEPARTMENT, root.id, "t"))
        unit_a = await uow.orgs.add(OrgNode(0, "UA", "Enhet A", OrgKind.UNIT, dept.id, "t"))
        unit_b = await uow.orgs.add(OrgNode(0, "UB", "Enhet B", OrgKind.UNIT, dept.id, "t"))
        spare = await uow.orgs.add(OrgNode(0, "US", "Enhet utan mål", OrgKind.UNIT, dept.id, "t"))
        area = await uow.goals.add_area(GoalArea(0, "OMR", "Området", root.id))
        person = await uow.people.add(Person(0, "t", "oid-1", "Anna"))
        periods = {}
        for kind, (start, end) in {"T1": ((1, 1), (4, 30)), "T2": ((5, 1), (8, 31)), "T3": ((9, 1), (12, 31))}.items():
            period = await uow.periods.add(
                Period(0, root.id, kind, 2026, date(2026, *start), date(2026, *end), date(2026, *end))
            )
            periods[kind] = period.id
        a = await uow.goals.add(_goal(unit_a.id, "A", 1, area_id=area.id))
        b = await uow.goals.add(_goal(unit_b.id, "B", 1))
        c = await uow.goals.add(_goal(unit_a.id, "C", 2, parent_id=a.id))
        follow_ups = {}
        for goal in (a, b):
            follow_up = await uow.follow_ups.add(
                FollowUp(
                    0, goal.id, periods["T1"], author_id=person.id,
                    indicator_values={goal.indicators[0].id: Measurement(70.0)},
                    activity_statuses={goal.activities[0].id: ActivityStatus.DELAYED},
                )
            )  # fmt: skip
            follow_ups[goal.code] = follow_up.id
        await uow.commit()
    return World(
        root.id, unit_a.id, unit_b.id, spare.id, area.id, person.id, periods, a, b, c, follow_ups["A"], follow_ups["B"]
    )


async def _stamps(conn) -> tuple[dict[int, int], int]:
    stamps = dict((await conn.execute(text("SELECT goal_id, stamp FROM goal_status_stamps"))).all())
    epoch = (await conn.execute(text("SELECT stamp FROM status_epoch WHERE id = 1"))).scalar_one()
    return stamps, epoch


async def _snapshot_stamps(engine) -> tuple[dict[int, int], int]:
    async with engine.connect() as conn:
        return await _stamps(conn)


def _changed(before: dict[int, int], after: dict[int, int]) -> set[int]:
    return {goal_id for goal_id in before.keys() | after.keys() if before.get(goal_id, 0) != after.get(goal_id, 0)}


# --- every table x insert / update / delete ----------------------------------------

Sql = Callable[[World], list[tuple[str, dict]]]


@dataclass(frozen=True)
class Case:
    sql: Sql
    goals: Callable[[World], set[int]]  # exactly these goals' stamps change
    epoch: bool = False  # and the epoch changes (or must not)


NEW_GOAL_ID = 100_000

CASES: dict[str, Case] = {
    # goals
    "goals insert": Case(
        lambda w: [(
            ("INSERT INTO goals (id, code, title, level, owner_id, valid_from, valid_to, number, description) "
            "VALUES (:id, 'N', 'Ny', 'enhet', :owner, 2026, 2026, 9, '')"),
            {"id": NEW_GOAL_ID, "owner": w.unit_b},
        )],
        lambda w: {NEW_GOAL_ID},
    ),
    "goals update": Case(lambda w: [("UPDATE goals SET title = 'Ändrad' WHERE id = :id", {"id": w.b.id})], lambda w: {w.b.id}),
    "goals update validity": Case(
        lambda w: [("UPDATE goals SET valid_to = 2025, valid_from = 2025 WHERE id = :id", {"id": w.b.id})], lambda w: {w.b.id}
    ),
    "goals update owner": Case(
        lambda w: [("UPDATE goals SET owner_id = :owner, number = 7 WHERE id = :id", {"id": w.b.id, "owner": w.unit_a})],
        lambda w: {w.b.id},
    ),
    "goals update several in one statement": Case(
        lambda w: [("UPDATE goals SET description = 'x' WHERE id IN (:a, :b)", {"a": w.a.id, "b": w.b.id})],
        lambda w: {w.a.id, w.b.id},
    ),
    "goals update of no row": Case(lambda w: [("UPDATE goals SET title = 'x' WHERE id = -1", {})], lambda w: set()),
    "goals delete (children and follow-ups cascade)": Case(
        lambda w: [("DELETE FROM goals WHERE id = :id", {"id": w.b.id})], lambda w: {w.b.id}
    ),
    "goals delete of a parent goal sets the sub-goal's parent_id NULL": Case(
        lambda w: [("DELETE FROM goals WHERE id = :id", {"id": w.a.id})], lambda w: {w.a.id, w.c.id}
    ),
    "goal_areas delete sets the goal's area_id NULL": Case(
        lambda w: [("DELETE FROM goal_areas WHERE id = :id", {"id": w.area})], lambda w: {w.a.id}
    ),
    # expected_results
    "expected_results insert": Case(
        lambda w: [(
            "INSERT INTO expected_results (goal_id, position, text, direction) VALUES (:g, 5, 'R3', 'increase')",
            {"g": w.b.id},
        )],
        lambda w: {w.b.id},
    ),
    "expected_results update": Case(
        lambda w: [("UPDATE expected_results SET text = 'Ny' WHERE id = :id", {"id": w.b.expected_results[1].id})],
        lambda w: {w.b.id},
    ),
    "expected_results delete": Case(
        lambda w: [("DELETE FROM expected_results WHERE id = :id", {"id": w.b.expected_results[0].id})],
        lambda w: {w.b.id},
    ),
    # indicators
    "indicators insert": Case(
        lambda w: [(
            ("INSERT INTO indicators (goal_id, position, code, name, unit, direction, target, gender_split) "
            "VALUES (:g, 5, 'B-I3', 'Tredje', '%', 'increase', 10, false)"),
            {"g": w.b.id},
        )],
        lambda w: {w.b.id},
    ),
    "indicators update target": Case(
        lambda w: [("UPDATE indicators SET target = 99 WHERE id = :id", {"id": w.b.indicators[0].id})], lambda w: {w.b.id}
    ),
    "indicators delete (its values cascade)": Case(
        lambda w: [("DELETE FROM indicators WHERE id = :id", {"id": w.b.indicators[0].id})], lambda w: {w.b.id}
    ),
    # activities
    "activities insert": Case(
        lambda w: [(
            ('INSERT INTO activities (goal_id, position, title, start, "end", status) '
            "VALUES (:g, 5, 'Tredje', :s, :e, 'not_started')"),
            {"g": w.b.id, "s": date(2026, 1, 1), "e": date(2026, 2, 1)},
        )],
        lambda w: {w.b.id},
    ),
    "activities update end date": Case(
        lambda w: [('UPDATE activities SET "end" = :e WHERE id = :id', {"id": w.b.activities[1].id, "e": date(2026, 4, 1)})],
        lambda w: {w.b.id},
    ),
    "activities update status": Case(
        lambda w: [("UPDATE activities SET status = 'done' WHERE id = :id", {"id": w.b.activities[0].id})],
        lambda w: {w.b.id},
    ),
    "activities delete (its reported statuses cascade)": Case(
        lambda w: [("DELETE FROM activities WHERE id = :id", {"id": w.b.activities[0].id})], lambda w: {w.b.id}
    ),
    # follow_ups
    "follow_ups insert": Case(
        lambda w: [(
            ("INSERT INTO follow_ups (goal_id, period_id, state, analysis, actions, evidence_note, resource_use, "
            "cross_sectoral, return_comment, version) VALUES (:g, :p, 'draft', '', '', '', '', '{}', '', 1)"),
            {"g": w.b.id, "p": w.periods["T2"]},
        )],
        lambda w: {w.b.id},
    ),
    "follow_ups update state": Case(
        lambda w: [("UPDATE follow_ups SET state = 'submitted' WHERE id = :id", {"id": w.fu_b})], lambda w: {w.b.id}
    ),
    "follow_ups update assessment": Case(
        lambda w: [("UPDATE follow_ups SET assessment = 'not' WHERE id = :id", {"id": w.fu_b})], lambda w: {w.b.id}
    ),
    "follow_ups update moves it to another goal": Case(
        lambda w: [("UPDATE follow_ups SET goal_id = :g WHERE id = :id", {"id": w.fu_b, "g": w.c.id})],
        lambda w: {w.b.id, w.c.id},
    ),
    "follow_ups update of both goals in one statement": Case(
        lambda w: [("UPDATE follow_ups SET version = version + 1", {})], lambda w: {w.a.id, w.b.id}
    ),
    "follow_ups delete (values and statuses cascade)": Case(
        lambda w: [("DELETE FROM follow_ups WHERE id = :id", {"id": w.fu_b})], lambda w: {w.b.id}
    ),
    "people delete sets the follow-up's author NULL": Case(
        lambda w: [("DELETE FROM people WHERE id = :id", {"id": w.person})], lambda w: {w.a.id, w.b.id}
    ),
    # follow_up_indicator_values
    "follow_up_indicator_values insert": Case(
        lambda w: [(
            "INSERT INTO follow_up_indicator_values (follow_up_id, indicator_id, total) VALUES (:f, :i, 12)",
            {"f": w.fu_b, "i": w.b.indicators[1].id},
        )],
        lambda w: {w.b.id},
    ),
    "follow_up_indicator_values update": Case(
        lambda w: [("UPDATE follow_up_indicator_values SET total = 95 WHERE follow_up_id = :f", {"f": w.fu_b})],
        lambda w: {w.b.id},
    ),
    "follow_up_indicator_values update moves a value to another goal's follow-up": Case(
        lambda w: [("UPDATE follow_up_indicator_values SET follow_up_id = :to WHERE follow_up_id = :f",
                    {"f": w.fu_b, "to": w.fu_a})],
        lambda w: {w.a.id, w.b.id},
    ),
    "follow_up_indicator_values update of both goals in one statement": Case(
        lambda w: [("UPDATE follow_up_indicator_values SET total = total + 1", {})], lambda w: {w.a.id, w.b.id}
    ),
    "follow_up_indicator_values upsert (ON CONFLICT DO UPDATE)": Case(
        lambda w: [(
            ("INSERT INTO follow_up_indicator_values (follow_up_id, indicator_id, total) VALUES (:f, :i, 3) "
            "ON CONFLICT (follow_up_id, indicator_id) DO UPDATE SET total = excluded.total"),
            {"f": w.fu_b, "i": w.b.indicators[0].id},
        )],
        lambda w: {w.b.id},
    ),
    "follow_up_activity_statuses upsert (ON CONFLICT DO UPDATE)": Case(
        lambda w: [(
            ("INSERT INTO follow_up_activity_statuses (follow_up_id, activity_id, status) VALUES (:f, :a, 'done') "
            "ON CONFLICT (follow_up_id, activity_id) DO UPDATE SET status = excluded.status"),
            {"f": w.fu_b, "a": w.b.activities[0].id},
        )],
        lambda w: {w.b.id},
    ),
    "follow_up_indicator_values delete": Case(
        lambda w: [("DELETE FROM follow_up_indicator_values WHERE follow_up_id = :f", {"f": w.fu_b})],
        lambda w: {w.b.id},
    ),
    # follow_up_activity_statuses
    "follow_up_activity_statuses insert": Case(
        lambda w: [(
            "INSERT INTO follow_up_activity_statuses (follow_up_id, activity_id, status) VALUES (:f, :a, 'delayed')",
            {"f": w.fu_b, "a": w.b.activities[1].id},
        )],
        lambda w: {w.b.id},
    ),
    "follow_up_activity_statuses update": Case(
        lambda w: [("UPDATE follow_up_activity_statuses SET status = 'done' WHERE follow_up_id = :f", {"f": w.fu_b})],
        lambda w: {w.b.id},
    ),
    "follow_up_activity_statuses update moves a status to another goal's follow-up": Case(
        lambda w: [("UPDATE follow_up_activity_statuses SET follow_up_id = :to WHERE follow_up_id = :f",
                    {"f": w.fu_b, "to": w.fu_a})],
        lambda w: {w.a.id, w.b.id},
    ),
    "follow_up_activity_statuses delete": Case(
        lambda w: [("DELETE FROM follow_up_activity_statuses WHERE follow_up_id = :f", {"f": w.fu_b})],
        lambda w: {w.b.id},
    ),
    # periods (epoch)
    "periods insert": Case(
        lambda w: [(
            ('INSERT INTO periods (root_id, kind, year, start, "end", deadline, is_open, is_year_end) '
            "VALUES (:r, 'T1', 2027, :s, :e, :e, true, false)"),
            {"r": w.root, "s": date(2027, 1, 1), "e": date(2027, 4, 30)},
        )],
        lambda w: set(),
        epoch=True,
    ),
    "periods update deadline": Case(
        lambda w: [("UPDATE periods SET deadline = :d WHERE id = :id", {"id": w.periods["T1"], "d": date(2026, 5, 20)})],
        lambda w: set(),
        epoch=True,
    ),
    "periods update closes it": Case(
        lambda w: [("UPDATE periods SET is_open = false WHERE id = :id", {"id": w.periods["T2"]})], lambda w: set(), epoch=True
    ),
    "periods delete (no follow-ups)": Case(
        lambda w: [("DELETE FROM periods WHERE id = :id", {"id": w.periods["T3"]})], lambda w: set(), epoch=True
    ),
    "periods delete (its follow-ups cascade)": Case(
        lambda w: [("DELETE FROM periods WHERE id = :id", {"id": w.periods["T1"]})], lambda w: {w.a.id, w.b.id}, epoch=True
    ),
    # org_nodes (epoch)
    "org_nodes insert": Case(
        lambda w: [(
            "INSERT INTO org_nodes (tenant_id, code, name, kind, parent_id) VALUES ('t', 'NY', 'Ny enhet', 'unit', :p)",
            {"p": w.root},
        )],
        lambda w: set(),
        epoch=True,
    ),
    "org_nodes update name": Case(
        lambda w: [("UPDATE org_nodes SET name = 'Enhet B, nytt namn' WHERE id = :id", {"id": w.unit_b})],
        lambda w: set(),
        epoch=True,
    ),
    "org_nodes delete": Case(
        lambda w: [("DELETE FROM org_nodes WHERE id = :id", {"id": w.spare_node})], lambda w: set(), epoch=True
    ),
}


def test_the_cases_write_every_stamped_table_with_every_operation() -> None:
    covered = {(name.split()[0], name.split()[1]) for name in CASES}
    missing = {
        (table, op) for table in (*GOAL_TABLES, *EPOCH_TABLES) for op in ("insert", "update", "delete")
    } - covered
    assert not missing


@pytest.mark.parametrize("name", list(CASES))
async def test_a_write_changes_the_stamps_of_exactly_the_goals_it_touches(engine, world: World, name: str) -> None:
    case = CASES[name]
    before, epoch_before = await _snapshot_stamps(engine)
    assert world.goal_ids <= set(before), "every goal got a stamp when it was inserted"

    async with engine.begin() as conn:
        for sql, parameters in case.sql(world):
            await conn.execute(text(sql), parameters)
        inside, epoch_inside = await _stamps(conn)  # the writing transaction sees its own stamps
    after, epoch_after = await _snapshot_stamps(engine)

    assert (inside, epoch_inside) == (after, epoch_after)
    assert _changed(before, after) == case.goals(world)
    assert (epoch_after != epoch_before) == case.epoch
    for goal_id in case.goals(world):  # a new stamp is never the "no stamp" value
        assert after[goal_id] != 0


async def test_a_goal_without_a_stamp_row_gets_one_on_its_next_write(engine, world: World) -> None:
    """Goals stored before migration 0005 have no stamp (read as 0)."""
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM goal_status_stamps WHERE goal_id = :id"), {"id": world.b.id})
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE indicators SET target = 1 WHERE goal_id = :id"), {"id": world.b.id})
    stamps, _ = await _snapshot_stamps(engine)
    assert stamps.get(world.b.id, 0) != 0


async def test_a_stamp_from_a_rolled_back_transaction_is_never_committed_later(engine, world: World) -> None:
    before, epoch_before = await _snapshot_stamps(engine)
    seen_goal: set[int] = set()
    seen_epoch: set[int] = set()
    for round_ in range(5):
        async with engine.connect() as conn:
            transaction = await conn.begin()
            await conn.execute(text("UPDATE follow_ups SET assessment = 'not' WHERE id = :id"), {"id": world.fu_b})
            await conn.execute(text("UPDATE periods SET deadline = deadline WHERE id = :id"), {"id": world.periods["T1"]})
            stamps, epoch = await _stamps(conn)
            await transaction.rollback()
        seen_goal.add(stamps[world.b.id])
        seen_epoch.add(epoch)
        assert await _snapshot_stamps(engine) == (before, epoch_before), "a rollback leaves the committed stamps"
    assert len(seen_goal) == 5 and len(seen_epoch) == 5

    async with engine.begin() as conn:
        await conn.execute(text("UPDATE follow_ups SET assessment = 'partly' WHERE id = :id"), {"id": world.fu_b})
        await conn.execute(text("UPDATE periods SET deadline = deadline WHERE id = :id"), {"id": world.periods["T1"]})
    after, epoch_after = await _snapshot_stamps(engine)
    assert after[world.b.id] not in seen_goal | {before[world.b.id]}
    assert epoch_after not in seen_epoch | {epoch_before}


async def test_a_goal_deleted_and_its_stamp_left_behind_never_matches_a_new_goal(engine, world: World) -> None:
    """Ids are not reused (NO_ID_REUSE), but a stamp row outliving its goal must not
    make a later goal with the same id look unchanged either."""
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM goals WHERE id = :id"), {"id": world.b.id})
    gone, _ = await _snapshot_stamps(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO goals (id, code, title, level, owner_id, valid_from, valid_to, number, description) "
                "VALUES (:id, 'B', 'Åter', 'enhet', :owner, 2026, 2026, 1, '')"
            ),
            {"id": world.b.id, "owner": world.unit_b},
        )
    back, _ = await _snapshot_stamps(engine)
    assert back[world.b.id] != gone[world.b.id]
