"""What a follow-up must contain before it can be submitted, and when its
assessment needs to be questioned.

Decisions:
- Corrective actions are required when the assessment or forecast is partly/not
  fulfilled, an indicator value reported in this follow-up is off target, or an
  activity is delayed or past its end and not done/cancelled. At the year-end period
  the same triggers ask for a plan for next year (the dialog words it so, from
  `period.is_year_end`); the forecast is ignored there, the year being assessed.
- The evidence check questions an assessment of "fulfilled" (not a forecast: a
  full-year forecast may fairly expect an indicator to recover) against an indicator
  off target or an activity overdue in this follow-up; submitting it needs an
  `evidence_note` saying why (the Malmö city audit, seed 004).
- An analysis counts words that contain a letter or digit, so "- - -" is no analysis.
- Resource use is asked of follow-ups of goals whose level is owned by units
  ("Enheter ska även följa upp resursanvändning"), and of goals whose level the
  profile does not know (better to ask once too often than to miss it).
- Catalog keys beyond the contract's examples: "indicator.gender_missing" (a total
  was given but women/men are missing where the profile and indicator ask for them).
"""

from __future__ import annotations

from datetime import date

from goals.model import ActivityStatus, FollowUp, Fulfilment, Goal, OrgKind, Period
from goals.profiles import Profile
from goals.status import SHORT_OF_GOAL, Reason, ReasonKind, activity_status, is_off_target, is_overdue


def actions_required(goal: Goal, period: Period, follow_up: FollowUp, today: date) -> bool:
    if follow_up.assessment in SHORT_OF_GOAL:
        return True
    if not period.is_year_end and follow_up.forecast in SHORT_OF_GOAL:
        return True
    if any(
        is_off_target(indicator, _total(follow_up, indicator.id)) for indicator in goal.indicators
    ):
        return True
    for activity in goal.activities:
        status = activity_status(activity, follow_up.activity_statuses.get(activity.id))
        if status == ActivityStatus.DELAYED or is_overdue(activity, status, today):
            return True
    return False


def evidence_conflicts(goal: Goal, follow_up: FollowUp, today: date) -> list[Reason]:
    """The evidence in this follow-up that contradicts an assessment of "fulfilled"."""
    if follow_up.assessment != Fulfilment.FULFILLED:
        return []
    conflicts: list[Reason] = []
    for indicator in goal.indicators:
        value = _total(follow_up, indicator.id)
        if is_off_target(indicator, value):
            conflicts.append(
                Reason(
                    ReasonKind.INDICATOR_OFF_TARGET,
                    period_id=follow_up.period_id,
                    indicator_id=indicator.id,
                    value=value,
                    target=indicator.target,
                    name=indicator.name,
                )
            )
    for activity in goal.activities:
        status = activity_status(activity, follow_up.activity_statuses.get(activity.id))
        if is_overdue(activity, status, today):
            conflicts.append(
                Reason(
                    ReasonKind.ACTIVITY_OVERDUE,
                    period_id=follow_up.period_id,
                    activity_id=activity.id,
                    deadline=activity.end,
                    name=activity.title,
                )
            )
    return conflicts


def problems_for_submit(
    profile: Profile, goal: Goal, period: Period, follow_up: FollowUp, today: date
) -> dict[str, str]:
    """Field → catalog key of what keeps this follow-up from being submitted; {} = ready."""
    rules = profile.requirements
    problems: dict[str, str] = {}
    if follow_up.assessment is None:
        problems["assessment"] = "assessment.required"
    if rules.forecast and not period.is_year_end and follow_up.forecast is None:
        problems["forecast"] = "forecast.required"
    words = count_words(follow_up.analysis)
    if words == 0:
        problems["analysis"] = "analysis.required"
    elif words < rules.analysis_min_words:
        problems["analysis"] = "analysis.too_short"
    if not follow_up.actions.strip() and actions_required(goal, period, follow_up, today):
        problems["actions"] = "actions.required"
    if rules.indicators_required:
        for indicator in goal.indicators:
            value = follow_up.indicator_values.get(indicator.id)
            if value is None or value.total is None:
                problems[f"indicator:{indicator.id}"] = "indicator.missing"
            elif rules.gender_split and indicator.gender_split and (value.women is None or value.men is None):
                problems[f"indicator:{indicator.id}"] = "indicator.gender_missing"
    for perspective in rules.cross_sectoral:
        if not follow_up.cross_sectoral.get(perspective, "").strip():
            problems[f"cross_sectoral:{perspective.value}"] = "cross_sectoral.required"
    if rules.resource_use and _owned_by_units(profile, goal) and not follow_up.resource_use.strip():
        problems["resource_use"] = "resource_use.required"
    if not follow_up.evidence_note.strip() and evidence_conflicts(goal, follow_up, today):
        problems["evidence_note"] = "evidence.explain"
    return problems


def count_words(text: str) -> int:
    return sum(1 for token in text.split() if any(ch.isalnum() for ch in token))


def _total(follow_up: FollowUp, indicator_id: int) -> float | None:
    value = follow_up.indicator_values.get(indicator_id)
    return value.total if value is not None else None


def _owned_by_units(profile: Profile, goal: Goal) -> bool:
    try:
        return OrgKind.UNIT in profile.level(goal.level).org_kinds
    except KeyError:
        return True
