"""The goal-plan template (.xlsx) and reading a filled-in one back into cells.

Sheets and headers are goals.spreadsheet's, named in the catalogs' words (excel.sheet.*,
excel.column.*): the Swedish template is the format itself, an English one is read back
onto the same columns, so the template and the import can never disagree. Each sheet
has its header row frozen, widths that fit the headers, and drop-down lists for the enum
columns (the Swedish words, or in English the keys; the import takes both); the level
and period columns list the chosen profile's keys.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from dialogs.texts import DEFAULT_LANGUAGE, Texts
from goals.model import ActivityStatus, Direction, OrgKind, Role
from goals.profiles import load_profile
from goals.spreadsheet import (
    ACTIVITIES,
    COLUMNS,
    GOALS,
    INDICATORS,
    ORG,
    PERIODS,
    RESULTS,
    ROLES,
    Sheet,
    column_letter,
)

from bot.excel.names import aliases, headers, sheet_title
from bot.excel.problems import allowed_words

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
DATA_ROWS = 2000  # how far down the drop-downs reach


def instruction_lines(texts: Texts) -> list[str]:
    words = {name: ", ".join(allowed_words(enum, texts.language)) for name, enum in
             (("kinds", OrgKind), ("roles", Role), ("directions", Direction), ("statuses", ActivityStatus))}
    return [texts.t("excel.template.title"), "", *texts.t("excel.template.instructions", **words).split("\n")]


def write_template(out: Path, *, profile_key: str = "stockholm_ils", texts: Texts | None = None) -> Path:
    """The template in `texts`' language (Swedish, the format's own, by default)."""
    texts = texts or Texts(DEFAULT_LANGUAGE)
    profile = load_profile(profile_key)
    book = Workbook()
    info = book.active
    info.title = texts.t("excel.sheet.instructions")
    for number, line in enumerate(instruction_lines(texts), start=1):
        info.cell(row=number, column=1, value=line)
    info["A1"].font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 110

    def words(enum) -> list[str]:
        return allowed_words(enum, texts.language)

    lists: dict[tuple[str, str], list[str]] = {
        (ORG, "Typ"): words(OrgKind),
        (ORG, "Profil"): [profile.key],
        (ROLES, "Roll"): words(Role),
        (GOALS, "Nivå"): [level.key for level in profile.levels],
        (RESULTS, "Riktning"): words(Direction),
        (INDICATORS, "Riktning"): words(Direction),
        (INDICATORS, "Könsuppdelad"): [texts.t("excel.template.yes"), texts.t("excel.template.no")],
        (ACTIVITIES, "Status"): words(ActivityStatus),
        (PERIODS, "Typ"): [kind.key for kind in profile.period_kinds],
    }
    for name in COLUMNS:
        sheet = book.create_sheet(sheet_title(texts, name))
        shown = headers(texts, name)
        sheet.append(list(shown))
        for index, text in enumerate(shown, start=1):
            cell = sheet.cell(row=1, column=index)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(vertical="center")
            sheet.column_dimensions[get_column_letter(index)].width = max(14, len(text) + 4)
        sheet.freeze_panes = "A2"
        for (sheet_name, column), values in lists.items():
            if sheet_name != name:
                continue
            letter = column_letter(name, column)
            validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
            validation.error = texts.t("excel.template.pick_from_list")
            validation.add(f"{letter}2:{letter}{DATA_ROWS}")
            sheet.add_data_validation(validation)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out


def read_sheets(path: Path) -> dict[str, Sheet]:
    """The data rows of every known sheet, keyed by the format's header (goals.spreadsheet);
    empty rows skipped. Tabs and headers are matched by name in either language, so a
    Swedish or an English template (or one mixing both) reads the same, and moved
    columns still read right. A Sheet's `name` is the tab as the file calls it."""
    tabs, names = aliases()
    book = load_workbook(path, data_only=True, read_only=True)
    try:
        sheets: dict[str, Sheet] = {}
        for title in book.sheetnames:
            name = tabs.get(title.strip())
            if name is None or name in sheets:
                continue
            rows = book[title].iter_rows(values_only=True)
            first = next(rows, ())
            found: dict[str, int] = {}
            for index, value in enumerate(first):
                header = names[name].get(str(value).strip()) if value is not None else None
                if header is not None:
                    found.setdefault(header, index)
            data = []
            for number, values in enumerate(rows, start=2):
                cells = {h: values[i] for h, i in found.items() if i < len(values)}
                if any(v is not None and str(v).strip() for v in cells.values()):
                    data.append((number, cells))
            letters = {h: get_column_letter(i + 1) for h, i in found.items()}
            sheets[name] = Sheet(title, data, tuple(h for h in COLUMNS[name] if h not in found), letters)
        return sheets
    finally:
        book.close()
