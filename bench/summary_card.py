"""Benchmark: the channel summary card for an administration of 500 units.

    .venv/bin/python bench/summary_card.py [--units 500] [--goals 8] [--runs 30] [--db] [--profile]

1. In memory: an administration of `--units` units (50 per department), `--goals`
   goals per unit with two indicators and two activities each, this year's and last
   year's goals with follow-ups (about 70 % reported, the rest draft or missing),
   the day after T1's deadline. Times `goals.summaries.summarise` + the card
   (`dialogs.cards.summary.build_summary_card`) + its JSON, p50/p95 over `--runs`,
   and the card's size in bytes (page 1, and the first "Visa fler" page).
   CPU time (time.process_time) beside wall time, and the CPU of the parts: the
   status rules for every goal (goals.status.behind_and_severity, what summarise
   runs; and behind_reasons + severity apart, what other callers run), the
   movements, the card + JSON. --profile: cProfile of summarise, top functions.
2. With --db: the same through the database: the generated city
   (bot/demo/generator.py, `--units` units) in a temporary SQLite file, timing
   `goals.summaries.load_summary` (two status snapshot reads) + the card, with the
   CPU of reading, summarising and the card apart.

Targets: build (1) p95 ≤ 200 ms; every card < 80 KB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dialogs.cards.summary import build_summary_card  # noqa: E402
from dialogs.texts import Texts  # noqa: E402
from goals.model import (  # noqa: E402
    Activity,
    ActivityStatus,
    Direction,
    FollowUp,
    FollowUpState,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
    OrgKind,
    OrgNode,
)
from goals.periods import periods_for_year  # noqa: E402
from goals.ports import GoalSnapshot  # noqa: E402
from goals.profiles import load_profile  # noqa: E402
from goals.status import behind_and_severity, behind_reasons, severity  # noqa: E402
from goals.summaries import largest_movements, summarise  # noqa: E402

LIMIT_BYTES = 80 * 1024
TARGET_MS = 200.0
PROFILE = load_profile("stockholm_ils")


def administration(units: int, goals_per_unit: int, seed: int = 1):
    rng = random.Random(seed)
    last = [replace(p, id=11 + i) for i, p in enumerate(periods_for_year(PROFILE, root_id=1, year=2025))]
    this = [replace(p, id=1 + i) for i, p in enumerate(periods_for_year(PROFILE, root_id=1, year=2026))]
    periods = tuple(last + this)
    t1, last_t1 = this[0], last[0]
    admin = OrgNode(2, "F", "Äldreförvaltningen", OrgKind.ADMINISTRATION, parent_id=1)
    nodes = [admin]
    snapshots, previous = [], []
    next_id = iter(range(1000, 10**9))
    for u in range(units):
        if u % 50 == 0:
            department = OrgNode(next(next_id), f"D{u // 50}", f"Avdelning {u // 50 + 1}", OrgKind.DEPARTMENT, parent_id=2)
            nodes.append(department)
        unit = OrgNode(next(next_id), f"U{u}", f"Enhet {u + 1} – hemtjänst", OrgKind.UNIT, parent_id=department.id)
        nodes.append(unit)
        for g in range(1, goals_per_unit + 1):
            for year, period, into in ((2026, t1, snapshots), (2025, last_t1, previous)):
                indicators = tuple(
                    Indicator(id=next(next_id), code=f"I{g}{k}", name=f"Indikator {g}.{k}", unit="%",
                              direction=Direction.DECREASE if k else Direction.INCREASE, target=80 if not k else 10,
                              kpi_id=f"U{g}{k}")
                    for k in range(2)
                )
                activities = tuple(
                    Activity(id=next(next_id), title=f"Aktivitet {g}.{k}", start=date(year, 1, 15),
                             end=date(year, 3 + 3 * k, 28), status=rng.choice(list(ActivityStatus)))
                    for k in range(2)
                )
                goal = Goal(id=next(next_id), code=f"{unit.code}-{g}-{year}", title=f"Brukarna är nöjda med insats {g}",
                            level="enhet", owner_id=unit.id, valid_from=year, valid_to=year, number=g,
                            indicators=indicators, activities=activities)
                follow_ups = {}
                roll = rng.random()
                if roll < 0.9:
                    state = (FollowUpState.APPROVED if roll < 0.4 else FollowUpState.SUBMITTED if roll < 0.7
                             else FollowUpState.DRAFT)
                    follow_ups[period.id] = FollowUp(
                        id=next(next_id), goal_id=goal.id, period_id=period.id, state=state,
                        assessment=rng.choice(list(Fulfilment)), forecast=rng.choice(list(Fulfilment)),
                        indicator_values={i.id: Measurement(total=round(rng.uniform(0, 100), 1)) for i in indicators},
                    )
                into.append(GoalSnapshot(goal=goal, owner_name=unit.name, periods=periods, follow_ups=follow_ups))
    return admin, nodes, t1, snapshots, previous


def _p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


def measure_in_memory(units: int, goals: int, runs: int) -> dict:
    admin, nodes, t1, snapshots, previous = administration(units, goals)
    texts = Texts("sv")
    today = date(2026, 5, 11)  # the day after T1's deadline
    times, card_times, cpu_times, card_cpu, sizes = [], [], [], [], {}
    for _ in range(runs):
        cpu = time.process_time()
        start = time.perf_counter()
        summary = summarise(node=admin, nodes=nodes, period=t1, snapshots=snapshots, previous=previous, today=today)
        built, built_cpu = time.perf_counter(), time.process_time()
        content = build_summary_card(texts, summary, profile=PROFILE, today=today, occasion="deadline")
        payload = json.dumps(content, ensure_ascii=False).encode()
        end, end_cpu = time.perf_counter(), time.process_time()
        times.append((end - start) * 1000)
        card_times.append((end - built) * 1000)
        cpu_times.append((end_cpu - cpu) * 1000)
        card_cpu.append((end_cpu - built_cpu) * 1000)
    sizes["page 1"] = len(payload)
    sizes["page 2"] = len(json.dumps(build_summary_card(texts, summary, profile=PROFILE, today=today, page=2),
                                     ensure_ascii=False).encode())
    return {
        "goals": summary.goals,
        "behind": len(summary.behind),
        "units_not_reported": len(summary.not_reported),
        "p50_ms": statistics.median(times),
        "p95_ms": _p95(times),
        "cpu_p50_ms": statistics.median(cpu_times),
        "card_p50_ms": statistics.median(card_times),
        "card_p95_ms": _p95(card_times),
        "card_cpu_p50_ms": statistics.median(card_cpu),
        "parts_cpu_ms": _parts(t1, snapshots, previous, today, runs),
        "sizes": sizes,
    }


def _parts(period, snapshots, previous, today, runs: int) -> dict:
    """CPU of the pieces of `summarise`, each timed alone (median, the cycle collector
    on as for any caller): the status rules for every goal as summarise runs them
    (behind_and_severity) and as other callers do (behind_reasons, then severity),
    and the movements."""
    def cpu(work) -> float:
        samples = []
        for _ in range(max(3, runs // 3)):
            start = time.process_time()
            work()
            samples.append((time.process_time() - start) * 1000)
        return statistics.median(samples)

    reasons = [behind_reasons(s, today) for s in snapshots]
    return {
        "rules": cpu(lambda: [behind_and_severity(s, today) for s in snapshots]),
        "behind_reasons": cpu(lambda: [behind_reasons(s, today) for s in snapshots]),
        "severity": cpu(lambda: [severity(r) for r in reasons if r]),
        "movements": cpu(lambda: largest_movements(snapshots, previous, period)),
    }


def profile_summarise(units: int, goals: int, runs: int = 5) -> None:
    import cProfile
    import pstats

    admin, nodes, t1, snapshots, previous = administration(units, goals)
    today = date(2026, 5, 11)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        summarise(node=admin, nodes=nodes, period=t1, snapshots=snapshots, previous=previous, today=today)
    profiler.disable()
    print(f"profile of {runs} summaries (cProfile inflates the times; compare shares):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


async def measure_db(units: int, runs: int) -> dict:
    from bot.demo.generator import ROOT_CODE, generate_city
    from goals.clock import FixedClock
    from goals.summaries import load_summary
    from storage.migrate import upgrade
    from storage.session import create_engine, make_sessionmaker
    from storage.unit_of_work import uow_factory

    with tempfile.TemporaryDirectory() as directory:
        engine = create_engine(f"sqlite+aiosqlite:///{directory}/bench.db")
        await upgrade(engine)
        clock = FixedClock(datetime(2026, 5, 11, 10, tzinfo=ZoneInfo("Europe/Stockholm")))
        report = await generate_city(engine, units=units, years=2, clock=clock)
        make_uow = uow_factory(make_sessionmaker(engine))
        texts = Texts("sv")
        times, cpu_times, read_cpu, summarise_cpu, card_cpu, page_cpu = [], [], [], [], [], []
        for _ in range(runs):
            start, cpu = time.perf_counter(), time.process_time()
            summary = await load_summary(make_uow(), node_id=report.root_id, today=clock.today())
            loaded = time.process_time()
            content = build_summary_card(texts, summary, profile=PROFILE, today=clock.today(), occasion="deadline")
            size = len(json.dumps(content, ensure_ascii=False).encode())
            times.append((time.perf_counter() - start) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
            card_cpu.append((time.process_time() - loaded) * 1000)
            # The same reads load_summary makes, alone: what of its CPU is reading.
            async with make_uow() as uow:
                started = time.process_time()
                nodes = await uow.orgs.subtree(report.root_id)
                ids = [n.id for n in nodes]
                snapshots = await uow.status.snapshots(ids, summary.period.year)
                previous = await uow.status.snapshots(ids, summary.period.year - 1)
                read_cpu.append((time.process_time() - started) * 1000)
            started = time.process_time()
            summarise(node=summary.node, nodes=nodes, period=summary.period, snapshots=snapshots, previous=previous,
                      today=clock.today())
            summarise_cpu.append((time.process_time() - started) * 1000)
            # A "Visa fler" page: only the units not reported.
            started = time.process_time()
            units = await load_summary(make_uow(), node_id=report.root_id, today=clock.today(), units_only=True)
            build_summary_card(texts, units, profile=PROFILE, today=clock.today(), page=2)
            page_cpu.append((time.process_time() - started) * 1000)
        await engine.dispose()
    return {"root": ROOT_CODE, "goals": summary.goals, "p50_ms": statistics.median(times),
            "p95_ms": _p95(times), "cpu_p50_ms": statistics.median(cpu_times), "size": size,
            "read_cpu_ms": statistics.median(read_cpu), "summarise_cpu_ms": statistics.median(summarise_cpu),
            "card_cpu_ms": statistics.median(card_cpu), "page_cpu_ms": statistics.median(page_cpu)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--goals", type=int, default=8)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--db", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile of summarise (in memory), top functions")
    args = parser.parse_args()
    memory = measure_in_memory(args.units, args.goals, args.runs)
    parts = memory["parts_cpu_ms"]
    print(f"in memory: {args.units} units, {memory['goals']} goals, {memory['behind']} behind, "
          f"{memory['units_not_reported']} units not reported")
    print(f"  card + JSON from the summary: p50 {memory['card_p50_ms']:.1f} ms, p95 {memory['card_p95_ms']:.1f} ms; "
          f"CPU p50 {memory['card_cpu_p50_ms']:.1f} ms")
    print(f"  summarise (status rules for every goal) + card + JSON: p50 {memory['p50_ms']:.1f} ms, "
          f"p95 {memory['p95_ms']:.1f} ms (target ≤ {TARGET_MS:.0f} ms); CPU time p50 {memory['cpu_p50_ms']:.1f} ms")
    print(f"  of that CPU: status rules {parts['rules']:.1f} ms (goals.status.behind_and_severity; "
          f"behind_reasons {parts['behind_reasons']:.1f} + severity {parts['severity']:.1f} ms for other callers), "
          f"movements {parts['movements']:.1f} ms, card + JSON {memory['card_cpu_p50_ms']:.1f} ms, the rest "
          f"(tallies, sorting, collecting) "
          f"{memory['cpu_p50_ms'] - parts['rules'] - parts['movements'] - memory['card_cpu_p50_ms']:.1f} ms")
    print(f"  load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("  size: " + ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in memory["sizes"].items()) + " (limit 80 KB)")
    ok = memory["p95_ms"] <= TARGET_MS and all(v < LIMIT_BYTES for v in memory["sizes"].values())
    if args.profile:
        profile_summarise(args.units, args.goals)
    if args.db:
        db = asyncio.run(measure_db(args.units, max(5, args.runs // 3)))
        print(f"SQLite, generated city of {args.units} units ({db['goals']} goals in the period): load_summary + card "
              f"p50 {db['p50_ms']:.1f} ms, p95 {db['p95_ms']:.1f} ms, CPU p50 {db['cpu_p50_ms']:.1f} ms "
              f"(reading {db['read_cpu_ms']:.1f}, summarise {db['summarise_cpu_ms']:.1f}, card {db['card_cpu_ms']:.1f}), "
              f"{db['size'] / 1024:.1f} KB; a \"Visa fler\" page: CPU p50 {db['page_cpu_ms']:.1f} ms; "
              f"load average {os.getloadavg()[0]:.1f}")
        ok = ok and db["size"] < LIMIT_BYTES
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
