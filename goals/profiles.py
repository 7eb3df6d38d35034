"""Steering-model profiles: the three municipal models as data, not code paths.

A profile file (goals/profiles/<key>.toml) says which goal levels exist and what
they are called, which reporting periods a year has and when they are due, what a
follow-up must contain, how the assessment scale is worded and who approves what.
Choosing another profile for an organisation root changes all of that without a
code change.

Every malformed field fails loading with `ProfileError(file, field, expected)`, so
whoever edits a profile learns exactly what to fix. Judgement calls the loader
enforces (and why):
- unknown keys are errors, not ignored: a misspelt "gender_splt" would otherwise
  silently switch a requirement off;
- period kinds must tile the calendar year, 1 January to 31 December, without gaps
  or overlaps: "the current period", reminders and trend projections all assume
  every day belongs to exactly one period;
- the last period (the one ending 31 December) is the year-end period, whose
  actions are a plan for next year; it is derived, not declared, so it cannot
  disagree with the dates;
- a deadline lies after its period's end (in the next year when
  `deadline_next_year`), and 29 February is refused because it is not in every year.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from goals.errors import ProfileError
from goals.model import CrossSectoral, Fulfilment, OrgKind, Role

PROFILE_DIR = Path(__file__).with_name("profiles")
LANGUAGES = ("sv", "en")
# The period words the chat recognizer understands (dialogs/recognizer.py).
PERIOD_KEYS = ("T1", "T2", "T3", "interim", "annual")
APPROVAL_SUBJECTS = ("committee_goal", "unit_goal", "follow_up", "assessment", "actions")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_MONTH_DAY_RE = re.compile(r"^(\d{2})-(\d{2})$")
# A non-leap year: a month-day must exist in every year to make a yearly default.
_REFERENCE_YEAR = 2023


@dataclass(frozen=True)
class Level:
    key: str
    name_sv: str
    name_en: str
    org_kinds: tuple[OrgKind, ...]

    def name(self, lang: str) -> str:
        return self.name_en if _language(lang) == "en" else self.name_sv


@dataclass(frozen=True)
class PeriodKind:
    key: str
    name_sv: str
    name_en: str
    start: tuple[int, int]  # (month, day)
    end: tuple[int, int]
    deadline: tuple[int, int]
    deadline_next_year: bool
    is_year_end: bool

    def name(self, lang: str) -> str:
        return self.name_en if _language(lang) == "en" else self.name_sv


@dataclass(frozen=True)
class Requirements:
    """What a follow-up must contain before it can be submitted."""

    indicators_required: bool  # every indicator of the goal needs a value
    gender_split: bool  # women/men values for indicators marked gender_split
    cross_sectoral: tuple[CrossSectoral, ...]  # perspectives every follow-up must address
    resource_use: bool  # units describe their resource use
    forecast: bool  # a full-year forecast during the year
    analysis_min_words: int


@dataclass(frozen=True)
class Profile:
    key: str
    name_sv: str
    name_en: str
    levels: tuple[Level, ...]
    period_kinds: tuple[PeriodKind, ...]
    requirements: Requirements
    assessment_labels: dict[Fulfilment, dict[str, str]]
    approver_role: Role  # who approves a unit's follow-up (= approvals["follow_up"])
    approvals: dict[str, Role]

    def __hash__(self) -> int:  # the dict fields would make the generated hash fail
        return hash(self.key)

    def level(self, key: str) -> Level:
        for level in self.levels:
            if level.key == key:
                return level
        raise KeyError(f"profile {self.key} has no level {key!r}")

    def period_kind(self, key: str) -> PeriodKind:
        for kind in self.period_kinds:
            if kind.key == key:
                return kind
        raise KeyError(f"profile {self.key} has no period kind {key!r}")

    def label(self, f: Fulfilment, lang: str) -> str:
        return self.assessment_labels[Fulfilment(f)][_language(lang)]

    def name(self, lang: str) -> str:
        return self.name_en if _language(lang) == "en" else self.name_sv


def _language(lang: str) -> str:
    """"en-US" → "en"; anything not English falls back to Swedish, the product's first language."""
    return "en" if lang.lower().startswith("en") else "sv"


# --- loading -------------------------------------------------------------------


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


@lru_cache(maxsize=None)
def load_profile(key: str) -> Profile:
    """The profile goals/profiles/<key>.toml, loaded once per process."""
    if not _KEY_RE.match(key or ""):
        raise ProfileError(f"{key}.toml", "key", "a profile key of lower-case letters, digits and _")
    path = PROFILE_DIR / f"{key}.toml"
    if not path.is_file():
        raise ProfileError(str(path), "(file)", f"an existing profile, one of {', '.join(available_profiles())}")
    profile = load_profile_file(path)
    if profile.key != key:
        raise ProfileError(str(path), "key", f'"{key}" (the file name)')
    return profile


def load_profile_file(path: str | Path) -> Profile:
    path = Path(path)
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(file, "(file)", f"a readable file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ProfileError(file, "(file)", "UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        # Duplicate keys land here too: TOML forbids them and tomllib says where.
        raise ProfileError(file, "(toml)", f"valid TOML without duplicate keys ({exc})") from exc
    return _Parser(file).profile(data)


E = TypeVar("E", bound=StrEnum)


class _Parser:
    """Turns the decoded TOML into a Profile, naming the dotted field of any error."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, field: str, expected: str) -> ProfileError:
        return ProfileError(self.file, field, expected)

    # -- primitives --

    def table(self, data: Any, field: str, keys: dict[str, bool]) -> dict[str, Any]:
        """A table with exactly these keys (name -> required)."""
        if not isinstance(data, dict):
            raise self.fail(field or "(top level)", "a table")
        prefix = f"{field}." if field else ""
        # Unknown keys first: a misspelt key is then named as such, not as a missing one.
        for name in data:
            if name not in keys:
                raise self.fail(prefix + name, f"no such key; known keys: {', '.join(keys)}")
        for name, required in keys.items():
            if required and name not in data:
                raise self.fail(prefix + name, "a value (the key is missing)")
        return data

    def text(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "a non-empty string")
        return value.strip()

    def key(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not _KEY_RE.match(value):
            raise self.fail(field, "a key of lower-case letters, digits and _ (e.g. \"enhet\")")
        return value

    def flag(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(field, "true or false")
        return value

    def enum(self, cls: type[E], value: Any, field: str) -> E:
        allowed = ", ".join(f'"{m.value}"' for m in cls)
        if not isinstance(value, str):
            raise self.fail(field, f"one of {allowed}")
        try:
            return cls(value)
        except ValueError:
            raise self.fail(field, f"one of {allowed}") from None

    def array(self, value: Any, field: str, *, non_empty: bool = True) -> list[Any]:
        if not isinstance(value, list) or (non_empty and not value):
            raise self.fail(field, "a non-empty array" if non_empty else "an array")
        return value

    def month_day(self, value: Any, field: str) -> tuple[int, int]:
        if not isinstance(value, str) or not (m := _MONTH_DAY_RE.match(value)):
            raise self.fail(field, 'a month and day as "MM-DD", e.g. "04-30"')
        month, day = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise self.fail(field, "a month from 01 to 12")
        try:
            date(_REFERENCE_YEAR, month, day)
        except ValueError:
            raise self.fail(field, f"a day that exists in month {month:02d} every year") from None
        return month, day

    # -- sections --

    def profile(self, data: Any) -> Profile:
        data = self.table(
            data,
            "",
            {
                "key": True,
                "name_sv": True,
                "name_en": True,
                "levels": True,
                "period_kinds": True,
                "requirements": True,
                "assessment_labels": True,
                "approvals": True,
            },
        )
        approvals = self.approvals(data["approvals"])
        return Profile(
            key=self.key(data["key"], "key"),
            name_sv=self.text(data["name_sv"], "name_sv"),
            name_en=self.text(data["name_en"], "name_en"),
            levels=self.levels(data["levels"]),
            period_kinds=self.period_kinds(data["period_kinds"]),
            requirements=self.requirements(data["requirements"]),
            assessment_labels=self.labels(data["assessment_labels"]),
            approver_role=approvals["follow_up"],
            approvals=approvals,
        )

    def levels(self, value: Any) -> tuple[Level, ...]:
        levels: list[Level] = []
        for i, item in enumerate(self.array(value, "levels")):
            field = f"levels[{i}]"
            item = self.table(item, field, {"key": True, "name_sv": True, "name_en": True, "org_kinds": True})
            key = self.key(item["key"], f"{field}.key")
            if any(level.key == key for level in levels):
                raise self.fail(f"{field}.key", f'a key not used by another level ("{key}" is)')
            kinds = tuple(
                self.enum(OrgKind, kind, f"{field}.org_kinds[{j}]")
                for j, kind in enumerate(self.array(item["org_kinds"], f"{field}.org_kinds"))
            )
            levels.append(
                Level(
                    key=key,
                    name_sv=self.text(item["name_sv"], f"{field}.name_sv"),
                    name_en=self.text(item["name_en"], f"{field}.name_en"),
                    org_kinds=kinds,
                )
            )
        return tuple(levels)

    def period_kinds(self, value: Any) -> tuple[PeriodKind, ...]:
        parsed: list[tuple[str, PeriodKind]] = []
        for i, item in enumerate(self.array(value, "period_kinds")):
            field = f"period_kinds[{i}]"
            item = self.table(
                item,
                field,
                {
                    "key": True,
                    "name_sv": True,
                    "name_en": True,
                    "start": True,
                    "end": True,
                    "deadline": True,
                    "deadline_next_year": False,
                },
            )
            key = item["key"]
            if key not in PERIOD_KEYS:
                raise self.fail(f"{field}.key", f"one of {', '.join(PERIOD_KEYS)} (the period words the chat knows)")
            if any(kind.key == key for _, kind in parsed):
                raise self.fail(f"{field}.key", f'a key not used by another period kind ("{key}" is)')
            kind = PeriodKind(
                key=key,
                name_sv=self.text(item["name_sv"], f"{field}.name_sv"),
                name_en=self.text(item["name_en"], f"{field}.name_en"),
                start=self.month_day(item["start"], f"{field}.start"),
                end=self.month_day(item["end"], f"{field}.end"),
                deadline=self.month_day(item["deadline"], f"{field}.deadline"),
                deadline_next_year=self.flag(item.get("deadline_next_year", False), f"{field}.deadline_next_year"),
                is_year_end=False,
            )
            y = _REFERENCE_YEAR
            if date(y, *kind.end) < date(y, *kind.start):
                raise self.fail(f"{field}.end", f"a date on or after start {_md(kind.start)} in the same year")
            deadline = date(y + kind.deadline_next_year, *kind.deadline)
            if deadline <= date(y, *kind.end):
                raise self.fail(
                    f"{field}.deadline",
                    f"a date after the period's end {_md(kind.end)} (set deadline_next_year = true for January…)",
                )
            parsed.append((field, kind))
        return self.tile_year(parsed)

    def tile_year(self, parsed: list[tuple[str, PeriodKind]]) -> tuple[PeriodKind, ...]:
        """Periods in date order must cover 1 Jan – 31 Dec, each starting the day after the last ends."""
        y = _REFERENCE_YEAR
        ordered = sorted(parsed, key=lambda fk: fk[1].start)
        expected_start = date(y, 1, 1)
        for field, kind in ordered:
            start = date(y, *kind.start)
            if start != expected_start:
                what = "overlaps the previous period" if start < expected_start else "leaves a gap"
                raise self.fail(f"{field}.start", f"{_md((expected_start.month, expected_start.day))} ({what})")
            expected_start = date(y, *kind.end) + timedelta(days=1)
        if expected_start != date(y + 1, 1, 1):
            field, kind = ordered[-1]
            raise self.fail(f"{field}.end", "12-31: the periods must cover the whole year")
        kinds = [kind for _, kind in ordered]
        last = kinds[-1]
        kinds[-1] = replace(last, is_year_end=True)
        return tuple(kinds)

    def requirements(self, value: Any) -> Requirements:
        f = "requirements"
        data = self.table(
            value,
            f,
            {
                "indicators_required": True,
                "gender_split": True,
                "cross_sectoral": True,
                "resource_use": True,
                "forecast": True,
                "analysis_min_words": True,
            },
        )
        perspectives: list[CrossSectoral] = []
        for i, item in enumerate(self.array(data["cross_sectoral"], f"{f}.cross_sectoral", non_empty=False)):
            perspective = self.enum(CrossSectoral, item, f"{f}.cross_sectoral[{i}]")
            if perspective in perspectives:
                raise self.fail(f"{f}.cross_sectoral[{i}]", f'a perspective not listed before ("{item}" is)')
            perspectives.append(perspective)
        words = data["analysis_min_words"]
        if isinstance(words, bool) or not isinstance(words, int) or not 1 <= words <= 500:
            raise self.fail(f"{f}.analysis_min_words", "a whole number from 1 to 500")
        return Requirements(
            indicators_required=self.flag(data["indicators_required"], f"{f}.indicators_required"),
            gender_split=self.flag(data["gender_split"], f"{f}.gender_split"),
            cross_sectoral=tuple(perspectives),
            resource_use=self.flag(data["resource_use"], f"{f}.resource_use"),
            forecast=self.flag(data["forecast"], f"{f}.forecast"),
            analysis_min_words=words,
        )

    def labels(self, value: Any) -> dict[Fulfilment, dict[str, str]]:
        f = "assessment_labels"
        data = self.table(value, f, {m.value: True for m in Fulfilment})
        labels: dict[Fulfilment, dict[str, str]] = {}
        for fulfilment in Fulfilment:
            field = f"{f}.{fulfilment.value}"
            words = self.table(data[fulfilment.value], field, {lang: True for lang in LANGUAGES})
            labels[fulfilment] = {lang: self.text(words[lang], f"{field}.{lang}") for lang in LANGUAGES}
        return labels

    def approvals(self, value: Any) -> dict[str, Role]:
        f = "approvals"
        data = self.table(value, f, {subject: subject == "follow_up" for subject in APPROVAL_SUBJECTS})
        return {subject: self.enum(Role, role, f"{f}.{subject}") for subject, role in data.items()}


def _md(month_day: tuple[int, int]) -> str:
    return f"{month_day[0]:02d}-{month_day[1]:02d}"
