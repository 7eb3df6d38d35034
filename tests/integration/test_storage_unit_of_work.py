"""The unit of work is one transaction: a change and its audit row and outbox
event are stored together on commit, or not at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from goals.model import AuditRecord, Goal, OrgKind, OrgNode
from goals.ports import OutboxEvent

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


async def _unit(uow_factory) -> OrgNode:
    async with uow_factory() as uow:
        unit = await uow.orgs.add(OrgNode(0, "sol", "Förskolan Solen", OrgKind.UNIT, tenant_id="t"))
        await uow.commit()
    return unit


async def _create_goal_with_audit(uow, unit: OrgNode, code: str) -> Goal:
    goal = await uow.goals.add(Goal(0, code, "Alla barn läser", "enhet", unit.id, 2026, 2026))
    await uow.audit.add(AuditRecord(T0, None, "goal.created", "goal", goal.id, {"code": code, "owner": unit.id}))
    await uow.outbox.add(OutboxEvent("goal.created", {"goal_id": goal.id}, T0))
    return goal


async def test_leaving_without_commit_stores_nothing_not_even_the_audit_row(uow_factory):
    unit = await _unit(uow_factory)
    async with uow_factory() as uow:
        goal = await _create_goal_with_audit(uow, unit, "E-1")
    async with uow_factory() as uow:
        assert await uow.goals.get(goal.id) is None
        assert await uow.goals.for_owners([unit.id], 2026) == []
        assert await uow.audit.for_entity("goal", goal.id) == []
        assert await uow.audit.recent() == []
        assert await uow.outbox.pending() == []


async def test_an_exception_inside_the_block_rolls_back(uow_factory):
    unit = await _unit(uow_factory)
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await _create_goal_with_audit(uow, unit, "E-1")
            raise RuntimeError("the service failed half-way")
    async with uow_factory() as uow:
        assert await uow.goals.for_owners([unit.id], 2026) == []
        assert await uow.audit.recent() == []


async def test_a_committed_change_comes_with_its_audit_row_and_outbox_event(uow_factory):
    unit = await _unit(uow_factory)
    async with uow_factory() as uow:
        goal = await _create_goal_with_audit(uow, unit, "E-1")
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.goals.get(goal.id) == goal
        [record] = await uow.audit.for_entity("goal", goal.id)
        assert (record.action, record.actor_id, record.details) == ("goal.created", None, {"code": "E-1", "owner": unit.id})
        assert record.at == T0 and record.at.tzinfo == UTC and record.id > 0
        [event] = await uow.outbox.pending()
        assert (event.kind, event.payload, event.created_at, event.processed_at) == (
            "goal.created",
            {"goal_id": goal.id},
            T0,
            None,
        )


async def test_rollback_discards_only_what_came_after_the_last_commit(uow_factory):
    unit = await _unit(uow_factory)
    async with uow_factory() as uow:
        kept = await _create_goal_with_audit(uow, unit, "E-1")
        await uow.commit()
        dropped = await _create_goal_with_audit(uow, unit, "E-2")
        await uow.rollback()
        assert await uow.goals.get(dropped.id) is None
    async with uow_factory() as uow:
        assert [g.id for g in await uow.goals.for_owners([unit.id], 2026)] == [kept.id]
        assert [r.entity_id for r in await uow.audit.recent()] == [kept.id]


async def test_a_unit_of_work_can_be_entered_again_after_it_is_left(uow_factory):
    unit = await _unit(uow_factory)
    uow = uow_factory()
    async with uow:
        await _create_goal_with_audit(uow, unit, "E-1")
        await uow.commit()
    async with uow:
        assert len(await uow.goals.for_owners([unit.id], 2026)) == 1
    with pytest.raises(RuntimeError):
        await uow.commit()  # outside `async with` there is no transaction to commit


async def test_audit_for_entity_is_oldest_first_and_recent_is_newest_first(uow_factory):
    async with uow_factory() as uow:
        for minutes, action in [(0, "follow_up.created"), (5, "follow_up.saved"), (9, "follow_up.submitted")]:
            await uow.audit.add(AuditRecord(T0 + timedelta(minutes=minutes), 7, action, "follow_up", 42, {}))
        await uow.audit.add(AuditRecord(T0 + timedelta(minutes=1), 8, "goal.created", "goal", 42, {"title": "Läsning åäö"}))
        await uow.commit()
    async with uow_factory() as uow:
        assert [r.action for r in await uow.audit.for_entity("follow_up", 42)] == [
            "follow_up.created",
            "follow_up.saved",
            "follow_up.submitted",
        ]
        assert [r.action for r in await uow.audit.recent(limit=2)] == ["follow_up.submitted", "follow_up.saved"]
        [goal_record] = await uow.audit.for_entity("goal", 42)
        assert goal_record.details == {"title": "Läsning åäö"}


async def test_outbox_pending_by_kind_until_marked_processed(uow_factory):
    async with uow_factory() as uow:
        submitted = await uow.outbox.add(OutboxEvent("follow_up.submitted", {"follow_up_id": 1}, T0))
        approved = await uow.outbox.add(OutboxEvent("follow_up.approved", {"follow_up_id": 1}, T0))
        later = await uow.outbox.add(OutboxEvent("follow_up.submitted", {"follow_up_id": 2}, T0 + timedelta(hours=1)))
        await uow.commit()
    async with uow_factory() as uow:
        assert [e.id for e in await uow.outbox.pending()] == [submitted.id, approved.id, later.id]
        assert [e.id for e in await uow.outbox.pending("follow_up.submitted")] == [submitted.id, later.id]
        assert [e.id for e in await uow.outbox.pending(limit=1)] == [submitted.id]
        await uow.outbox.mark_processed(submitted.id, T0 + timedelta(minutes=2))
        await uow.commit()
    async with uow_factory() as uow:
        assert [e.id for e in await uow.outbox.pending("follow_up.submitted")] == [later.id]


async def test_a_unit_of_work_runs_on_one_pooled_connection_and_reads_its_own_writes(uow_factory, engine):
    """Prebuilt reads (storage/hot_sql.py) and the session's statements share the unit of
    work's one connection: a read after a write in the same unit sees it, before commit,
    and nothing is left checked out afterwards."""
    from sqlalchemy import event

    unit = await _unit(uow_factory)
    checkouts: list[int] = []
    event.listen(engine.sync_engine.pool, "checkout", lambda *args: checkouts.append(1))
    async with uow_factory() as uow:
        assert [n.id for n in await uow.orgs.subtree(unit.id)] == [unit.id]  # prebuilt read
        child = await uow.orgs.add(OrgNode(0, "sol-a", "Avdelning A", OrgKind.UNIT, unit.id, "t"))  # session
        assert [n.id for n in await uow.orgs.subtree(unit.id)] == [unit.id, child.id]  # sees its own write
        headlines = await uow.overview.subtree_headlines(unit.id, 2026, 2026)
        assert [n.id for n in headlines.nodes] == [unit.id, child.id]
        await uow.commit()
        assert [n.id for n in await uow.orgs.subtree(unit.id)] == [unit.id, child.id]
    assert checkouts == [1]
    assert engine.sync_engine.pool.checkedout() == 0
    async with uow_factory() as uow:  # committed
        assert [n.id for n in await uow.orgs.subtree(unit.id)] == [unit.id, child.id]


async def test_a_commit_stores_what_ran_on_the_units_connection_before_the_session_began(uow_factory, engine):
    """Whatever began a transaction on the unit's connection first (a statement through the
    connection, as the prebuilt reads do for drivers they do not know), `commit()` commits it."""
    from sqlalchemy import text

    from storage.hot_sql import CONNECTION_KEY

    unit = await _unit(uow_factory)
    async with uow_factory() as uow:
        connection = uow.session.info[CONNECTION_KEY]
        await connection.execute(text("UPDATE org_nodes SET name = 'Solen' WHERE id = :id"), {"id": unit.id})
        await uow.orgs.add(OrgNode(0, "sol-b", "Avdelning B", OrgKind.UNIT, unit.id, "t"))
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.orgs.get(unit.id)).name == "Solen"
        assert [n.code for n in await uow.orgs.subtree(unit.id)] == ["sol", "sol-b"]
