"""Numbers as unit managers type them, in Swedish or English.

People paste values from Excel, Kolada or a report, so the same number arrives
as "1 200,5", "1\u00a0200,5", "1200.5", "1,200.5" or "1 200,5 procent". The
rules, and why:

- a single comma or dot is the decimal separator ("12,5" and "12.5" are both
  twelve and a half): Swedish users write the comma, Excel exports often the dot;
- in an English conversation "1,200" (a comma followed by groups of exactly three
  digits) is one thousand two hundred, as English speakers mean it;
- when both a comma and a dot occur, the last one is the decimal separator and
  the other must group digits in threes ("1.200,5", "1,200.5");
- spaces (also no-break and thin spaces, which Swedish formatting produces) only
  group digits in threes: "1 200" is 1200, "12 5" is refused, not guessed;
- "−" (the minus sign Swedish formatting uses), "–" and "-" all mean minus;
- "%", "procent", "percent" are accepted only where the indicator is measured in
  percent, and a percentage must lie within 0–100.

Every refusal is a `NumberInputError` whose `key` names a catalog text, so the
dialog can say what was wrong in the user's language. Nothing else is raised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_INPUT_LENGTH = 40
# Larger magnitudes are typing accidents, not municipal key figures.
MAX_MAGNITUDE = 1e12
# How far women + men may differ from the total before we ask (rounding in the
# source figures is normal; a different order of magnitude is not).
SUM_TOLERANCE = 0.5

_SPACES = "\u0020\u00a0\u202f\u2009\u2007"
_MINUS = "-\u2212\u2013"
_PERCENT_WORDS = ("procent", "percent", "pct", "%")


class NumberInputError(ValueError):
    """Input that is not a usable number; `key` is a catalog key under "number."."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class GenderSplitWarning:
    """Women and men do not add up to (or, for rates, bracket) the total."""

    key: str
    total: float
    women: float
    men: float


def is_percent_unit(unit: str) -> bool:
    return unit.strip().lower() in ("%", "procent", "percent", "andel (%)", "andel %")


def is_additive_unit(unit: str) -> bool:
    """Counts add up over women and men; rates, shares and averages do not."""
    u = unit.strip().lower()
    if is_percent_unit(u):
        return False
    return not any(word in u for word in ("andel", "genomsnitt", "medel", "snitt", "per ", "/", "average", "share"))


def parse_number(text: object, *, lang: str = "sv", percent: bool = False) -> float:
    """Parse one number typed by a person. `percent`: the indicator is in percent.

    Raises NumberInputError (only) when the text is not a number we can trust.
    """
    if not isinstance(text, str):
        if isinstance(text, bool) or not isinstance(text, int | float):
            raise NumberInputError("number.malformed")
        return _checked(float(text), percent=percent)
    raw = text.strip()
    if not raw:
        raise NumberInputError("number.empty")
    if len(raw) > MAX_INPUT_LENGTH:
        raise NumberInputError("number.too_long", max=MAX_INPUT_LENGTH)
    body, has_percent = _strip_percent(raw)
    if has_percent and not percent:
        raise NumberInputError("number.percent_not_expected")
    negative = False
    if body[:1] in _MINUS:
        negative = True
        body = body[1:].lstrip(_SPACES)
    elif body[:1] == "+":
        body = body[1:].lstrip(_SPACES)
    digits = _normalise_separators(body, lang=lang)
    value = float(digits)
    return _checked(-value if negative else value, percent=percent)


def gender_split_warning(
    *, total: float | None, women: float | None, men: float | None, additive: bool
) -> GenderSplitWarning | None:
    """A warning key when the split is inconsistent with the total, else None.

    Counts: women + men should equal the total. Rates and shares: the total is a
    weighted mean, so it must lie between the women's and the men's value.
    """
    if total is None or women is None or men is None:
        return None
    if additive:
        if abs((women + men) - total) <= SUM_TOLERANCE:
            return None
        return GenderSplitWarning("indicator.split_sum_mismatch", total, women, men)
    low, high = min(women, men), max(women, men)
    if low - SUM_TOLERANCE <= total <= high + SUM_TOLERANCE:
        return None
    return GenderSplitWarning("indicator.split_outside_range", total, women, men)


# --- helpers ------------------------------------------------------------------


def _strip_percent(raw: str) -> tuple[str, bool]:
    lowered = raw.lower()
    for word in _PERCENT_WORDS:
        if lowered.endswith(word):
            return raw[: len(raw) - len(word)].rstrip(_SPACES), True
    return raw, False


def _normalise_separators(body: str, *, lang: str) -> str:
    """Return plain "1234.5" digits or raise NumberInputError("number.malformed")."""
    if not body or not (body[0].isdigit() or body[0] in ",."):
        raise NumberInputError("number.malformed")
    if any(ch not in "0123456789,." + _SPACES for ch in body):
        raise NumberInputError("number.malformed")
    # Spaces may only group thousands in the integer part.
    compact = body
    if any(ch in _SPACES for ch in body):
        integer, mark, fraction = _split_decimal(body, lang=lang, spaced=True)
        if not _is_grouped(integer, " ") or " " in fraction:
            raise NumberInputError("number.malformed")
        compact = integer.replace(" ", "") + mark + fraction
    for ch in _SPACES:
        compact = compact.replace(ch, "")
    integer, decimal_mark, fraction = _split_decimal(compact, lang=lang, spaced=False)
    if decimal_mark and (not fraction.isdigit()):
        raise NumberInputError("number.malformed")
    if not integer:
        integer = "0"
    for sep in ",.":
        if sep in integer:
            if not _is_grouped(integer, sep):
                raise NumberInputError("number.malformed")
            integer = integer.replace(sep, "")
    if not integer.isdigit():
        raise NumberInputError("number.malformed")
    return f"{integer}.{fraction}" if decimal_mark else integer


def _split_decimal(text: str, *, lang: str, spaced: bool) -> tuple[str, str, str]:
    """Split into (integer part, decimal mark or "", fraction) by the rules above."""
    if spaced:
        text = "".join(" " if ch in _SPACES else ch for ch in text)
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        mark = "," if text.rfind(",") > text.rfind(".") else "."
        if text.count(mark) > 1:
            raise NumberInputError("number.malformed")
    elif commas == 1 and not dots:
        mark = ","
        if lang.startswith("en") and _is_grouped(text.replace(" ", ""), ","):
            mark = ""
    elif dots == 1 and not commas:
        mark = "."
    else:
        mark = ""  # none, or several of one kind: grouping only
    if not mark:
        return text, "", ""
    integer, _, fraction = text.rpartition(mark)
    return integer, mark, fraction


def _is_grouped(integer: str, sep: str) -> bool:
    groups = integer.split(sep)
    if len(groups) == 1:
        return integer.isdigit()
    head, tail = groups[0], groups[1:]
    return 1 <= len(head) <= 3 and head.isdigit() and all(len(g) == 3 and g.isdigit() for g in tail)


def _checked(value: float, *, percent: bool) -> float:
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise NumberInputError("number.out_of_range")
    if percent and not 0 <= value <= 100:
        raise NumberInputError("number.percent_range")
    return value + 0.0  # turns -0.0 into 0.0
