"""The Excel export in Teams chat ("exportera T2"), wired: who may export what and the
workbook (bot/excel/exporter.py), and the upload of the file to the URL Teams hands
over when the person allows it (dialogs/export_dialog.py does the talking).

The upload goes on the app's shared aiohttp session, never through the Bot Connector
client: the upload URL is a pre-authorised OneDrive upload session, and the bot's
token must not be sent to it.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import structlog
from botbuilder.core import TurnContext
from botbuilder.dialogs import Dialog

from bot.excel.exporter import HEAD_ROLES, export_for_actor
from dialogs.export_dialog import ExportDialog, ExportFile, FileConsent, UploadFailed
from dialogs.texts import Texts
from goals.access import Actor, scope_roots_in
from goals.model import OrgNode, Period
from goals.ports import Clock, UnitOfWork

log = structlog.get_logger(__name__)

# Teams answers an invoke it waited for too long with an error on the card; the
# upload of a department's workbook (tens of kB) takes well under a second.
UPLOAD_TIMEOUT_SECONDS = 20.0
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class HeadExports:
    """Heads (department head, staff, director, admin) export the goals under the
    nodes where they hold that role; everyone else nothing (the exporter's rule)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow = uow_factory

    async def tops(self, actor: Actor) -> list[OrgNode]:
        async with self._uow() as uow:
            return await scope_roots_in(uow, actor=actor, roles=HEAD_ROLES)

    async def build(self, actor: Actor, period: Period, language: str = "sv") -> ExportFile:
        tops = await self.tops(actor)
        with tempfile.TemporaryDirectory(prefix="malkoll-export-") as folder:
            out = Path(folder) / "export.xlsx"
            rows = await export_for_actor(self._uow, actor=actor, kind=period.kind, year=period.year, out=out,
                                          texts=Texts(language))
            data = out.read_bytes()
        code = _UNSAFE_IN_NAME.sub("-", tops[0].code).strip("-") if tops else ""
        name = f"uppfoljning-{period.kind}-{period.year}" + (f"-{code}" if code else "") + ".xlsx"
        return ExportFile(name=name, data=data, rows=rows, scope=", ".join(top.name for top in tops))


class OneDriveUpload:
    """One PUT of the whole file to the upload session URL (OneDrive takes up to 60 MiB
    in one request; an export is far smaller)."""

    def __init__(self, session: aiohttp.ClientSession, *, timeout_seconds: float = UPLOAD_TIMEOUT_SECONDS) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def __call__(self, url: str, data: bytes) -> None:
        size = len(data)
        headers = {"Content-Length": str(size), "Content-Range": f"bytes 0-{size - 1}/{size}"}
        # The URL carries its own authorisation: only its host goes to the log.
        host = urlsplit(url).hostname or "?"
        try:
            # No redirects: the file goes to the URL Teams handed over, nowhere else.
            async with self._session.put(url, data=data, headers=headers, timeout=self._timeout,
                                         allow_redirects=False) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise UploadFailed(f"{type(error).__name__} from {host}") from None
        # 200/201: the file is complete; 202 would mean OneDrive still expects bytes.
        if status not in (200, 201):
            raise UploadFailed(f"status {status} from {host}")
        log.info("export.upload_done", host=host, size=size)


class AfterTurn:
    """Runs work in a continuation turn of the same conversation once the current turn
    has been answered: the upload must not hold up the invoke's answer. The tasks are
    kept here until done (asyncio keeps only weak references to running tasks)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def __call__(self, context: TurnContext, work: Callable[[TurnContext], Awaitable[None]]) -> None:
        adapter = context.adapter
        # The identity this request was authenticated with, so the continuation sends
        # as the same bot through the same cached connector client.
        claims = context.turn_state.get(adapter.BOT_IDENTITY_KEY)
        audience = context.turn_state.get(adapter.BOT_OAUTH_SCOPE_KEY)
        reference = TurnContext.get_conversation_reference(context.activity)

        async def run() -> None:
            try:
                await adapter.continue_conversation_with_claims(claims, reference, audience, work)
            except Exception:  # noqa: BLE001 - a background task has nobody else to tell
                log.exception("export.after_turn_failed")

        task = asyncio.create_task(run(), name="chat-export")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, *, timeout: float) -> None:
        """At shutdown: let uploads under way finish (each is bounded by its own timeout)
        before the HTTP session closes under them; cancel what is left after `timeout`."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(list(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()


@dataclass(frozen=True)
class ChatExport:
    flows: dict[str, Dialog]  # for MainDialog: verb "export"
    on_file_consent: Callable[[TurnContext], Awaitable[int]]  # for MalkollBot: fileConsent/invoke
    after_turn: AfterTurn


def chat_export(*, uow_factory: Callable[[], UnitOfWork], clock: Clock, session: aiohttp.ClientSession) -> ChatExport:
    exports = HeadExports(uow_factory)
    after_turn = AfterTurn()
    return ChatExport(
        flows={"export": ExportDialog(uow_factory=uow_factory, clock=clock, exports=exports)},
        on_file_consent=FileConsent(uow_factory=uow_factory, clock=clock, exports=exports,
                                    upload=OneDriveUpload(session), after_turn=after_turn),
        after_turn=after_turn,
    )
