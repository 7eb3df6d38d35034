"""What one save of a follow-up changes, checked and merged into the stored one.

The changes come from cards and chat (untrusted), so ids and enum values are
checked again here; problems are reported as ValidationFailed with catalog keys.
The description of a change is what the audit row stores: field → from/to, and
for the keyed fields (indicator values, activity statuses, perspectives) key → from/to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from goals.errors import ValidationFailed
from goals.model import ActivityStatus, CrossSectoral, FollowUp, Fulfilment, Goal, Measurement
from goals.services.recording import changed_fields, jsonable

TEXT_FIELDS = ("analysis", "actions", "evidence_note", "resource_use")


@dataclass(frozen=True, slots=True)
class FollowUpChanges:
    """What a save changes; None = unchanged. The dict fields merge into the
    stored ones key by key (a card may answer one indicator at a time); an empty
    perspective text or an empty Measurement() removes that key."""

    assessment: Fulfilment | None = None
    forecast: Fulfilment | None = None
    analysis: str | None = None
    actions: str | None = None
    evidence_note: str | None = None
    resource_use: str | None = None
    cross_sectoral: dict[CrossSectoral, str] | None = None
    indicator_values: dict[int, Measurement] | None = None
    activity_statuses: dict[int, ActivityStatus] | None = None


def apply_changes(current: FollowUp, changes: FollowUpChanges, goal: Goal) -> FollowUp:
    """The follow-up with the changes merged in; ValidationFailed for ids that are
    not this goal's and values outside the enums."""
    problems: dict[str, str] = {}
    updates: dict[str, Any] = {}
    for name in ("assessment", "forecast"):
        value = getattr(changes, name)
        if value is not None:
            try:
                updates[name] = Fulfilment(value)
            except ValueError:
                problems[name] = "assessment.unknown"
    for name in TEXT_FIELDS:
        value = getattr(changes, name)
        if value is not None:
            updates[name] = value.strip()
    if changes.cross_sectoral is not None:
        merged_notes = dict(current.cross_sectoral)
        for key, text in changes.cross_sectoral.items():
            try:
                perspective = CrossSectoral(key)
            except ValueError:
                problems[f"cross_sectoral:{key}"] = "cross_sectoral.unknown"
                continue
            if text and text.strip():
                merged_notes[perspective] = text.strip()
            else:
                merged_notes.pop(perspective, None)
        updates["cross_sectoral"] = merged_notes
    if changes.indicator_values is not None:
        known = {i.id for i in goal.indicators}
        merged_values = dict(current.indicator_values)
        for indicator_id, measurement in changes.indicator_values.items():
            if indicator_id not in known or not isinstance(measurement, Measurement):
                problems[f"indicator:{indicator_id}"] = "indicator.unknown"
            elif measurement == Measurement():
                merged_values.pop(indicator_id, None)
            else:
                merged_values[indicator_id] = measurement
        updates["indicator_values"] = merged_values
    if changes.activity_statuses is not None:
        known = {a.id for a in goal.activities}
        merged_statuses = dict(current.activity_statuses)
        for activity_id, status in changes.activity_statuses.items():
            try:
                parsed = ActivityStatus(status)
            except ValueError:
                parsed = None
            if activity_id not in known or parsed is None:
                problems[f"activity:{activity_id}"] = "activity.unknown"
            else:
                merged_statuses[activity_id] = parsed
        updates["activity_statuses"] = merged_statuses
    if problems:
        raise ValidationFailed(problems)
    return replace(current, **updates)


def describe_changes(before: FollowUp, after: FollowUp) -> dict[str, Any]:
    """Field → from/to; for the keyed fields, key → from/to (None = absent)."""
    details: dict[str, Any] = changed_fields(before, after, ("assessment", "forecast", *TEXT_FIELDS))
    for name in ("cross_sectoral", "indicator_values", "activity_statuses"):
        old, new = getattr(before, name), getattr(after, name)
        keyed = {
            str(jsonable(key)): {"from": jsonable(old.get(key)), "to": jsonable(new.get(key))}
            for key in sorted({*old, *new}, key=str)
            if old.get(key) != new.get(key)
        }
        if keyed:
            details[name] = keyed
    return details


def activity_changes(
    goal: Goal, before: FollowUp, after: FollowUp
) -> dict[int, tuple[ActivityStatus, ActivityStatus]]:
    """Activities whose current status on the goal moves because of this save."""
    current = {a.id: a.status for a in goal.activities}
    return {
        activity_id: (current[activity_id], status)
        for activity_id, status in after.activity_statuses.items()
        if before.activity_statuses.get(activity_id) != status and current.get(activity_id, status) != status
    }
