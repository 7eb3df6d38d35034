"""goals/ is the pure domain: it imports the standard library and itself, nothing else.

The check reads the source with `ast` instead of importing it, so a forbidden import
in a branch that never runs (or behind TYPE_CHECKING) is caught too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

GOALS = Path(__file__).resolve().parents[2] / "goals"
ALLOWED = frozenset(sys.stdlib_module_names) | {"goals"}


def foreign_imports(source: str) -> list[str]:
    """Top-level names of every module imported outside the standard library and goals."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        found += [name for name in names if name.split(".")[0] not in ALLOWED]
    return found


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def goals_modules() -> list[Path]:
    return sorted(GOALS.rglob("*.py"))


def test_goals_has_modules_to_check() -> None:
    names = {path.name for path in goals_modules()}
    assert {"model.py", "profiles.py", "status.py", "assessment.py"} <= names


@pytest.mark.parametrize("path", goals_modules(), ids=lambda p: str(p.relative_to(GOALS)))
def test_goals_module_imports_only_stdlib_and_goals(path: Path) -> None:
    assert foreign_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sqlalchemy", ["sqlalchemy"]),
        ("from sqlalchemy.orm import Session", ["sqlalchemy.orm"]),
        ("import os, aiohttp.web", ["aiohttp.web"]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from botbuilder.core import TurnContext", ["botbuilder.core"]),
        ("def f():\n    import pydantic\n", ["pydantic"]),
        ("import importlib\nimportlib.import_module('storage.models')", ["storage.models"]),
        ("from bot import config", ["bot"]),
        ("import tomllib, datetime\nfrom collections.abc import Sequence", []),
        ("from goals.model import Goal\nfrom . import status", []),
        ("from __future__ import annotations", []),
    ],
)
def test_the_check_flags_exactly_the_foreign_imports(source: str, expected: list[str]) -> None:
    assert foreign_imports(source) == expected
