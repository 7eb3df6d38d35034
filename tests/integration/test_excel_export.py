"""Excel export of a period on both backends: the tiny city with follow-ups made
through V's services (one approved, one drafted with gender-split values and a
value for the same period last year), read back with openpyxl."""

from __future__ import annotations

import asyncio
from io import BytesIO

import pytest
from openpyxl import load_workbook
from tiny_city import CLOCK, City, city, complete_changes  # noqa: F401  (fixture)

from bot.chat_export import HeadExports
from bot.cli import main
from bot.excel.exporter import ExportError, export_for_actor, export_period, headers
from dialogs.texts import Texts
from goals import services
from goals.errors import PermissionDenied
from goals.model import Direction, Fulfilment, Goal, Indicator, Measurement
from goals.services import FollowUpChanges

SUMMARY = "Uppföljning"


async def report(city: City, who: str, goal_code: str, period_id: int, changes: FollowUpChanges):
    actor = await city.actor(who)
    draft = await services.open_follow_up(city.uow_factory(), actor=actor, goal_id=city.goals[goal_code].id,
                                          period_id=period_id, clock=CLOCK)
    return await services.save_follow_up(city.uow_factory(), actor=actor, follow_up_id=draft.id,
                                         expected_version=draft.version, changes=changes, clock=CLOCK)


@pytest.fixture
async def reported(city: City) -> City:
    make = city.uow_factory
    # SOL-1: complete, submitted by Anna and approved by Bertil.
    filled = await report(city, "anna", "SOL-1", city.periods["T1"], complete_changes(city))
    anna, bertil = await city.actor("anna"), await city.actor("bertil")
    submitted = await services.submit_follow_up(make(), actor=anna, follow_up_id=filled.id,
                                                expected_version=filled.version, clock=CLOCK)
    await services.approve_follow_up(make(), actor=bertil, follow_up_id=filled.id,
                                     expected_version=submitted.version, clock=CLOCK)
    # SOL-3: a two-year goal with a gender-split indicator, reported in T1 2025 and T1 2026.
    last_t1 = await services.create_period(make(), actor=None, root_id=city.nodes["KOMMUN"], kind="T1", year=2025,
                                           clock=CLOCK)
    reading = Indicator(id=0, code="SOL-3-L", name="Andel barn som läser", unit="%", direction=Direction.INCREASE,
                        target=80.0, gender_split=True)
    city.goals["SOL-3"] = await services.create_goal(make(), actor=None, clock=CLOCK, goal=Goal(
        id=0, code="SOL-3", title="Barnen läser varje dag", level="enhet", owner_id=city.nodes["SOL"],
        valid_from=2025, valid_to=2026, indicators=(reading,)))
    indicator_id = city.goals["SOL-3"].indicators[0].id
    await report(city, "anna", "SOL-3", last_t1.id,
                 FollowUpChanges(indicator_values={indicator_id: Measurement(total=60.0)}))
    await report(city, "anna", "SOL-3", city.periods["T1"], FollowUpChanges(
        assessment=Fulfilment.PARTLY, forecast=Fulfilment.FULFILLED, analysis="Läsningen ökar i alla grupper.",
        actions="Fler högläsningsstunder.",
        indicator_values={indicator_id: Measurement(total=72.5, women=75.0, men=70.0)}))
    return city


def rows_of(sheet) -> list[dict]:
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]


async def test_export_has_a_row_per_goal_and_unit_with_values_and_movement(reported: City, tmp_path):
    out = tmp_path / "t1.xlsx"

    count = await export_period(reported.uow_factory, kind="T1", year=2026, root_code="KOMMUN", out=out)

    book = load_workbook(out)
    assert book.sheetnames == [SUMMARY, "Enhetsmål"]
    assert [c.value for c in book[SUMMARY][1]][:6] == ["Förvaltning", "Avdelning", "Enhet", "Enhetskod", "Nivå",
                                                        "Målkod"]
    assert [c.value for c in book[SUMMARY][1]] == list(headers(Texts("sv")))
    rows = {r["Målkod"]: r for r in rows_of(book[SUMMARY])}
    assert count == len(rows) == 6  # SOL-1, SOL-2, SOL-3, VIT-1, EKH-1, LON-1 (one indicator at most each)
    sol3 = rows["SOL-3"]
    assert (sol3["Förvaltning"], sol3["Avdelning"], sol3["Enhet"]) == (
        "Norra stadsdelsförvaltningen", "Avdelning förskola", "Solrosens förskola")
    assert (sol3["Status"], sol3["Bedömning"], sol3["Prognos"]) == ("Utkast", "Delvis uppfyllt", "Uppfyllt")
    assert (sol3["Utfall totalt"], sol3["Utfall kvinnor"], sol3["Utfall män"]) == (72.5, 75, 70)
    assert (sol3["Samma period förra året"], sol3["Förändring"], sol3["Målvärde"]) == (60, 12.5, 80)
    assert isinstance(sol3["Förändring"], float)  # a number a pivot table can sum, not text
    assert (sol3["Analys"], sol3["Åtgärder"]) == ("Läsningen ökar i alla grupper.", "Fler högläsningsstunder.")
    assert (rows["SOL-1"]["Status"], rows["SOL-1"]["Utfall totalt"]) == ("Godkänd", 92)
    assert (rows["VIT-1"]["Status"], rows["VIT-1"]["Bedömning"]) == ("Utkast", "Ej uppfyllt")
    assert rows["EKH-1"]["Utfall totalt"] == 70 and rows["EKH-1"]["Samma period förra året"] is None
    assert (rows["LON-1"]["Status"], rows["LON-1"]["Indikator"]) == ("Ej påbörjad", None)
    assert rows["LON-1"]["Förvaltning"] == "Södra stadsdelsförvaltningen"
    assert rows_of(book["Enhetsmål"]) == rows_of(book[SUMMARY])  # all the tiny city's goals are unit goals


async def test_export_of_a_subtree_and_errors(reported: City, tmp_path):
    out = tmp_path / "avd.xlsx"
    await export_period(reported.uow_factory, kind="T1", year=2026, node_ids=[reported.nodes["AVD-F"]], out=out)
    assert sorted(r["Målkod"] for r in rows_of(load_workbook(out)[SUMMARY])) == ["SOL-1", "SOL-2", "SOL-3", "VIT-1"]

    with pytest.raises(ExportError) as two_roots:  # two roots in the database
        await export_period(reported.uow_factory, kind="T1", year=2026, out=out)
    assert two_roots.value.describe(Texts("en")).startswith("name the root with --root (roots: ")
    assert two_roots.value.describe(Texts("sv")).startswith("ange roten med --root (rötter: ")
    with pytest.raises(ExportError) as no_period:
        await export_period(reported.uow_factory, kind="T1", year=2024, root_code="KOMMUN", out=out)
    assert no_period.value.describe(Texts("en")) == "KOMMUN has no period T1/2024"


async def test_malkoll_export_command(city: City, tmp_path, monkeypatch, database_url, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "t2.xlsx"

    def run(*argv: str) -> int:  # the command runs its own event loop, so off this one
        return main(list(argv))

    monkeypatch.setenv("LANG", "C.UTF-8")
    assert await asyncio.to_thread(run, "export", "--period", "T2/2026", "--root", "KOMMUN", "--out", str(out)) == 0
    assert "5 uppföljningsrader för T2/2026" in capsys.readouterr().out
    assert len(rows_of(load_workbook(out)[SUMMARY])) == 5
    assert await asyncio.to_thread(run, "export", "--period", "T9/2026", "--root", "KOMMUN") == 1
    assert "KOMMUN har ingen period T9/2026" in capsys.readouterr().err
    english = tmp_path / "t2-en.xlsx"
    assert await asyncio.to_thread(run, "export", "--period", "T2/2026", "--root", "KOMMUN", "--out", str(english),
                                   "--lang", "en") == 0
    assert "5 follow-up rows for T2/2026" in capsys.readouterr().out
    book = load_workbook(english)
    assert book.sheetnames[0] == "Follow-up"
    assert {r["Goal code"]: r["Status"] for r in rows_of(book["Follow-up"])}["SOL-1"] == "Not started"
    assert await asyncio.to_thread(run, "export", "--period", "T9/2026", "--root", "KOMMUN", "--lang", "en") == 1
    assert "KOMMUN has no period T9/2026" in capsys.readouterr().err
    assert await asyncio.to_thread(run, "export", "--period", "tvåan") == 2


async def test_an_english_export_has_english_headers_states_levels_and_assessments(reported: City, tmp_path):
    out = tmp_path / "t1-en.xlsx"

    await export_period(reported.uow_factory, kind="T1", year=2026, root_code="KOMMUN", out=out, texts=Texts("en"))

    book = load_workbook(out)
    assert book.sheetnames == ["Follow-up", "Unit goal"]  # the profile's English level name
    rows = {r["Goal code"]: r for r in rows_of(book["Follow-up"])}
    assert (rows["SOL-3"]["Status"], rows["SOL-3"]["Assessment"], rows["SOL-3"]["Forecast"]) == (
        "Draft", "Partly fulfilled", "Fulfilled")
    assert (rows["SOL-3"]["Result total"], rows["SOL-3"]["Same period last year"]) == (72.5, 60)
    assert rows["SOL-1"]["Status"] == "Approved"


async def test_a_head_exports_only_their_part_and_a_unit_manager_may_not(reported: City, tmp_path):
    out = tmp_path / "bertil.xlsx"

    await export_for_actor(reported.uow_factory, actor=await reported.actor("bertil"), kind="T1", year=2026, out=out)

    assert sorted(r["Målkod"] for r in rows_of(load_workbook(out)[SUMMARY])) == ["SOL-1", "SOL-2", "SOL-3", "VIT-1"]
    await export_for_actor(reported.uow_factory, actor=await reported.actor("david"), kind="T1", year=2026, out=out)
    assert "LON-1" not in {r["Målkod"] for r in rows_of(load_workbook(out)[SUMMARY])}  # Södra is not David's
    with pytest.raises(PermissionDenied):
        await export_for_actor(reported.uow_factory, actor=await reported.actor("anna"), kind="T1", year=2026,
                               out=tmp_path / "anna.xlsx")
    assert not (tmp_path / "anna.xlsx").exists()


async def test_the_chat_export_writes_the_workbook_in_the_persons_language(reported: City):
    async with reported.uow_factory() as uow:
        period = await uow.periods.get(reported.periods["T1"])
    bertil = await reported.actor("bertil")

    english = await HeadExports(reported.uow_factory).build(bertil, period, "en")
    swedish = await HeadExports(reported.uow_factory).build(bertil, period)

    assert load_workbook(BytesIO(english.data)).sheetnames[0] == "Follow-up"
    assert load_workbook(BytesIO(swedish.data)).sheetnames[0] == SUMMARY
    assert english.rows == swedish.rows == 4
