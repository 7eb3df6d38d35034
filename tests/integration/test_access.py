"""Who is who, and who sees what: identify, scope by role, "not yours" for the rest."""

from __future__ import annotations

import pytest
from tiny_city import CLOCK, OIDS, OTHER_TENANT, TENANT, City, city  # noqa: F401  (fixture)

from goals import services
from goals.access import Actor, identify, managed_units, profile_for, require_in_scope, scope_nodes
from goals.errors import PermissionDenied
from goals.model import Role, RoleAssignment


async def test_identify_known_person_with_roles(city: City) -> None:
    anna = await identify(city.uow_factory(), tenant_id=TENANT, entra_object_id=OIDS["anna"])

    assert anna is not None
    assert anna.person.id == city.people["anna"]
    assert [(r.org_node_id, r.role) for r in anna.roles] == [(city.nodes["SOL"], Role.UNIT_MANAGER)]
    assert anna.has_role(Role.UNIT_MANAGER) and not anna.has_role(Role.DEPARTMENT_HEAD)


async def test_identify_unknown_person_is_none(city: City) -> None:
    assert await identify(city.uow_factory(), tenant_id=TENANT, entra_object_id=OIDS["anna"][:-2] + "99") is None
    assert await identify(city.uow_factory(), tenant_id="33333333-0000-4000-8000-000000000000",
                          entra_object_id=OIDS["anna"]) is None


async def test_same_object_id_in_another_tenant_is_another_person(city: City) -> None:
    stranger = await identify(city.uow_factory(), tenant_id=OTHER_TENANT, entra_object_id=OIDS["anna"])

    assert stranger is not None
    assert stranger.person.id == city.stranger_id != city.people["anna"]
    seen = {n.code for n in await scope_nodes(city.uow_factory(), actor=stranger)}
    assert seen == {"ANNAN-F"}
    with pytest.raises(PermissionDenied):
        await require_in_scope(city.uow_factory(), actor=stranger, node_id=city.nodes["SOL"])


NORRA = {"NORRA", "STAB", "AVD-F", "SOL", "VIT", "AVD-A", "EKH"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anna", {"SOL"}),  # unit manager: own unit
        ("bertil", {"AVD-F", "SOL", "VIT"}),  # department head: the department
        ("cecilia", NORRA),  # staff, placed in the staff unit: the whole administration
        ("david", NORRA),  # director: the administration
        ("eva", NORRA | {"KOMMUN", "SODRA", "LON"}),  # admin: everything under the root
    ],
)
async def test_scope_by_role(city: City, who: str, expected: set[str]) -> None:
    actor = await city.actor(who)

    nodes = await scope_nodes(city.uow_factory(), actor=actor)

    assert {n.code for n in nodes} == expected
    assert len(nodes) == len(expected)  # each once
    position = {n.id: i for i, n in enumerate(nodes)}
    assert all(position[n.parent_id] < position[n.id] for n in nodes if n.parent_id in position)


@pytest.mark.parametrize(
    ("who", "inside", "outside"),
    [
        ("anna", "SOL", "VIT"),
        ("bertil", "VIT", "EKH"),
        ("cecilia", "EKH", "LON"),
        ("david", "AVD-A", "SODRA"),
        ("eva", "LON", "ANNAN-F"),
    ],
)
async def test_require_in_scope_refuses_others_nodes_without_revealing_them(
    city: City, who: str, inside: str, outside: str
) -> None:
    actor = await city.actor(who)

    node = await require_in_scope(city.uow_factory(), actor=actor, node_id=city.nodes[inside])
    assert node.code == inside

    with pytest.raises(PermissionDenied) as existing:
        await require_in_scope(city.uow_factory(), actor=actor, node_id=city.nodes[outside])
    with pytest.raises(PermissionDenied) as missing:
        await require_in_scope(city.uow_factory(), actor=actor, node_id=987654)
    # A node that exists elsewhere and one that does not exist look exactly alike.
    assert (str(existing.value), existing.value.params) == (str(missing.value), missing.value.params)


async def test_managed_units_are_the_units_one_manages(city: City) -> None:
    anna, bertil = await city.actor("anna"), await city.actor("bertil")

    assert [n.code for n in await managed_units(city.uow_factory(), actor=anna)] == ["SOL"]
    assert await managed_units(city.uow_factory(), actor=bertil) == []


async def test_profile_comes_from_the_root(city: City) -> None:
    profile = await profile_for(city.uow_factory(), node_id=city.nodes["SOL"])

    assert profile.key == "stockholm_ils"
    assert profile.approver_role == Role.DEPARTMENT_HEAD


async def test_several_roles_give_the_union_once_with_parents_first(city: City) -> None:
    await services.assign_role(city.uow_factory(), actor=None, person_id=city.people["anna"],
                               org_node_id=city.nodes["AVD-A"], role=Role.DEPARTMENT_HEAD, clock=CLOCK)
    await services.assign_role(city.uow_factory(), actor=None, person_id=city.people["anna"],
                               org_node_id=city.nodes["SODRA"], role=Role.ADMIN, clock=CLOCK)
    anna = await city.actor("anna")

    nodes = await scope_nodes(city.uow_factory(), actor=anna)

    assert sorted(n.code for n in nodes) == sorted(NORRA | {"KOMMUN", "SODRA", "LON"})
    position = {n.id: i for i, n in enumerate(nodes)}
    assert all(position[n.parent_id] < position[n.id] for n in nodes if n.parent_id is not None)


@pytest.mark.parametrize("role", [Role.UNIT_MANAGER, Role.DEPARTMENT_HEAD])
async def test_a_role_on_another_tenants_node_or_a_missing_node_opens_nothing(city: City, role: Role) -> None:
    # The unit's subtree is read in one statement now; its top still has to be in
    # the actor's tenant, and a role left on a deleted node still opens nothing.
    stranger = await identify(city.uow_factory(), tenant_id=OTHER_TENANT, entra_object_id=OIDS["anna"])
    assert stranger is not None
    foreign = RoleAssignment(person_id=stranger.person.id, org_node_id=city.nodes["SOL"], role=role)
    gone = RoleAssignment(person_id=stranger.person.id, org_node_id=987654, role=role)
    actor = Actor(person=stranger.person, roles=(*stranger.roles, foreign, gone))

    assert [n.code for n in await scope_nodes(city.uow_factory(), actor=actor)] == ["ANNAN-F"]
