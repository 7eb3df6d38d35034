"""The Excel template a staff unit fills in: every sheet the import reads, Swedish
headers (English ones with --lang en, read back the same), instructions, frozen header
rows, drop-downs with the profile's values; problems worded in the reader's language;
and the CLI writes it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.excel.names import COLUMN_IDS, SHEET_IDS, headers, sheet_title
from bot.excel.problems import describe
from bot.excel.template import read_sheets, write_template
from dialogs.texts import Texts, load_catalog, placeholders
from goals.spreadsheet import COLUMNS, GOALS, ORG, PEOPLE, PERIODS, ROLES, PlanInvalid, parse_plan

SV, EN = Texts("sv"), Texts("en")
INSTRUCTIONS = "Instruktioner"


def validations(sheet) -> dict[str, list[str]]:
    """Column letter -> the drop-down's values."""
    out = {}
    for validation in sheet.data_validations.dataValidation:
        letter = str(validation.sqref).split(":")[0].rstrip("0123456789")
        out[letter] = validation.formula1.strip('"').split(",")
    return out


def test_template_has_every_sheet_with_swedish_headers_frozen(tmp_path):
    book = load_workbook(write_template(tmp_path / "mall.xlsx"))

    assert book.sheetnames == [INSTRUCTIONS, *COLUMNS]
    assert "Importera med: malkoll import" in "\n".join(str(c.value) for c in book[INSTRUCTIONS]["A"])
    for name, headers in COLUMNS.items():
        sheet = book[name]
        assert [c.value for c in sheet[1]] == list(headers)
        assert sheet.freeze_panes == "A2"
        assert all(sheet.column_dimensions[c.column_letter].width >= len(c.value) for c in sheet[1])
    assert book[GOALS]["D1"].value == "Ägare (enhetskod)"


def test_drop_downs_list_the_swedish_words_and_the_profiles_levels(tmp_path):
    book = load_workbook(write_template(tmp_path / "mall.xlsx", profile_key="malmo_2023"))

    assert validations(book[ORG])["C"] == ["kommun", "förvaltning", "nämnd", "avdelning", "enhet"]
    assert "avdelningschef" in validations(book[ROLES])["C"]
    assert validations(book[ORG])["F"] == ["malmo_2023"]
    assert validations(book[PERIODS])["A"]  # the profile's period kinds
    stockholm = load_workbook(write_template(tmp_path / "sthlm.xlsx"))
    assert validations(stockholm[GOALS])["C"] == ["inriktning", "kf", "namnd", "avdelning", "enhet"]


def test_an_empty_template_reads_back_as_empty_sheets(tmp_path):
    sheets = read_sheets(write_template(tmp_path / "mall.xlsx"))

    assert set(sheets) == set(COLUMNS)
    assert all(not s.rows and not s.missing_columns for s in sheets.values())


def test_malkoll_template_writes_the_file(tmp_path, capsys):
    out = tmp_path / "ut" / "mall.xlsx"

    assert main(["template", "--out", str(out)]) == 0

    assert load_workbook(out).sheetnames[0] == INSTRUCTIONS
    assert str(out) in capsys.readouterr().out


def test_problems_name_the_column_where_the_header_really_is(tmp_path):
    path = write_template(tmp_path / "mall.xlsx")
    book = load_workbook(path)
    goals = book[GOALS]
    goals.delete_rows(1)
    goals.append(["Titel", "Kod", "Nivå", "Ägare (enhetskod)", "Överordnat mål (kod)", "Giltigt från år",
                  "Giltigt till år", "Beskrivning"])  # Titel and Kod swapped
    goals.append(["Ett mål", "M-1", "enhet", "E", None, "tjugotjugosex", 2026])
    book[ORG].append(["K", "Kommun", "kommun", None, "t", "stockholm_ils"])
    book[ORG].append(["E", "Enhet", "enhet", "K"])
    book.save(path)

    with pytest.raises(PlanInvalid) as raised:
        parse_plan(read_sheets(path))

    assert [describe(p, SV, raised.value.titles) for p in raised.value.problems] == [
        "Mål!F2: inte ett tal: 'tjugotjugosex'"]
    assert [describe(p, EN, raised.value.titles) for p in raised.value.problems] == [
        "Mål!F2: not a number: 'tjugotjugosex'"]  # the tab as the file names it


def test_a_missing_sheet_or_column_is_reported_before_anything_else(tmp_path):
    path = write_template(tmp_path / "mall.xlsx")
    book = load_workbook(path)
    del book[PERIODS]
    book[ROLES]["C1"] = "Befattning"
    book.save(path)

    with pytest.raises(PlanInvalid) as raised:
        parse_plan(read_sheets(path))

    assert [describe(p, SV, raised.value.titles) for p in raised.value.problems] == [
        "Perioder rad 1: fliken saknas",
        "Roller!C1: kolumnen 'Roll' saknas",
    ]
    assert [describe(p, EN, raised.value.titles) for p in raised.value.problems] == [
        "Periods row 1: sheet missing",
        "Roller!C1: column 'Role' missing",  # either header is accepted, so the English one is right too
    ]


def test_the_swedish_catalog_names_sheets_and_columns_exactly_as_the_file_format():
    # A Swedish template is the format itself: files made before the catalogs still import.
    assert set(SHEET_IDS) == set(COLUMNS)
    for sheet, names in COLUMNS.items():
        assert len(COLUMN_IDS[sheet]) == len(names)
        assert sheet_title(SV, sheet) == sheet
        assert headers(SV, sheet) == names


def test_english_template_has_english_sheets_headers_lists_and_instructions(tmp_path):
    book = load_workbook(write_template(tmp_path / "template.xlsx", texts=EN))

    assert book.sheetnames == ["Instructions", "Organisation units", "People", "Roles", "Goals", "Expected results",
                               "Indicators", "Activities", "Periods"]
    assert [c.value for c in book["Goals"][1]][:4] == ["Code", "Title", "Level", "Owner (unit code)"]
    assert validations(book["Organisation units"])["C"] == ["municipality", "administration", "committee",
                                                              "department", "unit"]
    assert validations(book["Indicators"])["H"] == ["yes", "no"]
    text = "\n".join(str(c.value) for c in book["Instructions"]["A"])
    assert "Import with: malkoll import" in text and "unit_manager, department_head" in text


def test_english_and_swedish_templates_read_back_the_same_and_mixed_headers_too(tmp_path):
    rows = {
        ORG: [["K", "Kommun", "municipality", None, "t", "stockholm_ils"], ["E", "Enhet", "enhet", "K"]],
        PEOPLE: [["b0000000-0000-4000-8000-000000000001", "Alma", "alma@k.se", "en-US"]],
        ROLES: [["b0000000-0000-4000-8000-000000000001", "E", "unit_manager"]],
        GOALS: [["M-1", "Ett mål", "enhet", "E", None, 2026, 2026]],
    }
    plans = []
    for texts in (SV, EN):
        path = write_template(tmp_path / f"{texts.language}.xlsx", texts=texts)
        book = load_workbook(path)
        for sheet, lines in rows.items():
            for line in lines:
                book[sheet_title(texts, sheet)].append(line)
        if texts is EN:  # someone pasted a Swedish header into the English file
            book["Roles"]["C1"] = "Roll"
        book.save(path)
        plans.append(parse_plan(read_sheets(path)))

    assert plans[0] == plans[1]
    assert [(r.unit_code, r.role.value) for r in plans[1].roles] == [("E", "unit_manager")]
    assert plans[1].people[0].locale == "en-US"


def _problem_calls() -> list[tuple[str, str, set[str]]]:
    """(file, key, parameter names) of every problem(...) / r.problem(...) in the code."""
    root = Path(__file__).resolve().parents[2]
    found = []
    for path in (root / "goals" / "spreadsheet.py", root / "bot" / "excel" / "importer.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "problem":
                if len(node.args) >= 4 and isinstance(node.args[3], ast.Constant):
                    found.append((path.name, node.args[3].value, {k.arg for k in node.keywords}))
    return found


def test_every_problem_the_code_raises_has_a_text_with_its_placeholders_in_both_languages():
    calls = _problem_calls()
    assert len(calls) > 30  # the parser's and the importer's
    for file, key, params in calls:
        for language in ("sv", "en"):
            template = load_catalog(language).get(f"excel.problem.{key}")
            assert template is not None, f"{file}: excel.problem.{key} missing in {language}"
            assert placeholders(template) == params, f"{file}: {key} in {language}"
