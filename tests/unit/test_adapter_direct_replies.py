"""Replies posted straight on the shared session (bot/adapter.py `_DirectConversations`)
reach the connector exactly as msrest's operation would send them, and fail and
retry the same way. A real HTTP server on 127.0.0.1 records what arrives."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ErrorResponseException
from botframework.connector.auth import ClaimsIdentity

from bot.adapter import RETRY_OBSERVER, LeanAuthentication, bot_configuration
from bot.config import Settings
from dialogs.cards import build_welcome_card
from dialogs.texts import Texts

CONVERSATION = "a:1 x/y;messageid=2"  # needs quoting in the URL


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict, bytes]] = []
        self.faults: list[tuple[int, dict]] = []

    async def handle(self, request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k != "Host"}
        self.seen.append((request.method, request.raw_path, headers, await request.read()))
        if self.faults:
            status, extra = self.faults.pop(0)
            return web.json_response({"error": {"code": "Injected", "message": f"answered {status}"}}, status=status, headers=extra)
        return web.json_response({"id": f"sent-{len(self.seen)}"}, status=200)


@pytest.fixture
async def connector():
    recorder = _Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    recorder.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/emea/"  # noqa: SLF001
    yield recorder
    await runner.cleanup()


@pytest.fixture
async def client(connector):
    async with aiohttp.ClientSession() as session:
        auth = LeanAuthentication(bot_configuration(Settings(_env_file=None)), session=session)
        yield await auth.create_connector_factory(ClaimsIdentity({}, True)).create(connector.url, None)


def _reply(card: bool = False) -> Activity:
    activity = Activity(
        type="message",
        text="Målkoll – åäö",
        conversation=ConversationAccount(id=CONVERSATION, conversation_type="personal", tenant_id="t"),
        from_property=ChannelAccount(id="28:bot", name="Målkoll"),
        recipient=ChannelAccount(id="29:user", name="Anna", aad_object_id="d0"),
        reply_to_id="act 1",
        locale="sv-SE",
    )
    if card:
        from botbuilder.core import CardFactory

        activity.attachments = [CardFactory.adaptive_card(build_welcome_card(Texts.for_locale("sv-SE")))]
    return activity


@pytest.mark.parametrize("card", [False, True], ids=["text", "card"])
async def test_replies_and_sends_arrive_as_msrest_sends_them(connector, client, card):
    direct = client.conversations
    msrest = direct._inner  # noqa: SLF001 - the operations the direct path stands in for

    answers = [
        await direct.reply_to_activity(CONVERSATION, "act 1", _reply(card)),
        await msrest.reply_to_activity(CONVERSATION, "act 1", _reply(card)),
        await direct.send_to_conversation(CONVERSATION, _reply(card)),
        await msrest.send_to_conversation(CONVERSATION, _reply(card)),
    ]

    assert [type(a).__name__ for a in answers] == ["ResourceResponse"] * 4
    assert [a.id for a in answers] == ["sent-1", "sent-2", "sent-3", "sent-4"]
    (d_reply, m_reply, d_send, m_send) = connector.seen
    assert d_reply == m_reply
    assert d_send == m_send
    assert d_reply[1] == "/emea/v3/conversations/a:1%20x%2Fy;messageid=2/activities/act%201"
    assert d_reply[2]["x-ms-conversation-id"] == CONVERSATION
    assert "x-ms-conversation-id" not in d_send[2]


async def test_a_refusal_raises_what_msrest_raises(connector, client):
    for operations in (client.conversations, client.conversations._inner):  # noqa: SLF001
        connector.faults.append((403, {}))
        with pytest.raises(ErrorResponseException) as raised:
            await operations.send_to_conversation(CONVERSATION, _reply())
        assert raised.value.response.status == 403  # msrest keeps the aiohttp response
        assert "answered 403" in str(raised.value)


async def test_a_throttled_reply_waits_as_told_and_is_sent_once(connector, client):
    told: list[tuple[int, float]] = []
    connector.faults.extend([(429, {"Retry-After": "0"}), (503, {"Retry-After": "0"})])
    token = RETRY_OBSERVER.set(lambda status, delay: told.append((status, delay)))
    try:
        answer = await client.conversations.reply_to_activity(CONVERSATION, "act 1", _reply())
    finally:
        RETRY_OBSERVER.reset(token)

    assert told == [(429, 0.0), (503, 0.0)]
    assert answer.id == "sent-3"
    assert len(connector.seen) == 3 and connector.seen[0][3] == connector.seen[2][3]


async def test_retries_end_after_the_last_attempt_with_the_error(connector, client):
    connector.faults.extend([(503, {"Retry-After": "0"})] * 4)
    with pytest.raises(ErrorResponseException) as raised:
        await client.conversations.send_to_conversation(CONVERSATION, _reply())
    assert raised.value.response.status == 503
    assert len(connector.seen) == 4
