"""Organisation tree. Subtree and ancestors are one recursive CTE each, which both
SQLite and PostgreSQL run, instead of one query per level.

The reads asked on every "mina mål" (node, subtree, ancestors) are built once at
first use with bind parameters and run as storage.hot_sql.HotQuery: building
the two CTEs anew cost more CPU than running them."""

from __future__ import annotations

import functools

from sqlalchemy import Row, bindparam, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from goals.errors import NotFound
from goals.model import OrgKind, OrgNode
from goals.ports import OrgRepository
from storage.hot_sql import HotQuery
from storage.models import OrgNodeRow

_T = OrgNodeRow.__table__
_COLUMNS = (_T.c.id, _T.c.code, _T.c.name, _T.c.kind, _T.c.parent_id, _T.c.tenant_id, _T.c.profile)
# A parent loop written by mistake must not make a query run forever.
_MAX_DEPTH = 64


def to_org_node(row: Row) -> OrgNode:
    return OrgNode(
        id=row.id,
        code=row.code,
        name=row.name,
        kind=OrgKind(row.kind),
        parent_id=row.parent_id,
        tenant_id=row.tenant_id,
        profile=row.profile,
    )


@functools.cache
def _node_query() -> HotQuery:
    return HotQuery(select(*_COLUMNS).where(_T.c.id == bindparam("node_id")))


@functools.cache
def _subtree_query() -> HotQuery:
    tree = select(_T.c.id, literal(0).label("depth")).where(_T.c.id == bindparam("node_id")).cte("tree", recursive=True)
    below = select(_T.c.id, (tree.c.depth + 1).label("depth")).join(tree, _T.c.parent_id == tree.c.id)
    tree = tree.union_all(below.where(tree.c.depth < _MAX_DEPTH))
    return HotQuery(select(*_COLUMNS).join(tree, _T.c.id == tree.c.id).order_by(tree.c.depth, _T.c.name, _T.c.id))


@functools.cache
def _ancestors_query() -> HotQuery:
    start = select(_T.c.parent_id.label("id"), literal(1).label("depth")).where(_T.c.id == bindparam("node_id"))
    chain = start.cte("chain", recursive=True)
    above = select(_T.c.parent_id, (chain.c.depth + 1)).join(chain, _T.c.id == chain.c.id)
    chain = chain.union_all(above.where(_T.c.parent_id.is_not(None), chain.c.depth < _MAX_DEPTH))
    return HotQuery(select(*_COLUMNS).join(chain, _T.c.id == chain.c.id).order_by(chain.c.depth))


def _values(node: OrgNode) -> dict:
    return {
        "code": node.code,
        "name": node.name,
        "kind": node.kind.value,
        "parent_id": node.parent_id,
        "tenant_id": node.tenant_id,
        "profile": node.profile,
    }


class SqlOrgRepository(OrgRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _list(self, statement) -> list[OrgNode]:
        return [to_org_node(row) for row in (await self.session.execute(statement)).all()]

    async def get(self, node_id: int) -> OrgNode | None:
        rows = await _node_query().rows(self.session, node_id=node_id)
        return to_org_node(rows[0]) if rows else None

    async def get_by_code(self, tenant_id: str, code: str) -> OrgNode | None:
        statement = select(*_COLUMNS).where(_T.c.tenant_id == tenant_id, _T.c.code == code)
        row = (await self.session.execute(statement)).first()
        return to_org_node(row) if row else None

    async def add(self, node: OrgNode) -> OrgNode:
        new_id = (await self.session.execute(insert(_T).values(**_values(node)).returning(_T.c.id))).scalar_one()
        return OrgNode(**{**_values(node), "kind": node.kind, "id": new_id})

    async def update(self, node: OrgNode) -> OrgNode:
        result = await self.session.execute(update(_T).where(_T.c.id == node.id).values(**_values(node)))
        if result.rowcount == 0:
            raise NotFound(f"org node {node.id}", entity="org_node", id=node.id)
        return node

    async def children(self, node_id: int) -> list[OrgNode]:
        return await self._list(select(*_COLUMNS).where(_T.c.parent_id == node_id).order_by(_T.c.name, _T.c.id))

    async def subtree(self, node_id: int) -> list[OrgNode]:
        return [to_org_node(row) for row in await _subtree_query().rows(self.session, node_id=node_id)]

    async def ancestors(self, node_id: int) -> list[OrgNode]:
        return [to_org_node(row) for row in await _ancestors_query().rows(self.session, node_id=node_id)]

    async def roots(self, tenant_id: str | None = None) -> list[OrgNode]:
        statement = select(*_COLUMNS).where(_T.c.parent_id.is_(None))
        if tenant_id is not None:
            statement = statement.where(_T.c.tenant_id == tenant_id)
        return await self._list(statement.order_by(_T.c.name, _T.c.id))
