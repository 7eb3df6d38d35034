"""A summary pauses the cycle collector while it works (goals.summaries) and must
leave it as it found it: on for the bot, off if a caller had turned it off — also
when the summary fails."""

from __future__ import annotations

import gc
from datetime import date

import pytest

from goals.model import OrgKind, OrgNode
from goals.summaries import summarise
from tests.unit.test_summaries import T1

NODE = OrgNode(2, "F", "Förvaltningen", OrgKind.ADMINISTRATION)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        summarise(node=NODE, nodes=[NODE], period=T1, snapshots=[], today=date(2026, 5, 20))
        assert gc.isenabled() is enabled
        with pytest.raises(AttributeError):
            summarise(node=NODE, nodes=[NODE], period=T1, snapshots=[object()], today=date(2026, 5, 20))
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
