"""botbuilder ConversationReference ⇄ the JSON dict storage/references.py keeps.

The dict is msrest's own serialisation (camelCase keys, as on the wire), so a
reference read back is exactly what botbuilder produced."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference
from msrest.serialization import Model


def reference_to_dict(reference: ConversationReference) -> dict[str, Any]:
    return reference.serialize()


def reference_from_dict(data: dict[str, Any]) -> ConversationReference:
    return ConversationReference.deserialize(data)


def reference_of(activity: Activity) -> dict[str, Any]:
    """The reference to answer `activity`'s conversation later (proactively)."""
    return reference_to_dict(TurnContext.get_conversation_reference(activity))


CONVERSATION_TYPES = ("personal", "channel", "groupChat")
# A message re-saves an unchanged reference at most this often. Installs always
# save, so a reinstall after "app removed" (403 → inactive) revives it at once.
REFRESH_SECONDS = 300.0


def _channel_data(activity: Activity) -> dict:
    return activity.channel_data if isinstance(activity.channel_data, dict) else {}


def teams_ids(activity: Activity) -> tuple[str | None, str | None]:
    """(team id, channel id) from Teams' channelData; (None, None) outside teams."""
    data = _channel_data(activity)
    team = data.get("team") if isinstance(data.get("team"), dict) else {}
    channel = data.get("channel") if isinstance(data.get("channel"), dict) else {}
    return team.get("id"), channel.get("id")


def conversation_type(activity: Activity) -> str:
    kind = activity.conversation.conversation_type if activity.conversation else None
    if kind in CONVERSATION_TYPES:
        return kind
    # Teams always says; clients that do not (older Playground builds) are 1:1 chats.
    return "channel" if teams_ids(activity)[0] else "personal"


def _plain(value: Any) -> Any:
    """A comparable stand-in for what msrest would serialise of `value`: a model as
    the tuple of its attribute-map fields (the same fields msrest writes)."""
    if isinstance(value, Model):
        return (type(value).__name__, *(_plain(getattr(value, attr, None)) for attr in type(value)._attribute_map))
    if isinstance(value, dict):
        return tuple((key, _plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return tuple(_plain(item) for item in value)
    return value


def reference_fingerprint(activity: Activity) -> tuple:
    """What the stored reference of `activity`'s conversation is made of, without its
    activity id: the fields `TurnContext.get_conversation_reference` copies. Compared
    on every message, so read straight from the activity (an msrest serialisation
    per message cost ≈0.3 ms CPU); the reference itself is only built to be saved."""
    return (
        _plain(activity.from_property),
        _plain(activity.recipient),
        _plain(activity.conversation),
        activity.channel_id,
        activity.locale,
        activity.service_url,
    )


class ReferenceRecorder:
    """Keeps the stored conversation references current, without a database write
    on every message: the reference of an ongoing conversation rarely changes
    (the incoming activity's id is not needed to reach it later)."""

    def __init__(self, store: Any, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self._saved: dict[str, tuple[tuple, float]] = {}  # conversation id -> (fingerprint, when)

    async def record(self, activity: Activity, *, tenant_id: str, always: bool = False) -> None:
        kind = conversation_type(activity)
        team_id, teams_channel_id = teams_ids(activity)
        user_id = activity.from_property.aad_object_id if activity.from_property else None
        user_aad_id = user_id if kind == "personal" else None
        fingerprint = (reference_fingerprint(activity), tenant_id, kind, user_aad_id, team_id, teams_channel_id)
        conversation_id = activity.conversation.id
        now = self._clock()
        saved = self._saved.get(conversation_id)
        if not always and saved is not None and saved[0] == fingerprint and now - saved[1] < REFRESH_SECONDS:
            return
        await self._store.save(
            reference=reference_of(activity),
            tenant_id=tenant_id,
            conversation_type=kind,
            user_aad_id=user_aad_id,
            team_id=team_id,
            teams_channel_id=teams_channel_id,
        )
        self._saved[conversation_id] = (fingerprint, now)

    async def deactivate(self, activity: Activity, *, tenant_id: str) -> None:
        """Uninstalled: the conversation, and for a team every channel of it."""
        conversation_id = activity.conversation.id
        await self._store.mark_inactive(conversation_id)
        self._saved.pop(conversation_id, None)
        team_id, _ = teams_ids(activity)
        if team_id:
            for ref in await self._store.channels(tenant_id):
                if ref.team_id == team_id and ref.conversation_id != conversation_id:
                    await self._store.mark_inactive(ref.conversation_id)
                    self._saved.pop(ref.conversation_id, None)
