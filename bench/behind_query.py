"""Benchmark: "which goals are behind?" on the generated 2,000-unit city.

    .venv/bin/python bench/behind_query.py [--units 2000] [--years 5] [--backends sqlite,postgres]

Generates the city (bot/demo/generator.py) into a temporary SQLite file and a
temporary PostgreSQL database on 127.0.0.1:5432 (created here, dropped at the
end), then times, for one unit, one department (~50 units) and the whole city:

- the real path: SqlUnitOfWork → orgs.subtree → status.statuses (the stamps read,
  then the status memo, goals/status_memo.py; only goals whose stamp changed are
  read in full and judged again) → goals.status.sorted_by_severity (what
  goals.services.behind_goals does, without the role check). The "path" rows are
  the warm figure: the memo already holds the scope's statuses, i.e. what asking
  the same question again costs while nothing changed;
- one hand-written SQL query per backend that answers the same question.

For the department it also times, as rows of their own:

- "cold": the memo emptied (`status_memo_of(sessionmaker).forget()`, not timed)
  before every call, so every status is read and worked out: a first question, a
  new day, a new process;
- "after write": before every call (not timed) one follow-up of one of the
  department's goals (a different goal each time) gets another assessment in a
  committed transaction of its own, so the database trigger changes that goal's
  stamp and the timed call reads and judges that goal again: a question right
  after someone reported. The assessments are put back at the end.

Path and SQL must return the same goal ids, or the run stops with the difference.
That is checked for every scope with the memo emptied and again with it full, and
for the department once more after the writes. Prints p50/p95 per row, the ratio
path/SQL, the memo's size and its memory for the whole city (tracemalloc: what a
cold city call leaves allocated, with the memo emptied before it). Targets
(checked on the warm department row, the repeated question the issue times):
department p95 ≤ 20 ms on both databases, ratio ≤ 1.5. With --profile, prints
where the warm department query's time goes (cProfile).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import date
from pathlib import Path

import asyncpg
from sqlalchemy import Integer, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from bot.demo.generator import ROOT_CODE, generate_city
from goals.clock import SystemClock
from goals.status import sorted_by_severity
from storage.migrate import upgrade
from storage.models import OrgNodeRow
from storage.session import create_engine, make_sessionmaker
from storage.unit_of_work import status_memo_of, uow_factory

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_DEPARTMENT_P95_MS = 20.0
TARGET_RATIO = 1.5
# Repetitions per scope, each capped by a time budget (seconds) so the whole run stays
# under five minutes; p95 of fewer than 20 samples is their maximum.
REPETITIONS = {"unit": 200, "department": 100, "city": 20, "department cold": 50, "department after write": 100}
PROFILE_RUNS = 10
BUDGET_S = {"unit": 8.0, "department": 15.0, "city": 20.0, "department cold": 15.0, "department after write": 15.0}
# Assessments a written follow-up cycles through (None = not assessed).
ASSESSMENTS = ("fulfilled", "partly", "not", None)

# The rules of goals/status.py, in SQL. {owner_filter} and the day arithmetic differ per
# backend; MATERIALIZED keeps each CTE computed once (PostgreSQL ≥ 12, SQLite ≥ 3.35).
BEHIND_SQL = """
WITH g AS MATERIALIZED (
  SELECT id, valid_from, valid_to FROM goals
  WHERE {owner_filter} AND valid_from <= :year AND valid_to >= :year
),
p AS (
  SELECT id, year, start, "end", deadline, is_open FROM periods
  WHERE root_id = :root AND year IN (:year - 1, :year) AND start <= :today
),
f AS MATERIALIZED (
  SELECT f.id, f.goal_id, f.state, f.assessment, f.forecast, p.start AS pstart, p."end" AS pend, p.year AS pyear
  FROM follow_ups f JOIN p ON p.id = f.period_id
  WHERE f.goal_id IN (SELECT id FROM g)
),
la AS (
  SELECT goal_id, assessment, pstart, ROW_NUMBER() OVER (PARTITION BY goal_id ORDER BY pstart DESC) AS rn
  FROM f WHERE assessment IS NOT NULL
),
lf AS (
  SELECT goal_id, forecast, pstart, ROW_NUMBER() OVER (PARTITION BY goal_id ORDER BY pstart DESC) AS rn
  FROM f WHERE forecast IS NOT NULL
),
v AS (
  SELECT i.id AS indicator_id, i.goal_id, i.direction, i.target, fv.total, f.pstart, f.pend, f.pyear,
         {days} AS x,
         CASE WHEN (i.direction = 'decrease' AND fv.total > i.target)
                OR (i.direction <> 'decrease' AND fv.total < i.target) THEN 1 ELSE 0 END AS off
  FROM g
  JOIN indicators i ON i.goal_id = g.id
  JOIN f ON f.goal_id = g.id
  JOIN follow_up_indicator_values fv ON fv.follow_up_id = f.id AND fv.indicator_id = i.id
  WHERE fv.total IS NOT NULL AND i.target IS NOT NULL
),
vr AS (
  SELECT v.*, ROW_NUMBER() OVER (PARTITION BY indicator_id ORDER BY pstart DESC) AS rn FROM v
),
ind AS MATERIALIZED (
  -- per indicator: is the latest value off target, and the least-squares sums of this year's values
  SELECT indicator_id, goal_id, direction, target,
         max(CASE WHEN rn = 1 THEN off END) AS last_off,
         sum(CASE WHEN pyear = :year THEN 1 ELSE 0 END) AS n,
         sum(CASE WHEN pyear = :year THEN x END) AS sx,
         sum(CASE WHEN pyear = :year THEN total END) AS sy,
         sum(CASE WHEN pyear = :year THEN x * x END) AS sxx,
         sum(CASE WHEN pyear = :year THEN x * total END) AS sxy,
         max(CASE WHEN pyear = :year THEN pend END) AS last_end
  FROM vr GROUP BY indicator_id, goal_id, direction, target
),
ye AS MATERIALIZED (
  SELECT max("end") AS year_end, {year_end_days} AS year_end_x FROM periods WHERE root_id = :root AND year = :year
),
trend AS (
  SELECT ind.goal_id, ind.direction, ind.target,
         ind.sy / ind.n + ((ind.n * ind.sxy - ind.sx * ind.sy) / (ind.n * ind.sxx - ind.sx * ind.sx)) * (ye.year_end_x - ind.sx / ind.n)
           AS projected
  FROM ind CROSS JOIN ye
  WHERE ind.last_off = 0 AND ind.n > 0 AND ind.last_end < ye.year_end AND (ind.n * ind.sxx - ind.sx * ind.sx) <> 0
),
ga AS MATERIALIZED (
  SELECT a.id, a.goal_id, a."end" AS aend, a.status FROM g JOIN activities a ON a.goal_id = g.id
),
ast AS (
  SELECT fs.activity_id, fs.status, ROW_NUMBER() OVER (PARTITION BY fs.activity_id ORDER BY f.pstart DESC) AS rn
  FROM ga
  JOIN f ON f.goal_id = ga.goal_id
  JOIN follow_up_activity_statuses fs ON fs.follow_up_id = f.id AND fs.activity_id = ga.id
),
act AS (
  SELECT ga.goal_id, ga.aend,
         CASE WHEN ga.status IN ('done', 'cancelled') OR ast.status IS NULL THEN ga.status ELSE ast.status END AS st
  FROM ga LEFT JOIN ast ON ast.activity_id = ga.id AND ast.rn = 1
),
behind AS (
  SELECT goal_id FROM la WHERE rn = 1 AND assessment IN ('partly', 'not')
  UNION
  SELECT lf.goal_id FROM lf LEFT JOIN la ON la.goal_id = lf.goal_id AND la.rn = 1
  WHERE lf.rn = 1 AND lf.forecast IN ('partly', 'not') AND (la.pstart IS NULL OR la.pstart < lf.pstart)
  UNION
  SELECT goal_id FROM ind WHERE last_off = 1
  UNION
  SELECT goal_id FROM trend
  WHERE (direction = 'decrease' AND projected > target) OR (direction <> 'decrease' AND projected < target)
  UNION
  SELECT goal_id FROM act WHERE (aend < :today AND st NOT IN ('done', 'cancelled')) OR st = 'delayed'
  UNION
  SELECT g.id FROM g
  JOIN p ON p.is_open AND p.deadline < :today AND g.valid_from <= p.year AND g.valid_to >= p.year
  LEFT JOIN follow_ups fm ON fm.goal_id = g.id AND fm.period_id = p.id AND fm.state IN ('submitted', 'approved')
  WHERE fm.id IS NULL
)
SELECT goal_id FROM behind
"""

DIALECT = {
    "sqlite": {
        "owner_filter": "owner_id IN (SELECT value FROM json_each(:owner_ids))",
        "days": "(julianday(f.pend) - julianday(:today))",
        "year_end_days": "(julianday(max(\"end\")) - julianday(:today))",
    },
    "postgresql": {
        "owner_filter": "owner_id = ANY(:owner_ids)",
        "days": "CAST(f.pend - CAST(:today AS date) AS double precision)",
        "year_end_days": "CAST(max(\"end\") - CAST(:today AS date) AS double precision)",
    },
}


def behind_statement(dialect: str):
    parts = DIALECT[dialect]
    statement = text(BEHIND_SQL.format(**parts))
    if dialect == "postgresql":
        statement = statement.bindparams(bindparam("owner_ids", type_=ARRAY(Integer)))
    return statement


async def sql_behind(engine, statement, *, owner_ids, root_id, today: date) -> set[int]:
    dialect = engine.dialect.name
    params = {
        "owner_ids": json.dumps(owner_ids) if dialect == "sqlite" else owner_ids,
        "root": root_id,
        "year": today.year,
        "today": today.isoformat() if dialect == "sqlite" else today,
    }
    async with engine.connect() as connection:
        return {row[0] for row in await connection.execute(statement, params)}


async def path_behind(factory, *, node_id: int, today: date) -> list[int]:
    """What goals.services.behind_goals does for a node, without the role layer."""
    async with factory() as uow:
        owner_ids = [node.id for node in await uow.orgs.subtree(node_id)]
        statuses = await uow.status.statuses(owner_ids, today)
        return [status.goal.id for status in sorted_by_severity(s for s in statuses if s.reasons)]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed(fn, repetitions: int, budget_s: float, before=None) -> tuple[float, float, int, float]:
    """(p50 ms, p95 ms, samples, median CPU ms of this process) after one warm-up call.
    `before` (sync or async, not timed) runs before every call, the warm-up included.

    Wall-clock on the shared machine moves with everyone else's load; the CPU time
    (time.process_time: this process, all threads, so SQLite's work in aiosqlite's
    thread counts, PostgreSQL's server work does not) is the like-for-like figure."""

    async def prepare() -> None:
        if before is not None:
            done = before()
            if asyncio.iscoroutine(done):
                await done

    await prepare()
    await fn()
    samples: list[float] = []
    cpu: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < repetitions and (len(samples) < 3 or time.perf_counter() < deadline):
        await prepare()
        start, start_cpu = time.perf_counter(), time.process_time()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(samples), percentile(samples, 0.95), len(samples), statistics.median(cpu)


async def scopes(engine, factory) -> tuple[int, dict[str, tuple[int, list[int]]]]:
    """root id and {scope: (node id, owner ids)} for a unit, a department, the city."""
    async with engine.connect() as connection:
        root_id = (await connection.execute(select(OrgNodeRow.id).where(OrgNodeRow.code == ROOT_CODE))).scalar_one()
        department_id = (
            await connection.execute(select(OrgNodeRow.id).where(OrgNodeRow.kind == "department").order_by(OrgNodeRow.id))
        ).scalars().first()
    async with factory() as uow:
        department = [n.id for n in await uow.orgs.subtree(department_id)]
        unit_id = next(n.id for n in await uow.orgs.children(department_id))
        city = [n.id for n in await uow.orgs.subtree(root_id)]
    return root_id, {"unit": (unit_id, [unit_id]), "department": (department_id, department), "city": (root_id, city)}


async def check_ids(name: str, scope: str, path_ids: list[int], sql_ids: set[int]) -> None:
    if set(path_ids) != sql_ids or len(path_ids) != len(sql_ids):
        only_path, only_sql = sorted(set(path_ids) - sql_ids)[:10], sorted(sql_ids - set(path_ids))[:10]
        raise SystemExit(
            f"[{name}] {scope}: the real path and the SQL disagree on which goals are behind "
            f"(path {len(path_ids)}, SQL {len(sql_ids)}; only path: {only_path}; only SQL: {only_sql})"
        )


class Writer:
    """Commits one follow-up change per call, each time for the next of the department's
    goals (its latest follow-up of the year asked or the one before), in a transaction
    of its own: the trigger of migration 0005 changes that goal's stamp."""

    def __init__(self, engine, snapshots) -> None:
        self.engine = engine
        self.follow_ups: list[tuple[int, str | None]] = []  # (follow-up id, assessment as stored)
        for snapshot in snapshots:
            order = [p.id for p in snapshot.periods if p.id in snapshot.follow_ups]
            if order:
                follow_up = snapshot.follow_ups[order[-1]]
                assessment = follow_up.assessment.value if follow_up.assessment is not None else None
                self.follow_ups.append((follow_up.id, assessment))
        self.current = dict(self.follow_ups)
        self.writes = 0

    async def write(self) -> None:
        follow_up_id, _ = self.follow_ups[self.writes % len(self.follow_ups)]
        now = self.current[follow_up_id]
        new = ASSESSMENTS[(ASSESSMENTS.index(now) + 1) % len(ASSESSMENTS)]
        async with self.engine.begin() as connection:
            await connection.execute(
                text("UPDATE follow_ups SET assessment = :assessment WHERE id = :id"), {"assessment": new, "id": follow_up_id}
            )
        self.current[follow_up_id] = new
        self.writes += 1

    async def restore(self) -> None:
        async with self.engine.begin() as connection:
            for follow_up_id, assessment in self.follow_ups:
                if self.current[follow_up_id] != assessment:
                    await connection.execute(
                        text("UPDATE follow_ups SET assessment = :assessment WHERE id = :id"),
                        {"assessment": assessment, "id": follow_up_id},
                    )


async def memo_memory(memo, factory, node_id: int, today: date) -> tuple[int, float, float, float, float]:
    """(statuses kept, MB the memo holds, MB left allocated, MB peak, seconds) of one cold
    city call under tracemalloc. The memo is emptied and garbage collected first; after
    the call, what the memo holds is what emptying it again frees, and "left allocated"
    is everything the call left behind (the memo and any cache it warmed)."""
    memo.forget()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        await path_behind(factory, node_id=node_id, today=today)
        seconds = time.perf_counter() - started
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
        kept = len(memo)
        memo.forget()
        gc.collect()
        emptied = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    mb = 2**20
    return kept, (after - emptied) / mb, (after - base) / mb, (peak - base) / mb, seconds


async def run_backend(name: str, url: str, args, today: date, results: list, profiles: dict, memory: dict) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        started = time.perf_counter()
        await generate_city(engine, units=args.units, years=args.years, seed=args.seed)
        print(f"[{name}] generated {args.units} units x {args.years} years in {time.perf_counter() - started:.1f} s", flush=True)
        sessionmaker = make_sessionmaker(engine)
        factory = uow_factory(sessionmaker)
        memo = status_memo_of(sessionmaker)
        assert memo is not None, "the bench's sessionmaker is bound to one engine, so it has a status memo"
        statement = behind_statement(engine.dialect.name)
        root_id, chosen = await scopes(engine, factory)
        for scope, (node_id, owner_ids) in chosen.items():
            sql_ids = await sql_behind(engine, statement, owner_ids=owner_ids, root_id=root_id, today=today)
            # the memo emptied (every status read and worked out), then full (every status recalled)
            memo.forget()
            await check_ids(name, f"{scope} (memo empty)", await path_behind(factory, node_id=node_id, today=today), sql_ids)
            path_ids = await path_behind(factory, node_id=node_id, today=today)
            await check_ids(name, f"{scope} (memo full)", path_ids, sql_ids)
            async with factory() as uow:
                snapshots = await uow.status.snapshots(owner_ids, today.year)
            goals = len(snapshots)
            reps, budget = REPETITIONS[scope], BUDGET_S[scope]
            question = lambda node_id=node_id: path_behind(factory, node_id=node_id, today=today)
            path = await timed(question, reps, budget)
            sql = await timed(
                lambda owner_ids=owner_ids: sql_behind(engine, statement, owner_ids=owner_ids, root_id=root_id, today=today),
                reps,
                budget,
            )
            results.append((name, scope, len(owner_ids), goals, len(path_ids), path, sql))
            print(f"[{name}] {scope}: done", flush=True)
            if scope != "department":
                continue
            profiles[name] = await profile(question)
            cold = await timed(question, REPETITIONS["department cold"], BUDGET_S["department cold"], before=memo.forget)
            results.append((name, "department cold", len(owner_ids), goals, len(path_ids), cold, None))
            print(f"[{name}] department cold: done", flush=True)
            writer = Writer(engine, snapshots)
            await question()  # the memo full again
            after = await timed(
                question, REPETITIONS["department after write"], BUDGET_S["department after write"], before=writer.write
            )
            after_ids = await path_behind(factory, node_id=node_id, today=today)
            await check_ids(
                name, "department (after the writes)", after_ids,
                await sql_behind(engine, statement, owner_ids=owner_ids, root_id=root_id, today=today),
            )  # fmt: skip
            results.append((name, "department after write", len(owner_ids), goals, len(after_ids), after, None))
            await writer.restore()
            print(f"[{name}] department after write: done ({writer.writes} writes, assessments put back)", flush=True)
        memory[name] = await memo_memory(memo, factory, root_id, today)
        print(f"[{name}] memo memory: done", flush=True)
    finally:
        await engine.dispose()


async def profile(fn) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILE_RUNS):
        await fn()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    return out.getvalue()


def print_table(results, memory: dict) -> bool:
    header = (
        f"{'backend':9} {'scope':22} {'nodes':>6} {'goals':>6} {'behind':>6} | {'path p50':>9} {'p95':>8} {'n':>4} {'CPU':>8} | "
        f"{'SQL p50':>8} {'p95':>8} {'n':>4} {'CPU':>8} | {'ratio p95':>9}"
    )
    print()
    print(header)
    print("-" * len(header))
    ok = True
    sql_of: dict[tuple[str, str], tuple] = {}
    for name, scope, nodes, goals, behind, (p50, p95, n, cpu), sql in results:
        if sql is not None:
            sql_of[name, scope] = sql
            s50, s95, sn, scpu = sql
            sql_text = f"{s50:6.1f}ms {s95:6.1f}ms {sn:4d} {scpu:6.1f}ms"
        else:  # the department's cold / after-write rows, against the department's SQL
            s95 = sql_of[name, "department"][1]
            sql_text = f"{'(department SQL)':>33}"
        ratio = p95 / s95 if s95 else float("inf")
        print(
            f"{name:9} {scope:22} {nodes:6d} {goals:6d} {behind:6d} | "
            f"{p50:7.1f}ms {p95:6.1f}ms {n:4d} {cpu:6.1f}ms | {sql_text} | {ratio:9.2f}"
        )
        if scope == "department" and (p95 > TARGET_DEPARTMENT_P95_MS or ratio > TARGET_RATIO):
            ok = False
    print()
    for name, (kept, held, left, peak, seconds) in memory.items():
        print(
            f"{name}: memo after a cold city call (tracemalloc): {kept} statuses holding {held:.1f} MB "
            f"({held * 1024 / max(kept, 1):.2f} KB a status; freed by forget()); the call left {left:.1f} MB "
            f"allocated, peak {peak:.1f} MB during it ({seconds:.1f} s under tracemalloc)"
        )
    print()
    print(
        f"targets (warm department row): department p95 <= {TARGET_DEPARTMENT_P95_MS:.0f} ms and ratio <= {TARGET_RATIO} "
        f"-> {'MET' if ok else 'MISSED'}"
    )
    print("path rows are warm (memo full); 'cold' empties the memo before each call, 'after write' commits one")
    print("follow-up change for one department goal before each call; both are against the department's SQL")
    print("CPU: median CPU time of this process per call (PostgreSQL's own work is in the server, not counted)")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load}")
    return ok


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--profile", action="store_true", help="print cProfile of the department query")
    args = parser.parse_args()
    today = SystemClock().today()
    results: list = []
    profiles: dict[str, str] = {}
    memory: dict[str, tuple] = {}
    print("load average (1, 5, 15 min) at start: " + ", ".join(f"{value:.1f}" for value in os.getloadavg()), flush=True)
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in backends:
            await run_backend("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args, today, results, profiles, memory)
        if "postgres" in backends:
            database = f"malkoll_bench_{uuid.uuid4().hex[:10]}"
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'CREATE DATABASE "{database}"')
            await admin.close()
            try:
                await run_backend("postgres", f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}", args, today, results, profiles, memory)
            finally:
                admin = await asyncpg.connect(PG_ADMIN)
                await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                await admin.close()
    ok = print_table(results, memory)
    if args.profile or not ok:
        for name, text_ in profiles.items():
            print(f"\n--- where the warm department query's time goes on {name} ({PROFILE_RUNS} runs, cProfile, by own time) ---")
            print(text_)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
