"""Numbers and dates the way Swedish readers expect them ("12,5", "15 maj 2026"),
and the English way for English users, via Babel's CLDR data."""

from __future__ import annotations

import functools
from datetime import date

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal

# en-GB rather than en-US: day-month-year reads naturally next to the Swedish
# original and avoids 05/06 ambiguity in municipal documents.
_LOCALES = {"sv": "sv_SE", "en": "en_GB"}


def _locale(lang: str) -> str:
    return _LOCALES.get(lang, _LOCALES["sv"])


def format_number(x: float | int, lang: str = "sv", *, decimals: int = 1) -> str:
    """12.5 → "12,5"; 1200 → "1 200" (no-break space); 12.0 → "12"."""
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    return format_decimal(x, format=pattern, locale=_locale(lang))


@functools.lru_cache(maxsize=4096)
def format_date(d: date, lang: str = "sv") -> str:
    """date(2026, 5, 15) → "15 maj 2026" (sv) / "15 May 2026" (en).

    Cached: cards show the same few deadlines on every turn, and Babel parses the
    pattern and walks the locale data each time (~1.5 % of a "mina mål" turn)."""
    return _babel_date(d, format="d MMMM y", locale=_locale(lang))
