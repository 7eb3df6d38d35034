"""botbuilder `Storage` on our database, so conversation and user state (and with
them a half-finished dialog) survive a restart and are shared by every bot process.

Store items are flattened with jsonpickle, like botbuilder's Azure storages do, so
that objects inside the state (DialogState, DialogInstance, prompt options with
Activity objects) come back as the same classes. The e-tag lives in its own
column: it is taken out of the item on write and put back on read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botbuilder.core import ConversationState, Storage, TurnContext
from botbuilder.core.bot_state import CachedBotState
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from storage.bot_state import StateStore

E_TAG = "e_tag"


def _e_tag_of(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.get(E_TAG)
    return getattr(item, E_TAG, None)


def _set_e_tag(item: Any, e_tag: str) -> None:
    if isinstance(item, dict):
        item[E_TAG] = e_tag
    else:
        setattr(item, E_TAG, e_tag)


def _flatten(key: str, item: Any) -> dict:
    flat = Pickler().flatten(item)
    if not isinstance(flat, dict):
        raise TypeError(f"store item {key!r} must be a dict or an object, not {type(item).__name__}")
    flat.pop(E_TAG, None)
    return flat


def _restore(data: dict, e_tag: str) -> Any:
    data[E_TAG] = e_tag
    return Unpickler().restore(data)


class SqlBotStorage(Storage):
    """E-tag semantics as botbuilder's storages: an item without e-tag or with "*"
    is written whatever is stored; an item with an e-tag is written only if the
    stored e-tag is still the same, else the write raises (ConcurrencyConflict);
    an empty e-tag is an error."""

    def __init__(self, state_store: StateStore) -> None:
        super().__init__()
        self._store = state_store

    async def read(self, keys: Iterable[str]) -> dict[str, Any]:
        if keys is None:
            raise Exception("Keys are required when reading")  # wording checked by StorageBaseTests
        stored = await self._store.read(list(keys))
        return {key: _restore(data, e_tag) for key, (data, e_tag) in stored.items()}

    async def read_for_cache(self, key: str) -> tuple[Any, str | None]:
        """(the item, the text botbuilder's turn cache hashes it to), or (None, None).

        botbuilder's `CachedBotState` decides whether a turn changed its state by
        comparing `str(Pickler().flatten(state))` at load and at save. A stored item is
        already that flat form (plus its e-tag, put back last as `_restore` does), and
        restoring then flattening it gives it back key for key
        (tests/bot/test_lean_conversation_state.py), so its text is taken as is instead of
        flattening the restored item again (≈45 µs per turn). Were the two ever to differ,
        the turn would only write an unchanged state once more."""
        stored = await self._store.read([key])
        if key not in stored:
            return None, None
        data, e_tag = stored[key]
        data[E_TAG] = e_tag
        cache_hash = str(data)  # before `restore`, which builds new objects from `data`
        return Unpickler().restore(data), cache_hash

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise Exception("Changes are required when writing")  # wording checked by StorageBaseTests
        if not changes:
            return
        prepared: dict[str, tuple[dict, str | None]] = {}
        for key, item in changes.items():
            e_tag = _e_tag_of(item)
            if e_tag == "":
                raise Exception(f"SqlBotStorage.write(): e-tag missing on {key!r}")
            prepared[key] = (_flatten(key, item), e_tag)
        new_e_tags = await self._store.write(prepared)
        # Give the caller's items their new e-tags, so a turn that saves its state
        # twice does not conflict with its own first write.
        for key, item in changes.items():
            _set_e_tag(item, new_e_tags[key])

    async def delete(self, keys: Iterable[str]) -> None:
        if keys is None:
            raise Exception("Keys are required when deleting")
        await self._store.delete(list(keys))


class LeanConversationState(ConversationState):
    """botbuilder's ConversationState, whose load takes the turn cache's hash from the
    stored item (`SqlBotStorage.read_for_cache`): one jsonpickle flatten per turn
    fewer. Saving, change detection and the rest are botbuilder's. On another storage
    it loads as botbuilder does."""

    async def load(self, turn_context: TurnContext, force: bool = False) -> None:
        if not isinstance(self._storage, SqlBotStorage):
            await super().load(turn_context, force)
            return
        cached = self.get_cached_state(turn_context)
        if not (force or not cached or not cached.state):
            return  # as botbuilder: a loaded, non-empty state stays for the turn
        item, cache_hash = await self._storage.read_for_cache(self.get_storage_key(turn_context))
        if item is None:
            fresh = CachedBotState(None)  # botbuilder's: empty, hashed as missing
        else:
            fresh = CachedBotState.__new__(CachedBotState)  # its two fields, without hashing again
            fresh.state = item
            fresh.hash = cache_hash
        turn_context.turn_state[self._context_service_key] = fresh
