"""Profiles: the three shipped files load and differ where the models differ, and a
broken profile file says which file, which field and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from goals import profiles
from goals.errors import ProfileError
from goals.model import CrossSectoral, Fulfilment, OrgKind, Role
from goals.profiles import available_profiles, load_profile, load_profile_file

SHIPPED = ["haninge", "malmo_2023", "stockholm_ils"]
STOCKHOLM_TEXT = (profiles.PROFILE_DIR / "stockholm_ils.toml").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def fresh_cache():
    load_profile.cache_clear()
    yield
    load_profile.cache_clear()


def test_the_three_profiles_are_available() -> None:
    assert available_profiles() == SHIPPED


@pytest.mark.parametrize("key", SHIPPED)
def test_each_shipped_profile_loads_with_a_complete_scale_and_one_year_end(key: str) -> None:
    profile = load_profile(key)
    assert profile.key == key
    assert set(profile.assessment_labels) == set(Fulfilment)
    assert all(profile.label(f, lang) for f in Fulfilment for lang in ("sv", "en"))
    assert [k.is_year_end for k in profile.period_kinds][-1] is True
    assert sum(k.is_year_end for k in profile.period_kinds) == 1
    assert profile.approver_role is profile.approvals["follow_up"]
    # every organisation kind that owns goals in the demo has a level
    assert {OrgKind.MUNICIPALITY, OrgKind.UNIT} <= {kind for level in profile.levels for kind in level.org_kinds}


@pytest.mark.parametrize(
    ("key", "levels", "periods", "indicators", "gender", "cross_sectoral", "resource_use", "partly_sv"),
    [
        (
            "stockholm_ils",
            ["inriktning", "kf", "namnd", "avdelning", "enhet"],
            ["T1", "T2", "T3"],
            True,
            True,
            (),
            True,
            "Delvis uppfyllt",
        ),
        (
            "malmo_2023",
            ["kf", "bidrag", "forvaltning"],
            ["interim", "annual"],
            False,
            False,
            tuple(CrossSectoral),
            False,
            "Delvis förflyttning mot KF-målet",
        ),
        ("haninge", ["kf", "namnd", "verksamhet"], ["T1", "interim", "annual"], True, False, (), False, "Delvis uppnått"),
    ],
)
def test_profiles_differ_where_the_models_differ(
    key, levels, periods, indicators, gender, cross_sectoral, resource_use, partly_sv
) -> None:
    profile = load_profile(key)
    assert [level.key for level in profile.levels] == levels
    assert [kind.key for kind in profile.period_kinds] == periods
    assert profile.requirements.indicators_required is indicators
    assert profile.requirements.gender_split is gender
    assert profile.requirements.cross_sectoral == cross_sectoral
    assert profile.requirements.resource_use is resource_use
    assert profile.label(Fulfilment.PARTLY, "sv") == partly_sv


def test_stockholm_wording_and_roles_follow_the_routine() -> None:
    profile = load_profile("stockholm_ils")
    assert [profile.label(f, "sv") for f in Fulfilment] == ["Uppfyllt", "Delvis uppfyllt", "Ej uppfyllt"]
    assert [profile.label(f, "en-GB") for f in Fulfilment] == ["Fulfilled", "Partly fulfilled", "Not fulfilled"]
    assert profile.label(Fulfilment.NOT, "fi-FI") == "Ej uppfyllt"  # Swedish is the fallback
    assert profile.approvals["unit_goal"] is Role.DEPARTMENT_HEAD
    assert profile.approvals["committee_goal"] is Role.DIRECTOR
    assert profile.level("enhet").name("sv") == "Enhetsmål"
    t3 = profile.period_kind("T3")
    assert (t3.start, t3.end, t3.deadline_next_year, t3.is_year_end) == ((9, 1), (12, 31), True, True)


@pytest.mark.parametrize("missing", ["level", "period_kind"])
def test_asking_for_an_unknown_level_or_period_kind_is_an_error(missing: str) -> None:
    with pytest.raises(KeyError):
        getattr(load_profile("malmo_2023"), missing)("T2" if missing == "period_kind" else "enhet")


def test_loading_is_cached() -> None:
    assert load_profile("haninge") is load_profile("haninge")


# --- broken files -----------------------------------------------------------------


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    assert STOCKHOLM_TEXT.count(old) == 1, old
    path = tmp_path / "broken.toml"
    path.write_text(STOCKHOLM_TEXT.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "expected"),
    [
        pytest.param('key = "stockholm_ils"', 'key = "stockholm_ils"\nversion = 2', "version", "no such key", id="unknown-top-level-key"),
        pytest.param('name_en = "City of Stockholm', '# "', "name_en", "missing", id="missing-key"),
        pytest.param("gender_split = true", "gender_splt = true", "requirements.gender_splt", "no such key", id="misspelt-key"),
        pytest.param("analysis_min_words = 15", 'analysis_min_words = "15"', "requirements.analysis_min_words", "whole number", id="wrong-type-int"),
        pytest.param("analysis_min_words = 15", "analysis_min_words = 0", "requirements.analysis_min_words", "from 1 to 500", id="out-of-range-int"),
        pytest.param("gender_split = true", 'gender_split = "yes"', "requirements.gender_split", "true or false", id="wrong-type-bool"),
        pytest.param('org_kinds = ["unit"]', 'org_kinds = ["enhet"]', "levels[4].org_kinds[0]", '"unit"', id="unknown-org-kind"),
        pytest.param('org_kinds = ["unit"]', "org_kinds = []", "levels[4].org_kinds", "non-empty array", id="empty-array"),
        pytest.param('follow_up = "department_head"', 'follow_up = "avdelningschef"', "approvals.follow_up", '"department_head"', id="unknown-role"),
        pytest.param('follow_up = "department_head"', "", "approvals.follow_up", "missing", id="missing-approver"),
        pytest.param("cross_sectoral = []", 'cross_sectoral = ["barnratt"]', "requirements.cross_sectoral[0]", '"child_rights"', id="unknown-perspective"),
        pytest.param('name_sv = "Enhetsmål"', 'name_sv = ""', "levels[4].name_sv", "non-empty string", id="empty-name"),
        pytest.param('key = "avdelning"', 'key = "enhet"', "levels[4].key", "not used by another level", id="duplicate-level"),
        pytest.param('key = "avdelning"', 'key = "Avdelning"', "levels[3].key", "lower-case", id="bad-level-key"),
        pytest.param('key = "T2"', 'key = "T1"', "period_kinds[1].key", "not used by another period kind", id="duplicate-period"),
        pytest.param('key = "T1"', 'key = "Q1"', "period_kinds[0].key", "T1, T2, T3, interim, annual", id="unknown-period-key"),
        pytest.param('end = "04-30"', "end = 430", "period_kinds[0].end", '"MM-DD"', id="date-wrong-type"),
        pytest.param('end = "04-30"', 'end = "4-30"', "period_kinds[0].end", '"MM-DD"', id="date-bad-format"),
        pytest.param('end = "04-30"', 'end = "13-30"', "period_kinds[0].end", "month from 01 to 12", id="bad-month"),
        pytest.param('end = "04-30"', 'end = "04-31"', "period_kinds[0].end", "day that exists in month 04", id="bad-day"),
        pytest.param('deadline = "05-10"', 'deadline = "02-29"', "period_kinds[0].deadline", "every year", id="leap-day"),
        pytest.param('deadline = "05-10"', 'deadline = "04-20"', "period_kinds[0].deadline", "after the period's end", id="deadline-before-end"),
        pytest.param("deadline_next_year = true", "", "period_kinds[2].deadline", "deadline_next_year", id="january-deadline-without-next-year"),
        pytest.param('start = "05-01"', 'start = "04-15"', "period_kinds[1].start", "overlaps", id="overlap"),
        pytest.param('start = "05-01"', 'start = "05-05"', "period_kinds[1].start", "gap", id="gap"),
        pytest.param('end = "12-31"', 'end = "12-30"', "period_kinds[2].end", "whole year", id="year-not-covered"),
        pytest.param('start = "09-01"', 'start = "10-01"', "period_kinds[2].start", "09-01", id="gap-names-expected-date"),
        pytest.param("deadline_next_year = true", "deadline_next_year = 1", "period_kinds[2].deadline_next_year", "true or false", id="flag-wrong-type"),
        pytest.param(
            'partly = { sv = "Delvis uppfyllt", en = "Partly fulfilled" }',
            'partly = { sv = "Delvis uppfyllt" }',
            "assessment_labels.partly.en",
            "missing",
            id="missing-language",
        ),
        pytest.param('not = { sv = "Ej uppfyllt", en = "Not fulfilled" }', "", "assessment_labels.not", "missing", id="missing-scale-step"),
        pytest.param('key = "stockholm_ils"', 'key = "stockholm_ils"\nkey = "other"', "(toml)", "duplicate keys", id="duplicate-toml-key"),
        pytest.param("[requirements]", "[requirements", "(toml)", "valid TOML", id="toml-syntax"),
        pytest.param(
            'fulfilled = { sv = "Uppfyllt", en = "Fulfilled" }',
            'fulfilled = "Uppfyllt"',
            "assessment_labels.fulfilled",
            "a table",
            id="table-wrong-type",
        ),
    ],
)
def test_a_broken_profile_names_file_field_and_expectation(tmp_path, old, new, field, expected) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    error = caught.value
    assert (error.file, error.field) == (str(path), field)
    assert expected in error.expected
    assert str(path) in str(error) and field in str(error)
    assert error.params == {"file": str(path), "field": field, "expected": error.expected}


def test_an_unchanged_copy_loads(tmp_path) -> None:
    path = tmp_path / "copy.toml"
    path.write_text(STOCKHOLM_TEXT, encoding="utf-8")
    assert load_profile_file(path) == load_profile("stockholm_ils")


@pytest.mark.parametrize(
    ("content", "field", "expected"),
    [
        (None, "(file)", "readable file"),
        (b"key = \"\xff\"", "(file)", "UTF-8"),
    ],
    ids=["missing-file", "not-utf8"],
)
def test_an_unreadable_file_is_a_profile_error(tmp_path, content, field, expected) -> None:
    path = tmp_path / "p.toml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    assert (caught.value.file, caught.value.field) == (str(path), field)
    assert expected in caught.value.expected


@pytest.mark.parametrize("key", ["goteborg", "../stockholm_ils", "", "Stockholm_ILS"])
def test_an_unknown_or_unsafe_profile_key_is_refused(key: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(key)
    assert caught.value.field in {"(file)", "key"}


def test_a_profile_whose_key_differs_from_its_file_name_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(profiles, "PROFILE_DIR", tmp_path)
    (tmp_path / "lund.toml").write_text(STOCKHOLM_TEXT, encoding="utf-8")
    assert available_profiles() == ["lund"]
    with pytest.raises(ProfileError) as caught:
        load_profile("lund")
    assert caught.value.field == "key"
    assert '"lund"' in caught.value.expected
