"""Who someone is, and which part of the organisation they may see and change.

Scope is a union of subtrees: every role assignment opens one subtree, whose top
depends on the role (see `scope_root`). Because scope is closed under "everything
below", a node is in scope exactly when one of those tops is the node itself or
one of its ancestors; that check costs one ancestor query, not a subtree load.

The public functions take an un-entered UnitOfWork and open it themselves (the
services' convention). The `*_in` helpers run inside a unit of work the caller has
already entered; the services use them so a whole use case is one transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from goals.errors import NotFound, PermissionDenied
from goals.model import OrgKind, OrgNode, Person, Role, RoleAssignment
from goals.ports import UnitOfWork
from goals.profiles import Profile, load_profile

ALL_ROLES: frozenset[Role] = frozenset(Role)
# Who may write a node's goals and follow-ups: the manager, and the people above who
# support or lead them. Directors approve and read; they do not fill in reports.
EDITOR_ROLES: frozenset[Role] = frozenset({Role.UNIT_MANAGER, Role.DEPARTMENT_HEAD, Role.STAFF, Role.ADMIN})
# Staff and directors work for a whole administration (or a committee's office).
_ADMINISTRATION_KINDS = (OrgKind.ADMINISTRATION, OrgKind.COMMITTEE)
# Roles whose scope is the subtree of the very node they are assigned to.
_OWN_NODE_ROLES = (Role.UNIT_MANAGER, Role.DEPARTMENT_HEAD)


@dataclass(frozen=True, slots=True)
class Actor:
    """A person acting in Målkoll, with the roles they hold (on which nodes)."""

    person: Person
    roles: tuple[RoleAssignment, ...] = ()

    @property
    def person_id(self) -> int:
        return self.person.id

    def has_role(self, role: Role) -> bool:
        return any(assignment.role == role for assignment in self.roles)


# --- public use cases (each opens its own unit of work) ------------------------


async def identify(uow: UnitOfWork, *, tenant_id: str, entra_object_id: str) -> Actor | None:
    """The person behind a Teams user, or None if Målkoll does not know them.

    The tenant is part of the identity: the same object id in another tenant is
    another person (and gets None here unless registered there).
    """
    async with uow:
        person = await uow.people.get_by_entra(tenant_id, entra_object_id)
        if person is None or person.tenant_id != tenant_id:
            return None
        roles = await uow.people.roles(person.id)
        return Actor(person=person, roles=tuple(roles))


async def scope_nodes(uow: UnitOfWork, *, actor: Actor) -> list[OrgNode]:
    async with uow:
        return await scope_nodes_in(uow, actor=actor)


async def require_in_scope(uow: UnitOfWork, *, actor: Actor, node_id: int) -> OrgNode:
    async with uow:
        return await require_in_scope_in(uow, actor=actor, node_id=node_id)


async def profile_for(uow: UnitOfWork, *, node_id: int) -> Profile:
    async with uow:
        return await profile_for_in(uow, node_id=node_id)


async def managed_units(uow: UnitOfWork, *, actor: Actor) -> list[OrgNode]:
    async with uow:
        return await managed_units_in(uow, actor=actor)


# --- the same, inside an entered unit of work ----------------------------------


async def scope_roots_in(
    uow: UnitOfWork, *, actor: Actor, roles: Collection[Role] = ALL_ROLES
) -> list[OrgNode]:
    """The top node of every subtree the actor's assignments (of `roles`) open."""
    tops: dict[int, OrgNode] = {}
    for assignment in actor.roles:
        if assignment.role not in roles:
            continue
        top = await _scope_root(uow, assignment, actor.person.tenant_id)
        if top is not None:
            tops.setdefault(top.id, top)
    return list(tops.values())


async def scope_nodes_in(
    uow: UnitOfWork, *, actor: Actor, roles: Collection[Role] = ALL_ROLES
) -> list[OrgNode]:
    """Every node the actor may see, parents before children, each once."""
    tenant_id = actor.person.tenant_id
    by_top: dict[int, list[OrgNode]] = {}  # top id -> its subtree, top first
    for assignment in actor.roles:
        if assignment.role not in roles:
            continue
        if assignment.role in _OWN_NODE_ROLES:
            # The top is the assigned node itself, and a subtree starts with its
            # top: one statement (asked on every "mina mål") instead of node + subtree.
            if assignment.org_node_id in by_top:
                continue
            subtree = await uow.orgs.subtree(assignment.org_node_id)
            if not subtree or not _same_tenant(subtree[0], tenant_id):
                continue
        else:
            top = await _scope_root(uow, assignment, tenant_id)
            if top is None or top.id in by_top:
                continue
            subtree = await uow.orgs.subtree(top.id)
            if not subtree:
                continue
        by_top.setdefault(subtree[0].id, subtree)
    tops = list(by_top)
    subtrees = list(by_top.values())
    members = [{node.id for node in subtree} for subtree in subtrees]
    seen: dict[int, OrgNode] = {}
    for index, subtree in enumerate(subtrees):
        # A subtree inside a wider one (a unit manager who is also admin) adds
        # nothing, and listing it first would put children before their parents.
        if any(tops[index] in other for i, other in enumerate(members) if i != index):
            continue
        for node in subtree:
            seen.setdefault(node.id, node)
    return list(seen.values())


def own_subtree_top(actor: Actor) -> int | None:
    """The node whose subtree is the actor's whole scope, when that is known without
    a read: every assignment a unit manager's or department head's on that one node
    (most people). None otherwise; then `scope_nodes_in` works the scope out."""
    nodes = {assignment.org_node_id for assignment in actor.roles}
    if len(nodes) == 1 and all(assignment.role in _OWN_NODE_ROLES for assignment in actor.roles):
        return next(iter(nodes))
    return None


def visible_to(actor: Actor, node: OrgNode) -> bool:
    """False for a node of another tenant (as every scope read checks)."""
    return _same_tenant(node, actor.person.tenant_id)


async def find_in_scope_in(
    uow: UnitOfWork, *, actor: Actor, node_id: int, roles: Collection[Role] = ALL_ROLES
) -> OrgNode | None:
    """The node if one of the actor's assignments (of `roles`) covers it, else None."""
    node = await uow.orgs.get(node_id)
    if node is None or not _same_tenant(node, actor.person.tenant_id):
        return None
    tops = {top.id for top in await scope_roots_in(uow, actor=actor, roles=roles)}
    if not tops:
        return None
    if node.id in tops:
        return node
    ancestors = await uow.orgs.ancestors(node.id)
    return node if any(a.id in tops for a in ancestors) else None


async def require_in_scope_in(
    uow: UnitOfWork, *, actor: Actor, node_id: int, roles: Collection[Role] = ALL_ROLES
) -> OrgNode:
    """The node, or PermissionDenied. A missing node and someone else's node give
    the very same error, so probing ids reveals nothing."""
    node = await find_in_scope_in(uow, actor=actor, node_id=node_id, roles=roles)
    if node is None:
        raise PermissionDenied("not in scope")
    return node


async def managed_units_in(uow: UnitOfWork, *, actor: Actor) -> list[OrgNode]:
    """The nodes the actor is unit manager of, by name."""
    units: dict[int, OrgNode] = {}
    for assignment in actor.roles:
        if assignment.role != Role.UNIT_MANAGER or assignment.org_node_id in units:
            continue
        node = await uow.orgs.get(assignment.org_node_id)
        if node is not None and _same_tenant(node, actor.person.tenant_id):
            units[node.id] = node
    return sorted(units.values(), key=lambda n: (n.name, n.id))


async def root_of_in(uow: UnitOfWork, *, node_id: int) -> OrgNode:
    node = await uow.orgs.get(node_id)
    if node is None:
        raise NotFound("no such organisation node", node_id=node_id)
    ancestors = await uow.orgs.ancestors(node_id)
    return ancestors[-1] if ancestors else node


async def profile_for_in(uow: UnitOfWork, *, node_id: int) -> Profile:
    """The steering-model profile of the node: set on the root, inherited below.
    The nearest node that names one wins, so a sub-tree may differ if configured."""
    node = await uow.orgs.get(node_id)
    if node is None:
        raise NotFound("no such organisation node", node_id=node_id)
    for candidate in [node, *await uow.orgs.ancestors(node_id)]:
        if candidate.profile:
            return load_profile(candidate.profile)
    raise NotFound("no profile configured for this organisation", node_id=node_id)


async def approvers_in(uow: UnitOfWork, *, node_id: int, role: Role) -> list[int]:
    """Person ids holding `role` on the nearest ancestor of the node that has any:
    the people who would be asked to approve the node's follow-up."""
    for ancestor in await uow.orgs.ancestors(node_id):
        people = await uow.people.with_role(ancestor.id, role)
        if people:
            return sorted(p.id for p in people)
    return []


def holds_role_above(actor: Actor, *, role: Role, ancestor_ids: Collection[int]) -> bool:
    """True if the actor holds `role` on one of these (ancestor) nodes."""
    return any(a.role == role and a.org_node_id in ancestor_ids for a in actor.roles)


# --- internals ---------------------------------------------------------------


def _same_tenant(node: OrgNode, tenant_id: str) -> bool:
    # Nodes created without a tenant (older imports) belong to nobody in particular;
    # a node that names another tenant is never visible.
    return not node.tenant_id or node.tenant_id == tenant_id


async def _scope_root(uow: UnitOfWork, assignment: RoleAssignment, tenant_id: str) -> OrgNode | None:
    node = await uow.orgs.get(assignment.org_node_id)
    if node is None or not _same_tenant(node, tenant_id):
        return None
    if assignment.role in _OWN_NODE_ROLES:
        return node
    ancestors = await uow.orgs.ancestors(node.id)
    if assignment.role == Role.ADMIN:
        return ancestors[-1] if ancestors else node
    # Staff and directors: their administration, wherever in it they are placed
    # (a staff unit sits below the administration it serves).
    for candidate in [node, *ancestors]:
        if candidate.kind in _ADMINISTRATION_KINDS:
            return candidate
    return node
