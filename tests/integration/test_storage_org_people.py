"""Organisation tree, people and roles round-trip through the SQL store."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from goals.errors import NotFound
from goals.model import OrgKind, OrgNode, Person, Role, RoleAssignment

TENANT = "tenant-a"


async def _tree(uow) -> dict[str, OrgNode]:
    """city → administration → two departments → units, one more level under a unit."""
    nodes: dict[str, OrgNode] = {}

    async def add(code, name, kind, parent=None, profile=None, tenant=TENANT):
        node = OrgNode(0, code, name, kind, nodes[parent].id if parent else None, tenant, profile)
        nodes[code] = await uow.orgs.add(node)

    await add("city", "Staden", OrgKind.MUNICIPALITY, profile="stockholm_ils")
    await add("adm", "Stadsdelsförvaltningen", OrgKind.ADMINISTRATION, "city")
    await add("dep-a", "Avdelning förskola", OrgKind.DEPARTMENT, "adm")
    await add("dep-b", "Avdelning äldreomsorg", OrgKind.DEPARTMENT, "adm")
    await add("u-sol", "Förskolan Solen", OrgKind.UNIT, "dep-a")
    await add("u-mane", "Förskolan Månen", OrgKind.UNIT, "dep-a")
    await add("u-ek", "Ekbackens äldreboende", OrgKind.UNIT, "dep-b")
    await add("u-ek-2", "Ekbacken avdelning 2", OrgKind.UNIT, "u-ek")
    return nodes


async def test_org_nodes_round_trip_with_every_field(uow_factory):
    async with uow_factory() as uow:
        nodes = await _tree(uow)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.orgs.get(nodes["city"].id) == nodes["city"]
        assert await uow.orgs.get(nodes["u-sol"].id) == OrgNode(
            nodes["u-sol"].id, "u-sol", "Förskolan Solen", OrgKind.UNIT, nodes["dep-a"].id, TENANT, None
        )
        assert await uow.orgs.get_by_code(TENANT, "dep-b") == nodes["dep-b"]
        assert await uow.orgs.get_by_code("other-tenant", "dep-b") is None
        assert await uow.orgs.get(999_999) is None


async def test_a_code_is_unique_per_tenant_but_not_across_tenants(uow_factory):
    async with uow_factory() as uow:
        await uow.orgs.add(OrgNode(0, "city", "Staden", OrgKind.MUNICIPALITY, tenant_id="t1"))
        await uow.orgs.add(OrgNode(0, "city", "Annan stad", OrgKind.MUNICIPALITY, tenant_id="t2"))
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(IntegrityError):
            await uow.orgs.add(OrgNode(0, "city", "Dubblett", OrgKind.MUNICIPALITY, tenant_id="t1"))


async def test_subtree_lists_parents_before_children_and_ancestors_nearest_first(uow_factory):
    async with uow_factory() as uow:
        nodes = await _tree(uow)
        subtree = [node.code for node in await uow.orgs.subtree(nodes["adm"].id)]
        assert set(subtree) == {"adm", "dep-a", "dep-b", "u-sol", "u-mane", "u-ek", "u-ek-2"}
        for node in await uow.orgs.subtree(nodes["adm"].id):
            if node.code != "adm":
                parent_code = next(code for code, n in nodes.items() if n.id == node.parent_id)
                assert subtree.index(parent_code) < subtree.index(node.code)
        assert [n.code for n in await uow.orgs.subtree(nodes["dep-b"].id)] == ["dep-b", "u-ek", "u-ek-2"]
        assert [n.code for n in await uow.orgs.subtree(nodes["u-sol"].id)] == ["u-sol"]

        assert [n.code for n in await uow.orgs.ancestors(nodes["u-ek-2"].id)] == ["u-ek", "dep-b", "adm", "city"]
        assert await uow.orgs.ancestors(nodes["city"].id) == []


async def test_children_roots_and_update(uow_factory):
    async with uow_factory() as uow:
        nodes = await _tree(uow)
        await uow.orgs.add(OrgNode(0, "other", "Annan kommun", OrgKind.MUNICIPALITY, tenant_id="tenant-b"))
        assert {n.code for n in await uow.orgs.children(nodes["dep-a"].id)} == {"u-sol", "u-mane"}
        assert [n.code for n in await uow.orgs.roots(TENANT)] == ["city"]
        assert {n.code for n in await uow.orgs.roots()} == {"city", "other"}

        moved = OrgNode(nodes["u-mane"].id, "u-mane", "Förskolan Månskenet", OrgKind.UNIT, nodes["dep-b"].id, TENANT)
        assert await uow.orgs.update(moved) == moved
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.orgs.get(moved.id) == moved
        assert {n.code for n in await uow.orgs.children(nodes["dep-b"].id)} == {"u-ek", "u-mane"}
        with pytest.raises(NotFound):
            await uow.orgs.update(OrgNode(424242, "x", "x", OrgKind.UNIT))


async def test_people_round_trip_and_are_found_by_entra_id_within_their_tenant(uow_factory):
    async with uow_factory() as uow:
        anna = await uow.people.add(Person(0, TENANT, "oid-anna", "Anna Lindqvist", "anna@stad.se", "sv-SE"))
        bob = await uow.people.add(Person(0, TENANT, "oid-bob", "Bob Berg"))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.people.get(anna.id) == anna
        assert await uow.people.get_by_entra(TENANT, "oid-bob") == bob
        assert await uow.people.get_by_entra("tenant-b", "oid-bob") is None
        renamed = Person(bob.id, TENANT, "oid-bob", "Bob Berglund", "bob@stad.se", "en-GB")
        await uow.people.update(renamed)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.people.get(bob.id) == renamed


async def test_role_assignment_is_idempotent_and_can_be_revoked(uow_factory):
    async with uow_factory() as uow:
        nodes = await _tree(uow)
        anna = await uow.people.add(Person(0, TENANT, "oid-anna", "Anna"))
        cecilia = await uow.people.add(Person(0, TENANT, "oid-cecilia", "Cecilia"))
        manager = RoleAssignment(anna.id, nodes["u-sol"].id, Role.UNIT_MANAGER)
        await uow.people.assign(manager)
        await uow.people.assign(manager)  # again: no error, no duplicate
        await uow.people.assign(RoleAssignment(anna.id, nodes["u-mane"].id, Role.UNIT_MANAGER))
        await uow.people.assign(RoleAssignment(cecilia.id, nodes["dep-a"].id, Role.DEPARTMENT_HEAD))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.people.roles(anna.id) == [
            manager,
            RoleAssignment(anna.id, nodes["u-mane"].id, Role.UNIT_MANAGER),
        ]
        assert await uow.people.with_role(nodes["dep-a"].id, Role.DEPARTMENT_HEAD) == [cecilia]
        assert await uow.people.with_role(nodes["dep-a"].id, Role.UNIT_MANAGER) == []
        await uow.people.revoke(manager)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.people.roles(anna.id) == [RoleAssignment(anna.id, nodes["u-mane"].id, Role.UNIT_MANAGER)]
        assert await uow.people.with_role(nodes["u-sol"].id, Role.UNIT_MANAGER) == []
