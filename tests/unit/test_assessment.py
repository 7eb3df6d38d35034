"""What a follow-up needs before it can be submitted, per profile; when actions are
required; when a claim of "fulfilled" contradicts the evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from goals import profiles
from goals.assessment import actions_required, count_words, evidence_conflicts, problems_for_submit
from goals.model import (
    Activity,
    ActivityStatus,
    CrossSectoral,
    FollowUp,
    Fulfilment,
    Goal,
    Indicator,
    Measurement,
)
from goals.periods import periods_for_year
from goals.profiles import load_profile, load_profile_file
from goals.status import ReasonKind

F = Fulfilment
S = ActivityStatus
TODAY = date(2026, 5, 5)  # T1 has ended, its report is due 10 May


def words(n: int) -> str:
    return " ".join(["verksamheten"] * n)


def stockholm_periods():
    return [replace(p, id=i + 1) for i, p in enumerate(periods_for_year(load_profile("stockholm_ils"), root_id=1, year=2026))]


T1_PERIOD, _, T3_PERIOD = stockholm_periods()

GOAL = Goal(
    id=42,
    code="E-HEM-2",
    title="Brukarna upplever trygghet i hemtjänsten",
    level="enhet",
    owner_id=5,
    valid_from=2026,
    valid_to=2026,
    indicators=(Indicator(id=7, code="I7", name="Trygghet", unit="%", target=80, gender_split=True),),
    activities=(Activity(id=3, title="Kontaktmannaskap", start=date(2026, 1, 10), end=date(2026, 4, 15)),),
)

COMPLETE = FollowUp(
    id=1,
    goal_id=42,
    period_id=T1_PERIOD.id,
    assessment=F.FULFILLED,
    forecast=F.FULFILLED,
    analysis=words(25),
    resource_use="Personalplaneringen har anpassats efter brukarnas behov.",
    cross_sectoral={p: "Beaktat i planeringen." for p in CrossSectoral},
    indicator_values={7: Measurement(total=85, women=86, men=84)},
    activity_statuses={3: S.DONE},
)


def follow_up(**changes) -> FollowUp:
    return replace(COMPLETE, **changes)


# --- actions_required -------------------------------------------------------------------

ACTION_CASES = [
    ("complete and on track", {}, T1_PERIOD, False),
    ("assessment partly", dict(assessment=F.PARTLY), T1_PERIOD, True),
    ("assessment not", dict(assessment=F.NOT), T1_PERIOD, True),
    ("forecast partly", dict(forecast=F.PARTLY), T1_PERIOD, True),
    ("forecast not", dict(forecast=F.NOT), T1_PERIOD, True),
    ("indicator off target", dict(indicator_values={7: Measurement(total=70)}), T1_PERIOD, True),
    ("indicator exactly on target", dict(indicator_values={7: Measurement(total=80)}), T1_PERIOD, False),
    ("indicator not reported", dict(indicator_values={}), T1_PERIOD, False),
    ("activity reported delayed", dict(activity_statuses={3: S.DELAYED}), T1_PERIOD, True),
    ("activity past its end, ongoing", dict(activity_statuses={3: S.ONGOING}), T1_PERIOD, True),
    ("activity past its end, status not reported", dict(activity_statuses={}), T1_PERIOD, True),
    ("activity cancelled", dict(activity_statuses={3: S.CANCELLED}), T1_PERIOD, False),
    ("year end: partly needs a plan for next year", dict(assessment=F.PARTLY), T3_PERIOD, True),
    ("year end: the forecast no longer counts", dict(forecast=F.NOT), T3_PERIOD, False),
]


@pytest.mark.parametrize(("case", "changes", "period", "expected"), ACTION_CASES, ids=[c[0] for c in ACTION_CASES])
def test_actions_required(case, changes, period, expected) -> None:
    assert actions_required(GOAL, period, follow_up(**changes), TODAY) is expected


def test_an_activity_ending_later_is_not_overdue() -> None:
    later = replace(GOAL, activities=(replace(GOAL.activities[0], end=date(2026, 10, 1)),))
    assert actions_required(later, T1_PERIOD, follow_up(activity_statuses={3: S.ONGOING}), TODAY) is False


# --- evidence_conflicts -------------------------------------------------------------------

CONFLICT_CASES = [
    ("fulfilled on the evidence", {}, []),
    ("fulfilled, indicator off target", dict(indicator_values={7: Measurement(total=70)}), [(ReasonKind.INDICATOR_OFF_TARGET, 7, None, 70, 80)]),
    ("fulfilled, activity overdue", dict(activity_statuses={3: S.ONGOING}), [(ReasonKind.ACTIVITY_OVERDUE, None, 3, None, None)]),
    (
        "fulfilled, both",
        dict(indicator_values={7: Measurement(total=70)}, activity_statuses={3: S.NOT_STARTED}),
        [(ReasonKind.INDICATOR_OFF_TARGET, 7, None, 70, 80), (ReasonKind.ACTIVITY_OVERDUE, None, 3, None, None)],
    ),
    ("partly is no claim to question", dict(assessment=F.PARTLY, indicator_values={7: Measurement(total=70)}), []),
    ("a forecast is no claim to question", dict(assessment=None, indicator_values={7: Measurement(total=70)}), []),
]


@pytest.mark.parametrize(("case", "changes", "expected"), CONFLICT_CASES, ids=[c[0] for c in CONFLICT_CASES])
def test_evidence_conflicts(case, changes, expected) -> None:
    conflicts = evidence_conflicts(GOAL, follow_up(**changes), TODAY)
    assert [(c.kind, c.indicator_id, c.activity_id, c.value, c.target) for c in conflicts] == expected
    assert all(c.period_id == T1_PERIOD.id and c.name for c in conflicts)


# --- problems_for_submit, per profile -------------------------------------------------------

SUBMIT_CASES = [
    # Stockholm ILS: indicators with gender split, resource use for unit goals, forecast, 15 words
    ("stockholm_ils", "complete", {}, {}),
    ("stockholm_ils", "no assessment", dict(assessment=None), {"assessment": "assessment.required"}),
    ("stockholm_ils", "no forecast", dict(forecast=None), {"forecast": "forecast.required"}),
    ("stockholm_ils", "no analysis", dict(analysis="  "), {"analysis": "analysis.required"}),
    ("stockholm_ils", "dashes are no analysis", dict(analysis="- – - ."), {"analysis": "analysis.required"}),
    ("stockholm_ils", "one-word analysis", dict(analysis="Bra."), {"analysis": "analysis.too_short"}),
    ("stockholm_ils", "14 words", dict(analysis=words(14)), {"analysis": "analysis.too_short"}),
    ("stockholm_ils", "15 words", dict(analysis=words(15)), {}),
    ("stockholm_ils", "indicator value missing", dict(indicator_values={}), {"indicator:7": "indicator.missing"}),
    ("stockholm_ils", "only women/men, no total", dict(indicator_values={7: Measurement(women=80, men=90)}), {"indicator:7": "indicator.missing"}),
    ("stockholm_ils", "total without gender split", dict(indicator_values={7: Measurement(total=85)}), {"indicator:7": "indicator.gender_missing"}),
    ("stockholm_ils", "men missing", dict(indicator_values={7: Measurement(total=85, women=86)}), {"indicator:7": "indicator.gender_missing"}),
    ("stockholm_ils", "no resource use", dict(resource_use=""), {"resource_use": "resource_use.required"}),
    ("stockholm_ils", "cross-sectoral not asked", dict(cross_sectoral={}), {}),
    ("stockholm_ils", "partly without actions", dict(assessment=F.PARTLY), {"actions": "actions.required"}),
    ("stockholm_ils", "partly with actions", dict(assessment=F.PARTLY, actions="Fler hembesök."), {}),
    (
        "stockholm_ils",
        "fulfilled against an off-target indicator",
        dict(indicator_values={7: Measurement(total=70, women=72, men=68)}),
        {"actions": "actions.required", "evidence_note": "evidence.explain"},
    ),
    (
        "stockholm_ils",
        "fulfilled against evidence, explained",
        dict(indicator_values={7: Measurement(total=70, women=72, men=68)}, actions="Uppföljning.", evidence_note="Mätningen gjordes före åtgärden."),
        {},
    ),
    (
        "stockholm_ils",
        "everything missing",
        dict(assessment=None, forecast=None, analysis="", resource_use="", indicator_values={}, activity_statuses={3: S.DELAYED}),
        {
            "assessment": "assessment.required",
            "forecast": "forecast.required",
            "analysis": "analysis.required",
            "actions": "actions.required",
            "indicator:7": "indicator.missing",
            "resource_use": "resource_use.required",
        },
    ),
    # Malmö 2023: indicators optional, human-rights perspectives, 20 words
    ("malmo_2023", "complete", {}, {}),
    ("malmo_2023", "indicators are optional", dict(indicator_values={}), {}),
    ("malmo_2023", "no resource use asked", dict(resource_use=""), {}),
    ("malmo_2023", "19 words", dict(analysis=words(19)), {"analysis": "analysis.too_short"}),
    (
        "malmo_2023",
        "perspectives missing",
        dict(cross_sectoral={CrossSectoral.CHILD_RIGHTS: "Barnkonsekvensanalys gjord.", CrossSectoral.EQUITY: " "}),
        {
            "cross_sectoral:gender_equality": "cross_sectoral.required",
            "cross_sectoral:equity": "cross_sectoral.required",
            "cross_sectoral:anti_discrimination": "cross_sectoral.required",
        },
    ),
    ("malmo_2023", "no forecast", dict(forecast=None), {"forecast": "forecast.required"}),
    # Haninge: indicator values required, no gender split, 10 words
    ("haninge", "complete", {}, {}),
    ("haninge", "indicator value missing", dict(indicator_values={}), {"indicator:7": "indicator.missing"}),
    ("haninge", "no gender split asked", dict(indicator_values={7: Measurement(total=85)}), {}),
    ("haninge", "10 words", dict(analysis=words(10)), {}),
    ("haninge", "9 words", dict(analysis=words(9)), {"analysis": "analysis.too_short"}),
    ("haninge", "no perspectives asked", dict(cross_sectoral={}, resource_use=""), {}),
]


@pytest.mark.parametrize(("key", "case", "changes", "expected"), SUBMIT_CASES, ids=[f"{c[0]}-{c[1]}" for c in SUBMIT_CASES])
def test_problems_for_submit(key, case, changes, expected) -> None:
    profile = load_profile(key)
    goal = replace(GOAL, level=profile.levels[-1].key)  # the profile's lowest level, owned by units
    assert problems_for_submit(profile, goal, T1_PERIOD, follow_up(**changes), TODAY) == expected


def test_at_year_end_no_forecast_is_asked() -> None:
    profile = load_profile("stockholm_ils")
    assert problems_for_submit(profile, GOAL, T3_PERIOD, follow_up(forecast=None), TODAY) == {}


@pytest.mark.parametrize(("level", "expected"), [("enhet", {"resource_use": "resource_use.required"}), ("namnd", {}), ("okänd", {"resource_use": "resource_use.required"})])
def test_resource_use_is_asked_of_unit_goals(level, expected) -> None:
    profile = load_profile("stockholm_ils")
    goal = replace(GOAL, level=level)
    assert problems_for_submit(profile, goal, T1_PERIOD, follow_up(resource_use=""), TODAY) == expected


def test_changing_the_profile_file_changes_the_rules_without_code(tmp_path) -> None:
    text = (profiles.PROFILE_DIR / "stockholm_ils.toml").read_text(encoding="utf-8")
    text = text.replace("gender_split = true", "gender_split = false").replace("analysis_min_words = 15", "analysis_min_words = 3")
    text = text.replace("cross_sectoral = []", 'cross_sectoral = ["child_rights"]')
    path = tmp_path / "stockholm_light.toml"
    path.write_text(text, encoding="utf-8")
    custom = load_profile_file(path)
    entered = follow_up(analysis="Fler nöjda brukare.", indicator_values={7: Measurement(total=85)}, cross_sectoral={})
    assert problems_for_submit(load_profile("stockholm_ils"), GOAL, T1_PERIOD, entered, TODAY) == {
        "analysis": "analysis.too_short",
        "indicator:7": "indicator.gender_missing",
    }
    assert problems_for_submit(custom, GOAL, T1_PERIOD, entered, TODAY) == {
        "cross_sectoral:child_rights": "cross_sectoral.required"
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", 0), ("Bra.", 1), ("Andelen ökade från 12,5 % till 14 %", 6), ("- – ... !", 0), ("ord\nord\tord", 3)],
)
def test_count_words(text, expected) -> None:
    assert count_words(text) == expected
