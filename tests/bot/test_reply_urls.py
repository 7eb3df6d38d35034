"""The reply URL `_DirectConversations` works out once per template (bot/adapter.py) is
msrest's own, for every kind of id."""

from __future__ import annotations

import aiohttp
import pytest
from botframework.connector.auth import ClaimsIdentity

from bot.adapter import LeanAuthentication, bot_configuration
from bot.config import Settings

CONVERSATION = "a:1 x/y;messageid=2"  # needs quoting in the URL


@pytest.mark.parametrize(
    "service_url",
    ["https://smba.trafficmanager.net/emea/", "https://smba.trafficmanager.net/emea", "http://127.0.0.1:3978", "https://h/a/b/../c/"],
)
async def test_reply_urls_are_msrests(service_url):
    """The URL worked out once per template with placeholders is msrest's URL, for ids
    that need quoting, that look like path steps, that are empty or not ASCII."""
    values = [
        CONVERSATION, "19:abc@thread.tacv2;messageid=1717", "a:1%2F2", ".", "..", "...", "", "ü ö/å?#&=+", "x" * 300,
        "malkollPathValue0activityId0", "{conversationId}",
    ]
    async with aiohttp.ClientSession() as session:
        auth = LeanAuthentication(bot_configuration(Settings(_env_file=None)), session=session)
        client = await auth.create_connector_factory(ClaimsIdentity({}, True)).create(service_url, None)
        operations = client.conversations
        reply, send = operations._inner.reply_to_activity.metadata["url"], operations._inner.send_to_conversation.metadata["url"]  # noqa: SLF001
        for conversation_id in values:
            assert operations._url(send, conversationId=conversation_id) == operations._msrest_url(send, conversationId=conversation_id)  # noqa: SLF001
            for activity_id in values:
                path = {"conversationId": conversation_id, "activityId": activity_id}
                assert operations._url(reply, **path) == operations._msrest_url(reply, **path)  # noqa: SLF001
