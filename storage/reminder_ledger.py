"""The reminder ledger: claim-then-send, so every reminder goes out once.

A pass claims the reminders it is about to send and COMMITS the claim before any
message leaves; after sending it records the outcome. Hence:
- a rerun, a restart or a second instance finds the row and does not send again;
- a crash after the claim leaves a row `claimed` with an old `claimed_at`; once the
  lease has run out the next pass claims it again (attempts + 1), so nothing is lost;
- two instances racing for the same reminder: the row is created by
  INSERT … ON CONFLICT DO NOTHING (only one insert wins, on both databases), and a
  row is taken over by a conditional UPDATE whose WHERE re-checks status and lease.
  On PostgreSQL the candidates are first locked with SELECT … FOR UPDATE SKIP LOCKED,
  so a second instance skips rows another is taking over instead of queueing behind
  it; SQLite has a single writer, and the conditional UPDATE is the claim.

The one window left: the process dies after the Bot Connector accepted a message
and before the outcome is committed (milliseconds). The lease then resends it once;
Teams offers no idempotency key for proactive messages that would close it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from storage.bot_state import dialect_insert
from storage.reminder_tables import ReminderLedgerRow as Row

_T = Row.__table__

DEFAULT_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
FINAL = ("sent", "failed", "unreachable", "skipped")
_BATCH = 500


@dataclass(frozen=True, slots=True)
class LedgerKey:
    person_id: int
    period_id: int
    kind: str


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    person_id: int
    period_id: int
    kind: str
    due_at: datetime
    status: str
    attempts: int
    claimed_by: str | None
    claimed_at: datetime | None
    finished_at: datetime | None
    detail: str
    conversation_id: str | None

    @property
    def key(self) -> LedgerKey:
        return LedgerKey(self.person_id, self.period_id, self.kind)


class ReminderLedger:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        instance_id: str,
        lease: timedelta = DEFAULT_LEASE,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._sessionmaker = sessionmaker
        # Claims and outcomes run on plain connections with Core statements: they are
        # the per-message part of a pass, and the ORM session's bookkeeping buys nothing here.
        self._engine = sessionmaker.kw["bind"]
        self.instance_id = instance_id
        self.lease = lease
        self.max_attempts = max_attempts

    async def claim(self, wanted: Sequence[tuple[LedgerKey, datetime]], *, now: datetime) -> list[LedgerKey]:
        """Claim these reminders (key, due time) for this instance; returns the keys
        now ours, committed. A key already sent, being sent by someone within the
        lease, or failed for good is not returned."""
        return list(await self.claim_counted(wanted, now=now))

    async def claim_counted(
        self, wanted: Sequence[tuple[LedgerKey, datetime]], *, now: datetime
    ) -> dict[LedgerKey, int]:
        """`claim`, with each claimed key's attempt number (1 for a first claim, more
        for one taken over), in the order asked for."""
        now = _utc(now)
        claimed: dict[LedgerKey, int] = {}
        for start in range(0, len(wanted), _BATCH):
            batch = [(key, _utc(due)) for key, due in wanted[start : start + _BATCH]]
            # One statement per batch, prepared once (cached), run with a list of
            # parameters: building a 500-row VALUES clause anew cost more than running it.
            async with self._engine.begin() as connection:
                got = {
                    LedgerKey(person, period, kind): attempts
                    for person, period, kind, attempts in await connection.execute(
                        _insert_statement(connection.dialect.name),
                        [{"person_id": k.person_id, "period_id": k.period_id, "kind": k.kind, "due_at": due,
                          "status": "claimed", "claimed_by": self.instance_id, "claimed_at": now, "attempts": 1,
                          "detail": ""} for k, due in batch],
                    )
                }
                rest = [key for key, _ in batch if key not in got]
                if rest:
                    candidates = select(_T.c.id).where(
                        tuple_(_T.c.person_id, _T.c.period_id, _T.c.kind).in_(bindparam("keys", expanding=True)),
                        self._reclaimable(now),
                    )
                    got.update(await self._update_claims(
                        connection, candidates, now, {"keys": [(k.person_id, k.period_id, k.kind) for k in rest]}
                    ))
            claimed.update((key, got[key]) for key, _ in batch if key in got)
        return claimed

    async def claim_due(self, *, now: datetime, limit: int = 1000) -> list[LedgerKey]:
        """Claim rows that are due again without being in today's plan: snoozed
        reminders whose time has come, transient failures whose retry time has come
        and claims whose lease ran out (the instance that took them died)."""
        return list(await self.claim_due_counted(now=now, limit=limit))

    async def claim_due_counted(self, *, now: datetime, limit: int = 1000) -> dict[LedgerKey, int]:
        """`claim_due`, with each key's attempt number."""
        now = _utc(now)
        async with self._engine.begin() as connection:
            candidates = select(_T.c.id).where(self._reclaimable(now)).order_by(_T.c.due_at, _T.c.id).limit(limit)
            return await self._update_claims(connection, candidates, now)

    async def finish_many(self, outcomes: Sequence[tuple[LedgerKey, str, str, str | None]], *, now: datetime) -> None:
        """Record final outcomes (key, status, detail, conversation id) of claimed
        reminders in one transaction: what a pass sent while the previous write was
        under way, written together (group commit) instead of a transaction each.
        As with `finish`, a row whose claim was taken over is left alone."""
        if not outcomes:
            return
        finished_at = _utc(now)
        for _, status, _, _ in outcomes:
            if status not in FINAL:
                raise ValueError(f"not an outcome: {status!r}")
        async with self._engine.begin() as connection:
            await connection.execute(
                _finish_statement(),
                [{"k_person": key.person_id, "k_period": key.period_id, "k_kind": key.kind, "k_owner": self.instance_id,
                  "v_status": status, "v_finished_at": finished_at, "v_detail": detail[:500],
                  "v_conversation_id": conversation_id}
                 for key, status, detail, conversation_id in outcomes],
            )

    async def finish(
        self, key: LedgerKey, *, status: str, now: datetime, detail: str = "", conversation_id: str | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        """Record the outcome of a claimed reminder. `status` "retry" needs
        `retry_at`; after the last attempt a retry becomes "failed". Only the
        claiming instance can finish it (False if the claim was taken over)."""
        now = _utc(now)
        values: dict = {"detail": detail[:500], "conversation_id": conversation_id}
        if status == "retry":
            if retry_at is None:
                raise ValueError("a retry needs retry_at")
            values.update(status="retry", due_at=_utc(retry_at))
        else:
            if status not in FINAL:
                raise ValueError(f"not an outcome: {status!r}")
            values.update(status=status, finished_at=now)
        # A plain connection and a prepared statement, not an ORM session: this
        # runs once per message sent, and building the statement cost as much as running it.
        async with self._engine.begin() as connection:
            if status != "retry":
                result = await connection.execute(
                    _finish_statement(),
                    {"k_person": key.person_id, "k_period": key.period_id, "k_kind": key.kind,
                     "k_owner": self.instance_id, **{f"v_{name}": value for name, value in values.items()}},
                )
                return result.rowcount == 1
            if status == "retry":
                gave_up = await connection.scalar(
                    select(Row.attempts >= self.max_attempts).where(*self._where(key))
                )
                if gave_up:
                    values.update(status="failed", finished_at=now)
                    values.pop("due_at")
            result = await connection.execute(
                update(Row)
                .where(*self._where(key), Row.status == "claimed", Row.claimed_by == self.instance_id)
                .values(**values)
            )
            return result.rowcount == 1

    async def snooze(self, keys: Sequence[LedgerKey], *, until: datetime) -> int:
        """"Påminn mig i morgon": pending rows sent by whichever pass runs after
        `until`. Snoozing the same day twice adds nothing (same kind = same key)."""
        if not keys:
            return 0
        until = _utc(until)
        async with self._sessionmaker() as session, session.begin():
            insert = dialect_insert(session, Row).values(
                [
                    {"person_id": k.person_id, "period_id": k.period_id, "kind": k.kind, "due_at": until,
                     "status": "pending", "attempts": 0, "detail": ""}
                    for k in keys
                ]
            )
            result = await session.execute(insert.on_conflict_do_nothing())
            return result.rowcount or 0

    async def entries(
        self, *, person_id: int | None = None, statuses: Sequence[str] | None = None
    ) -> list[LedgerEntry]:
        async with self._sessionmaker() as session:
            query = select(Row).order_by(Row.due_at, Row.person_id, Row.period_id, Row.kind)
            if person_id is not None:
                query = query.where(Row.person_id == person_id)
            if statuses is not None:
                query = query.where(Row.status.in_(statuses))
            return [_entry(row) for row in await session.scalars(query)]

    async def known(self, keys: Sequence[LedgerKey]) -> dict[LedgerKey, LedgerEntry]:
        """The ledger rows of these keys (for `--dry-run` and the plan listing)."""
        found: dict[LedgerKey, LedgerEntry] = {}
        async with self._sessionmaker() as session:
            for start in range(0, len(keys), _BATCH):
                batch = keys[start : start + _BATCH]
                rows = await session.scalars(
                    select(Row).where(
                        tuple_(Row.person_id, Row.period_id, Row.kind).in_([(k.person_id, k.period_id, k.kind) for k in batch])
                    )
                )
                for row in rows:
                    entry = _entry(row)
                    found[entry.key] = entry
        return found

    # --- internals -------------------------------------------------------------

    async def _update_claims(
        self, connection: AsyncConnection, candidates, now: datetime, params: dict | None = None
    ) -> dict[LedgerKey, int]:
        if connection.dialect.name == "postgresql":
            # Lock what we are about to take over; rows another instance holds are skipped.
            ids = list(await connection.scalars(candidates.with_for_update(skip_locked=True), params))
            if not ids:
                return {}
            target, params = _T.c.id.in_(bindparam("ids", expanding=True)), {"ids": ids}
        else:
            target = _T.c.id.in_(candidates.scalar_subquery())
        # The WHERE repeats the reclaim condition: the UPDATE itself decides, so two
        # instances can never both see "claimable" and both win.
        rows = await connection.execute(
            update(_T)
            .where(target, self._reclaimable(now))
            .values(status="claimed", claimed_by=self.instance_id, claimed_at=now, attempts=_T.c.attempts + 1)
            .returning(_T.c.person_id, _T.c.period_id, _T.c.kind, _T.c.attempts),
            params,
        )
        return {LedgerKey(person, period, kind): attempts for person, period, kind, attempts in rows}

    def _reclaimable(self, now: datetime):
        return or_(
            and_(_T.c.status == "claimed", _T.c.claimed_at < now - self.lease),
            and_(_T.c.status.in_(("retry", "pending")), _T.c.due_at <= now, _T.c.attempts < self.max_attempts),
        )

    @staticmethod
    def _where(key: LedgerKey):
        return (Row.person_id == key.person_id, Row.period_id == key.period_id, Row.kind == key.kind)


@cache
def _insert_statement(dialect: str):
    """INSERT … ON CONFLICT DO NOTHING RETURNING the keys inserted (run with a list of
    rows, SQLAlchemy sends them as multi-row VALUES batches)."""
    insert = postgresql.insert(_T) if dialect == "postgresql" else sqlite.insert(_T)
    return insert.on_conflict_do_nothing().returning(_T.c.person_id, _T.c.period_id, _T.c.kind, _T.c.attempts)


@cache
def _finish_statement():
    table = Row.__table__
    return (
        update(table)
        .where(table.c.person_id == bindparam("k_person"), table.c.period_id == bindparam("k_period"),
               table.c.kind == bindparam("k_kind"), table.c.status == "claimed",
               table.c.claimed_by == bindparam("k_owner"))
        .values(status=bindparam("v_status"), finished_at=bindparam("v_finished_at"), detail=bindparam("v_detail"),
                conversation_id=bindparam("v_conversation_id"))
    )


def _utc(moment: datetime) -> datetime:
    """Everything is stored in UTC: SQLite keeps no offset, so a local time stored
    as is would compare wrongly with a UTC one."""
    if moment.tzinfo is None:
        raise ValueError("the reminder ledger needs aware datetimes")
    return moment.astimezone(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _entry(row: Row) -> LedgerEntry:
    return LedgerEntry(
        person_id=row.person_id,
        period_id=row.period_id,
        kind=row.kind,
        due_at=_aware(row.due_at),
        status=row.status,
        attempts=row.attempts,
        claimed_by=row.claimed_by,
        claimed_at=_aware(row.claimed_at),
        finished_at=_aware(row.finished_at),
        detail=row.detail,
        conversation_id=row.conversation_id,
    )
