"""Goal statuses kept between questions, while nothing they depend on has changed.

A goal's status (goals.status.GoalStatus) is a function of its snapshot and the day.
Working it out for a department means reading ~11,000 rows and building ~15,000
objects (about 100 ms); asking again a minute later, when nothing has changed,
should not cost that again. So each status is kept with what it was worked out
from:

- the **day**: the rules compare dates with today (deadlines passed, activities
  overdue, periods started), so a status is only reused on the day it was made;
- the goal's **stamp**: a number the database changes, in the writing transaction,
  whenever the goal or anything the rules read of it is written (its expected
  results, indicators, activities, follow-ups and their values and statuses). The
  database does it with triggers (storage migration 0005), so no write path, bulk
  load or import can forget it. A stamp is never reused (a fresh random number or
  sequence value per write), so a status worked out inside a transaction that was
  later rolled back can never match a stamp that was committed;
- the **epoch**: one number for everything shared by many goals (periods, the
  organisation tree and its names); changing it retires every kept status.

A status whose day, stamp and epoch all match is exactly what working it out again
would give (tests/integration/test_status_memo.py holds the storage to that against
a fresh computation after random writes). Everything else is worked out again by
the caller and kept.

The memo is per process and per database; several processes on one database each
keep their own and stay right, because the stamps live in the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from goals.status import GoalStatus

# Five times the goals of a 2,000-unit city (a status is about 2 KB: ~200 MB full).
# Past it the memo starts again rather than tracking what was used last (a rebuild
# costs one read per department asked about).
CAPACITY = 100_000


class StatusMemo:
    __slots__ = ("capacity", "_day", "_kept", "hits", "misses")

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._day: date | None = None
        self._kept: dict[int, tuple[int, int, GoalStatus]] = {}  # goal id -> (stamp, epoch, status)
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._kept)

    def recall(
        self, today: date, epoch: int, stamped: Sequence[tuple[int, int]]
    ) -> tuple[list[GoalStatus | None], list[int]]:
        """For each (goal id, stamp), the kept status if it is still right, else None;
        and the ids of the goals to work out again, in the order given."""
        if today != self._day:
            self._kept.clear()
            self._day = today
        kept = self._kept.get
        found: list[GoalStatus | None] = []
        missing: list[int] = []
        for goal_id, stamp, *_ in stamped:
            entry = kept(goal_id)
            if entry is not None and entry[0] == stamp and entry[1] == epoch:
                found.append(entry[2])
            else:
                found.append(None)
                missing.append(goal_id)
        self.hits += len(found) - len(missing)
        self.misses += len(missing)
        return found, missing

    def keep(self, today: date, epoch: int, stamps: Mapping[int, int], statuses: Iterable[GoalStatus]) -> None:
        """Keep statuses worked out on `today` from data at least as new as `stamps`
        (goal id -> stamp, read before the data) and `epoch`."""
        if today != self._day:
            return  # worked out for another day than the memo now holds: not worth keeping
        kept = self._kept
        if len(kept) >= self.capacity:
            kept.clear()
        for status in statuses:
            stamp = stamps.get(status.goal.id)
            if stamp is not None:
                kept[status.goal.id] = (stamp, epoch, status)

    def forget(self) -> None:
        self._kept.clear()
        self._day = None
