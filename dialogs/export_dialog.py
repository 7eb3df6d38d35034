""""exportera T2" in chat: the period's follow-ups as an Excel file in Teams.

Teams lets a bot send a file only in a personal chat, and only with the person's
consent: the bot sends a file-consent card (name, size, description); when the person
selects Allow, Teams sends an invoke `fileConsent/invoke` with an upload URL in their
OneDrive, the bot PUTs the bytes there and posts a file-info card that opens the file.

The consent card's context comes back from the client and is untrusted: it holds only
the period id, who asked and when. At accept time the file is made again for the
person who accepted, with their roles as they are then, so a card kept for weeks, sent
on, or edited never yields more than that person may export right now.

What the file holds and who may have it is decided in bot/ (the `Exports` given here,
built on bot/excel/exporter.py), and so are the upload (`Upload`) and running work after
the invoke has been answered (`AfterTurn`): this module decides what to say and when.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from ipaddress import ip_address
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult
from botbuilder.schema import Attachment

from dialogs.normalize import fold
from dialogs.recognizer import recognize
from dialogs.texts import Texts
from dialogs.turn_state import actor_of, texts_of
from goals.access import Actor, root_of_in
from goals.errors import PermissionDenied
from goals.model import OrgNode, Period
from goals.ports import Clock, UnitOfWork
from goals.summaries import summary_period

log = structlog.get_logger(__name__)

EXPORT_DIALOG_ID = "export"
FILE_CONSENT_INVOKE = "fileConsent/invoke"
CONSENT_CARD = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_CARD = "application/vnd.microsoft.teams.card.file.info"
CONTEXT_VERSION = 1
# A consent card older than this is refused: the person asks again and sees what the
# period holds now (the card's size and row count would be stale anyway).
CARD_MAX_AGE = timedelta(days=7)
MAX_ID = 2**31 - 1
_TYPED_KIND = re.compile(r"^T\d{1,2}$")
# "T9", "t 9", "tertial 9": a period asked for by number, also one that does not exist
# (the recognizer only knows T1–T3, and says nothing about the rest).
_NUMBERED = re.compile(r"\b(?:t|tertial)\s?(\d{1,2})\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(20\d\d)\b")
# The recognizer reports one period word; "T2 förra året" needs both (folded text).
_LAST_YEAR = re.compile(r"\b(?:forra aret?|i ?fjol|foregaende aret?|last year|previous year)\b")


@dataclass(frozen=True, slots=True)
class ExportFile:
    name: str  # what the file is called in the person's OneDrive
    data: bytes
    rows: int
    scope: str  # the part of the organisation it covers, as people call it


class Exports(Protocol):
    """What bot/ provides: who may export what, and the file itself."""

    async def tops(self, actor: Actor) -> list[OrgNode]:
        """The nodes whose subtrees the actor may export; empty when they may not."""

    async def build(self, actor: Actor, period: Period, language: str = "sv") -> ExportFile:
        """The workbook for the actor and period, headed in `language`; PermissionDenied when not theirs."""


class UploadFailed(Exception):
    """The upload URL did not take the file (status or network); the message says which."""


# (upload URL, the bytes) → None, or UploadFailed
Upload = Callable[[str, bytes], Awaitable[None]]
# Run the work in a turn of this conversation that starts once the current one has
# been answered (bot/chat_export.py).
AfterTurn = Callable[[TurnContext, Callable[[TurnContext], Awaitable[None]]], None]


# --- choosing the period ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodChoice:
    period: Period | None
    year: int
    asked: str | None = None  # what the person typed for a period none matched
    periods: tuple[Period, ...] = ()  # the year's periods, to list when none matched


def choose_period(text: str, periods_of_year: Callable[[int], Sequence[Period]], today: date) -> PeriodChoice:
    """The period "exportera …" asks for: a named one (T2, delårsrapporten, årsanalysen),
    in the year typed ("T2 2025", "förra året") or this year; with none named, the period
    being reported now."""
    recognition = recognize(text)
    year = today.year
    kind = recognition.period
    if kind in ("last_year", "this_year"):
        kind = None
    if _LAST_YEAR.search(fold(text)):
        year = today.year - 1
    if (typed_year := _YEAR.search(text)) is not None:
        year = int(typed_year.group(1))
    numbered = _NUMBERED.search(text)
    if kind is None and numbered is not None:
        kind = f"T{int(numbered.group(1))}"
    periods = tuple(periods_of_year(year))
    if kind is None:
        if year == today.year:
            return PeriodChoice(summary_period(periods, today) or (periods[0] if periods else None), year,
                                periods=periods)
        return PeriodChoice(periods[-1] if periods else None, year, periods=periods)
    found = next((p for p in periods if p.kind == kind), None)
    if found is None and kind == "annual":
        # "årsanalysen" where the profile's year-end period has another key (T3 in Stockholm)
        found = next((p for p in periods if p.is_year_end), None)
    if found is None:
        asked = numbered.group(0) if numbered is not None else kind
        return PeriodChoice(None, year, asked=asked, periods=periods)
    return PeriodChoice(found, year, periods=periods)


def period_name(texts: Texts, period: Period) -> str:
    key = f"period.{period.kind}"
    return texts.t(key) if texts.has(key) else texts.t("period.other", kind=period.kind)


def typed_name(texts: Texts, period: Period) -> str:
    """How the person would ask for the period again: "T2", else its name."""
    return period.kind if _TYPED_KIND.match(period.kind) else period_name(texts, period).lower()


# --- the consent card's context ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsentContext:
    period_id: int
    requester: str  # the Entra object id of the person who asked
    tenant: str
    issued: date

    def to_json(self) -> dict[str, Any]:
        return {"v": CONTEXT_VERSION, "period_id": self.period_id, "requester": self.requester,
                "tenant": self.tenant, "issued": self.issued.isoformat()}

    @staticmethod
    def parse(value: Any) -> ConsentContext | None:
        """None for anything that is not exactly what `to_json` writes."""
        if not isinstance(value, dict) or value.get("v") != CONTEXT_VERSION:
            return None
        period_id, requester, tenant, issued = (value.get(k) for k in ("period_id", "requester", "tenant", "issued"))
        if not (isinstance(period_id, int) and not isinstance(period_id, bool) and 0 < period_id <= MAX_ID):
            return None
        if not all(isinstance(s, str) and 0 < len(s) <= 100 for s in (requester, tenant, issued)):
            return None
        try:
            issued_on = date.fromisoformat(issued)
        except ValueError:
            return None
        return ConsentContext(period_id, requester, tenant, issued_on)


def upload_url_allowed(url: Any) -> bool:
    """HTTPS only: the file is the municipality's data. Plain HTTP is accepted for a
    loopback address, which only a local test or the Playground can offer."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _user_of(context: TurnContext) -> str:
    sender = context.activity.from_property
    return (sender.aad_object_id if sender else None) or ""


def _is_personal(context: TurnContext) -> bool:
    conversation = context.activity.conversation
    return bool(conversation) and (conversation.conversation_type or "personal") == "personal"


# --- asking: "exportera T2" ---------------------------------------------------------------


class ExportDialog(Dialog):
    """One turn: the consent card for the period asked, or why there is none."""

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock, exports: Exports) -> None:
        super().__init__(EXPORT_DIALOG_ID)
        self._uow = uow_factory
        self._clock = clock
        self._exports = exports

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        await self._ask(dialog_context.context)
        return await dialog_context.end_dialog()

    async def _ask(self, context: TurnContext) -> None:
        texts, actor = texts_of(context), actor_of(context)
        if not _is_personal(context):
            await context.send_activity(texts.t("export.personal_only"))
            return
        tops = await self._exports.tops(actor)
        if not tops:
            await context.send_activity(texts.t("export.not_allowed"))
            return
        today = self._clock.today()
        async with self._uow() as uow:
            root = await root_of_in(uow, node_id=tops[0].id)
            by_year = {year: await uow.periods.for_root(root.id, year) for year in _years_in(context.activity.text, today)}
        choice = choose_period(context.activity.text or "", lambda year: by_year.get(year, ()), today)
        if choice.period is None:
            await context.send_activity(_no_such_period(texts, choice))
            return
        period = choice.period
        try:
            made = await self._exports.build(actor, period, texts.language)
        except PermissionDenied:
            await context.send_activity(texts.t("export.not_allowed"))
            return
        names = {"period": period_name(texts, period), "year": period.year, "scope": made.scope}
        if made.rows == 0:
            await context.send_activity(texts.t("export.empty", **names))
            return
        consent = ConsentContext(period.id, _user_of(context), actor.person.tenant_id, today).to_json()
        card = Attachment(
            content_type=CONSENT_CARD,
            name=made.name,
            content={
                "description": texts.t("export.description", rows=made.rows, **names),
                "sizeInBytes": len(made.data),
                "acceptContext": consent,
                "declineContext": consent,
            },
        )
        await context.send_activity(MessageFactory.attachment(card))
        log.info("export.offered", period_id=period.id, rows=made.rows, size=len(made.data))


def _years_in(text: str | None, today: date) -> set[int]:
    """The years whose periods `choose_period` may look at (one query each)."""
    years = {today.year, today.year - 1}
    years.update(int(y) for y in _YEAR.findall(text or ""))
    return years


def _no_such_period(texts: Texts, choice: PeriodChoice) -> str:
    if not choice.periods:
        return texts.t("export.no_periods", year=choice.year)
    asked = choice.asked or ""
    if texts.has(f"period.{asked}"):  # a kind the recognizer knows: "delårsrapporten" → "interim"
        asked = texts.t(f"period.{asked}")
    return texts.t(
        "export.unknown_period",
        asked=asked,
        year=choice.year,
        periods=", ".join(period_name(texts, p) for p in choice.periods),
        example=typed_name(texts, choice.periods[0]),
    )


# --- answering: the person allowed or declined ---------------------------------------------


class FileConsent:
    """Handles `fileConsent/invoke`; returns the invoke's HTTP status, always 200: every
    outcome the person should know about is a message in the chat (as in Microsoft's
    file-upload samples; a 5xx would only add a generic error to the card, and Teams
    retries an invoke that fails).

    What can be decided at once is answered in the turn. The file itself is made,
    uploaded and posted after the invoke has been answered (`after_turn`): Teams shows
    "Something went wrong" on the card when the answer waits for an upload, and a
    director's workbook takes seconds to write."""

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock, exports: Exports,
                 upload: Upload, after_turn: AfterTurn) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._exports = exports
        self._upload = upload
        self._after_turn = after_turn

    async def __call__(self, context: TurnContext) -> int:
        texts, actor = texts_of(context), actor_of(context)
        value = context.activity.value if isinstance(context.activity.value, dict) else {}
        action = value.get("action")
        if not _is_personal(context):
            await context.send_activity(texts.t("export.personal_only"))
            return 200
        consent = ConsentContext.parse(value.get("context"))
        if consent is None or action not in ("accept", "decline"):
            log.info("export.card_invalid", action=str(action)[:20])
            await context.send_activity(texts.t("export.invalid_card"))
            return 200
        # The actor was identified in the activity's tenant, so this also refuses a card
        # made in another organisation.
        if consent.requester != _user_of(context) or consent.tenant != actor.person.tenant_id:
            log.warning("export.card_not_yours", period_id=consent.period_id)
            await context.send_activity(texts.t("export.not_yours"))
            return 200
        if action == "decline":
            await context.send_activity(texts.t("export.declined"))
            return 200
        if not timedelta(0) <= self._clock.today() - consent.issued <= CARD_MAX_AGE:
            await context.send_activity(texts.t("export.invalid_card"))
            return 200
        period = await self._period_for(actor, consent.period_id)
        if period is None:
            # Not a head any more, or a period of another organisation: the same answer
            # either way for a period, so probing ids reveals nothing.
            tops = await self._exports.tops(actor)
            await context.send_activity(texts.t("export.period_gone" if tops else "export.not_allowed"))
            return 200
        info = value.get("uploadInfo") if isinstance(value.get("uploadInfo"), dict) else {}
        if not upload_url_allowed(info.get("uploadUrl")) or not isinstance(info.get("contentUrl"), str):
            log.warning("export.upload_info_invalid", period_id=period.id)
            await context.send_activity(texts.t("export.invalid_card"))
            return 200

        async def deliver(later: TurnContext) -> None:
            await self._deliver(later, texts=texts, actor=actor, period=period, info=info)

        self._after_turn(context, deliver)
        return 200

    async def _period_for(self, actor: Actor, period_id: int) -> Period | None:
        """The period, if it belongs to the organisation the actor may export from now."""
        tops = await self._exports.tops(actor)
        if not tops:
            return None
        async with self._uow() as uow:
            period = await uow.periods.get(period_id)
            roots = {(await root_of_in(uow, node_id=top.id)).id for top in tops}
        return period if period is not None and period.root_id in roots else None

    async def _deliver(self, context: TurnContext, *, texts: Texts, actor: Actor, period: Period,
                       info: dict[str, Any]) -> None:
        """Make the file for the person who allowed it, upload it and post it. Runs after
        the turn, so nothing may escape: the turn error handler would drop the
        conversation's open dialog for a failed export."""
        try:
            try:
                made = await self._exports.build(actor, period, texts.language)
            except PermissionDenied:
                await context.send_activity(texts.t("export.not_allowed"))
                return
            try:
                await self._upload(info["uploadUrl"], made.data)
            except UploadFailed as failure:
                log.warning("export.upload_failed", period_id=period.id, reason=str(failure))
                await context.send_activity(texts.t("export.upload_failed", example=typed_name(texts, period)))
                return
            names = {"period": period_name(texts, period), "year": period.year, "scope": made.scope}
            file_card = Attachment(
                content_type=FILE_INFO_CARD,
                content_url=info["contentUrl"],
                name=str(info.get("name") or made.name),
                content={"uniqueId": str(info.get("uniqueId") or ""), "fileType": str(info.get("fileType") or "xlsx")},
            )
            await context.send_activity(
                MessageFactory.attachment(file_card, text=texts.t("export.uploaded", rows=made.rows, **names))
            )
            log.info("export.uploaded", period_id=period.id, rows=made.rows, size=len(made.data))
        except Exception:  # noqa: BLE001 - see the docstring; the person is told
            log.exception("export.failed", period_id=period.id)
            try:
                await context.send_activity(texts.t("export.failed", example=typed_name(texts, period)))
            except Exception:  # noqa: BLE001 - the connector itself may be what failed
                log.exception("export.failed_reply_failed", period_id=period.id)
