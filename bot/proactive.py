"""Proactive messages through stored conversation references, within Teams' limits.

Teams allows a bot about 7 messages per second in one conversation and 50 requests
per second per app and tenant; above that it answers 429 with Retry-After. So:
- every request waits for a slot from two pacers, its tenant's and its
  conversation's, set a little below the limits (MARGIN). A pacer keeps a
  schedule (Pacer): a request that leaves a few milliseconds late does not cost
  the next one its slot, so the rate stays just under the limit however busy the
  process is, and a backlog never leaves as a burst. The wait happens at the wire (SEND_GATE in bot/adapter.py's sender), after the
  message is built, so that work cannot bunch requests up, and the pipeline's own
  retries are paced too;
- many requests are in flight at once (the caller's workers), so the connector's
  latency never limits the rate, only the pacers do;
- a 429 pauses the whole tenant pacer for Retry-After (msrest does not retry 429;
  bot/adapter.py's pipeline retries the request itself and tells us through
  RETRY_OBSERVER, so the other senders wait too instead of running into it);
- 412/429/502/503/504 and network errors still failing after the pipeline's own
  attempts are tried again here with exponential backoff and jitter (tenacity),
  and then reported as RETRY for a later pass;
- 403/404 mean the app was removed or the person is gone: the reference is marked
  inactive and the outcome is UNREACHABLE (the caller tells the department head).

A message goes straight to the Bot Connector's "send to conversation" through the
adapter's cached ConnectorClient (same pipeline: token, retries, gate): no
continuation turn, no TurnContext copying the activity, no middleware, which is
botbuilder's per-message cost for a proactive send that answers nobody.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
import structlog
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount, InputHints
from botframework.connector.auth import ConnectorFactory
from tenacity import AsyncRetrying, RetryError, retry_if_exception, stop_after_attempt, wait_random_exponential

from bot.adapter import RETRY_OBSERVER, SEND_GATE
from storage.references import ConversationRef, ReferenceStore

log = structlog.get_logger(__name__)

TENANT_RATE = 50.0  # requests per second per app and tenant
CONVERSATION_RATE = 7.0  # messages per second per conversation
# Paced a little below the limits: Teams counts arrivals, and arrivals bunch up on
# the way (a busy machine or connector delays some requests more than others), so
# a pacer exactly at the limit would see 429s. At 94 % a second at the connector
# only holds one request too many once arrivals bunch by ~55 ms.
MARGIN = 0.94
# How late a request may leave and still keep its place in the schedule: an event
# loop busy with other messages wakes a waiting request a few milliseconds late,
# and a pacer that lost that every time ran at 85 % instead of 92 %.
TOLERANCE = 0.010
# A 429 says arrivals bunched up more than the margin allows: each one slows the
# pacer by this factor, down to MIN_SHARE of the limit, so a jittery environment
# costs a few 429s, not one every few seconds.
SLOW_DOWN = 0.98
MIN_SHARE = 0.8
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
    """Lets requests through at `rate` per second, each one `1/rate` after the one
    before by the schedule, and can be paused (Retry-After).

    A generic cell rate algorithm: a request may leave once the time is within
    `tolerance` of its slot, and the next slot is one interval after this one, or
    after now if this one left later than that. So a request woken a little late
    does not push every later one back (a pacer measuring from the last actual
    send lost ~8 % of the rate that way), and a process that was held up longer
    does not catch up in a burst (booking turns ahead did, and drew 429s): at most
    1 + (t + tolerance) × rate requests leave in any t seconds.
    Single event loop: check and update need no lock."""

    def __init__(self, rate: float, *, tolerance: float = TOLERANCE, floor: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.tolerance = tolerance
        self._slowest = 1.0 / floor if floor else self.interval
        self._clock = clock
        self._slot = float("-inf")  # when the next request is due by the schedule
        self._paused_until = 0.0
        self._queue: deque[asyncio.Future[None]] = deque()  # requests waiting, first in line first

    @property
    def rate(self) -> float:
        return 1.0 / self.interval

    async def acquire(self) -> None:
        if not self._queue and self._take():
            return
        # Waiters line up: only the first one sleeps until its slot, and hands over
        # to the next when it leaves. (All of them sleeping to the same moment woke
        # every sender for every request: a third of the pass's CPU.)
        me: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(me)
        try:
            if self._queue[0] is not me:
                await me
            while not self._take():
                await asyncio.sleep(max(self._slot - self.tolerance, self._paused_until) - self._clock())
        finally:
            self._queue.remove(me)
            if self._queue and not self._queue[0].done():
                self._queue[0].set_result(None)

    def _take(self) -> bool:
        now = self._clock()
        if max(self._slot - self.tolerance, self._paused_until) > now:
            return False
        self._slot = max(self._slot, now) + self.interval
        return True

    def pause(self, seconds: float) -> None:
        """Retry-After: nothing leaves for `seconds`, and the rate drops (SLOW_DOWN)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self.interval = min(self.interval / SLOW_DOWN, self._slowest)


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
        self._tenant_rate = tenant_rate
        self._conversation_rate = conversation_rate
        self._margin = margin
        self._tenants: dict[str, Pacer] = {}
        self._conversations: OrderedDict[str, Pacer] = OrderedDict()
        self._attempts = attempts
        self._max_wait = max_wait
        self._factory: ConnectorFactory | None = None
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
            outgoing = _addressed(activity, ref.reference)
            async for attempt in retrying:
                with attempt:
                    activity_id = await self._send_once(ref, outgoing)
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
        if self._factory is None:
            # What the adapter's continue_conversation would use for this app id:
            # bot/adapter.py's cached factory, so the same clients and pipeline.
            auth = self._adapter.bot_framework_authentication
            self._factory = auth.create_connector_factory(self._adapter.create_claims_identity(self._app_id))
        client = await self._factory.create(ref.service_url, None)
        try:
            response = await client.conversations.send_to_conversation(activity.conversation.id, activity)
        except Exception as error:  # noqa: BLE001 - classified here
            status = _status_of(error)
            if status is None:
                raise
            raise _StatusError(status, str(error)[:200]) from error
        return getattr(response, "id", None)

    def _tenant_pacer(self, tenant_id: str) -> Pacer:
        if tenant_id not in self._tenants:
            self._tenants[tenant_id] = self._new_pacer(self._tenant_rate)
        return self._tenants[tenant_id]

    def _conversation_pacer(self, conversation_id: str) -> Pacer:
        pacer = self._conversations.pop(conversation_id, None) or self._new_pacer(self._conversation_rate)
        self._conversations[conversation_id] = pacer
        while len(self._conversations) > 10_000:  # a pacer idle this long has nothing to space
            self._conversations.popitem(last=False)
        return pacer


    def _new_pacer(self, limit: float) -> Pacer:
        return Pacer(limit * self._margin, floor=limit * MIN_SHARE)


def _addressed(activity: Activity, reference: dict[str, Any]) -> Activity:
    """A copy of `activity` addressed as botbuilder addresses a message sent in a
    continued conversation (TurnContext.apply_conversation_reference): channel,
    service URL, conversation, from the bot to the user. The caller's activity is
    left as it was (it may be sent again, e.g. after a 429); the card in it is
    shared, not copied."""
    outgoing = copy.copy(activity)
    outgoing.type = activity.type or ActivityTypes.message
    outgoing.input_hint = activity.input_hint or InputHints.accepting_input
    outgoing.id = None
    outgoing.channel_id = reference.get("channelId")
    outgoing.locale = reference.get("locale")
    outgoing.service_url = reference.get("serviceUrl")
    outgoing.conversation = _model(ConversationAccount, reference.get("conversation"))
    outgoing.from_property = _model(ChannelAccount, reference.get("bot"))
    outgoing.recipient = _model(ChannelAccount, reference.get("user"))
    return outgoing


def _model(model: type, data: Any) -> Any:
    """A flat botbuilder schema object from its JSON dict (the keys msrest writes,
    compared without case: stored references say "tenantID" or "tenantId"). msrest's
    own deserialiser walks its whole type machinery for these few strings."""
    if not isinstance(data, dict):
        return None
    given = {key.lower(): value for key, value in data.items()}
    return model(**{name: given[spec["key"].lower()] for name, spec in model._attribute_map.items()  # noqa: SLF001
                    if spec["key"].lower() in given})


def _status_of(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return status if isinstance(status, int) else None


def _describe(error: BaseException | None) -> str:
    if isinstance(error, _StatusError):
        return f"HTTP {error.status}"
    return type(error).__name__ if error is not None else ""
