"""Excel import on both backends: the template filled in with openpyxl as a staff
unit would, imported; every problem of a broken file listed with sheet, row and
column, in Swedish or in English, and nothing written; a re-import changes nothing;
a newer file updates in place and is audited; `malkoll import` in both languages."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import storage.models  # noqa: F401  (registers the tables in Base.metadata)
from bot.cli import main
from bot.excel.importer import import_workbook
from bot.excel.names import sheet_title
from bot.excel.problems import describe
from bot.excel.template import write_template
from dialogs.texts import Texts
from goals.clock import FixedClock
from goals.model import ActivityStatus, Direction, OrgKind, Role
from goals.spreadsheet import PlanInvalid
from storage.base import Base

TENANT = "33333333-3333-4333-8333-333333333333"
CLOCK = FixedClock(datetime(2026, 2, 1, 9, tzinfo=ZoneInfo("Europe/Stockholm")))

ROWS = {
    "Organisation": [
        ("KOMMUN", "Lillby kommun", "kommun", None, TENANT, "stockholm_ils"),
        ("SDF", "Stadsdelsförvaltningen", "förvaltning", "KOMMUN"),
        ("AVD", "Avdelning förskola", "avdelning", "SDF"),
        ("BLA", "Blåklockans förskola", "enhet", "AVD"),
    ],
    "Personer": [
        ("b0000000-0000-4000-8000-000000000001", "Alma Chef", "alma@lillby.se"),
        ("b0000000-0000-4000-8000-000000000002", "Bo Avdelning", "bo@lillby.se", "en-US"),
    ],
    "Roller": [
        ("b0000000-0000-4000-8000-000000000001", "BLA", "enhetschef"),
        ("b0000000-0000-4000-8000-000000000002", "AVD", "avdelningschef"),
    ],
    "Mål": [
        ("N-1", "Alla barn lär sig", "namnd", "SDF", None, 2026, 2027),
        ("BLA-1", "Barnen läser varje dag", "enhet", "BLA", "N-1", 2026, 2026, "Högläsning i alla grupper"),
    ],
    "Förväntade resultat": [("BLA-1", "Fler barn läser själva", "öka", 80, 60)],
    "Indikatorer": [("BLA-1", "BLA-1-L", "Andel barn som läser", "%", "öka", 80, "60,5", "ja", "U123")],
    "Aktiviteter": [("BLA-1", "Bokcirkel", date(2026, 1, 10), date(2026, 6, 15), "pågår")],
    "Perioder": [("T1", 2026), ("T2", 2026, None, None, date(2026, 9, 20))],
}


def fill(template: Path, out: Path, rows: dict[str, list[tuple]]) -> Path:
    book = load_workbook(template)
    for sheet, lines in rows.items():
        for line in lines:
            book[sheet].append(list(line))
    book.save(out)
    return out


@pytest.fixture
def template(tmp_path) -> Path:
    return write_template(tmp_path / "mall.xlsx")


async def counts(engine) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            table.name: (await connection.execute(select(func.count()).select_from(table))).scalar_one()
            for table in Base.metadata.sorted_tables
        }


async def test_filled_template_lands_in_the_database(uow_factory, template, tmp_path):
    report = await import_workbook(uow_factory, fill(template, tmp_path / "plan.xlsx", ROWS), clock=CLOCK)

    assert report.created == {"units": 4, "people": 2, "roles": 2, "periods": 2, "goals": 2}
    async with uow_factory() as uow:
        root = await uow.orgs.get_by_code(TENANT, "KOMMUN")
        unit = await uow.orgs.get_by_code(TENANT, "BLA")
        avd = await uow.orgs.get_by_code(TENANT, "AVD")
        sdf = await uow.orgs.get_by_code(TENANT, "SDF")
        assert root.profile == "stockholm_ils" and root.parent_id is None
        assert (unit.kind, unit.parent_id, unit.name) == (OrgKind.UNIT, avd.id, "Blåklockans förskola")
        bo = await uow.people.get_by_entra(TENANT, "b0000000-0000-4000-8000-000000000002")
        assert (bo.name, bo.email, bo.locale) == ("Bo Avdelning", "bo@lillby.se", "en-US")
        assert [(r.org_node_id, r.role) for r in await uow.people.roles(bo.id)] == [(avd.id, Role.DEPARTMENT_HEAD)]
        goal = await uow.goals.get_by_code(unit.id, "BLA-1")
        parent = await uow.goals.get_by_code(sdf.id, "N-1")
        assert (goal.parent_id, goal.level, goal.valid_to, goal.description) == (
            parent.id, "enhet", 2026, "Högläsning i alla grupper")
        (indicator,) = goal.indicators
        assert (indicator.target, indicator.baseline, indicator.gender_split, indicator.kpi_id) == (80.0, 60.5, True, "U123")
        assert indicator.direction == Direction.INCREASE
        assert goal.expected_results[0].target_value == 80.0
        assert (goal.activities[0].end, goal.activities[0].status) == (date(2026, 6, 15), ActivityStatus.ONGOING)
        periods = {p.kind: p for p in await uow.periods.for_root(root.id, 2026)}
        assert set(periods) == {"T1", "T2"}
        assert periods["T2"].deadline == date(2026, 9, 20)


BROKEN = {
        **ROWS,
        "Organisation": [
            *ROWS["Organisation"],
            ("BLA", "Dubblett", "enhet", "AVD"),  # row 6: duplicate code
            ("GRO", "Gröna", "enhet", "SAKNAS"),  # row 7: missing parent
            ("LIL", "Lila", "planet", "AVD"),  # row 8: unknown kind
        ],
        "Personer": [*ROWS["Personer"], ("B0000000-0000-4000-8000-000000000001", "Alma igen", "alma.at.lillby")],  # row 4
        "Roller": [*ROWS["Roller"], ("b0000000-0000-4000-8000-000000000001", "OKAND", "kung")],  # row 4
        "Mål": [
            *ROWS["Mål"],
            ("X-1", "Utan förälder", "enhet", "BLA", "FINNS-EJ", 2026, 2026),  # row 4
            ("X-2", "Baklänges", "galax", "OKAND", None, 2027, 2026),  # row 5
        ],
        "Indikatorer": [*ROWS["Indikatorer"], ("BLA-1", "BLA-1-M", "Antal", "st", "uppåt", "många")],  # row 3
        "Aktiviteter": [*ROWS["Aktiviteter"], ("BLA-1", "Sen", date(2026, 5, 1), date(2026, 4, 1))],  # row 3
        "Perioder": [*ROWS["Perioder"], ("T1", 2026)],  # row 4: duplicate
    }


async def test_every_problem_is_listed_and_nothing_is_written(uow_factory, engine, template, tmp_path):
    before = await counts(engine)
    with pytest.raises(PlanInvalid) as raised:
        await import_workbook(uow_factory, fill(template, tmp_path / "broken.xlsx", BROKEN), clock=CLOCK)

    listed = {(p.sheet, p.row, p.column): describe(p, Texts("sv"), raised.value.titles) for p in raised.value.problems}
    expected = {
        ("Organisation", 6, "A"): "finns redan på rad 5",
        ("Organisation", 7, "D"): "okänd överordnad enhet 'SAKNAS'",
        ("Organisation", 8, "C"): "okänt värde 'planet'",
        ("Personer", 4, "A"): "'b0000000-0000-4000-8000-000000000001' finns redan på rad 2",
        ("Personer", 4, "C"): "inte en e-postadress: 'alma.at.lillby'",
        ("Roller", 4, "B"): "okänd enhet 'OKAND'",
        ("Roller", 4, "C"): "okänt värde 'kung'",
        ("Mål", 4, "E"): "okänt överordnat mål 'FINNS-EJ'",
        ("Mål", 5, "C"): "okänd nivå 'galax'",
        ("Mål", 5, "D"): "okänd enhet 'OKAND'",
        ("Mål", 5, "G"): "slutår 2026 före startår 2027",
        ("Indikatorer", 3, "E"): "okänt värde 'uppåt'",
        ("Indikatorer", 3, "F"): "inte ett tal: 'många'",
        ("Aktiviteter", 3, "D"): "slutar 2026-04-01 före start 2026-05-01",
        ("Perioder", 4, "A"): "'T1/2026' finns redan på rad 2",
    }
    for where, text in expected.items():
        assert where in listed, f"{where} not reported; got {sorted(listed)}"
        assert text in listed[where]
    assert len(listed) == len(expected)
    assert listed[("Mål", 4, "E")] == "Mål!E4: okänt överordnat mål 'FINNS-EJ'"
    assert listed[("Organisation", 8, "C")] == (
        "Organisation!C8: okänt värde 'planet' (tillåtna: kommun, förvaltning, nämnd, avdelning, enhet)")
    assert await counts(engine) == before


async def test_an_english_file_lists_its_problems_in_english_with_sheet_row_and_column(uow_factory, engine, tmp_path):
    english = Texts("en")
    template = write_template(tmp_path / "template.xlsx", texts=english)
    before = await counts(engine)
    # The same broken rows (Swedish words in the cells are accepted in either template).
    broken = {sheet_title(english, sheet): lines for sheet, lines in BROKEN.items()}

    with pytest.raises(PlanInvalid) as raised:
        await import_workbook(uow_factory, fill(template, tmp_path / "broken.xlsx", broken), clock=CLOCK)

    lines = [describe(p, english, raised.value.titles) for p in raised.value.problems]
    assert len(lines) == 15
    for line in (
        "Organisation units!A6: 'BLA' is already on row 5",
        "Organisation units!D7: unknown parent unit 'SAKNAS'",
        "Organisation units!C8: unknown value 'planet' (allowed: municipality, administration, committee, "
        "department, unit)",
        "People!C4: not an email address: 'alma.at.lillby'",
        "Roles!B4: unknown unit 'OKAND'",
        "Goals!E4: unknown parent goal 'FINNS-EJ'",
        "Goals!C5: unknown level 'galax' (allowed: inriktning, kf, namnd, avdelning, enhet)",
        "Goals!G5: end year 2026 before start year 2027",
        "Indicators!F3: not a number: 'många'",
        "Activities!D3: ends 2026-04-01 before its start 2026-05-01",
        "Periods!A4: 'T1/2026' is already on row 2",
    ):
        assert line in lines, f"{line!r} not in {lines}"
    assert await counts(engine) == before


async def test_a_problem_found_while_writing_rolls_back_the_whole_file(uow_factory, engine, template, tmp_path):
    # A period whose deadline the file moves before its end: found only against the stored profile dates.
    await import_workbook(uow_factory, fill(template, tmp_path / "plan.xlsx", ROWS), clock=CLOCK)
    before = await counts(engine)
    newer = {
        **ROWS,
        "Organisation": [*ROWS["Organisation"], ("ROS", "Rosens förskola", "enhet", "AVD")],
        "Perioder": [("T1", 2026, None, None, date(2026, 3, 1))],
    }
    with pytest.raises(PlanInvalid) as raised:
        await import_workbook(uow_factory, fill(template, tmp_path / "newer.xlsx", newer), clock=CLOCK)

    assert [(p.sheet, p.row) for p in raised.value.problems] == [("Perioder", 2)]
    assert [describe(p, Texts("en"), raised.value.titles) for p in raised.value.problems] == [
        "Perioder!D2: the dates are in the wrong order (start, end, reporting deadline)"]
    assert await counts(engine) == before  # the new unit ROS was rolled back too


async def test_reimporting_the_same_file_changes_nothing(uow_factory, engine, template, tmp_path):
    plan = fill(template, tmp_path / "plan.xlsx", ROWS)
    await import_workbook(uow_factory, plan, clock=CLOCK)
    before = await counts(engine)

    report = await import_workbook(uow_factory, plan, clock=CLOCK)

    assert not report.changed
    assert await counts(engine) == before
    assert before["audit_log"] > 0


async def test_a_newer_file_updates_in_place_and_is_audited(uow_factory, engine, template, tmp_path):
    await import_workbook(uow_factory, fill(template, tmp_path / "plan.xlsx", ROWS), clock=CLOCK)
    async with uow_factory() as uow:
        unit = await uow.orgs.get_by_code(TENANT, "BLA")
        goal_before = await uow.goals.get_by_code(unit.id, "BLA-1")
        audit_before = max(r.id for r in await uow.audit.recent(limit=1000))
    newer = {
        **ROWS,
        "Organisation": [*ROWS["Organisation"][:3], ("BLA", "Blåklockans förskola och pedagogisk omsorg", "enhet", "AVD")],
        "Personer": [ROWS["Personer"][0], ("b0000000-0000-4000-8000-000000000002", "Bo Avdelning", "bo.a@lillby.se", "en-US")],
        "Indikatorer": [("BLA-1", "BLA-1-L", "Andel barn som läser", "%", "öka", 85, "60,5", "ja", "U123")],
        "Aktiviteter": [*ROWS["Aktiviteter"], ("BLA-1", "Läsfest", date(2026, 5, 1), date(2026, 5, 2), "ej påbörjad")],
    }

    report = await import_workbook(uow_factory, fill(template, tmp_path / "newer.xlsx", newer), clock=CLOCK)

    assert report.created == {} and report.updated == {"units": 1, "people": 1, "goals": 1}
    async with uow_factory() as uow:
        unit_after = await uow.orgs.get_by_code(TENANT, "BLA")
        goal = await uow.goals.get_by_code(unit.id, "BLA-1")
        new_rows = sorted((r for r in await uow.audit.recent(limit=1000) if r.id > audit_before), key=lambda r: r.id)
    assert unit_after.id == unit.id and unit_after.name.endswith("pedagogisk omsorg")
    assert goal.id == goal_before.id and goal.indicators[0].id == goal_before.indicators[0].id
    assert goal.indicators[0].target == 85.0
    assert [a.title for a in goal.activities] == ["Bokcirkel", "Läsfest"]
    assert [(r.action, r.entity_id) for r in new_rows] == [
        ("org_node.updated", unit.id),
        ("person.updated", new_rows[1].entity_id),
        ("goal.updated", goal.id),
    ]
    assert new_rows[0].details["changes"]["name"]["to"] == "Blåklockans förskola och pedagogisk omsorg"
    assert new_rows[1].details["changes"] == {"email": {"from": "bo@lillby.se", "to": "bo.a@lillby.se"}}
    assert set(new_rows[2].details["changes"]) == {"indicators", "activities"}


async def test_malkoll_import_prints_every_problem_and_exits_1(engine, database_url, monkeypatch, template, tmp_path,
                                                               capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LANG", "C.UTF-8")  # not English: Swedish
    broken = fill(template, tmp_path / "broken.xlsx", {
        **ROWS, "Indikatorer": [("BLA-1", "BLA-1-L", "Andel", "%", "öka", "åttio")],
        "Mål": [*ROWS["Mål"], ("BLA-1", "Igen", "enhet", "BLA", None, 2026, 2026)],
    })
    before = await counts(engine)

    def run(*argv: str) -> int:  # the command runs its own event loop, so off this one
        return main(list(argv))

    assert await asyncio.to_thread(run, "import", str(broken)) == 1
    err = capsys.readouterr().err
    assert "broken.xlsx: 2 fel; ingenting importerades." in err
    assert "  Indikatorer!F2: inte ett tal: 'åttio'\n" in err
    assert "  Mål!A4: 'BLA-1' finns redan på rad 3\n" in err
    assert await asyncio.to_thread(run, "import", str(broken), "--lang", "en") == 1
    err = capsys.readouterr().err
    assert "broken.xlsx: 2 problem(s); nothing was imported." in err
    assert "  Indikatorer!F2: not a number: 'åttio'\n" in err
    assert "  Mål!A4: 'BLA-1' is already on row 3\n" in err
    assert await counts(engine) == before

    good = fill(template, tmp_path / "plan.xlsx", ROWS)
    assert await asyncio.to_thread(run, "import", str(good)) == 0
    assert "plan.xlsx importerad: nya enheter 4, personer 2, roller 2, perioder 2, mål 2." in capsys.readouterr().out
    assert await asyncio.to_thread(run, "import", str(good)) == 0
    assert "plan.xlsx: redan aktuell; ingenting ändrades." in capsys.readouterr().out
    monkeypatch.setenv("LANG", "en_GB.UTF-8")  # English without --lang
    assert await asyncio.to_thread(run, "import", str(good)) == 0
    assert "already up to date; nothing changed" in capsys.readouterr().out
    (tmp_path / "notes.txt").write_text("hej")
    assert await asyncio.to_thread(run, "import", str(tmp_path / "notes.txt"), "--lang", "sv") == 1
    assert capsys.readouterr().err.startswith("malkoll: error: inte en .xlsx-fil")
    assert await asyncio.to_thread(run, "import", str(tmp_path / "notes.txt")) == 1
    assert capsys.readouterr().err.startswith("malkoll: error: not an .xlsx file")


async def test_malkoll_template_in_english_then_import_in_english(engine, database_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    out = tmp_path / "template.xlsx"

    def run(*argv: str) -> int:
        return main(list(argv))

    assert await asyncio.to_thread(run, "template", "--lang", "en", "--out", str(out)) == 0
    assert f"Template written to {out}." in capsys.readouterr().out
    english = Texts("en")
    rows = {sheet_title(english, sheet): lines for sheet, lines in ROWS.items()}
    plan = fill(out, tmp_path / "plan.xlsx", {**rows, "Goals": [*rows["Goals"], ("X-1", "Ett mål", "galax", "BLA",
                                                                                 None, 2026, 2026)]})
    before = await counts(engine)

    assert await asyncio.to_thread(run, "import", str(plan), "--lang", "en") == 1
    err = capsys.readouterr().err
    assert "plan.xlsx: 1 problem(s); nothing was imported." in err
    assert "  Goals!C4: unknown level 'galax' (allowed: inriktning, kf, namnd, avdelning, enhet)\n" in err
    assert await counts(engine) == before

    fixed = fill(out, tmp_path / "fixed.xlsx", rows)
    assert await asyncio.to_thread(run, "import", str(fixed), "--lang", "en") == 0
    assert "fixed.xlsx imported: new units 4, people 2, roles 2, periods 2, goals 2." in capsys.readouterr().out
    assert await counts(engine) != before
