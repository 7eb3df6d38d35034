"""Proactive messages through stored conversation references, within Teams' limits.

Teams allows a bot about 7 messages per second in one conversation and 50 requests
per second per app and tenant; above that it answers 429 with Retry-After. So:
- every request waits for a slot from two pacers, its tenant's and its
  conversation's, set a little below the limits (MARGIN) so that jitter on the way
  never tips a one-second window over; the wait happens at the wire (SEND_GATE in
  bot/adapter.py's sender), after botbuilder's per-turn work, so that work cannot
  bunch requests up, and the pipeline's own retries are paced too;
- a 429 pauses the whole tenant pacer for Retry-After (msrest does not retry 429;
  bot/adapter.py's pipeline retries the request itself and tells us through
  RETRY_OBSERVER, so the other senders wait too instead of running into it);
- 412/429/502/503/504 and network errors still failing after the pipeline's own
  attempts are tried again here with exponential backoff and jitter (tenacity),
  and then reported as RETRY for a later pass;
- 403/404 mean the app was removed or the person is gone: the reference is marked
  inactive and the outcome is UNREACHABLE (the caller tells the department head).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
import structlog
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from tenacity import AsyncRetrying, RetryError, retry_if_exception, stop_after_attempt, wait_random_exponential

from bot.adapter import RETRY_OBSERVER, SEND_GATE
from bot.references import reference_from_dict
from storage.references import ConversationRef, ReferenceStore

log = structlog.get_logger(__name__)

TENANT_RATE = 50.0  # requests per second per app and tenant
CONVERSATION_RATE = 7.0  # messages per second per conversation
MARGIN = 0.92  # arrival jitter of a few requests per second must not tip a window over
TRANSIENT = frozenset({412, 429, 502, 503, 504})
GONE = frozenset({403, 404})


class Outcome(StrEnum):
    SENT = "sent"
    UNREACHABLE = "unreachable"  # 403/404: reference marked inactive
    RETRY = "retry"  # transient failure after every attempt: try in a later pass
    FAILED = "failed"  # any other refusal (400, 401 …): retrying will not help


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    status: int | None = None
    detail: str = ""
    activity_id: str | None = None


class Pacer:
    """Lets requests through at least 1/rate seconds apart, measured when each one
    actually goes (not when its turn was booked: after the process was held up,
    several booked turns would all be due at once and leave as a burst; a window
    counter that allowed catching up did exactly that and drew 429s), and can be
    paused (Retry-After). Single event loop: check and update need no lock."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._last = float("-inf")
        self._paused_until = 0.0

    async def acquire(self) -> None:
        while True:
            now = self._clock()
            wait = max(self._last + self.interval, self._paused_until) - now
            if wait <= 0:
                self._last = now
                return
            await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)


class _StatusError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status} {detail}")
        self.status = status
        self.detail = detail


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, _StatusError):
        return error.status in TRANSIENT
    return isinstance(error, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError)


class ProactiveSender:
    def __init__(
        self,
        adapter: CloudAdapter,
        *,
        app_id: str,
        references: ReferenceStore,
        tenant_rate: float = TENANT_RATE,
        conversation_rate: float = CONVERSATION_RATE,
        margin: float = MARGIN,
        attempts: int = 2,
        max_wait: float = 10.0,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._references = references
        self._tenant_rate = tenant_rate * margin
        self._conversation_rate = conversation_rate * margin
        self._tenants: dict[str, Pacer] = {}
        self._conversations: OrderedDict[str, Pacer] = OrderedDict()
        self._attempts = attempts
        self._max_wait = max_wait
        self.throttled = 0  # 429s seen (each one honoured by pausing)

    async def send(self, ref: ConversationRef, activity: Activity) -> SendResult:
        tenant = self._tenant_pacer(ref.tenant_id)
        conversation = self._conversation_pacer(ref.conversation_id)

        def on_retry(status: int, delay: float) -> None:
            if status == 429:
                self.throttled += 1
                tenant.pause(delay)
                conversation.pause(delay)

        async def gate() -> None:
            await tenant.acquire()
            await conversation.acquire()

        token = RETRY_OBSERVER.set(on_retry)
        gate_token = SEND_GATE.set(gate)
        try:
            retrying = AsyncRetrying(
                retry=retry_if_exception(_is_transient),
                stop=stop_after_attempt(self._attempts),
                wait=wait_random_exponential(multiplier=0.5, max=self._max_wait),
                reraise=False,
            )
            async for attempt in retrying:
                with attempt:
                    activity_id = await self._send_once(ref, activity)
            return SendResult(Outcome.SENT, activity_id=activity_id)
        except RetryError as exhausted:
            error = exhausted.last_attempt.exception()
            status = error.status if isinstance(error, _StatusError) else None
            log.warning("proactive.retry_later", conversation_id=ref.conversation_id, status=status, error=str(error)[:200])
            return SendResult(Outcome.RETRY, status=status, detail=_describe(error))
        except _StatusError as error:
            if error.status in GONE:
                await self._references.mark_inactive(ref.conversation_id)
                log.info("proactive.unreachable", conversation_id=ref.conversation_id, status=error.status)
                return SendResult(Outcome.UNREACHABLE, status=error.status, detail=_describe(error))
            log.warning("proactive.failed", conversation_id=ref.conversation_id, status=error.status)
            return SendResult(Outcome.FAILED, status=error.status, detail=_describe(error))
        finally:
            SEND_GATE.reset(gate_token)
            RETRY_OBSERVER.reset(token)

    async def _send_once(self, ref: ConversationRef, activity: Activity) -> str | None:
        sent: list[Any] = []
        failed: list[Exception] = []

        async def callback(turn_context: TurnContext) -> None:
            # Caught here, not left to the adapter: its on_turn_error would answer
            # the "user" of this proactive turn with an error message and swallow it.
            try:
                sent.append(await turn_context.send_activity(activity))
            except Exception as error:  # noqa: BLE001 - classified below
                failed.append(error)

        await self._adapter.continue_conversation(reference_from_dict(ref.reference), callback, self._app_id)
        if failed:
            error = failed[0]
            status = _status_of(error)
            if status is None:
                raise error
            raise _StatusError(status, str(error)[:200]) from error
        response = sent[0] if sent else None
        return getattr(response, "id", None)

    def _tenant_pacer(self, tenant_id: str) -> Pacer:
        if tenant_id not in self._tenants:
            self._tenants[tenant_id] = Pacer(self._tenant_rate)
        return self._tenants[tenant_id]

    def _conversation_pacer(self, conversation_id: str) -> Pacer:
        pacer = self._conversations.pop(conversation_id, None) or Pacer(self._conversation_rate)
        self._conversations[conversation_id] = pacer
        while len(self._conversations) > 10_000:  # a pacer idle this long has nothing to space
            self._conversations.popitem(last=False)
        return pacer


def _status_of(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return status if isinstance(status, int) else None


def _describe(error: BaseException | None) -> str:
    if isinstance(error, _StatusError):
        return f"HTTP {error.status}"
    return type(error).__name__ if error is not None else ""
