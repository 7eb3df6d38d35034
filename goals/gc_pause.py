"""Building many small objects with the cycle collector paused.

A department's status snapshots (~15,000 objects) and an administration's summary
(~20,000 reasons and items) are plain data: nothing in them forms a cycle, so
reference counting frees them and pausing the cycle collector loses nothing. Left
running, the collector walks the whole heap again and again while they pile up
(young collections every few hundred allocations, a full one every few builds:
70-80 ms on the summary bench). The pending objects are looked at once, at the
next allocation burst after the pause.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Only the caller that paused resumes: a build in another thread meanwhile
    finds the collector off and leaves it off."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
