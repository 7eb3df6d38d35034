"""The Excel template a staff unit fills in: every sheet the import reads, Swedish
headers, instructions, frozen header rows, drop-downs with the profile's values;
and the CLI writes it."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.excel.template import INSTRUCTIONS, read_sheets, write_template
from goals.spreadsheet import COLUMNS, GOALS, ORG, PERIODS, ROLES, PlanInvalid, parse_plan


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

    assert [str(p) for p in raised.value.problems] == ["Mål!F2: inte ett tal: 'tjugotjugosex'"]


def test_a_missing_sheet_or_column_is_reported_before_anything_else(tmp_path):
    path = write_template(tmp_path / "mall.xlsx")
    book = load_workbook(path)
    del book[PERIODS]
    book[ROLES]["C1"] = "Befattning"
    book.save(path)

    with pytest.raises(PlanInvalid) as raised:
        parse_plan(read_sheets(path))

    assert [str(p) for p in raised.value.problems] == [
        "Perioder rad 1: fliken saknas",
        "Roller!C1: kolumnen 'Roll' saknas",
    ]
