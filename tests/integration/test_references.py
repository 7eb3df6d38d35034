"""Conversation references for proactive messages, on SQLite and PostgreSQL.

The reference dicts have the shape of `ConversationReference.serialize()` for a
Teams personal chat and a Teams channel thread."""

from __future__ import annotations

import pytest

from storage.references import ReferenceStore
from storage.session import make_sessionmaker

TENANT = "6c1e5d0a-8f2b-4b7e-9a3c-5d4e3f2a1b00"
OTHER_TENANT = "0f0f0f0f-0000-4000-8000-000000000000"
ANNA = "d0000000-0000-4000-8000-000000000001"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"


def personal(conversation_id: str, *, service_url: str = SERVICE_URL, tenant: str = TENANT) -> dict:
    return {
        "activityId": "1700000000001",
        "user": {"id": "29:1anna", "name": "Anna Lindqvist", "aadObjectId": ANNA},
        "bot": {"id": "28:malkoll", "name": "Målkoll"},
        "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": tenant},
        "channelId": "msteams",
        "locale": "sv-SE",
        "serviceUrl": service_url,
    }


def channel(channel_id: str, *, tenant: str = TENANT) -> dict:
    return {
        "bot": {"id": "28:malkoll", "name": "Målkoll"},
        "conversation": {
            # The channel itself, not a thread in it (";messageid=…"): the bot
            # keeps one reference per channel and starts new threads there.
            "id": channel_id,
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": tenant,
        },
        "channelId": "msteams",
        "serviceUrl": SERVICE_URL,
    }


@pytest.fixture
def references(engine) -> ReferenceStore:
    return ReferenceStore(make_sessionmaker(engine))


async def save_personal(references: ReferenceStore, conversation_id: str, **kwargs) -> dict:
    reference = personal(conversation_id, **kwargs)
    await references.save(reference=reference, tenant_id=TENANT, conversation_type="personal", user_aad_id=ANNA)
    return reference


async def save_channel(references: ReferenceStore, team_id: str, channel_id: str, *, tenant: str = TENANT) -> dict:
    reference = channel(channel_id, tenant=tenant)
    await references.save(
        reference=reference, tenant_id=tenant, conversation_type="channel", team_id=team_id, teams_channel_id=channel_id
    )
    return reference


async def test_personal_chat_is_found_by_tenant_and_person(references):
    reference = await save_personal(references, "a:1personal-anna")

    found = await references.personal_for(TENANT, ANNA)

    assert found is not None
    assert (found.conversation_id, found.service_url, found.channel_id) == ("a:1personal-anna", SERVICE_URL, "msteams")
    assert (found.conversation_type, found.user_aad_id, found.active) == ("personal", ANNA, True)
    assert found.reference == reference
    assert await references.personal_for(OTHER_TENANT, ANNA) is None
    assert await references.personal_for(TENANT, "d0000000-0000-4000-8000-000000000099") is None


async def test_saving_again_updates_the_same_conversation(references):
    await save_personal(references, "a:1personal-anna")
    moved = await save_personal(references, "a:1personal-anna", service_url="https://smba.trafficmanager.net/se/")

    found = await references.personal_for(TENANT, ANNA)

    assert found.service_url == "https://smba.trafficmanager.net/se/"
    assert found.reference == moved


async def test_uninstall_hides_the_conversation_and_a_new_message_revives_it(references):
    await save_personal(references, "a:1personal-anna")
    await save_channel(references, "19:team-fritid@thread.tacv2", "19:general@thread.tacv2")

    await references.mark_inactive("a:1personal-anna")
    await references.mark_inactive("19:general@thread.tacv2")

    assert await references.personal_for(TENANT, ANNA) is None
    assert await references.channels(TENANT) == []

    await save_personal(references, "a:1personal-anna")
    revived = await references.personal_for(TENANT, ANNA)
    assert revived is not None and revived.active


async def test_channels_lists_active_team_channels_of_the_tenant_only(references):
    await save_channel(references, "19:team-fritid@thread.tacv2", "19:uppfoljning@thread.tacv2")
    await save_channel(references, "19:team-fritid@thread.tacv2", "19:general@thread.tacv2")
    await save_channel(references, "19:team-annan@thread.tacv2", "19:annan-general@thread.tacv2", tenant=OTHER_TENANT)
    await save_personal(references, "a:1personal-anna")

    found = await references.channels(TENANT)

    assert [(ref.team_id, ref.teams_channel_id) for ref in found] == [
        ("19:team-fritid@thread.tacv2", "19:general@thread.tacv2"),
        ("19:team-fritid@thread.tacv2", "19:uppfoljning@thread.tacv2"),
    ]
    assert all(ref.conversation_type == "channel" and ref.active for ref in found)


async def test_a_later_save_without_team_details_keeps_the_known_ones(references):
    reference = await save_channel(references, "19:team-fritid@thread.tacv2", "19:general@thread.tacv2")

    await references.save(reference=reference, tenant_id=TENANT, conversation_type="channel")

    [found] = await references.channels(TENANT)
    assert (found.team_id, found.teams_channel_id) == ("19:team-fritid@thread.tacv2", "19:general@thread.tacv2")


async def test_unknown_conversation_type_or_incomplete_reference_is_refused(references):
    with pytest.raises(ValueError):
        await references.save(reference=personal("a:1x"), tenant_id=TENANT, conversation_type="meeting")
    with pytest.raises(ValueError):
        await references.save(reference={"conversation": {}}, tenant_id=TENANT, conversation_type="personal")
    assert await references.personal_for(TENANT, ANNA) is None
