"""The reference fingerprint (bot/references.py) decides whether a message re-saves
its conversation's reference: it must change exactly when the stored reference
(msrest's serialisation, without the activity id) would change."""

from __future__ import annotations

import copy

import pytest
from botbuilder.schema import Activity

from bot.references import reference_fingerprint, reference_of
from tests.support.activities import message

SERVICE_URL = "https://smba.trafficmanager.net/emea/"
USER = "d0000000-0000-4000-8000-000000000001"


def _personal() -> dict:
    return message("mina mål", service_url=SERVICE_URL, user=USER)


def _channel() -> dict:
    return message("mina mål", service_url=SERVICE_URL, user=USER, team_id="19:team@thread.skype", channel_id="19:chan@thread.skype")


def _activity(body: dict) -> Activity:
    return Activity().deserialize(body)


def _stored(body: dict) -> dict:
    return {k: v for k, v in reference_of(_activity(body)).items() if k != "activityId"}


CHANGES = [
    ("serviceUrl", lambda b: b.__setitem__("serviceUrl", "https://smba.trafficmanager.net/amer/")),
    ("locale", lambda b: b.__setitem__("locale", "en-US")),
    ("channelId", lambda b: b.__setitem__("channelId", "webchat")),
    ("user name", lambda b: b["from"].__setitem__("name", "Anna L")),
    ("user aad id", lambda b: b["from"].__setitem__("aadObjectId", "d0000000-0000-4000-8000-000000000099")),
    ("bot name", lambda b: b["recipient"].__setitem__("name", "Malkoll")),
    ("conversation id", lambda b: b["conversation"].__setitem__("id", "a:other")),
    ("conversation tenant", lambda b: b["conversation"].__setitem__("tenantId", "0f0f0f0f-0000-4000-8000-000000000000")),
    ("conversation properties", lambda b: b["conversation"].__setitem__("properties", {"x": 1})),
]


@pytest.mark.parametrize("shape", [_personal, _channel], ids=["personal", "channel"])
def test_another_delivery_of_the_same_conversation_has_the_same_fingerprint(shape):
    first, second = shape(), shape()
    second["id"] = "another-activity"
    second["text"] = "hjälp"

    assert reference_fingerprint(_activity(first)) == reference_fingerprint(_activity(second))
    assert _stored(first) == _stored(second)


@pytest.mark.parametrize("shape", [_personal, _channel], ids=["personal", "channel"])
@pytest.mark.parametrize(("field", "change"), CHANGES, ids=[name for name, _ in CHANGES])
def test_the_fingerprint_changes_whenever_the_stored_reference_would(shape, field, change):
    before = shape()
    after = copy.deepcopy(before)
    change(after)

    same_reference = _stored(before) == _stored(after)
    same_fingerprint = reference_fingerprint(_activity(before)) == reference_fingerprint(_activity(after))

    assert same_fingerprint == same_reference, field


def test_the_listed_changes_are_mostly_ones_the_stored_reference_sees():
    # (msrest reads a conversation's tenant from "tenantID", so Teams' "tenantId"
    # does not reach the reference: that change is one neither side sees.)
    seen = [name for name, change in CHANGES if _stored(_personal()) != _stored(_changed(_personal(), change))]
    assert seen == [name for name, _ in CHANGES if name != "conversation tenant"]


def _changed(body: dict, change) -> dict:
    change(body)
    return body
