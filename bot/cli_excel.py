"""`malkoll template`, `malkoll import` and `malkoll export` (registered by bot/cli.py).

    malkoll template [--out FILE] [--profile KEY]   the goal-plan template (.xlsx)
    malkoll import FILE.xlsx                          all or nothing; every problem listed, exit 1
    malkoll export --period T2/2026 [--root CODE] [--out FILE]   a period's follow-ups (.xlsx)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from goals.profiles import available_profiles


def add_excel_parsers(commands) -> None:
    template = commands.add_parser("template", help="write the Excel template for organisation, people and goals")
    template.add_argument("--out", type=Path, default=Path("malkoll-mall.xlsx"), help="file (default: %(default)s)")
    template.add_argument("--profile", choices=available_profiles(), default="stockholm_ils",
                          help="steering model whose levels and periods the drop-downs list (default: %(default)s)")
    import_ = commands.add_parser("import", help="import a filled-in template (all or nothing)")
    import_.add_argument("file", type=Path, help="the .xlsx file")
    export = commands.add_parser("export", help="export a period's follow-ups to Excel")
    export.add_argument("--period", type=_period, required=True, help="KIND/YEAR, e.g. T2/2026")
    export.add_argument("--root", help="code of the organisation root (needed when there are several)")
    export.add_argument("--out", type=Path, help="file (default: uppfoljning-KIND-YEAR.xlsx)")


def _period(text: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Za-z0-9_]+)/(\d{4})", text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not KIND/YEAR (e.g. T2/2026): {text!r}")
    return match.group(1), int(match.group(2))


async def run_excel(settings, args, *, engine_for, failed) -> bool:
    """Run the command; returns False when the import found problems (already printed)."""
    from goals.clock import SystemClock
    from storage.session import make_sessionmaker
    from storage.unit_of_work import uow_factory

    if args.command == "template":
        from bot.excel.template import write_template

        out = write_template(args.out, profile_key=args.profile)
        print(f"Template written to {out}.")
        return True
    engine = await engine_for(settings, migrate=True)
    try:
        factory = uow_factory(make_sessionmaker(engine))
        clock = SystemClock(settings.timezone)
        if args.command == "import":
            return await _import(factory, args.file, clock=clock, failed=failed)
        from bot.excel.exporter import ExportError, export_period

        kind, year = args.period
        out = args.out or Path(f"uppfoljning-{kind}-{year}.xlsx")
        try:
            rows = await export_period(factory, kind=kind, year=year, root_code=args.root, out=out)
        except ExportError as error:
            raise failed(str(error)) from None
        print(f"{rows} follow-up rows for {kind}/{year} written to {out}.")
        return True
    finally:
        await engine.dispose()


async def _import(factory, path: Path, *, clock, failed) -> bool:
    from zipfile import BadZipFile

    from openpyxl.utils.exceptions import InvalidFileException

    from goals.spreadsheet import PlanInvalid

    from bot.excel.importer import import_workbook

    if not path.is_file():
        raise failed(f"no such file: {path}")
    try:
        report = await import_workbook(factory, path, clock=clock)
    except (BadZipFile, InvalidFileException, OSError, KeyError) as error:
        raise failed(f"not an .xlsx file {path}: {error}") from None
    except PlanInvalid as invalid:
        print(f"{path}: {len(invalid.problems)} problem(s); nothing was imported.", file=sys.stderr)
        for problem in invalid.problems:
            print(f"  {problem}", file=sys.stderr)
        return False
    if not report.changed:
        print(f"{path}: already up to date; nothing changed.")
        return True
    parts = [f"{n} {what} created" for what, n in report.created.items()]
    parts += [f"{n} {what} updated" for what, n in report.updated.items()]
    print(f"{path} imported: {', '.join(parts)}.")
    return True
