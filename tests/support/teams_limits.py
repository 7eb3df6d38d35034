"""A fake Bot Connector that behaves like Teams under load: it enforces the
proactive-messaging limits (7 messages per second per conversation, 50 requests per
second per app and tenant; above them 429 with Retry-After) and can refuse one
conversation on demand (403 for a removed app, 503 for an outage).

An extension of tests/support/fake_connector.py (subclass, that file untouched).
It also keeps the figures the reminder benchmark reports: 429s answered, requests
that came in although a 429 had told the sender to wait ("ignored"), and
messages per conversation (duplicates).
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field

from aiohttp import web

from tests.support.fake_connector import FakeConnector

APP = "app"  # one app in one tenant: the per-app-and-tenant scope


@dataclass
class LimitedConnector(FakeConnector):
    enforce_limits: bool = False
    per_conversation: int = 7
    per_app: int = 50
    window: float = 1.0
    retry_after: float = 1.0
    # A request already under way when the 429 was answered is not "ignoring" it.
    grace: float = 0.05
    throttled: int = 0
    ignored: int = 0
    delivered: Counter = field(default_factory=Counter)  # conversation id → messages accepted
    first_at: float | None = None
    last_at: float | None = None
    arrivals: list = field(default_factory=list)  # monotonic arrival time of every send
    _refusals: dict[str, list] = field(default_factory=dict)  # conversation → [status, times left or None]
    _times: dict[str, deque] = field(default_factory=dict)
    _told_to_wait: dict[str, tuple[float, float]] = field(default_factory=dict)

    def refuse(self, conversation_id: str, status: int, *, times: int | None = None) -> None:
        """Answer `status` to this conversation (`times` times, or until `allow`)."""
        self._refusals[conversation_id] = [status, times]

    def allow(self, conversation_id: str) -> None:
        self._refusals.pop(conversation_id, None)

    def figures(self) -> dict:
        delivered = sum(self.delivered.values())
        span = (self.last_at or 0.0) - (self.first_at or 0.0)
        return {
            "delivered": delivered,
            "conversations": len(self.delivered),
            "duplicates": self.duplicates,
            "throttled": self.throttled,
            "ignored": self.ignored,
            "rate": (delivered - 1) / span if span > 0 else 0.0,
            "busiest_second": self.busiest_window(),
        }

    def busiest_window(self) -> int:
        """The most requests that arrived within any one window (sliding)."""
        best, start = 0, 0
        for end, at in enumerate(self.arrivals):
            while self.arrivals[start] <= at - self.window:
                start += 1
            best = max(best, end - start + 1)
        return best

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.delivered.values() if n > 1)

    async def _send(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation_id"]
        now = time.monotonic()
        self.arrivals.append(now)
        if any(start <= now < end for scope in (APP, conversation)
               if (start_end := self._told_to_wait.get(scope)) for start, end in [start_end]):
            self.ignored += 1
        refusal = self._refusals.get(conversation)
        if refusal is not None:
            status, left = refusal
            if left is not None:
                refusal[1] = left - 1
                if refusal[1] <= 0:
                    self.allow(conversation)
            self.requests_seen += 1
            self.faults_answered += 1
            return web.json_response({"error": {"code": "Refused", "message": f"{status}"}}, status=status)
        if self.enforce_limits:
            for scope, limit in ((APP, self.per_app), (conversation, self.per_conversation)):
                times = self._times.setdefault(scope, deque())
                while times and times[0] <= now - self.window:
                    times.popleft()
                if len(times) >= limit:
                    self.throttled += 1
                    self.requests_seen += 1
                    self._told_to_wait[scope] = (now + self.grace, now + self.retry_after)
                    return web.json_response(
                        {"error": {"code": "TooManyRequests", "message": "limit exceeded"}}, status=429,
                        headers={"Retry-After": f"{self.retry_after:g}"},
                    )
            for scope in (APP, conversation):
                self._times[scope].append(now)
        response = await super()._send(request)
        if response.status == 200:
            self.delivered[conversation] += 1
            self.first_at = self.first_at or now
            self.last_at = now
        return response
