"""The goal-plan template (.xlsx) and reading a filled-in one back into cells.

Sheets and headers come from goals.spreadsheet so the template and the import
can never disagree. Each sheet has its header row frozen, widths that fit the
headers, and drop-down lists for the enum columns (the Swedish words the import
accepts); the level and period columns list the chosen profile's keys.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

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
    SWEDISH,
    Sheet,
    column_letter,
)

INSTRUCTIONS = "Instruktioner"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
DATA_ROWS = 2000  # how far down the drop-downs reach

INSTRUCTION_LINES = (
    "Målkoll – mall för organisation, personer, mål och perioder",
    "",
    "Fyll i en rad per sak på varje flik. Rubrikraden (rad 1) får inte ändras.",
    "Koderna är nycklar: en enhet känns igen på sin kod, ett mål på sin kod hos sin ägare.",
    "Importera med: malkoll import FIL.xlsx. Allt eller inget: finns ett enda fel sparas ingenting,",
    "och alla fel listas med flik, rad och kolumn. Samma fil två gånger ändrar ingenting;",
    "en ny version av filen uppdaterar befintliga rader och varje ändring loggas.",
    "",
    "Organisation: exakt en rad utan överordnad kod (kommunen/roten) med Tenant-id och Profil.",
    "  Övriga enheter anger sin överordnade enhets kod. Typ: kommun, förvaltning, nämnd, avdelning, enhet.",
    "Personer: Entra objekt-id (från Microsoft Entra ID), namn, e-post, språk (sv-SE eller en-US).",
    "Roller: en rad per person och roll: Entra objekt-id, enhetskod, roll",
    "  (enhetschef, avdelningschef, stab, direktör, administratör).",
    "Mål: kod, titel, nivå (profilens nivåer, t.ex. kf, namnd, avdelning, enhet), ägande enhet,",
    "  överordnat mål (kod i samma fil), giltigt från och till år.",
    "Förväntade resultat, Indikatorer, Aktiviteter: en rad per sak, med målets kod i kolumn A.",
    "  Riktning: öka, minska, uppnå. Målvärde och basvärde är tal. Könsuppdelad: ja/nej.",
    "  Aktivitetens status: ej påbörjad, pågår, klar, försenad, avbruten. Datum som ÅÅÅÅ-MM-DD.",
    "Perioder: typ (t.ex. T1, T2, T3), år; start, slut och sista rapportdag kan lämnas tomma",
    "  och tas då från profilen.",
)


def write_template(out: Path, *, profile_key: str = "stockholm_ils") -> Path:
    profile = load_profile(profile_key)
    book = Workbook()
    info = book.active
    info.title = INSTRUCTIONS
    for number, line in enumerate(INSTRUCTION_LINES, start=1):
        info.cell(row=number, column=1, value=line)
    info["A1"].font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 110

    lists: dict[tuple[str, str], list[str]] = {
        (ORG, "Typ"): list(SWEDISH[OrgKind]),
        (ORG, "Profil"): [profile.key],
        (ROLES, "Roll"): list(SWEDISH[Role]),
        (GOALS, "Nivå"): [level.key for level in profile.levels],
        (RESULTS, "Riktning"): list(SWEDISH[Direction]),
        (INDICATORS, "Riktning"): list(SWEDISH[Direction]),
        (INDICATORS, "Könsuppdelad"): ["ja", "nej"],
        (ACTIVITIES, "Status"): list(SWEDISH[ActivityStatus]),
        (PERIODS, "Typ"): [kind.key for kind in profile.period_kinds],
    }
    for name, headers in COLUMNS.items():
        sheet = book.create_sheet(name)
        sheet.append(list(headers))
        for index, header in enumerate(headers, start=1):
            cell = sheet.cell(row=1, column=index)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(vertical="center")
            sheet.column_dimensions[get_column_letter(index)].width = max(14, len(header) + 4)
        sheet.freeze_panes = "A2"
        for (sheet_name, header), values in lists.items():
            if sheet_name != name:
                continue
            letter = column_letter(name, header)
            validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
            validation.error = "Välj ett värde i listan"
            validation.add(f"{letter}2:{letter}{DATA_ROWS}")
            sheet.add_data_validation(validation)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out


def read_sheets(path: Path) -> dict[str, Sheet]:
    """The data rows of every known sheet, keyed by header; empty rows skipped,
    headers matched by name so moved columns still read right."""
    book = load_workbook(path, data_only=True, read_only=True)
    try:
        sheets: dict[str, Sheet] = {}
        for name, headers in COLUMNS.items():
            if name not in book.sheetnames:
                continue
            rows = book[name].iter_rows(values_only=True)
            first = next(rows, ())
            found = {str(value).strip(): index for index, value in enumerate(first) if value is not None}
            data = []
            for number, values in enumerate(rows, start=2):
                cells = {h: values[i] for h, i in found.items() if h in headers and i < len(values)}
                if any(v is not None and str(v).strip() for v in cells.values()):
                    data.append((number, cells))
            letters = {h: get_column_letter(i + 1) for h, i in found.items() if h in headers}
            sheets[name] = Sheet(name, data, tuple(h for h in headers if h not in found), letters)
        return sheets
    finally:
        book.close()
