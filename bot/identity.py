"""Who is talking: the Teams user (Entra object id in a tenant) → an Actor with roles.

Looked up through goals.access.identify, and remembered for a short while per
process, because a person's roles change a few times a year and every message
would otherwise cost two queries. A role granted or revoked therefore applies
within IDENTITY_TTL_SECONDS."""

from __future__ import annotations

import time
from collections.abc import Callable

from goals.access import Actor, identify
from goals.ports import UnitOfWork

IDENTITY_TTL_SECONDS = 60.0
_MAX_ENTRIES = 10_000


class Identities:
    def __init__(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        ttl: float = IDENTITY_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow_factory = uow_factory
        self._ttl = ttl
        self._clock = clock
        self._known: dict[tuple[str, str], tuple[Actor | None, float]] = {}

    async def actor(self, *, tenant_id: str, entra_object_id: str) -> Actor | None:
        key = (tenant_id, entra_object_id)
        now = self._clock()
        cached = self._known.get(key)
        if cached is not None and now - cached[1] < self._ttl:
            return cached[0]
        actor = await identify(self._uow_factory(), tenant_id=tenant_id, entra_object_id=entra_object_id)
        if len(self._known) >= _MAX_ENTRIES:
            self._known.clear()  # crude, but bounded; a refill costs one lookup per person
        self._known[key] = (actor, now)
        return actor
