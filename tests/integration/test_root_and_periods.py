"""PeriodRepository.root_and_periods: the root above a node and its periods in one
read (what "mina mål" asks for a unit below the root), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from goals.model import OrgKind, OrgNode, Period


async def test_the_root_and_its_periods_from_any_node_below_it(uow_factory):
    async with uow_factory() as uow:
        root = await uow.orgs.add(OrgNode(0, "city", "Staden", OrgKind.MUNICIPALITY, tenant_id="t"))
        admin = await uow.orgs.add(OrgNode(0, "utb", "Utbildning", OrgKind.ADMINISTRATION, root.id, "t"))
        unit = await uow.orgs.add(OrgNode(0, "sol", "Förskolan Solen", OrgKind.UNIT, admin.id, "t"))
        other = await uow.orgs.add(OrgNode(0, "town", "Byn", OrgKind.MUNICIPALITY, tenant_id="t"))
        t2 = await uow.periods.add(Period(0, root.id, "T2", 2026, date(2026, 5, 1), date(2026, 8, 31), date(2026, 9, 15)))
        t1 = await uow.periods.add(Period(0, root.id, "T1", 2026, date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 15)))
        await uow.periods.add(Period(0, other.id, "T1", 2026, date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 15)))
        await uow.commit()
    async with uow_factory() as uow:
        for node in (unit, admin, root):
            assert await uow.periods.root_and_periods(node.id) == (root.id, [t1, t2])
            assert (await uow.periods.root_and_periods(node.id))[1] == await uow.periods.for_root(root.id)
        lonely = await uow.orgs.add(OrgNode(0, "x", "Enhet utan perioder", OrgKind.UNIT, None, "t"))
        assert await uow.periods.root_and_periods(lonely.id) == (lonely.id, [])
        assert await uow.periods.root_and_periods(999_999) is None
