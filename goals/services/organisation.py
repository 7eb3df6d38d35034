"""Setting up the organisation: nodes, people and their roles.

Used by the demo loader, imports and administrators. `actor=None` is the system
(import, demo); a person needs the admin role over the place they change.
"""

from __future__ import annotations

from goals.access import Actor, find_in_scope_in
from goals.errors import NotFound, PermissionDenied, ValidationFailed
from goals.model import OrgKind, OrgNode, Person, Role, RoleAssignment
from goals.ports import Clock, UnitOfWork
from goals.profiles import load_profile
from goals.services.recording import jsonable, record


async def require_admin_in(uow: UnitOfWork, *, actor: Actor | None, node_id: int) -> None:
    """The system may do anything; a person needs the admin role covering the node."""
    if actor is None:
        return
    if await find_in_scope_in(uow, actor=actor, node_id=node_id, roles={Role.ADMIN}) is None:
        raise PermissionDenied("admin role needed")


async def create_org_node(
    uow: UnitOfWork,
    *,
    actor: Actor | None,
    code: str,
    name: str,
    kind: OrgKind,
    clock: Clock,
    parent_id: int | None = None,
    tenant_id: str | None = None,
    profile: str | None = None,
) -> OrgNode:
    """A new node. Below a parent it inherits the parent's tenant; a new root
    (a municipality) can only be made by the system and names its tenant."""
    async with uow:
        if parent_id is None:
            if actor is not None:
                raise PermissionDenied("only the system creates organisation roots")
            tenant = tenant_id or ""
        else:
            await require_admin_in(uow, actor=actor, node_id=parent_id)
            parent = await uow.orgs.get(parent_id)
            if parent is None:
                raise NotFound("no such parent", node_id=parent_id)
            if tenant_id and parent.tenant_id and tenant_id != parent.tenant_id:
                raise ValidationFailed({"tenant_id": "org.tenant_mismatch"})
            tenant = parent.tenant_id or tenant_id or ""
        if profile is not None:
            load_profile(profile)  # ProfileError names the problem
        if await uow.orgs.get_by_code(tenant, code) is not None:
            raise ValidationFailed({"code": "code.taken"})
        node = await uow.orgs.add(
            OrgNode(id=0, code=code, name=name, kind=OrgKind(kind), parent_id=parent_id, tenant_id=tenant, profile=profile)
        )
        await record(
            uow, actor=actor, clock=clock, action="org_node.created", entity="org_node", entity_id=node.id,
            details={"created": jsonable(node)},
        )
        await uow.commit()
        return node


async def add_person(
    uow: UnitOfWork,
    *,
    actor: Actor | None,
    tenant_id: str,
    entra_object_id: str,
    name: str,
    clock: Clock,
    email: str = "",
    locale: str = "sv-SE",
) -> Person:
    async with uow:
        if actor is not None and not (actor.has_role(Role.ADMIN) and actor.person.tenant_id == tenant_id):
            raise PermissionDenied("admin role needed")
        if await uow.people.get_by_entra(tenant_id, entra_object_id) is not None:
            raise ValidationFailed({"entra_object_id": "person.exists"})
        person = await uow.people.add(
            Person(id=0, tenant_id=tenant_id, entra_object_id=entra_object_id, name=name, email=email, locale=locale)
        )
        await record(
            uow, actor=actor, clock=clock, action="person.added", entity="person", entity_id=person.id,
            details={"created": jsonable(person)},
        )
        await uow.commit()
        return person


async def assign_role(
    uow: UnitOfWork, *, actor: Actor | None, person_id: int, org_node_id: int, role: Role, clock: Clock
) -> RoleAssignment:
    """Give a person a role on a node (idempotent: an existing role writes nothing)."""
    async with uow:
        await require_admin_in(uow, actor=actor, node_id=org_node_id)
        person = await uow.people.get(person_id)
        node = await uow.orgs.get(org_node_id)
        if person is None or node is None:
            raise NotFound("no such person or node", person_id=person_id, node_id=org_node_id)
        if node.tenant_id and node.tenant_id != person.tenant_id:
            raise ValidationFailed({"org_node_id": "org.tenant_mismatch"})
        assignment = RoleAssignment(person_id=person.id, org_node_id=node.id, role=Role(role))
        if assignment in await uow.people.roles(person.id):
            return assignment
        await uow.people.assign(assignment)
        await record(
            uow, actor=actor, clock=clock, action="role.assigned", entity="person", entity_id=person.id,
            details={"org_node_id": node.id, "role": assignment.role},
        )
        await uow.commit()
        return assignment
