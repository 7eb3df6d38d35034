"""The catalogs: Swedish and English say the same things with the same placeholders,
and no English slips into what a Swedish user reads."""

from __future__ import annotations

import re

import pytest

from dialogs.texts import Texts, language_for, load_catalog, placeholders

SV, EN = load_catalog("sv"), load_catalog("en")
# Words spelled the same in both languages ("status", "period"), so a text made of
# them alone may read the same in both.
SHARED_WORDS = {"status", "period"}
# Words that are English and not Swedish; a Swedish sentence containing one has leaked.
ENGLISH_WORDS = {
    "the", "and", "you", "your", "please", "goal", "goals", "report", "help", "menu", "cancel",
    "error", "unit", "units", "not", "is", "of", "to", "what", "which", "with", "due",
    "behind", "my", "sorry", "something", "wrong", "try", "again", "left", "hi", "ok",
}


def test_both_languages_have_the_same_keys():
    assert SV.keys() == EN.keys()


@pytest.mark.parametrize("key", sorted(SV))
def test_same_placeholders_in_both_languages(key):
    assert placeholders(SV[key]) == placeholders(EN[key])


@pytest.mark.parametrize("key", sorted(SV))
def test_no_english_in_swedish_text(key):
    words = set(re.findall(r"[a-zåäöé]+", _without_placeholders(SV[key]).lower())) - {"målkoll"}
    assert not words & ENGLISH_WORDS, f"{key}: {SV[key]!r}"


def _without_placeholders(template: str) -> str:
    return re.sub(r"\{[^{}]*\}", " ", template)


@pytest.mark.parametrize("key", sorted(SV))
def test_every_text_is_translated(key):
    assert SV[key].strip() and EN[key].strip()
    words = set(re.findall(r"[^\W\d_]+", _without_placeholders(SV[key]).lower()))
    if words - SHARED_WORDS:  # not only "{n}. {name}" or "Status: {title}"
        assert SV[key] != EN[key], f"{key} reads the same in both languages"


@pytest.mark.parametrize(
    ("locale", "language"),
    [("en-US", "en"), ("en-GB", "en"), ("en_gb", "en"), ("EN", "en"), ("sv-SE", "sv"), ("fi-FI", "sv"), (None, "sv"), ("", "sv")],
)
def test_language_follows_the_teams_locale_with_swedish_by_default(locale, language):
    assert language_for(locale) == language
    assert Texts.for_locale(locale).language == language


def test_placeholders_are_filled():
    assert Texts("sv").t("error.neutral", ref="ab12") .endswith("ange referens ab12 till supporten.")
    assert Texts("en").t("overview.goal", number=3, title="Fler läsare") == "Goal 3: Fler läsare"


def test_an_unknown_key_is_an_error_not_a_key_shown_to_users():
    with pytest.raises(KeyError):
        Texts("sv").t("no.such.key")
