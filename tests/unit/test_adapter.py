"""The outbound side of the adapter: connector clients built once, Retry-After honoured."""

from __future__ import annotations

import aiohttp
from botframework.connector.auth import ClaimsIdentity

from bot.adapter import MAX_RETRY_AFTER_SECONDS, LeanAuthentication, bot_configuration, retry_delay
from bot.config import Settings


def test_retry_after_seconds_are_used_and_capped():
    assert retry_delay(1, "2") == 2.0
    assert retry_delay(1, "0") == 0.0
    assert retry_delay(1, "3600") == MAX_RETRY_AFTER_SECONDS


def test_without_a_usable_retry_after_the_backoff_grows_with_jitter():
    for attempt in (1, 2, 3):
        for header in (None, "", "Wed, 21 Oct 2026 07:28:00 GMT"):
            assert 0 <= retry_delay(attempt, header) <= 0.25 * 2**attempt


async def test_one_connector_client_per_service_url_for_all_turns():
    settings = Settings(_env_file=None)
    async with aiohttp.ClientSession() as session:
        auth = LeanAuthentication(bot_configuration(settings), session=session)
        anonymous = ClaimsIdentity({}, True)
        factory = auth.create_connector_factory(anonymous)
        first = await factory.create("http://127.0.0.1:1/", None)
        again = await auth.create_connector_factory(anonymous).create("http://127.0.0.1:1/", None)
        other = await factory.create("http://127.0.0.1:2/", None)
    assert first is again
    assert other is not first
