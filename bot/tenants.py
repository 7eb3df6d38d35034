"""Which Entra tenants may talk to Målkoll.

Bot Framework token validation proves a request came from Teams, not from which
organisation: any tenant that installs the app reaches the bot. So the bot keeps
its own allow-list: MALKOLL_ALLOWED_TENANTS if set, else the tenants that own an
organisation root in the database (never "everyone")."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from botbuilder.schema import Activity

from goals.ports import UnitOfWork

# A tenant loaded after start (e.g. `malkoll demo` on a running bot) is let in
# after at most this long; allowed tenants are remembered, so the database is
# asked only on a miss.
_RELOAD_AFTER_SECONDS = 30.0


def tenant_of(activity: Activity) -> str | None:
    """Teams puts the tenant in channelData.tenant.id and conversation.tenantId."""
    channel_data = activity.channel_data or {}
    tenant = channel_data.get("tenant") if isinstance(channel_data, dict) else None
    if isinstance(tenant, dict) and tenant.get("id"):
        return str(tenant["id"])
    if activity.conversation is not None and activity.conversation.tenant_id:
        return activity.conversation.tenant_id
    return None


class TenantGate:
    def __init__(
        self,
        *,
        configured: Iterable[str],
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._configured = frozenset(t.lower() for t in configured)
        self._uow_factory = uow_factory
        self._clock = clock
        self._known: frozenset[str] = frozenset()
        self._loaded_at: float | None = None

    async def allows(self, tenant_id: str | None) -> bool:
        if not tenant_id:
            return False
        tenant = tenant_id.lower()
        if self._configured:
            return tenant in self._configured
        if tenant in self._known:
            return True
        now = self._clock()
        if self._loaded_at is None or now - self._loaded_at >= _RELOAD_AFTER_SECONDS:
            self._known = await self._tenants_with_an_organisation()
            self._loaded_at = now
        return tenant in self._known

    async def _tenants_with_an_organisation(self) -> frozenset[str]:
        async with self._uow_factory() as uow:
            roots = await uow.orgs.roots()
        return frozenset(root.tenant_id.lower() for root in roots if root.tenant_id)
