"""Normalisation of the Swedish (and English) that people type into Teams.

Users write "målen", "malen", "maalen" and "MÅLEN" for the same word, and the names in the
database carry å/ä/ö that a phone keyboard or an OCR'd document may have lost. Everything the
recognizer compares — the user's text, its own keyword patterns and the names from the
database — goes through the same folding, so a stand-in on either side still meets.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters without a decomposition that still stand for a/o in Nordic names.
_SPECIAL = str.maketrans({"ø": "o", "æ": "a", "ß": "ss", "œ": "o", "ð": "d", "þ": "th"})
# The ASCII stand-ins for å/ä/ö: "aa" (Danish/Norwegian style å), "ae" (ä), "oe" (ö).
_COMMON_LETTERS = str.maketrans("åäöéèêëüúùáàâíìóòôñç", "aaoeeeeuuuaaaiiooonc")
_STAND_INS = re.compile(r"aa|ae|oe")
_APOSTROPHES = re.compile(r"['’`´]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# "t2", "mål3", "2026t1" -> separate letters from digits so "t 2" and "mål 3" are found.
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")


def fold(text: str) -> str:
    """Casefold, drop diacritics, map the a/o stand-ins; keeps only [a-z0-9] and spaces."""
    text = text.casefold().translate(_SPECIAL)
    if not text.isascii():
        text = text.translate(_COMMON_LETTERS)  # the usual letters without a decomposition pass
        if not text.isascii():
            text = "".join(
                ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
            )
    text = _STAND_INS.sub(lambda m: m.group(0)[0], text)
    text = _APOSTROPHES.sub("", text)  # "what's" -> "whats", "haven't" -> "havent"
    text = _NON_WORD.sub(" ", text)
    text = _LETTER_DIGIT.sub(" ", text)
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    """The folded words of `text`."""
    return fold(text).split()


# Light Swedish (and a little English) inflection stripping: definite forms, plurals and
# genitives ("förskolan", "enheterna", "Solrosens", "målen") meet their base form. Longest
# suffix first; a stem keeps at least four letters so short words are never mangled.
_SUFFIXES = tuple(
    sorted(
        (
            "ernas", "arnas", "ornas", "erna", "arna", "orna", "ens", "ets", "ers",
            "en", "et", "er", "ar", "or", "an", "na", "es", "a", "e", "s",
        ),
        key=len,
        reverse=True,
    )
)
_MIN_STEM = 4


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """Strip one inflectional suffix from a folded token."""
    if len(token) <= _MIN_STEM or token.isdigit():
        return token
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= _MIN_STEM:
            return token[: -len(suffix)]
    return token
