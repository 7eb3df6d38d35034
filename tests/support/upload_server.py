"""A stand-in for the OneDrive upload session Teams hands a bot when a person allows a
file: a real aiohttp server on 127.0.0.1 that records every PUT (headers and body) and
can answer an error status on demand."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True)
class Upload:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class UploadServer:
    uploads: list[Upload] = field(default_factory=list)
    status: int = 201  # what OneDrive answers when the last byte range completes the file
    port: int = 0
    # While set and not released, PUTs are recorded but not answered (a slow OneDrive).
    held: asyncio.Event | None = None
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> UploadServer:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_put("/{path:.*}", self._put)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the bound free port
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def hold(self) -> asyncio.Event:
        """Answer no PUT until the returned event is set."""
        self.held = asyncio.Event()
        return self.held

    def url(self, path: str = "upload/session-1") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.uploads.append(Upload(request.match_info["path"], dict(request.headers), body))
        if self.held is not None:
            await self.held.wait()
        if self.status >= 400:
            return web.json_response({"error": {"code": "generalException"}}, status=self.status)
        return web.json_response({"id": "01ABC", "name": "export.xlsx", "size": len(body)}, status=self.status)
