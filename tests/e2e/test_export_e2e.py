""""exportera T2" over real HTTP (SQLite and PostgreSQL): the head gets Teams' file-consent
card, allows it, and the bot PUTs the workbook to the upload URL (a real server on
127.0.0.1 standing in for OneDrive) and posts the file-info card; declining, a unit
manager, someone else's or a tampered card, another tenant, and a channel get a clear
message and no upload."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from goals import services
from goals.clock import FixedClock
from goals.model import Goal, OrgKind
from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory
from tests.support.activities import OTHER_TENANT, demo_user, message
from tests.support.upload_server import UploadServer

ANNA, BERTIL, CECILIA = demo_user(1), demo_user(2), demo_user(3)
CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
CONTENT_URL = "https://demokommun-my.sharepoint.com/personal/bertil/Documents/Applications/Malkoll/export.xlsx"


@pytest.fixture
async def other_department(engine, demo_org) -> str:
    """Avdelning äldreomsorg beside the head's department, with a unit and a goal of its own."""
    make_uow = make_uow_factory(make_sessionmaker(engine))
    year = dt.date.today().year
    clock = FixedClock(dt.datetime(year, 1, 3, 9, tzinfo=dt.timezone.utc))
    async with make_uow() as uow:
        administration = (await uow.orgs.ancestors(demo_org.units["SOL"]))[1]
    department = await services.create_org_node(make_uow(), actor=None, code="AVD-A", name="Avdelning äldreomsorg",
                                                kind=OrgKind.DEPARTMENT, parent_id=administration.id, clock=clock)
    unit = await services.create_org_node(make_uow(), actor=None, code="LIN", name="Lindens äldreboende",
                                          kind=OrgKind.UNIT, parent_id=department.id, clock=clock)
    goal = Goal(id=0, code="LIN-1", title="Alla boende har en aktuell genomförandeplan", level="enhet",
                owner_id=unit.id, valid_from=year, valid_to=year)
    await services.create_goal(make_uow(), actor=None, goal=goal, clock=clock)
    return "Lindens äldreboende"


@pytest.fixture
async def uploads():
    async with UploadServer() as server:
        yield server


def consent_cards(sent) -> list[dict[str, Any]]:
    return [a for r in sent for a in r.activity.get("attachments") or [] if a.get("contentType") == CONSENT]


def file_consent(bot, user: str, *, action: str, context: Any, upload_url: str | None = None,
                 tenant: str | None = None, locale: str = "sv-SE", team_id: str | None = None) -> dict[str, Any]:
    """What Teams posts when the person selects Allow or Decline on the consent card."""
    kwargs = {"tenant": tenant} if tenant else {}
    activity = message(None, service_url=bot.connector.url, user=user, locale=locale, team_id=team_id, **kwargs)
    activity.pop("textFormat", None)
    value: dict[str, Any] = {"type": "fileUpload", "action": action, "context": context}
    if action == "accept":
        value["uploadInfo"] = {"name": "uppfoljning-T2.xlsx", "uploadUrl": upload_url, "contentUrl": CONTENT_URL,
                               "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C", "fileType": "xlsx", "etag": "1"}
    activity.update(type="invoke", name="fileConsent/invoke", value=value, replyToId="sent-1")
    return activity


async def invoke(bot, activity: dict[str, Any]) -> tuple[int, list]:
    """Post an invoke; its HTTP status (Teams reads the invoke response from it) and the one
    message the person gets, which after an accepted card comes once the invoke is answered."""
    before = len(bot.connector.activities)
    status = await bot.post(activity)
    sent = await bot.connector.wait_for(before + 1)
    return status, sent[before:]


async def ask(bot, text: str, user: str = BERTIL, **kwargs: Any) -> list:
    return await bot.say(message(text, service_url=bot.connector.url, user=user, **kwargs))


def unit_names(data: bytes) -> set[str]:
    sheet = load_workbook(io.BytesIO(data))["Uppföljning"]
    header = [c.value for c in sheet[1]]
    column = header.index("Enhet")
    return {row[column] for row in sheet.iter_rows(min_row=2, values_only=True)}


async def test_a_head_allows_the_file_and_gets_their_departments_workbook(bot, demo_org, other_department, uploads):
    sent = await ask(bot, "exportera T2")
    [card] = consent_cards(sent)
    content = card["content"]
    assert card["name"].endswith(".xlsx") and "T2" in card["name"]
    assert "Tertial 2" in content["description"] and "Avdelning förskola" in content["description"]
    assert 3_000 < content["sizeInBytes"] < 100_000, "a plausible size for a small workbook"
    assert content["acceptContext"]["period_id"] > 0

    status, sent = await invoke(bot, file_consent(bot, BERTIL, action="accept", context=content["acceptContext"],
                                                  upload_url=uploads.url()))
    assert status == 200
    [upload] = uploads.uploads
    size = len(upload.body)
    assert upload.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    assert upload.headers["Content-Length"] == str(size)
    assert "Authorization" not in upload.headers, "the bot's token never goes to the upload URL"
    # The head's department only: both its units, not the other department's.
    assert unit_names(upload.body) == {"Solrosens förskola", "Vitsippans förskola"}
    assert other_department not in unit_names(upload.body)

    [posted] = sent
    [info] = posted.activity["attachments"]
    assert info["contentType"] == FILE_INFO
    assert info["contentUrl"] == CONTENT_URL and info["name"] == "uppfoljning-T2.xlsx"
    assert info["content"] == {"uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C", "fileType": "xlsx"}
    assert "Tertial 2" in posted.text and "3 rader" in posted.text


async def test_the_invoke_is_answered_before_the_upload_finishes(bot, demo_org, uploads):
    # Teams shows an error on the card when the invoke's answer waits for the upload.
    [card] = consent_cards(await ask(bot, "exportera T2"))
    release = uploads.hold()
    before = len(bot.connector.activities)
    status = await asyncio.wait_for(
        bot.post(file_consent(bot, BERTIL, action="accept", context=card["content"]["acceptContext"],
                              upload_url=uploads.url())),
        timeout=5,
    )
    assert status == 200
    assert len(bot.connector.activities) == before, "the file card comes after the upload"
    release.set()
    sent = await bot.connector.wait_for(before + 1)
    assert sent[-1].activity["attachments"][0]["contentType"] == FILE_INFO
    assert len(uploads.uploads) == 1


async def test_a_shutdown_lets_an_upload_under_way_finish(bot, demo_org, uploads):
    [card] = consent_cards(await ask(bot, "exportera T2"))
    release = uploads.hold()
    before = len(bot.connector.activities)
    assert await bot.post(file_consent(bot, BERTIL, action="accept", context=card["content"]["acceptContext"],
                                       upload_url=uploads.url())) == 200
    asyncio.get_running_loop().call_later(0.3, release.set)
    await bot.stop()  # e.g. a deploy, while OneDrive is still taking the file
    [posted] = bot.connector.activities[before:]
    assert posted.activity["attachments"][0]["contentType"] == FILE_INFO


async def test_declining_uploads_nothing(bot, demo_org, uploads):
    [card] = consent_cards(await ask(bot, "exportera T2", locale="en-GB"))
    status, sent = await invoke(bot, file_consent(bot, BERTIL, action="decline", context=card["content"]["declineContext"],
                                                  locale="en-GB"))
    assert status == 200
    assert [r.text for r in sent] == ["OK, I won't send a file. Ask again when you want it."]
    assert uploads.uploads == []


async def test_a_unit_manager_is_told_the_export_is_for_heads(bot, demo_org):
    sent = await ask(bot, "exportera T2", user=ANNA)
    assert consent_cards(sent) == []
    assert sent[0].text.startswith("Excel-exporten av uppföljningen är till för avdelningschefer")


async def test_staff_gets_the_whole_administration(bot, demo_org, other_department, uploads):
    [card] = consent_cards(await ask(bot, "exportera T2", user=CECILIA))
    assert "Norra förvaltningen" in card["content"]["description"]
    status, _ = await invoke(bot, file_consent(bot, CECILIA, action="accept", context=card["content"]["acceptContext"],
                                               upload_url=uploads.url()))
    assert status == 200
    assert unit_names(uploads.uploads[0].body) == {"Solrosens förskola", "Vitsippans förskola", other_department}


async def test_someone_elses_or_a_tampered_card_uploads_nothing(bot, demo_org, uploads):
    [card] = consent_cards(await ask(bot, "exportera T2"))
    context = card["content"]["acceptContext"]

    # Cecilia (staff, who may export herself) accepts the card made for Bertil.
    status, sent = await invoke(bot, file_consent(bot, CECILIA, action="accept", context=context,
                                                  upload_url=uploads.url()))
    assert status == 200 and sent[0].text.startswith("Filkortet gjordes för någon annan")

    tampered = [
        {**context, "period_id": "1 OR 1=1"},
        {k: v for k, v in context.items() if k != "requester"},
        {**context, "v": 99},
        "not a context",
        {**context, "issued": (dt.date.today() - dt.timedelta(days=30)).isoformat()},  # stale
    ]
    for bad in tampered:
        status, sent = await invoke(bot, file_consent(bot, BERTIL, action="accept", context=bad,
                                                      upload_url=uploads.url()))
        assert status == 200 and sent[0].text.startswith("Det här filkortet kan jag inte använda"), bad

    status, sent = await invoke(bot, file_consent(bot, BERTIL, action="accept", context={**context, "period_id": 999999},
                                                  upload_url=uploads.url()))
    assert status == 200 and sent[0].text.startswith("Perioden på filkortet finns inte")

    # An upload URL that is not HTTPS (nor this machine) never gets the file.
    status, sent = await invoke(bot, file_consent(bot, BERTIL, action="accept", context=context,
                                                  upload_url="http://example.org/upload"))
    assert status == 200 and sent[0].text.startswith("Det här filkortet kan jag inte använda")
    assert uploads.uploads == []


async def test_another_tenant_or_an_unknown_person_is_refused_without_an_upload(bot, demo_org, uploads):
    [card] = consent_cards(await ask(bot, "exportera T2"))
    context = copy.deepcopy(card["content"]["acceptContext"])
    status, sent = await invoke(bot, file_consent(bot, BERTIL, action="accept", context=context,
                                                  upload_url=uploads.url(), tenant=OTHER_TENANT))
    assert status == 200
    assert sent[0].text.startswith("Tyvärr är Målkoll inte tillgängligt för din organisation")
    # Someone Målkoll does not know, in the right tenant.
    status, sent = await invoke(bot, file_consent(bot, demo_user(99), action="accept", context=context,
                                                  upload_url=uploads.url()))
    assert status == 200 and sent[0].text.startswith("Jag hittar dig inte bland Målkolls användare")
    assert uploads.uploads == []


async def test_in_a_channel_the_head_is_asked_to_use_the_personal_chat(bot, demo_org, uploads):
    team = "19:team-forskola@thread.tacv2"
    sent = await ask(bot, "exportera T2", team_id=team, channel_id=team)
    assert consent_cards(sent) == []
    assert sent[0].text.startswith("Filer kan jag bara skicka i en personlig chatt")
    status, sent = await invoke(bot, file_consent(bot, BERTIL, action="accept", context={"v": 1},
                                                  upload_url=uploads.url(), team_id=team))
    assert status == 200 and sent[0].text.startswith("Filer kan jag bara skicka i en personlig chatt")
    assert uploads.uploads == []


async def test_an_unknown_period_is_answered_with_the_periods_there_are(bot, demo_org):
    sent = await ask(bot, "exportera T9")
    assert consent_cards(sent) == []
    assert sent[0].text.startswith("Jag hittar ingen period ”T9”")
    assert "Tertial 1, Tertial 2, Tertial 3 (verksamhetsberättelse)" in sent[0].text
    assert "”exportera T1”" in sent[0].text


async def test_a_failed_upload_is_told_and_nothing_is_claimed(bot, demo_org, uploads):
    [card] = consent_cards(await ask(bot, "exportera T2"))
    uploads.status = 500
    status, sent = await invoke(bot, file_consent(bot, BERTIL, action="accept", context=card["content"]["acceptContext"],
                                                  upload_url=uploads.url()))
    assert status == 200
    assert len(uploads.uploads) == 1
    assert [r.text for r in sent] == [
        "Jag kunde inte lägga filen i din OneDrive, så du har inte fått någon fil. "
        "Försök igen om en stund med ”exportera T2”."
    ]
    assert not any(a.get("contentType") == FILE_INFO for r in sent for a in r.activity.get("attachments") or [])


async def test_the_upload_client_reports_refusals_timeouts_and_redirects_as_failures(http, uploads):
    from aiohttp import web

    from bot.chat_export import OneDriveUpload
    from dialogs.export_dialog import UploadFailed

    upload = OneDriveUpload(http, timeout_seconds=0.5)
    await upload(uploads.url(), b"PK\x03\x04 workbook")
    assert uploads.uploads[-1].headers["Content-Range"] == "bytes 0-12/13"

    uploads.status = 507  # OneDrive full
    with pytest.raises(UploadFailed, match="status 507 from 127.0.0.1"):
        await upload(uploads.url(), b"data")
    uploads.status = 202  # OneDrive still expects bytes: the file is not complete
    with pytest.raises(UploadFailed, match="status 202"):
        await upload(uploads.url(), b"data")

    uploads.status = 201
    uploads.hold()
    with pytest.raises(UploadFailed, match="TimeoutError"):
        await upload(uploads.url(), b"data")
    uploads.held.set()

    async def elsewhere(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(uploads.url("stolen"))

    app = web.Application()
    app.router.add_put("/", elsewhere)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the bound free port
    try:
        with pytest.raises(UploadFailed, match="status 307"):
            await upload(f"http://127.0.0.1:{port}/", b"data")
    finally:
        await runner.cleanup()
    assert not any(u.path == "stolen" for u in uploads.uploads)

    with pytest.raises(UploadFailed, match="ClientConnectorError"):
        await upload(f"http://127.0.0.1:{port}/", b"data")  # nothing listens there any more
