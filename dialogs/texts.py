"""User-visible text, from the catalogs in dialogs/text (Swedish first, English second).

Logic never holds a literal sentence: it asks `Texts.t("overview.title")`. The
language is chosen from the Teams locale: English for en-*, Swedish otherwise.
Catalogs are read on first use, not at import.
"""

from __future__ import annotations

import functools
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"
_CATALOG_DIR = Path(__file__).resolve().parent / "text"


def language_for(locale: str | None) -> str:
    """"en-US", "en_GB", "EN" → "en"; anything else (sv-SE, fi-FI, none) → "sv"."""
    if locale and locale.replace("_", "-").lower().split("-")[0] == "en":
        return "en"
    return DEFAULT_LANGUAGE


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@functools.cache
def load_catalog(language: str) -> dict[str, str]:
    """The catalog of one language as dotted keys → template."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for language {language!r}")
    with (_CATALOG_DIR / f"{language}.toml").open("rb") as handle:
        catalog = _flatten(tomllib.load(handle))
    # Feature catalogs (e.g. follow_up.sv.toml) sit beside the main one, so each
    # dialog owns its texts; a key defined twice is a mistake, not an override.
    for extra in sorted(_CATALOG_DIR.glob(f"*.{language}.toml")):
        with extra.open("rb") as handle:
            more = _flatten(tomllib.load(handle))
        clash = sorted(set(more) & set(catalog))
        if clash:
            raise ValueError(f"{extra.name} redefines catalog keys {clash[:5]}")
        catalog.update(more)
    return catalog


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


@dataclass(frozen=True, slots=True)
class Texts:
    language: str

    def t(self, key: str, **params: Any) -> str:
        # A missing key is a programming error, found by the catalog tests;
        # raising here beats showing a user "overview.title".
        return load_catalog(self.language)[key].format(**params)

    def has(self, key: str) -> bool:
        return key in load_catalog(self.language)

    @staticmethod
    def for_locale(locale: str | None) -> Texts:
        return Texts(language_for(locale))
