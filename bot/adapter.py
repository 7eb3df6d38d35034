"""The Bot Framework adapter, with the outbound path made cheap and correct.

Stock botbuilder 4.17 builds, on every turn, a new credentials object, a new
ConnectorClient and a new token-API client; each msrest client configuration
builds a retry policy by scanning a ~500-item list for each of 999 status codes
(O(n²), milliseconds per turn), and replies go through `requests` in a thread
pool. Here, in our own layer (site-packages untouched):

- `LeanAuthentication` wraps botbuilder's ConfigurationBotFrameworkAuthentication
  (inbound JWT validation stays botbuilder's) and hands out one
  `CachedConnectorFactory` per bot app id;
- the factory keeps one ConnectorClient per (service URL, audience), whose msrest
  pipeline sends on one shared aiohttp session;
- the pipeline honours Retry-After on 429 (msrest does not) and retries transient
  412/502/503/504 a few times with backoff and jitter;
- an outgoing Activity is turned into its JSON body by `activity_body`, a direct
  walk of the schema's attribute maps, instead of msrest's `Serializer.body`
  (which first rebuilds the whole model through a Deserializer, validates it,
  then serialises it: ≈1.5 ms CPU for an overview card). The wire shape is the
  same; anything the walk does not know exactly is left to msrest;
- replies and proactive messages (`reply_to_activity`, `send_to_conversation`) are
  posted straight on the shared session by `_DirectConversations`, with the same
  URL, headers, JSON, token, send gate, retry, result and error as through msrest's
  operation and pipeline layers (≈0.5 ms CPU per reply less);
- incoming activities are read by `activity_from_json`, a direct walk giving the
  Activity msrest's Deserializer gives (≈0.35 ms CPU less per turn);
- turns run on `LeanTurnContext` (via `LeanCloudAdapter`), which sends a shallow
  copy of each outgoing activity instead of botbuilder's deep copy (an overview
  card is thousands of objects).
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import functools
import json
import random
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, DeliveryModes, ResourceResponse
from botframework.connector import BotFrameworkConnectorConfiguration
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, Request, Response
from msrest.serialization import Model, Serializer
from msrest.pipeline.async_abc import AsyncPipeline
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http.aiohttp import AioHttpClientResponse

from bot.config import Settings

log = structlog.get_logger(__name__)

USER_AGENT = "Malkoll/0.1 (BotBuilder Python 4.17)"
RETRY_STATUSES = frozenset({412, 429, 502, 503, 504})
MAX_ATTEMPTS = 4
MAX_RETRY_AFTER_SECONDS = 30.0
# Told (status, delay) before every retry of a request sent in this context: the
# proactive sender (bot/proactive.py) pauses its whole throttle on a 429, not only
# the one request that got it.
RETRY_OBSERVER: ContextVar[Callable[[int, float], None] | None] = ContextVar("connector_retry_observer", default=None)
# Awaited right before each request of this context goes on the wire (retries
# included): the proactive sender paces there, where arrival order is decided.
SEND_GATE: ContextVar[Callable[[], Awaitable[None]] | None] = ContextVar("connector_send_gate", default=None)


@dataclass(frozen=True)
class BotConfiguration:
    """The attribute names botbuilder's Configuration* classes read."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def bot_configuration(settings: Settings) -> BotConfiguration:
    return BotConfiguration(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password.get_secret_value(),
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )


# --- the outbound HTTP pipeline ------------------------------------------------


class _SharedSessionSender(AsyncHTTPSender):
    """Sends msrest requests on the app's one aiohttp session (connection reuse)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> _SharedSessionSender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None  # the session belongs to the app, closed at shutdown

    async def send(self, request: Request, **config: Any) -> Response:
        if (gate := SEND_GATE.get()) is not None:
            await gate()
        http = request.http_request
        # msrest hands the JSON body over as text; as bytes aiohttp sends it as it is
        # (a str goes through its payload registry and a content-type parse per request).
        data = http.data.encode("utf-8") if isinstance(http.data, str) else http.data
        async with self._session.request(http.method, http.url, headers=dict(http.headers), data=data) as raw:
            response = AioHttpClientResponse(http, raw)
            await response.load_body()
        return Response(request, response)


async def _authorization(credentials: AppCredentials) -> str | None:
    """The bot's Entra token as an Authorization header. No app id (local mode) → None."""
    app_id = getattr(credentials, "microsoft_app_id", None)
    if app_id and app_id != AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
        # MSAL answers from its cache; only a refresh goes to the network,
        # and it is blocking, hence the thread.
        token = await asyncio.to_thread(credentials.get_access_token)
        return f"Bearer {token}"
    return None


class _BearerToken(AsyncHTTPPolicy):
    """Adds the bot's Entra token. No app id (local mode) → no header at all."""

    def __init__(self, credentials: AppCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    async def send(self, request: Request, **kwargs: Any) -> Response:
        if (authorization := await _authorization(self._credentials)) is not None:
            request.http_request.headers["Authorization"] = authorization
        return await self.next.send(request, **kwargs)


def retry_delay(attempt: int, retry_after: str | None) -> float:
    """Seconds to wait before attempt `attempt + 1`: the server's Retry-After when
    it gives one (capped), else exponential backoff with full jitter."""
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), MAX_RETRY_AFTER_SECONDS)
        except ValueError:
            pass  # an HTTP date; fall back to backoff
    return random.uniform(0, min(8.0, 0.25 * 2**attempt))


async def _before_retry(status: int, attempt: int, retry_after: str | None) -> None:
    delay = retry_delay(attempt, retry_after)
    log.warning("connector.retry", status=status, attempt=attempt, delay=round(delay, 3))
    if (observer := RETRY_OBSERVER.get()) is not None:
        observer(status, delay)
    await asyncio.sleep(delay)


class _Retry(AsyncHTTPPolicy):
    async def send(self, request: Request, **kwargs: Any) -> Response:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            response = await self.next.send(request, **kwargs)
            status = response.http_response.status_code
            if status not in RETRY_STATUSES or attempt == MAX_ATTEMPTS:
                return response
            await _before_retry(status, attempt, response.http_response.headers.get("Retry-After"))
        raise AssertionError("unreachable")


def _pipeline_for(session: aiohttp.ClientSession, credentials: AppCredentials):
    def build(config: BotFrameworkConnectorConfiguration) -> AsyncPipeline:
        config.add_user_agent(USER_AGENT)
        return AsyncPipeline(
            [config.user_agent_policy, RawDeserializer(), _Retry(), _BearerToken(credentials)],
            _SharedSessionSender(session),
        )

    return build


# --- outgoing activities as JSON ----------------------------------------------------


class _NotPlain(Exception):
    """A value the direct walk does not serialise exactly as msrest would."""


_BASIC = {"str": str, "bool": bool, "int": int, "float": float}


def _model(value: Any) -> dict:
    # Like msrest, the object's own class decides (a Mention in an "[Entity]" list).
    if not isinstance(value, Model):
        raise _NotPlain
    cls = type(value)
    if getattr(cls, "_validation", None) or getattr(cls, "_subtype_map", None):
        raise _NotPlain  # readonly/constant fields, polymorphism: msrest's business
    body: dict[str, Any] = {}
    for attr, description in cls._attribute_map.items():
        item = getattr(value, attr, None)
        if item is not None:
            body[description["key"]] = _typed(item, description["type"])
    return body


def _typed(value: Any, data_type: str) -> Any:
    kind = _BASIC.get(data_type)
    if kind is str:
        if type(value) is str:
            return value
        if isinstance(value, str) and hasattr(value, "value"):  # a str enum (ActivityTypes.message)
            return value.value
        raise _NotPlain
    if kind is not None:
        if type(value) is not kind:
            raise _NotPlain
        return value
    if data_type == "object":
        return _object(value)
    if data_type == "iso-8601":
        if not isinstance(value, datetime.datetime) or value.tzinfo is None:
            raise _NotPlain
        return Serializer.serialize_iso(value)
    if data_type[0] == "[" and data_type[-1] == "]":
        if not isinstance(value, list):
            raise _NotPlain
        inner = data_type[1:-1]
        return [None if item is None else _typed(item, inner) for item in value]
    if data_type[0] == "{" and data_type[-1] == "}":
        if not isinstance(value, dict) or not all(type(key) is str for key in value):
            raise _NotPlain
        inner = data_type[1:-1]
        return {key: None if item is None else _typed(item, inner) for key, item in value.items()}
    if data_type not in _schema_models():
        raise _NotPlain
    return _model(value)


def _object(value: Any) -> Any:
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if kind is dict:
        if not all(type(key) is str for key in value):
            raise _NotPlain
        return {key: _object(item) for key, item in value.items()}
    if kind is list:
        return [_object(item) for item in value]
    return _model(value)


@functools.cache
def _schema_models() -> dict[str, type]:
    """Model name (as the attribute maps write types) → class."""
    from botbuilder import schema

    return {name: cls for name, cls in vars(schema).items() if isinstance(cls, type) and issubclass(cls, Model)}


def activity_body(activity: Activity) -> dict | None:
    """The JSON body msrest would send for `activity`, or None when it has something
    only msrest knows how to write (then msrest writes it)."""
    try:
        return _model(activity)
    except _NotPlain:
        return None


class _ActivityBodySerializer:
    """The connector client's serializer, with `body(activity, "Activity")` written
    by `activity_body`; every other call goes to msrest's serializer."""

    def __init__(self, inner: Serializer) -> None:
        self._inner = inner

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if data_type == "Activity" and not kwargs:
            body = activity_body(data)
            if body is not None:
                return body
        return self._inner.body(data, data_type, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


# --- incoming activities from JSON ---------------------------------------------------


def activity_from_json(data: Any) -> Activity:
    """The Activity msrest's Deserializer builds from an incoming body, built by a
    direct walk of the schema's attribute maps (≈0.4 ms CPU less per turn for a
    Teams message): the same classes, values, enums, datetimes and additional
    properties. Anything the walk does not reproduce exactly (a value of another
    JSON type than the schema's, a list where a dict belongs, …) goes to msrest,
    which then converts or fails as it always did."""
    try:
        return _read_model(Activity, data)
    except _NotPlain:
        return _msrest_deserializer()("Activity", data)


@functools.cache
def _msrest_deserializer():
    from msrest import Deserializer

    return Deserializer(_schema_types())


@functools.cache
def _fields(cls: type) -> tuple[tuple[tuple[str, str, str], ...], frozenset[str]]:
    """((attribute, JSON key, type) …, the JSON keys the model knows)."""
    if getattr(cls, "_validation", None) or getattr(cls, "_subtype_map", None):
        raise _NotPlain  # readonly/constant fields, polymorphism: msrest's business
    fields = []
    for attr, description in cls._attribute_map.items():
        key = description["key"]
        if attr == "additional_properties" and key == "":
            continue
        if "." in key or "\\" in key:
            raise _NotPlain  # flattened keys
        fields.append((attr, key, description["type"]))
    return tuple(fields), frozenset(key for _, key, _ in fields)


def _read_model(cls: type, data: Any) -> Any:
    if type(data) is not dict:
        raise _NotPlain
    fields, known = _fields(cls)
    values = {}
    for attr, key, data_type in fields:
        value = data.get(key)
        values[attr] = None if value is None else _read(value, data_type)
    instance = cls(**values)
    # msrest keeps the keys the model does not know (Teams adds some) as they came
    extra = {key: data[key] for key in data.keys() - known}
    if extra:
        instance.additional_properties = extra
    return instance


def _read(value: Any, data_type: str) -> Any:
    kind = _BASIC.get(data_type)
    if kind is not None:
        if type(value) is not kind:
            raise _NotPlain  # msrest converts ("5" → 5, 1 → True, …); let it
        return value
    if data_type == "object":
        return _read_object(value)
    if data_type == "iso-8601":
        if type(value) is not str:
            raise _NotPlain
        return _msrest_deserializer().deserialize_iso(value)
    if data_type[0] == "[" and data_type[-1] == "]":
        if type(value) is not list:
            raise _NotPlain
        inner = data_type[1:-1]
        return [None if item is None else _read(item, inner) for item in value]
    if data_type[0] == "{" and data_type[-1] == "}":
        if type(value) is not dict:
            raise _NotPlain
        inner = data_type[1:-1]
        return {key: None if item is None else _read(item, inner) for key, item in value.items()}
    cls = _schema_types().get(data_type)
    if cls is None:
        raise _NotPlain
    if issubclass(cls, Enum):
        return _msrest_deserializer().deserialize_enum(value, cls)
    return _read_model(cls, value)


def _read_object(value: Any) -> Any:
    # msrest's deserialize_object: JSON values as they are, dicts and lists copied
    kind = type(value)
    if kind is dict:
        return {key: _read_object(item) for key, item in value.items()}
    if kind is list:
        return [_read_object(item) for item in value]
    if value is None or kind in (str, int, float, bool):
        return value
    raise _NotPlain


@functools.cache
def _schema_types() -> dict[str, type]:
    """Name → class of the schema's models and enums, as msrest's dependencies."""
    from botbuilder import schema

    return {name: cls for name, cls in vars(schema).items() if isinstance(cls, type)}


# --- replies straight onto the shared session ------------------------------------------


class _DirectConversations:
    """The connector client's `conversations`, with `reply_to_activity` and
    `send_to_conversation` (every reply and proactive message) posted straight on
    the shared aiohttp session: the same URL, headers and JSON as through msrest's
    operation and pipeline layers (≈0.5 ms CPU per reply), the same bearer token,
    send gate and Retry-After-aware retry, the same ResourceResponse back and the
    same ErrorResponseException on a failure. Calls with msrest options (custom
    headers, raw, operation config), activities `activity_body` cannot write, and
    every other operation go to msrest."""

    def __init__(self, inner: Any, *, session: aiohttp.ClientSession, credentials: AppCredentials, user_agent: str) -> None:
        self._inner = inner
        self._session = session
        self._credentials = credentials
        self._user_agent = user_agent
        # (template, path names) → msrest's URL for it, cut at placeholders for the values (see `_url`)
        self._url_shapes: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]] | None] = {}

    async def reply_to_activity(self, conversation_id: str, activity_id: str, activity: Activity, **options: Any) -> Any:
        body = None if options else activity_body(activity)
        if body is None:
            return await self._inner.reply_to_activity(conversation_id, activity_id, activity, **options)
        url = self._url(
            self._inner.reply_to_activity.metadata["url"], conversationId=conversation_id, activityId=activity_id
        )
        return await self._post(url, body, {"x-ms-conversation-id": conversation_id})

    async def send_to_conversation(self, conversation_id: str, activity: Activity, **options: Any) -> Any:
        body = None if options else activity_body(activity)
        if body is None:
            return await self._inner.send_to_conversation(conversation_id, activity, **options)
        url = self._url(self._inner.send_to_conversation.metadata["url"], conversationId=conversation_id)
        return await self._post(url, body, {})

    def _url(self, template: str, **path: str) -> str:
        """msrest's URL: each path value quoted (`quote(value, safe="")`) into the template,
        joined with the service URL (`urljoin`). The join is worked out once per template,
        with placeholders, and the quoted values put in their place (≈70 µs less per
        reply). That is the same URL whenever the join cannot treat a value differently
        from its placeholder: a quoted value has no "/", "?" or "#"; "", "." and ".." (path
        steps `urljoin` drops or resolves) and anything not a str go to msrest."""
        key = (template, *path)
        if key not in self._url_shapes:
            self._url_shapes[key] = self._url_shape(template, tuple(path))
        shape = self._url_shapes[key]
        if shape is None or not all(type(value) is str and value not in _JOIN_SPECIAL for value in path.values()):
            return self._msrest_url(template, **path)
        pieces, names = shape
        url = [pieces[0]]
        for name, piece in zip(names, pieces[1:], strict=True):
            url.append(quote(path[name], safe=""))
            url.append(piece)
        return "".join(url)

    def _url_shape(self, template: str, names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """msrest's URL with placeholders, as (the text between them, the names in order);
        None if a placeholder does not come out exactly once (then msrest every time)."""
        url = self._msrest_url(template, **{name: _placeholder(name) for name in names})
        if any(url.count(_placeholder(name)) != 1 for name in names):
            return None
        order = sorted(names, key=lambda name: url.index(_placeholder(name)))
        pieces, rest = [], url
        for name in order:
            before, rest = rest.split(_placeholder(name), 1)
            pieces.append(before)
        pieces.append(rest)
        return tuple(pieces), tuple(order)

    def _msrest_url(self, template: str, **path: str) -> str:
        # msrest's own quoting and joining with the service URL
        serialize = self._inner._serialize  # noqa: SLF001
        return self._inner._client.format_url(  # noqa: SLF001
            template, **{name: serialize.url(name, value, "str") for name, value in path.items()}
        )

    async def _post(self, url: str, body: dict, extra_headers: dict[str, str]) -> Any:
        # msrest writes the body with json.dumps' defaults (ASCII, ", " separators)
        data = json.dumps(body).encode("ascii")
        for attempt in range(1, MAX_ATTEMPTS + 1):
            headers = {
                "User-Agent": self._user_agent,
                "Accept": "application/json",
                "Content-Type": "application/json; charset=utf-8",
                **extra_headers,
            }
            if (authorization := await _authorization(self._credentials)) is not None:
                headers["Authorization"] = authorization
            if (gate := SEND_GATE.get()) is not None:
                await gate()
            async with self._session.post(url, data=data, headers=headers) as raw:
                content = await raw.read()
                status = raw.status
                if status in (200, 201, 202):
                    return _resource_response(content)
                if status not in RETRY_STATUSES or attempt == MAX_ATTEMPTS:
                    raise await self._error(url, headers, data, raw)
                retry_after = raw.headers.get("Retry-After")
            await _before_retry(status, attempt, retry_after)
        raise AssertionError("unreachable")

    async def _error(self, url: str, headers: dict[str, str], data: bytes, raw: aiohttp.ClientResponse) -> Exception:
        # What msrest raises: ErrorResponseException over msrest's view of the response.
        from botbuilder.schema import ErrorResponseException
        from msrest.universal_http import ClientRequest

        request = ClientRequest("POST", url)
        request.headers.update(headers)
        request.data = data
        response = AioHttpClientResponse(request, raw)
        await response.load_body()  # read already; aiohttp hands back the same bytes
        return ErrorResponseException(self._inner._deserialize, response)  # noqa: SLF001

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


_JOIN_SPECIAL = frozenset({"", ".", ".."})


def _placeholder(name: str) -> str:
    # letters and digits only: quoting and joining leave it as it is
    return f"malkollPathValue0{name}0"


def _resource_response(content: bytes) -> ResourceResponse | None:
    """msrest's reading of a 2xx answer: a ResourceResponse of its JSON, None for none."""
    if not content:
        return None
    data = json.loads(content)
    return ResourceResponse(id=data.get("id")) if isinstance(data, dict) else None


# --- connector factory and authentication ---------------------------------------


class CachedConnectorFactory(ConnectorFactory):
    """One ConnectorClient per (service URL, audience) for one bot app id."""

    def __init__(
        self,
        *,
        app_id: str | None,
        inner: BotFrameworkAuthentication,
        credentials_factory: Any,
        login_endpoint: str,
        session: aiohttp.ClientSession,
    ) -> None:
        self._app_id = app_id
        self._inner = inner
        self._credentials_factory = credentials_factory
        self._login_endpoint = login_endpoint
        self._session = session
        self._clients: dict[tuple[str, str], ConnectorClient] = {}
        self._lock = asyncio.Lock()

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (service_url, audience or self._inner.get_originating_audience())
        client = self._clients.get(key)
        if client is not None:
            return client
        async with self._lock:
            client = self._clients.get(key)
            if client is None:
                credentials = await self._credentials_factory.create_credentials(
                    self._app_id, key[1], self._login_endpoint, True
                )
                config = BotFrameworkConnectorConfiguration(
                    credentials, service_url, pipeline_type=_pipeline_for(self._session, credentials)
                )
                client = ConnectorClient(credentials, base_url=service_url, custom_configuration=config)
                # Replies and proactive messages go through `conversations`.
                client.conversations._serialize = _ActivityBodySerializer(client.conversations._serialize)  # noqa: SLF001
                client.conversations = _DirectConversations(
                    client.conversations, session=self._session, credentials=credentials, user_agent=config.user_agent
                )
                self._clients[key] = client
        return client


class LeanAuthentication(BotFrameworkAuthentication):
    """botbuilder's configuration-driven authentication, with cached outbound clients.

    Inbound: any failure to validate the bearer token (also a malformed one, which
    botbuilder lets through as a parse error → HTTP 500) is a PermissionError → 401."""

    def __init__(self, configuration: BotConfiguration, *, session: aiohttp.ClientSession) -> None:
        from botbuilder.integration.aiohttp import ConfigurationServiceClientCredentialFactory

        self._credentials_factory = ConfigurationServiceClientCredentialFactory(configuration)
        self._inner = ConfigurationBotFrameworkAuthentication(
            configuration, credentials_factory=self._credentials_factory
        )
        self._session = session
        self._factories: dict[str | None, CachedConnectorFactory] = {}
        self._token_clients: dict[str | None, UserTokenClient] = {}
        # Målkoll runs in the public cloud (Teams commercial); the gov and private
        # cloud endpoints are not configured.
        self._login_endpoint = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL

    def _factory(self, claims_identity: ClaimsIdentity) -> CachedConnectorFactory:
        app_id = _app_id(claims_identity)
        factory = self._factories.get(app_id)
        if factory is None:
            factory = CachedConnectorFactory(
                app_id=app_id,
                inner=self._inner,
                credentials_factory=self._credentials_factory,
                login_endpoint=self._login_endpoint,
                session=self._session,
            )
            self._factories[app_id] = factory
        return factory

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            result = await self._inner.authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except Exception as exc:  # noqa: BLE001 - any unverifiable token is unauthorised
            raise PermissionError(f"bearer token not valid: {type(exc).__name__}") from exc
        result.connector_factory = self._factory(result.claims_identity)
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._factory(claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = _app_id(claims_identity)
        client = self._token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._token_clients[app_id] = client
        return client

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)


def _app_id(claims_identity: ClaimsIdentity) -> str | None:
    claims = claims_identity.claims or {}
    return claims.get(AuthenticationConstants.AUDIENCE_CLAIM) or claims.get(AuthenticationConstants.APP_ID_CLAIM)


# --- the turn context ----------------------------------------------------------------


class LeanTurnContext(TurnContext):
    """botbuilder's TurnContext, sending a shallow copy of each outgoing activity.

    Stock `send_activities` deep-copies every activity before stamping the
    conversation reference on it, so the caller's object keeps its own fields; for
    an overview card that walks ~100,000 objects a second under load (≈0.4 ms CPU
    per turn). The stamping and botbuilder's validation only assign top-level
    fields (type, input hint, id, channel, service URL, conversation, from,
    recipient, reply-to id, locale), which a shallow copy keeps from the caller's
    object just as well; nested content (cards, channel data) is not changed on
    the way out by botbuilder or by bot/adapter.py. Otherwise as botbuilder 4.17."""

    async def send_activities(self, activities: list[Activity]) -> list[ResourceResponse]:
        sent_non_trace_activity = False
        ref = TurnContext.get_conversation_reference(self.activity)

        def activity_validator(activity: Activity) -> Activity:
            nonlocal sent_non_trace_activity
            if not getattr(activity, "type", None):
                activity.type = ActivityTypes.message
            if activity.type != ActivityTypes.trace:
                sent_non_trace_activity = True
            if not activity.input_hint:
                activity.input_hint = "acceptingInput"
            activity.id = None
            return activity

        output = [
            activity_validator(TurnContext.apply_conversation_reference(_shallow_copy(act), ref)) for act in activities
        ]

        async def logic():
            if self.activity.delivery_mode == DeliveryModes.expect_replies:
                responses = []
                for activity in output:
                    self.buffered_reply_activities.append(activity)
                    if activity.type == ActivityTypes.invoke_response:
                        self.turn_state[TurnContext._INVOKE_RESPONSE_KEY] = activity  # noqa: SLF001
                    responses.append(ResourceResponse())
                if sent_non_trace_activity:
                    self.responded = True
                return responses
            responses = await self.adapter.send_activities(self, output)
            if sent_non_trace_activity:
                self.responded = True
            return responses

        return await self._emit(self._on_send_activities, output, logic())


def _shallow_copy(activity: Activity) -> Activity:
    clone = copy.copy(activity)
    # the one mutable container of its own an Activity carries at the top level
    clone.additional_properties = dict(activity.additional_properties or {})
    return clone


class LeanCloudAdapter(CloudAdapter):
    """CloudAdapter whose turns run on a LeanTurnContext."""

    def _create_turn_context(
        self,
        activity: Activity,
        claims_identity: ClaimsIdentity,
        oauth_scope: str,
        connector_client: ConnectorClient,
        user_token_client: UserTokenClient,
        logic: Callable[[TurnContext], Awaitable],
        connector_factory: ConnectorFactory,
    ) -> TurnContext:
        # as botbuilder 4.17's CloudAdapterBase._create_turn_context, with our context class
        context = LeanTurnContext(self, activity)
        context.turn_state[self.BOT_IDENTITY_KEY] = claims_identity
        context.turn_state[self.BOT_CONNECTOR_CLIENT_KEY] = connector_client
        context.turn_state[self.USER_TOKEN_CLIENT_KEY] = user_token_client
        context.turn_state[self.BOT_CALLBACK_HANDLER_KEY] = logic
        context.turn_state[self.CONNECTOR_FACTORY_KEY] = connector_factory
        context.turn_state[self.BOT_OAUTH_SCOPE_KEY] = oauth_scope
        return context


def create_adapter(settings: Settings, *, session: aiohttp.ClientSession) -> CloudAdapter:
    return LeanCloudAdapter(LeanAuthentication(bot_configuration(settings), session=session))
