"""An import problem in words, in the reader's language: goals.spreadsheet gives a
catalog key and parameters; this adds where (the tab as the file names it, the
cell) and the words that depend on the language (the values a drop-down allows,
the kind of unit, a sheet or column named in the message)."""

from __future__ import annotations

from collections.abc import Mapping

from dialogs.texts import Texts
from goals.model import ActivityStatus, Direction, OrgKind, Role
from goals.spreadsheet import SWEDISH, Problem, swedish_word

from bot.excel.names import header, sheet_title

_ENUMS = {enum.__name__: enum for enum in (OrgKind, Role, Direction, ActivityStatus)}


def allowed_words(enum: type, language: str) -> list[str]:
    """What a drop-down offers: the Swedish words, or in English the keys (the import
    takes both)."""
    return list(SWEDISH[enum]) if language == "sv" else [member.value for member in enum]


def kind_word(kind: OrgKind, language: str) -> str:
    return swedish_word(kind) if language == "sv" else kind.value


def describe(problem: Problem, texts: Texts, titles: Mapping[str, str] | None = None) -> str:
    """"Mål!E4: okänt överordnat mål 'X'" / "Goals!E4: unknown parent goal 'X'"."""
    titles = titles or {}
    params: dict[str, str] = problem.values
    if "allowed" in params:
        params["allowed"] = ", ".join(allowed_words(_ENUMS[params["allowed"]], texts.language))
    if "kind" in params and problem.key == "level_does_not_fit":
        params["kind"] = kind_word(OrgKind(params["kind"]), texts.language)
    if "sheet" in params:
        params["sheet"] = titles.get(params["sheet"]) or sheet_title(texts, params["sheet"])
    if "header" in params:  # a missing column: name it as the person's template does
        params["header"] = header(texts, problem.sheet, params["header"])
    message = texts.t(f"excel.problem.{problem.key}", **params)
    sheet = titles.get(problem.sheet) or sheet_title(texts, problem.sheet)
    if problem.column:
        return texts.t("excel.where.cell", sheet=sheet, cell=f"{problem.column}{problem.row}", message=message)
    return texts.t("excel.where.row", sheet=sheet, row=problem.row, message=message)
