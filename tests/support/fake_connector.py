"""A fake Bot Connector: a real aiohttp server on 127.0.0.1 that records every
activity the bot sends, and can answer 429 (with Retry-After), 5xx or 403 on demand.

It implements the Bot Connector v3 endpoints the bot calls:
  POST /v3/conversations/{id}/activities              send to conversation
  POST /v3/conversations/{id}/activities/{replyToId}  reply to an activity
  PUT  /v3/conversations/{id}/activities/{activityId} update an activity
  POST /v3/conversations                              create a conversation
Usable from tests (`async with FakeConnector() as connector`) and the benchmark.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Recorded:
    method: str
    conversation_id: str
    activity: dict[str, Any]
    reply_to_id: str | None = None
    activity_id: str | None = None  # the id updated (PUT)
    authorization: str | None = None

    @property
    def text(self) -> str:
        return self.activity.get("text") or ""

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.activity.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    def all_text(self) -> str:
        """The message text and every TextBlock of its cards, for assertions."""
        parts = [self.text]
        for card in self.cards:
            parts.extend(_texts(card))
        return "\n".join(p for p in parts if p)


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "TextBlock" and "text" in node else []
        found += [node["title"]] if str(node.get("type", "")).startswith("Action.") and "title" in node else []
        for value in node.values():
            found += _texts(value)
        return found
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


@dataclass
class _Fault:
    status: int
    retry_after: str | None = None


@dataclass
class FakeConnector:
    host: str = "127.0.0.1"
    port: int = 0
    record: bool = True
    activities: list[Recorded] = field(default_factory=list)
    requests_seen: int = 0
    received: int = 0  # activities accepted, also when not recorded (benchmark)
    last: Recorded | None = None
    faults_answered: int = 0
    _faults: deque[_Fault] = field(default_factory=deque)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition | None = None

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> FakeConnector:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{reply_to}", self._send)
        app.router.add_put("/v3/conversations/{conversation_id}/activities/{activity_id}", self._update)
        app.router.add_get("/_stats", self._stats)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the bound free port
        self._changed = asyncio.Condition()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeConnector:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The serviceUrl to put on incoming activities."""
        return f"http://{self.host}:{self.port}/"

    # --- fault injection -----------------------------------------------------------

    def fail_next(self, status: int, *, times: int = 1, retry_after: float | str | None = None) -> None:
        """Answer the next `times` requests with `status` (e.g. 429, 503, 403)."""
        value = None if retry_after is None else str(retry_after)
        self._faults.extend(_Fault(status, value) for _ in range(times))

    def clear(self) -> None:
        self.activities.clear()

    # --- queries -------------------------------------------------------------------

    def to(self, conversation_id: str) -> list[Recorded]:
        return [r for r in self.activities if r.conversation_id == conversation_id]

    async def wait_for(self, count: int, *, timeout: float = 10.0) -> list[Recorded]:
        """Wait until at least `count` activities arrived (proactive sends)."""
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.activities) >= count), timeout)
        return list(self.activities)

    # --- handlers ------------------------------------------------------------------

    def _fault(self) -> web.Response | None:
        self.requests_seen += 1
        if not self._faults:
            return None
        fault = self._faults.popleft()
        self.faults_answered += 1
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else None
        body = {"error": {"code": "Injected", "message": f"fake connector answered {fault.status}"}}
        return web.json_response(body, status=fault.status, headers=headers)

    async def _remember(self, recorded: Recorded) -> None:
        self.received += 1
        self.last = recorded
        if self.record:
            self.activities.append(recorded)
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def _send(self, request: web.Request) -> web.Response:
        if (fault := self._fault()) is not None:
            return fault
        activity = await request.json()
        await self._remember(
            Recorded(
                method="POST",
                conversation_id=request.match_info["conversation_id"],
                activity=activity,
                reply_to_id=request.match_info.get("reply_to"),
                authorization=request.headers.get("Authorization"),
            )
        )
        return web.json_response({"id": f"sent-{next(self._ids)}"}, status=200)

    async def _update(self, request: web.Request) -> web.Response:
        if (fault := self._fault()) is not None:
            return fault
        activity = await request.json()
        await self._remember(
            Recorded(
                method="PUT",
                conversation_id=request.match_info["conversation_id"],
                activity=activity,
                activity_id=request.match_info["activity_id"],
                authorization=request.headers.get("Authorization"),
            )
        )
        return web.json_response({"id": request.match_info["activity_id"]}, status=200)

    async def _stats(self, request: web.Request) -> web.Response:
        last = self.last.all_text() if self.last is not None else None
        return web.json_response(
            {"requests": self.requests_seen, "received": self.received, "faults": self.faults_answered, "last": last}
        )

    async def _create_conversation(self, request: web.Request) -> web.Response:
        if (fault := self._fault()) is not None:
            return fault
        parameters = await request.json()
        conversation_id = f"created-{next(self._ids)}"
        if parameters.get("activity"):
            await self._remember(Recorded(method="POST", conversation_id=conversation_id, activity=parameters["activity"]))
        return web.json_response({"id": conversation_id, "activityId": f"sent-{next(self._ids)}"}, status=201)
