"""SQL implementations of the repositories in goals.ports, one module each.
They take an AsyncSession owned by the unit of work and return domain objects only."""

from storage.repositories.audit import SqlAuditLog
from storage.repositories.follow_ups import SqlFollowUpRepository
from storage.repositories.goals import SqlGoalRepository
from storage.repositories.orgs import SqlOrgRepository
from storage.repositories.outbox import SqlOutbox
from storage.repositories.overview import SqlOverviewReader
from storage.repositories.people import SqlPersonRepository
from storage.repositories.periods import SqlPeriodRepository
from storage.repositories.status import SqlStatusReader

__all__ = [
    "SqlAuditLog",
    "SqlFollowUpRepository",
    "SqlGoalRepository",
    "SqlOrgRepository",
    "SqlOutbox",
    "SqlOverviewReader",
    "SqlPersonRepository",
    "SqlPeriodRepository",
    "SqlStatusReader",
]
