"""Fixtures for tests that need the real store: a unit-of-work factory on the
per-test database of `engine` (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from storage.session import make_sessionmaker
from storage.unit_of_work import uow_factory as make_uow_factory


@pytest.fixture
def sessionmaker(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def uow_factory(sessionmaker):
    """`uow_factory()` gives a fresh SqlUnitOfWork; use it with `async with`."""
    return make_uow_factory(sessionmaker)
