"""Incoming activities: bot/adapter.py's direct reader builds the same Activity as
msrest's Deserializer (what botbuilder uses), on the shapes Teams posts."""

from __future__ import annotations

import copy
import datetime as dt
from enum import Enum

import pytest
from botbuilder import schema
from msrest import Deserializer
from msrest.serialization import Model

from bot.adapter import activity_from_json
from tests.support.activities import card_submit, conversation_update, installation_update, message

SERVICE_URL = "https://smba.trafficmanager.net/emea/"
USER = "d0000000-0000-4000-8000-000000000001"
TEAM = "19:team@thread.tacv2"
CHANNEL = "19:channel@thread.tacv2"


def _msrest(body: dict) -> schema.Activity:
    return Deserializer({name: cls for name, cls in vars(schema).items() if isinstance(cls, type)})("Activity", body)


def _same(a, b, path="activity") -> None:
    """Equal values of the same classes all the way down (also additional properties)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, Model):
        assert vars(a).keys() == vars(b).keys(), path
        for key in vars(a):
            _same(vars(a)[key], vars(b)[key], f"{path}.{key}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            _same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for n, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{n}]")
    else:
        assert a == b, path
        if isinstance(a, dt.datetime):
            assert a.utcoffset() == b.utcoffset(), path


def _file_consent_invoke() -> dict:
    body = message(None, service_url=SERVICE_URL, user=USER)
    body.update(
        type="invoke",
        name="fileConsent/invoke",
        value={"type": "fileUpload", "action": "accept", "context": {"period": "T2", "n": 2, "ok": True, "x": None},
               "uploadInfo": {"name": "T2.xlsx", "uploadUrl": "https://x/y", "sizeInBytes": 12.5}},
    )
    return body


def _rich_channel_message() -> dict:
    body = message("hur går det?", service_url=SERVICE_URL, user=USER, team_id=TEAM, channel_id=CHANNEL)
    body["timestamp"] = "2026-05-04T08:00:00.1234567Z"
    body["localTimestamp"] = "2026-05-04T10:00:00.123+02:00"
    body["localTimezone"] = "Europe/Stockholm"
    body["entities"].append({"type": "clientInfo", "locale": "sv-SE", "country": "SE", "platform": "Web", "timezone": "Europe/Stockholm"})
    body["attachments"] = [
        {"contentType": "text/html", "content": "<div>hur går det?</div>"},
        {"contentType": "application/vnd.microsoft.teams.file.download.info", "name": "a.xlsx",
         "contentUrl": "https://x/a.xlsx", "content": {"downloadUrl": "https://x/d", "uniqueId": "1", "fileType": "xlsx"}},
    ]
    body["channelData"]["tenant"] = {"id": "6c1e5d0a"}
    body["channelData"]["settings"] = {"selectedChannel": {"id": CHANNEL}}
    body["from"]["userRole"] = "user"  # a key the schema does not know → additional property
    body["conversation"]["name"] = "Allmänt"
    body["replyToId"] = "1700000000000"
    body["importance"] = "high"
    body["deliveryMode"] = "normal"
    body["textHighlights"] = [{"text": "går", "occurrence": 1}]
    body["unknownTopLevel"] = {"a": [1, 2]}
    return body


SHAPES = {
    "personal message": lambda: message("mina mål", service_url=SERVICE_URL, user=USER),
    "channel message with mention": lambda: message("mina mål", service_url=SERVICE_URL, user=USER, team_id=TEAM, channel_id=CHANNEL),
    "card submit (value)": lambda: card_submit({"verb": "report", "goal": 7, "values": {"a": "1,5", "b": None}, "list": [1, "x"]}, service_url=SERVICE_URL, user=USER),
    "file consent invoke": _file_consent_invoke,
    "installation update (team)": lambda: installation_update("add", service_url=SERVICE_URL, user=USER, team_id=TEAM),
    "conversation update (members)": lambda: conversation_update(service_url=SERVICE_URL, user=USER),
    "channel message, attachments, extras": _rich_channel_message,
}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_the_direct_reader_builds_what_msrest_builds(shape):
    body = shape()
    original = copy.deepcopy(body)

    direct, expected = activity_from_json(body), _msrest(copy.deepcopy(body))

    _same(direct, expected)
    assert body == original  # the request body is not changed


def test_values_msrest_would_convert_are_left_to_msrest():
    body = message("mina mål", service_url=SERVICE_URL, user=USER)
    body["conversation"]["isGroup"] = "true"  # a string for a bool: msrest converts it
    body["membersAdded"] = [{"id": 28}]  # a number for a string

    _same(activity_from_json(body), _msrest(copy.deepcopy(body)))
    assert activity_from_json(body).conversation.is_group is True


def test_enums_come_back_as_msrest_gives_them():
    enums = {name for name, cls in vars(schema).items() if isinstance(cls, type) and issubclass(cls, Enum)}
    typed = [(a, d["type"]) for a, d in schema.Activity._attribute_map.items() if d["type"] in enums]
    body = message("x", service_url=SERVICE_URL, user=USER)
    for attr, _ in typed:
        body[schema.Activity._attribute_map[attr]["key"]] = "not-a-member"
    _same(activity_from_json(body), _msrest(copy.deepcopy(body)))


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_teams_shapes_do_not_need_msrest(shape, monkeypatch):
    import bot.adapter

    class NoFallback:
        deserialize_iso = staticmethod(Deserializer.deserialize_iso)
        deserialize_enum = staticmethod(Deserializer.deserialize_enum)

        def __call__(self, *args):
            raise AssertionError("fell back to msrest")

    monkeypatch.setattr(bot.adapter, "_msrest_deserializer", NoFallback)
    activity_from_json(shape())
