"""Audit records and change descriptions shared by every write service.

An audit record says which fields changed from what to what, in JSON-able form,
so the audit log can be read back years later without the code that wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from goals.access import Actor
from goals.model import AuditRecord
from goals.ports import Clock, UnitOfWork


def jsonable(value: Any) -> Any:
    """Domain values as plain JSON: enums by value, dates ISO, dataclasses as dicts."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def changed_fields(before: Any, after: Any, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """{field: {"from": old, "to": new}} for the named fields that differ."""
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            out[name] = {"from": jsonable(old), "to": jsonable(new)}
    return out


def actor_id(actor: Actor | None) -> int | None:
    return actor.person.id if actor is not None else None


async def record(
    uow: UnitOfWork,
    *,
    actor: Actor | None,
    clock: Clock,
    action: str,
    entity: str,
    entity_id: int | None,
    details: dict[str, Any],
) -> None:
    await uow.audit.add(
        AuditRecord(
            at=clock.now(),
            actor_id=actor_id(actor),
            action=action,
            entity=entity,
            entity_id=entity_id,
            details=jsonable(details),
        )
    )
