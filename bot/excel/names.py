"""The workbook's sheet and column names in either language, from the catalogs.

goals.spreadsheet names sheets and columns by the file format's own (Swedish) words;
the catalogs hold what a template in each language shows (excel.sheet.*,
excel.column.*). The Swedish catalog must say exactly what goals.spreadsheet says
(tests/unit/test_excel_template.py checks it), so a Swedish template is the format
itself and an English one is read back onto it by `aliases()`.
"""

from __future__ import annotations

from dialogs.texts import LANGUAGES, Texts
from goals.spreadsheet import ACTIVITIES, COLUMNS, GOALS, INDICATORS, ORG, PEOPLE, PERIODS, RESULTS, ROLES

SHEET_IDS = {ORG: "org", PEOPLE: "people", ROLES: "roles", GOALS: "goals", RESULTS: "results",
             INDICATORS: "indicators", ACTIVITIES: "activities", PERIODS: "periods"}
# One id per header of COLUMNS, in the same order.
COLUMN_IDS: dict[str, tuple[str, ...]] = {
    ORG: ("code", "name", "kind", "parent", "tenant", "profile"),
    PEOPLE: ("entra", "name", "email", "language"),
    ROLES: ("entra", "unit", "role"),
    GOALS: ("code", "title", "level", "owner", "parent", "valid_from", "valid_to", "description"),
    RESULTS: ("goal", "text", "direction", "target", "baseline"),
    INDICATORS: ("goal", "code", "name", "unit", "direction", "target", "baseline", "gender_split", "kolada"),
    ACTIVITIES: ("goal", "title", "start", "end", "status"),
    PERIODS: ("kind", "year", "start", "end", "deadline"),
}


def sheet_title(texts: Texts, sheet: str) -> str:
    """The tab's name in `texts`' language for a sheet of COLUMNS."""
    return texts.t(f"excel.sheet.{SHEET_IDS[sheet]}")


def header(texts: Texts, sheet: str, name: str) -> str:
    """A column's header in `texts`' language for a header of COLUMNS."""
    return texts.t(f"excel.column.{SHEET_IDS[sheet]}.{COLUMN_IDS[sheet][COLUMNS[sheet].index(name)]}")


def headers(texts: Texts, sheet: str) -> tuple[str, ...]:
    return tuple(header(texts, sheet, name) for name in COLUMNS[sheet])


def aliases() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(tab name -> sheet, {sheet: header -> header of COLUMNS}) over every language,
    so a file made from either template, or mixing both, reads the same."""
    tabs: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {sheet: {} for sheet in COLUMNS}
    for language in LANGUAGES:
        texts = Texts(language)
        for sheet, names in COLUMNS.items():
            tabs.setdefault(sheet_title(texts, sheet), sheet)
            for name in names:
                columns[sheet].setdefault(header(texts, sheet, name), name)
    for sheet, names in COLUMNS.items():  # the format's own names win over any alias
        tabs[sheet] = sheet
        columns[sheet].update({name: name for name in names})
    return tabs, columns
