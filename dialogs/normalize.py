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


# Teams sends "<at>Målkoll</at> vilka mål…" when the mention was not removed upstream, and
# people type "@Målkoll" without picking the bot from the list; neither is part of the question.
_MENTIONS = re.compile(r"<at>.*?</at>|(?<!\S)@\S+", re.IGNORECASE | re.DOTALL)


def without_mentions(text: str) -> str:
    """`text` without Teams mentions ("<at>Målkoll</at>", "@Målkoll")."""
    return _MENTIONS.sub(" ", text) if ("@" in text or "<at>" in text.casefold()) else text


# Spoken and chat spellings of common words, folded ("mej" for "mig", "nåt" for "något",
# "e" for "är", "gåre" for "går det"): the written form is what the patterns know.
_COLLOQUIAL: dict[str, tuple[str, ...]] = {
    k: tuple(v.split())
    for k, v in {
        "mej": "mig", "dej": "dig", "sej": "sig", "ja": "jag", "e": "ar", "va": "vad",
        "nat": "nagot", "nan": "nagon", "nagonting": "nagot", "nara": "nagra", "int": "inte",
        "inge": "inget", "dom": "de", "mkt": "mycket", "o": "och", "ba": "bara",
        "gare": "gar det", "hure": "hur ar", "vare": "var det", "ere": "ar det",
        "typ": "", "liksom": "", "assa": "", "alltsa": "",
        "rapp": "rapportera", "rappa": "rapportera",
        "pls": "please", "plz": "please", "thx": "tack", "tx": "tack", "u": "you", "r": "are",
        "ur": "your", "im": "i am", "ive": "i have", "id": "i would", "lets": "let us",
        "whats": "what is", "hows": "how is", "whos": "who is", "whens": "when is",
        "wanna": "want to", "gonna": "going to", "gotta": "have to",
        # English negations as one "not", so one pattern covers "haven't", "has not", "didn't"
        "dont": "do not", "doesnt": "does not", "didnt": "did not", "havent": "have not",
        "hasnt": "has not", "hadnt": "had not", "isnt": "is not", "arent": "are not",
        "wasnt": "was not", "werent": "were not", "wont": "will not", "cant": "can not",
        "cannot": "can not", "shouldnt": "should not", "wouldnt": "would not",
    }.items()
}


def standard_words(words: list[str]) -> list[str]:
    """Folded words with their chat and spoken spellings replaced by the written form."""
    if not any(w in _COLLOQUIAL for w in words):
        return words
    out: list[str] = []
    for w in words:
        out.extend(_COLLOQUIAL.get(w, (w,)))
    return out


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
