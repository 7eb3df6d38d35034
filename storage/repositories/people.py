"""People and their roles per organisation node."""

from __future__ import annotations

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from goals.errors import NotFound
from goals.model import Person, Role, RoleAssignment
from goals.ports import PersonRepository
from storage.models import PersonRow, RoleAssignmentRow
from storage.repositories._sql import insert_ignoring_duplicates

_P = PersonRow.__table__
_R = RoleAssignmentRow.__table__
_COLUMNS = (_P.c.id, _P.c.tenant_id, _P.c.entra_object_id, _P.c.name, _P.c.email, _P.c.locale)


def to_person(row: Row) -> Person:
    return Person(
        id=row.id,
        tenant_id=row.tenant_id,
        entra_object_id=row.entra_object_id,
        name=row.name,
        email=row.email,
        locale=row.locale,
    )


def _values(person: Person) -> dict:
    return {
        "tenant_id": person.tenant_id,
        "entra_object_id": person.entra_object_id,
        "name": person.name,
        "email": person.email,
        "locale": person.locale,
    }


class SqlPersonRepository(PersonRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, person_id: int) -> Person | None:
        row = (await self.session.execute(select(*_COLUMNS).where(_P.c.id == person_id))).first()
        return to_person(row) if row else None

    async def get_by_entra(self, tenant_id: str, entra_object_id: str) -> Person | None:
        statement = select(*_COLUMNS).where(_P.c.tenant_id == tenant_id, _P.c.entra_object_id == entra_object_id)
        row = (await self.session.execute(statement)).first()
        return to_person(row) if row else None

    async def add(self, person: Person) -> Person:
        new_id = (await self.session.execute(insert(_P).values(**_values(person)).returning(_P.c.id))).scalar_one()
        return Person(id=new_id, **_values(person))

    async def update(self, person: Person) -> Person:
        result = await self.session.execute(update(_P).where(_P.c.id == person.id).values(**_values(person)))
        if result.rowcount == 0:
            raise NotFound(f"person {person.id}", entity="person", id=person.id)
        return person

    async def roles(self, person_id: int) -> list[RoleAssignment]:
        statement = select(_R.c.person_id, _R.c.org_node_id, _R.c.role).where(_R.c.person_id == person_id).order_by(_R.c.id)
        return [
            RoleAssignment(person_id=row.person_id, org_node_id=row.org_node_id, role=Role(row.role))
            for row in (await self.session.execute(statement)).all()
        ]

    async def assign(self, assignment: RoleAssignment) -> None:
        statement = insert_ignoring_duplicates(self.session, _R, "person_id", "org_node_id", "role").values(
            person_id=assignment.person_id, org_node_id=assignment.org_node_id, role=assignment.role.value
        )
        await self.session.execute(statement)

    async def revoke(self, assignment: RoleAssignment) -> None:
        await self.session.execute(
            delete(_R).where(
                _R.c.person_id == assignment.person_id,
                _R.c.org_node_id == assignment.org_node_id,
                _R.c.role == assignment.role.value,
            )
        )

    async def with_role(self, org_node_id: int, role: Role) -> list[Person]:
        statement = (
            select(*_COLUMNS)
            .join(_R, _R.c.person_id == _P.c.id)
            .where(_R.c.org_node_id == org_node_id, _R.c.role == role.value)
            .order_by(_P.c.name, _P.c.id)
        )
        return [to_person(row) for row in (await self.session.execute(statement)).all()]
