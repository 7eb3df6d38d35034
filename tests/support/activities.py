"""Activity JSON shaped like what Teams posts to a bot (personal chat and team
channel), for the e2e tests and the benchmark."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

DEMO_TENANT = "6c1e5d0a-8f2b-4b7e-9a3c-5d4e3f2a1b00"
OTHER_TENANT = "0f0f0f0f-1111-4222-8333-444455556666"
BOT_ID = "28:malkoll-bot"
_counter = itertools.count(1)


def demo_user(nn: int) -> str:
    """Entra object id of demo person NN (see CONTRACTS.md)."""
    return f"d0000000-0000-4000-8000-0000000000{nn:02d}"


def personal_conversation(user_aad_id: str) -> str:
    return f"a:personal-{user_aad_id}"


def _base(
    kind: str,
    *,
    service_url: str,
    user: str,
    tenant: str,
    locale: str,
    conversation_id: str | None,
    team_id: str | None,
    channel_id: str | None,
    activity_id: str | None,
) -> dict[str, Any]:
    channel_data: dict[str, Any] = {"tenant": {"id": tenant}}
    if team_id:
        channel_data["team"] = {"id": team_id, "name": "Äldreomsorgen"}
        channel_data["channel"] = {"id": channel_id or team_id, "name": "Allmänt"}
        conversation = {
            "id": conversation_id or f"{channel_id or team_id};messageid=1",
            "conversationType": "channel",
            "tenantId": tenant,
            "isGroup": True,
        }
    else:
        conversation = {
            "id": conversation_id or personal_conversation(user),
            "conversationType": "personal",
            "tenantId": tenant,
        }
    return {
        "type": kind,
        "id": activity_id or f"act-{next(_counter)}-{uuid.uuid4().hex[:8]}",
        "timestamp": "2026-05-04T08:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": f"29:{user}", "name": "Testperson", "aadObjectId": user},
        "recipient": {"id": BOT_ID, "name": "Målkoll"},
        "conversation": conversation,
        "channelData": channel_data,
        "locale": locale,
    }


def message(
    text: str | None,
    *,
    service_url: str,
    user: str,
    tenant: str = DEMO_TENANT,
    locale: str = "sv-SE",
    value: dict[str, Any] | None = None,
    conversation_id: str | None = None,
    team_id: str | None = None,
    channel_id: str | None = None,
    activity_id: str | None = None,
) -> dict[str, Any]:
    activity = _base(
        "message",
        service_url=service_url,
        user=user,
        tenant=tenant,
        locale=locale,
        conversation_id=conversation_id,
        team_id=team_id,
        channel_id=channel_id,
        activity_id=activity_id,
    )
    if team_id and text is not None:
        # In a channel the bot is @mentioned; Teams puts the mention in the text.
        text = f"<at>Målkoll</at> {text}"
        activity["entities"] = [
            {"type": "mention", "mentioned": {"id": BOT_ID, "name": "Målkoll"}, "text": "<at>Målkoll</at>"}
        ]
    activity["textFormat"] = "plain"
    if text is not None:
        activity["text"] = text
    if value is not None:
        activity["value"] = value
    return activity


def card_submit(value: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """What Teams posts when an Action.Submit button is pressed: a message with `value`."""
    return message(None, value=value, **kwargs)


def installation_update(
    action: str,
    *,
    service_url: str,
    user: str,
    tenant: str = DEMO_TENANT,
    locale: str = "sv-SE",
    team_id: str | None = None,
    channel_id: str | None = None,
) -> dict[str, Any]:
    activity = _base(
        "installationUpdate",
        service_url=service_url,
        user=user,
        tenant=tenant,
        locale=locale,
        conversation_id=None,
        team_id=team_id,
        channel_id=channel_id,
        activity_id=None,
    )
    activity["action"] = action
    return activity


def conversation_update(
    *,
    service_url: str,
    user: str,
    tenant: str = DEMO_TENANT,
    locale: str = "sv-SE",
    bot_added: bool = True,
    bot_removed: bool = False,
    team_id: str | None = None,
    channel_id: str | None = None,
) -> dict[str, Any]:
    activity = _base(
        "conversationUpdate",
        service_url=service_url,
        user=user,
        tenant=tenant,
        locale=locale,
        conversation_id=None,
        team_id=team_id,
        channel_id=channel_id,
        activity_id=None,
    )
    if bot_added:
        activity["membersAdded"] = [{"id": BOT_ID}]
    if bot_removed:
        activity["membersRemoved"] = [{"id": BOT_ID}]
    if team_id:
        activity["channelData"]["eventType"] = "teamMemberAdded" if bot_added else "teamMemberRemoved"
    return activity
