"""SqlBotStorage against botbuilder's own storage contract (the checks every
botbuilder storage provider runs), on SQLite and PostgreSQL, plus the e-tag
behaviour those checks leave out in Python."""

from __future__ import annotations

import pytest
from botbuilder.core import StoreItem
from botbuilder.testing.storage_base_tests import StorageBaseTests

from bot.state_storage import SqlBotStorage
from goals.errors import ConcurrencyConflict
from storage.bot_state import StateStore
from storage.session import make_sessionmaker

CONTRACT = [
    "return_empty_object_when_reading_unknown_key",
    "handle_null_keys_when_reading",
    "handle_null_keys_when_writing",
    "does_not_raise_when_writing_no_items",
    "create_object",
    "handle_crazy_keys",
    "update_object",
    "delete_object",
    "delete_unknown_object",
    "perform_batch_operations",
    "proceeds_through_waterfall",
]


def test_contract_list_is_complete():
    # A newer botbuilder-testing adding a check must not be skipped silently.
    shipped = {name for name in vars(StorageBaseTests) if not name.startswith("_")}
    assert shipped == set(CONTRACT)


@pytest.fixture
def storage(engine) -> SqlBotStorage:
    return SqlBotStorage(StateStore(make_sessionmaker(engine)))


@pytest.mark.parametrize("check", CONTRACT)
async def test_botbuilder_storage_contract(storage, check):
    assert await getattr(StorageBaseTests, check)(storage) is True


async def test_write_with_stale_e_tag_raises_and_keeps_the_newer_item(storage):
    await storage.write({"item": {"count": 1}})
    first_read = (await storage.read(["item"]))["item"]
    second_read = (await storage.read(["item"]))["item"]

    second_read["count"] = 2
    await storage.write({"item": second_read})

    first_read["count"] = 99
    with pytest.raises(ConcurrencyConflict):
        await storage.write({"item": first_read})
    assert (await storage.read(["item"]))["item"]["count"] == 2


async def test_a_turn_saving_twice_does_not_conflict_with_itself(storage):
    await storage.write({"item": {"count": 1}})
    item = (await storage.read(["item"]))["item"]
    item["count"] = 2
    await storage.write({"item": item})
    item["count"] = 3
    await storage.write({"item": item})

    assert (await storage.read(["item"]))["item"]["count"] == 3


async def test_store_item_objects_round_trip_as_their_class_with_e_tag(storage):
    await storage.write({"obj": StoreItem(name="Fritidsförvaltningen", count=3)})

    restored = (await storage.read(["obj"]))["obj"]

    assert isinstance(restored, StoreItem)
    assert (restored.name, restored.count) == ("Fritidsförvaltningen", 3)
    assert restored.e_tag
    restored.count = 4
    await storage.write({"obj": restored})
    assert (await storage.read(["obj"]))["obj"].count == 4


async def test_conflict_in_a_batch_writes_nothing_of_it(storage):
    await storage.write({"a": {"n": 1}, "b": {"n": 1}})
    stale = (await storage.read(["b"]))["b"]
    await storage.write({"b": {"n": 2}})

    with pytest.raises(ConcurrencyConflict):
        await storage.write({"a": {"n": 10}, "b": {**stale, "n": 10}})

    after = await storage.read(["a", "b"])
    assert (after["a"]["n"], after["b"]["n"]) == (1, 2)
