"""The composition root: settings → engine → unit of work → services → dialogs →
bot → adapter, built when the aiohttp application starts and torn down when it
stops. Nothing is created at import time, so tests and the benchmark can run
several apps side by side on different databases.

Routes: POST /api/messages (Bot Framework), GET /healthz (the database answers?).
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import structlog
from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.dialogs import Dialog
from botbuilder.integration.aiohttp import CloudAdapter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapter import activity_from_json, create_adapter
from bot.chat_export import UPLOAD_TIMEOUT_SECONDS, chat_export
from bot.config import Settings
from bot.identity import Identities
from bot.logging_setup import configure_logging
from bot.outbox_dispatcher import approval_flows, dispatcher_context
from bot.scheduler import scheduler_context, snooze_dialog
from bot.references import ReferenceRecorder
from bot.state_storage import LeanConversationState, SqlBotStorage
from bot.summary_jobs import summaries_context, summary_flows
from bot.teams_bot import MalkollBot, OneWriterLedger, make_turn_error_handler
from bot.tenants import TenantGate
from bot.turn_order import TurnOrder
from dialogs.follow_up_dialog import FollowUpDialog
from dialogs.main_dialog import MainDialog
from goals.clock import SystemClock
from goals.ports import Clock, UnitOfWork
from storage.bot_state import ActivityLedger, StateStore
from storage.references import ReferenceStore
from storage.session import create_engine, is_sqlite, make_sessionmaker
from storage.unit_of_work import uow_factory

log = structlog.get_logger(__name__)

HEALTH_TIMEOUT_SECONDS = 3.0
MAX_BODY_BYTES = 1024 * 1024


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    adapter: CloudAdapter
    bot: MalkollBot


SETTINGS = web.AppKey("settings", Settings)
RUNTIME = web.AppKey("runtime", Runtime)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_runtime)
    app.cleanup_ctx.append(dispatcher_context)  # approval cards and outcomes from the outbox; needs the runtime
    app.cleanup_ctx.append(summaries_context)  # scheduled channel summaries; needs the runtime
    app.cleanup_ctx.append(scheduler_context)  # reminders; needs the runtime above
    app.router.add_post("/api/messages", _messages)
    app.router.add_get("/healthz", _healthz)
    return app


def _flows(make_uow: Callable[[], UnitOfWork], clock: Clock) -> dict[str, Dialog]:
    """The flows the main dialog starts by verb; "fortsätt" and "ändra" resume reporting."""
    follow_up = FollowUpDialog(uow_factory=make_uow, clock=clock)
    return {"report": follow_up, "continue": follow_up, "edit": follow_up}


async def _runtime(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.effective_database_url)
    sessionmaker = make_sessionmaker(engine)
    make_uow = uow_factory(sessionmaker)
    clock = SystemClock(settings.timezone)
    # One HTTP session for every reply to the Bot Connector (connection reuse).
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    conversation_state = LeanConversationState(SqlBotStorage(StateStore(sessionmaker)))
    adapter = create_adapter(settings, session=http)
    ledger = ActivityLedger(sessionmaker)
    if is_sqlite(settings.effective_database_url):
        ledger = OneWriterLedger(ledger)
    adapter.on_turn_error = make_turn_error_handler(conversation_state)
    adapter.use(TurnOrder(conversation_state))  # one turn at a time per conversation
    # "exportera T2": the consent card, and the upload on the shared session when allowed
    export = chat_export(uow_factory=make_uow, clock=clock, session=http)
    bot = MalkollBot(
        conversation_state=conversation_state,
        main_dialog=MainDialog(
            uow_factory=make_uow,
            clock=clock,
            flows={
                **_flows(make_uow, clock),
                **approval_flows(uow_factory=make_uow, clock=clock, sessionmaker=sessionmaker),
                **summary_flows(uow_factory=make_uow, clock=clock, sessionmaker=sessionmaker),
                # reminders' "Påminn mig i morgon" (bot/scheduler.py)
                "snooze": snooze_dialog(sessionmaker, clock=clock, data_dir=settings.data_dir),
                **export.flows,
            },
        ),
        identities=Identities(uow_factory=make_uow),
        tenant_gate=TenantGate(configured=settings.allowed_tenants, uow_factory=make_uow),
        ledger=ledger,
        references=ReferenceRecorder(ReferenceStore(sessionmaker)),
        file_consent=export.on_file_consent,
    )
    app[RUNTIME] = Runtime(settings=settings, engine=engine, adapter=adapter, bot=bot)
    if settings.local_mode:
        log.warning("auth.local_mode", detail="no MicrosoftAppId set: requests are not authenticated (Playground/tests only)")
    else:
        log.info("auth.enabled", app_type=settings.app_type)
    log.info(
        "app.started",
        database=engine.url.render_as_string(hide_password=True),
        allowed_tenants=settings.allowed_tenants or "tenants with an organisation in the database",
    )
    try:
        yield
    finally:
        await export.after_turn.drain(timeout=UPLOAD_TIMEOUT_SECONDS)  # files being sent to OneDrive
        await http.close()
        await engine.dispose()
        log.info("app.stopped")


async def _messages(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    if "application/json" not in request.headers.get("Content-Type", ""):
        return web.Response(status=415)
    try:
        body = await request.json()
        # the Activity msrest's Deserializer would build, by a direct walk (bot/adapter.py)
        activity = activity_from_json(body)
    except (ValueError, TypeError, AttributeError):
        return web.Response(status=400)
    if not activity.type:
        return web.Response(status=400)
    structlog.contextvars.clear_contextvars()
    # ten hex digits as before (uuid4's were from os.urandom, a system call per turn); a log tag, not a secret
    structlog.contextvars.bind_contextvars(correlation_id=f"{random.getrandbits(40):010x}")
    try:
        invoke_response = await runtime.adapter.process_activity(
            request.headers.get("Authorization", ""), activity, runtime.bot.on_turn
        )
    except PermissionError as exc:
        # The bot never sees an unauthenticated activity.
        log.warning("auth.refused", reason=str(exc))
        return web.Response(status=401)
    finally:
        structlog.contextvars.clear_contextvars()
    if invoke_response is not None:
        return web.json_response(serializer_helper(invoke_response.body), status=invoke_response.status)
    return web.Response(status=201)


async def _healthz(request: web.Request) -> web.Response:
    engine = request.app[RUNTIME].engine
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        reason = f"database unavailable: {type(exc).__name__}"
        log.warning("health.failed", reason=reason, detail=str(exc).splitlines()[0][:200] if str(exc) else "")
        return web.json_response({"status": "unavailable", "reason": reason}, status=503)
    return web.json_response({"status": "ok"})


async def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run until SIGTERM (docker stop, systemd) or SIGINT (Ctrl-C), then stop cleanly:
    requests in flight finish, the engine is disposed."""
    configure_logging(settings.log_level)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("app.listening", url=f"http://{host}:{port}/api/messages")
        await stop.wait()
        log.info("app.stopping")
    finally:
        await runner.cleanup()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
