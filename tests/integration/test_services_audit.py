"""Every write path leaves exactly its audit row (in the same transaction as the
change), and a refused write leaves none. The walk below calls every write service
that goals.services exports; a new one that is not walked here fails the test."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from tiny_city import ANALYSIS, CLOCK, TENANT, City, city, oid  # noqa: F401  (fixture)

from goals import services
from goals.access import identify
from goals.errors import PermissionDenied, ValidationFailed
from goals.model import AuditRecord, Fulfilment, OrgKind, Role
from goals.services import FollowUpChanges

READ_SERVICES = {"behind_goals", "goals_overview", "left_to_report", "load_approval_view", "pending_approvals"}
WRITE_SERVICES = {
    name
    for name in services.__all__
    if name not in READ_SERVICES and callable(getattr(services, name)) and not isinstance(getattr(services, name), type)
}


class AuditWatch:
    """Reads the audit rows written since the last look."""

    def __init__(self, city: City) -> None:
        self.city = city
        self.seen = 0

    async def new_rows(self) -> list[AuditRecord]:
        async with self.city.uow_factory() as uow:
            rows = [r for r in await uow.audit.recent(limit=1000) if r.id > self.seen]
        self.seen = max([self.seen, *(r.id for r in rows)])
        return sorted(rows, key=lambda r: r.id)

    async def expect_one(self, *, action: str, entity: str, entity_id: int, actor_id: int | None) -> AuditRecord:
        rows = await self.new_rows()
        assert [(r.action, r.entity, r.entity_id, r.actor_id) for r in rows] == [(action, entity, entity_id, actor_id)]
        assert rows[0].at == CLOCK.now()
        return rows[0]

    async def expect_none(self) -> None:
        assert await self.new_rows() == []


async def test_every_write_service_leaves_exactly_its_audit_row(city: City) -> None:
    make = city.uow_factory
    watch = AuditWatch(city)
    await watch.new_rows()  # the city itself was built through the services; start after it
    eva, bertil, anna = await city.actor("eva"), await city.actor("bertil"), await city.actor("anna")
    walked: set[str] = set()

    node = await services.create_org_node(make(), actor=eva, code="BLA", name="Blåklockans förskola",
                                          kind=OrgKind.UNIT, parent_id=city.nodes["AVD-F"], clock=CLOCK)
    row = await watch.expect_one(action="org_node.created", entity="org_node", entity_id=node.id,
                                 actor_id=eva.person.id)
    assert row.details["created"]["name"] == "Blåklockans förskola"
    assert node.tenant_id == TENANT  # inherited from the parent
    walked.add("create_org_node")

    person = await services.add_person(make(), actor=eva, tenant_id=TENANT, entra_object_id=oid(42),
                                       name="Britta", clock=CLOCK)
    await watch.expect_one(action="person.added", entity="person", entity_id=person.id, actor_id=eva.person.id)
    walked.add("add_person")

    await services.assign_role(make(), actor=eva, person_id=person.id, org_node_id=node.id,
                               role=Role.UNIT_MANAGER, clock=CLOCK)
    row = await watch.expect_one(action="role.assigned", entity="person", entity_id=person.id, actor_id=eva.person.id)
    assert row.details == {"org_node_id": node.id, "role": "unit_manager"}
    await services.assign_role(make(), actor=eva, person_id=person.id, org_node_id=node.id,
                               role=Role.UNIT_MANAGER, clock=CLOCK)
    await watch.expect_none()  # assigning it again changes nothing
    walked.add("assign_role")
    britta = await identify(make(), tenant_id=TENANT, entra_object_id=oid(42))
    assert britta is not None

    goal = await services.create_goal(
        make(), actor=britta, clock=CLOCK,
        goal=replace(city.goals["LON-1"], id=0, code="BLA-1", title="Barnen leker ute", owner_id=node.id, number=0,
                     indicators=(), activities=(), expected_results=()),
    )
    await watch.expect_one(action="goal.created", entity="goal", entity_id=goal.id, actor_id=britta.person.id)
    walked.add("create_goal")

    goal = await services.update_goal(make(), actor=britta, goal=replace(goal, title="Barnen leker ute varje dag"),
                                      clock=CLOCK)
    row = await watch.expect_one(action="goal.updated", entity="goal", entity_id=goal.id, actor_id=britta.person.id)
    assert row.details == {"changes": {"title": {"from": "Barnen leker ute", "to": "Barnen leker ute varje dag"}}}
    walked.add("update_goal")

    period = await services.create_period(make(), actor=eva, root_id=city.nodes["KOMMUN"], kind="T1", year=2027,
                                          clock=CLOCK)
    row = await watch.expect_one(action="period.created", entity="period", entity_id=period.id, actor_id=eva.person.id)
    assert row.details["created"]["deadline"] == "2027-05-10"
    walked.add("create_period")

    draft = await services.open_follow_up(make(), actor=britta, goal_id=goal.id, period_id=city.periods["T2"],
                                          clock=CLOCK)
    await watch.expect_one(action="follow_up.created", entity="follow_up", entity_id=draft.id,
                           actor_id=britta.person.id)
    walked.add("open_follow_up")

    changes = FollowUpChanges(assessment=Fulfilment.FULFILLED, forecast=Fulfilment.FULFILLED, analysis=ANALYSIS,
                              resource_use="Inom budget.")
    saved = await services.save_follow_up(make(), actor=britta, follow_up_id=draft.id,
                                          expected_version=draft.version, changes=changes, clock=CLOCK)
    row = await watch.expect_one(action="follow_up.saved", entity="follow_up", entity_id=draft.id,
                                 actor_id=britta.person.id)
    assert row.details["changes"] == {
        "assessment": {"from": None, "to": "fulfilled"},
        "forecast": {"from": None, "to": "fulfilled"},
        "analysis": {"from": "", "to": ANALYSIS},
        "resource_use": {"from": "", "to": "Inom budget."},
    }
    await services.save_follow_up(make(), actor=britta, follow_up_id=draft.id, expected_version=saved.version,
                                  changes=changes, clock=CLOCK)
    await watch.expect_none()  # saving the same values again writes nothing
    walked.add("save_follow_up")

    submitted = await services.submit_follow_up(make(), actor=britta, follow_up_id=draft.id,
                                                expected_version=saved.version, clock=CLOCK)
    row = await watch.expect_one(action="follow_up.submitted", entity="follow_up", entity_id=draft.id,
                                 actor_id=britta.person.id)
    assert row.details["changes"]["state"] == {"from": "draft", "to": "submitted"}
    walked.add("submit_follow_up")

    returned = await services.return_follow_up(make(), actor=bertil, follow_up_id=draft.id,
                                               expected_version=submitted.version, comment="Mer om resurser.",
                                               clock=CLOCK)
    row = await watch.expect_one(action="follow_up.returned", entity="follow_up", entity_id=draft.id,
                                 actor_id=bertil.person.id)
    assert row.details["changes"]["return_comment"] == {"from": "", "to": "Mer om resurser."}
    walked.add("return_follow_up")

    resubmitted = await services.submit_follow_up(make(), actor=britta, follow_up_id=draft.id,
                                                  expected_version=returned.version, clock=CLOCK)
    await watch.expect_one(action="follow_up.submitted", entity="follow_up", entity_id=draft.id,
                           actor_id=britta.person.id)
    await services.approve_follow_up(make(), actor=bertil, follow_up_id=draft.id,
                                     expected_version=resubmitted.version, clock=CLOCK)
    row = await watch.expect_one(action="follow_up.approved", entity="follow_up", entity_id=draft.id,
                                 actor_id=bertil.person.id)
    assert row.details["changes"]["state"] == {"from": "submitted", "to": "approved"}
    walked.add("approve_follow_up")

    await services.close_period(make(), actor=eva, period_id=period.id, clock=CLOCK)
    row = await watch.expect_one(action="period.closed", entity="period", entity_id=period.id, actor_id=eva.person.id)
    assert row.details == {"changes": {"is_open": {"from": True, "to": False}}}
    walked.add("close_period")

    # The system (import, demo) is recorded as actor None.
    system_node = await services.create_org_node(make(), actor=None, code="IMP", name="Importerad enhet",
                                                 kind=OrgKind.UNIT, parent_id=city.nodes["SODRA"], clock=CLOCK)
    await watch.expect_one(action="org_node.created", entity="org_node", entity_id=system_node.id, actor_id=None)

    assert walked == WRITE_SERVICES

    # Refused writes leave nothing behind.
    refused = [
        services.create_org_node(make(), actor=anna, code="X", name="X", kind=OrgKind.UNIT,
                                 parent_id=city.nodes["SOL"], clock=CLOCK),
        services.add_person(make(), actor=anna, tenant_id=TENANT, entra_object_id=oid(43), name="X", clock=CLOCK),
        services.assign_role(make(), actor=anna, person_id=anna.person.id, org_node_id=city.nodes["VIT"],
                             role=Role.UNIT_MANAGER, clock=CLOCK),
        services.create_goal(make(), actor=anna, goal=replace(goal, id=0, code="X-1"), clock=CLOCK),
        services.update_goal(make(), actor=anna, goal=replace(goal, title="X"), clock=CLOCK),
        services.create_period(make(), actor=anna, root_id=city.nodes["KOMMUN"], kind="T2", year=2027, clock=CLOCK),
        services.close_period(make(), actor=anna, period_id=city.periods["T3"], clock=CLOCK),
        services.open_follow_up(make(), actor=anna, goal_id=goal.id, period_id=city.periods["T2"], clock=CLOCK),
        services.save_follow_up(make(), actor=anna, follow_up_id=draft.id, expected_version=1,
                                changes=FollowUpChanges(analysis="X"), clock=CLOCK),
        services.submit_follow_up(make(), actor=anna, follow_up_id=draft.id, expected_version=1, clock=CLOCK),
        services.approve_follow_up(make(), actor=anna, follow_up_id=draft.id, expected_version=1, clock=CLOCK),
        services.return_follow_up(make(), actor=anna, follow_up_id=draft.id, expected_version=1, comment="X",
                                  clock=CLOCK),
    ]
    for attempt in refused:
        with pytest.raises(PermissionDenied):
            await attempt
    await watch.expect_none()


async def test_validation_failures_write_nothing(city: City) -> None:
    make = city.uow_factory
    watch = AuditWatch(city)
    await watch.new_rows()
    anna = await city.actor("anna")
    draft = await services.open_follow_up(make(), actor=anna, goal_id=city.goals["SOL-2"].id,
                                          period_id=city.periods["T1"], clock=CLOCK)
    await watch.new_rows()

    attempts = [
        services.submit_follow_up(make(), actor=anna, follow_up_id=draft.id, expected_version=draft.version,
                                  clock=CLOCK),
        services.create_goal(make(), actor=anna, clock=CLOCK,
                             goal=replace(city.goals["SOL-2"], id=0, code="SOL-9", level="kf")),  # not a unit level
        services.create_period(make(), actor=None, root_id=city.nodes["KOMMUN"], kind="T1", year=2026, clock=CLOCK),
        services.create_period(make(), actor=None, root_id=city.nodes["KOMMUN"], kind="Q1", year=2027, clock=CLOCK,
                               deadline=date(2027, 5, 1)),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationFailed):
            await attempt
    await watch.expect_none()
