"""`malkoll template`, `malkoll import` and `malkoll export` (registered by bot/cli.py).

    malkoll template [--out FILE] [--profile KEY] [--lang sv|en]   the goal-plan template (.xlsx)
    malkoll import FILE.xlsx [--lang sv|en]                         all or nothing; every problem listed, exit 1
    malkoll export --period T2/2026 [--root CODE] [--out FILE] [--lang sv|en]   a period's follow-ups (.xlsx)

--lang is the language of what the command says and of the workbook it writes;
without it, English when LANG starts with "en", else Swedish. An import reads a
Swedish or an English template whatever --lang says.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from dialogs.texts import LANGUAGES, Texts, language_for
from goals.profiles import available_profiles


def add_excel_parsers(commands) -> None:
    template = commands.add_parser("template", help="write the Excel template for organisation, people and goals")
    template.add_argument("--out", type=Path,
                          help="file (default: malkoll-mall.xlsx, in English malkoll-template.xlsx)")
    template.add_argument("--profile", choices=available_profiles(), default="stockholm_ils",
                          help="steering model whose levels and periods the drop-downs list (default: %(default)s)")
    import_ = commands.add_parser("import", help="import a filled-in template (all or nothing)")
    import_.add_argument("file", type=Path, help="the .xlsx file")
    export = commands.add_parser("export", help="export a period's follow-ups to Excel")
    export.add_argument("--period", type=_period, required=True, help="KIND/YEAR, e.g. T2/2026")
    export.add_argument("--root", help="code of the organisation root (needed when there are several)")
    export.add_argument("--out", type=Path, help="file (default: uppfoljning-KIND-YEAR.xlsx)")
    for parser in (template, import_, export):
        parser.add_argument("--lang", choices=LANGUAGES,
                            help="language of the messages and the workbook (default: from LANG, else sv)")


def _period(text: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Za-z0-9_]+)/(\d{4})", text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not KIND/YEAR (e.g. T2/2026): {text!r}")
    return match.group(1), int(match.group(2))


def texts_for(lang: str | None) -> Texts:
    """--lang if given; else the LANG environment variable: English when it starts with "en"."""
    return Texts(lang or language_for(os.environ.get("LANG")))


async def run_excel(settings, args, *, engine_for, failed) -> bool:
    """Run the command; returns False when the import found problems (already printed)."""
    from goals.clock import SystemClock
    from storage.session import make_sessionmaker
    from storage.unit_of_work import uow_factory

    texts = texts_for(args.lang)
    if args.command == "template":
        from bot.excel.template import write_template

        default = "malkoll-template.xlsx" if texts.language == "en" else "malkoll-mall.xlsx"
        out = write_template(args.out or Path(default), profile_key=args.profile, texts=texts)
        print(texts.t("excel.cli.template_written", path=out))
        return True
    engine = await engine_for(settings, migrate=True)
    try:
        factory = uow_factory(make_sessionmaker(engine))
        clock = SystemClock(settings.timezone)
        if args.command == "import":
            return await _import(factory, args.file, clock=clock, failed=failed, texts=texts)
        from bot.excel.exporter import ExportError, export_period

        kind, year = args.period
        out = args.out or Path(f"uppfoljning-{kind}-{year}.xlsx")
        try:
            rows = await export_period(factory, kind=kind, year=year, root_code=args.root, out=out, texts=texts)
        except ExportError as error:
            raise failed(error.describe(texts)) from None
        print(texts.t("excel.cli.exported", rows=rows, kind=kind, year=year, path=out))
        return True
    finally:
        await engine.dispose()


async def _import(factory, path: Path, *, clock, failed, texts: Texts) -> bool:
    from zipfile import BadZipFile

    from openpyxl.utils.exceptions import InvalidFileException

    from goals.spreadsheet import PlanInvalid

    from bot.excel.importer import import_workbook
    from bot.excel.problems import describe

    if not path.is_file():
        raise failed(texts.t("excel.cli.no_such_file", path=path))
    try:
        report = await import_workbook(factory, path, clock=clock)
    except (BadZipFile, InvalidFileException, OSError, KeyError) as error:
        raise failed(texts.t("excel.cli.not_xlsx", path=path, error=error)) from None
    except PlanInvalid as invalid:
        print(texts.t("excel.cli.invalid", path=path, count=len(invalid.problems)), file=sys.stderr)
        for problem in invalid.problems:
            print(f"  {describe(problem, texts, invalid.titles)}", file=sys.stderr)
        return False
    if not report.changed:
        print(texts.t("excel.cli.up_to_date", path=path))
        return True

    def items(counts: dict[str, int]) -> str:
        return ", ".join(texts.t("excel.cli.item", what=texts.t(f"excel.cli.counted.{what}"), count=n)
                         for what, n in counts.items())

    parts = [texts.t("excel.cli.created", items=items(report.created))] if report.created else []
    parts += [texts.t("excel.cli.updated", items=items(report.updated))] if report.updated else []
    print(texts.t("excel.cli.imported", path=path, changes="; ".join(parts)))
    return True
