"""StatusMemo (goals/status_memo.py): a kept status comes back only for the same
goal, stamp, epoch and day; anything else is reported missing, in the order asked."""

from __future__ import annotations

from datetime import date

from goals.model import Goal
from goals.status import GoalStatus
from goals.status_memo import CAPACITY, StatusMemo

DAY = date(2026, 5, 5)
NEXT_DAY = date(2026, 5, 6)
EPOCH = 11


def status(goal_id: int, severity: int = 0) -> GoalStatus:
    goal = Goal(goal_id, f"G-{goal_id}", f"Mål {goal_id}", "enhet", 1, 2026, 2026, goal_id)
    return GoalStatus(goal=goal, owner_name="Enheten", reasons=(), severity=severity, due=(), period=None, state=None)


def memo_with(*goal_ids: int, stamp: int = 100, epoch: int = EPOCH, day: date = DAY) -> StatusMemo:
    memo = StatusMemo()
    memo.recall(day, epoch, [])  # a memo keeps statuses only for the day it was last asked about
    memo.keep(day, epoch, {goal_id: stamp + goal_id for goal_id in goal_ids}, [status(i) for i in goal_ids])
    return memo


def test_a_kept_status_comes_back_when_stamp_epoch_and_day_all_match() -> None:
    memo = memo_with(1, 2)
    found, missing = memo.recall(DAY, EPOCH, [(1, 101), (2, 102)])
    assert found == [status(1), status(2)]
    assert missing == []
    assert (memo.hits, memo.misses) == (2, 0)


def test_another_stamp_is_a_miss_and_the_other_goals_still_hit() -> None:
    memo = memo_with(1, 2, 3)
    found, missing = memo.recall(DAY, EPOCH, [(1, 101), (2, 999), (3, 103)])
    assert found == [status(1), None, status(3)]
    assert missing == [2]
    assert (memo.hits, memo.misses) == (2, 1)


def test_stamp_zero_does_not_match_a_kept_stamp() -> None:
    memo = memo_with(1)
    assert memo.recall(DAY, EPOCH, [(1, 0)]) == ([None], [1])


def test_another_epoch_misses_every_goal() -> None:
    memo = memo_with(1, 2)
    found, missing = memo.recall(DAY, EPOCH + 1, [(1, 101), (2, 102)])
    assert found == [None, None]
    assert missing == [1, 2]


def test_going_back_to_the_old_epoch_still_hits_only_what_was_kept_with_it() -> None:
    memo = memo_with(1)
    memo.keep(DAY, EPOCH + 1, {2: 102}, [status(2)])
    assert memo.recall(DAY, EPOCH, [(1, 101), (2, 102)]) == ([status(1), None], [2])
    assert memo.recall(DAY, EPOCH + 1, [(1, 101), (2, 102)]) == ([None, status(2)], [1])


def test_a_new_day_clears_everything_even_when_stamps_and_epoch_match() -> None:
    memo = memo_with(1, 2)
    found, missing = memo.recall(NEXT_DAY, EPOCH, [(1, 101), (2, 102)])
    assert found == [None, None] and missing == [1, 2]
    assert len(memo) == 0
    # and the old day is not remembered either: going back is a new day again
    memo.keep(NEXT_DAY, EPOCH, {1: 101}, [status(1)])
    assert memo.recall(DAY, EPOCH, [(1, 101)]) == ([None], [1])
    assert memo.recall(NEXT_DAY, EPOCH, [(1, 101)]) == ([None], [1])


def test_an_earlier_day_is_a_new_day_too() -> None:
    memo = memo_with(1, day=NEXT_DAY)
    assert memo.recall(DAY, EPOCH, [(1, 101)]) == ([None], [1])


def test_keeping_for_another_day_than_the_memo_holds_is_ignored() -> None:
    memo = memo_with(1)
    memo.keep(NEXT_DAY, EPOCH, {1: 101, 2: 102}, [status(1, severity=5), status(2)])
    found, missing = memo.recall(DAY, EPOCH, [(1, 101), (2, 102)])
    assert found == [status(1), None] and missing == [2]
    assert found[0].severity == 0  # the other day's status did not replace it


def test_a_fresh_memo_keeps_nothing_before_its_first_recall() -> None:
    memo = StatusMemo()
    memo.keep(DAY, EPOCH, {1: 101}, [status(1)])
    assert len(memo) == 0
    assert memo.recall(DAY, EPOCH, [(1, 101)]) == ([None], [1])


def test_a_status_without_a_stamp_is_not_kept() -> None:
    memo = memo_with()
    memo.keep(DAY, EPOCH, {1: 101}, [status(1), status(2)])
    assert len(memo) == 1
    assert memo.recall(DAY, EPOCH, [(2, 0)]) == ([None], [2])


def test_keeping_again_replaces_the_kept_status_and_stamp() -> None:
    memo = memo_with(1)
    memo.keep(DAY, EPOCH, {1: 555}, [status(1, severity=7)])
    assert memo.recall(DAY, EPOCH, [(1, 101)]) == ([None], [1])
    found, _ = memo.recall(DAY, EPOCH, [(1, 555)])
    assert found[0].severity == 7


def test_order_is_the_order_asked_and_missing_ids_keep_it() -> None:
    memo = memo_with(5, 3, 9)
    asked = [(9, 109), (1, 1), (3, 103), (7, 7), (5, 999), (8, 8)]
    found, missing = memo.recall(DAY, EPOCH, asked)
    assert found == [status(9), None, status(3), None, None, None]
    assert missing == [1, 7, 5, 8]
    assert len(found) == len(asked)


def test_rows_with_more_columns_are_read_as_goal_id_and_stamp() -> None:
    """The stamps statement returns (goal id, stamp, epoch) rows."""
    memo = memo_with(1, 2)
    found, missing = memo.recall(DAY, EPOCH, [(1, 101, EPOCH), (2, 5, EPOCH)])
    assert found == [status(1), None] and missing == [2]


def test_an_empty_question_is_no_hit_and_no_miss() -> None:
    memo = memo_with(1)
    assert memo.recall(DAY, EPOCH, []) == ([], [])
    assert (memo.hits, memo.misses) == (0, 0)


def test_reaching_capacity_clears_before_keeping() -> None:
    memo = StatusMemo(capacity=3)
    memo.recall(DAY, EPOCH, [])
    memo.keep(DAY, EPOCH, {1: 1, 2: 2, 3: 3}, [status(1), status(2), status(3)])
    assert len(memo) == 3
    memo.keep(DAY, EPOCH, {4: 4}, [status(4)])
    assert len(memo) == 1
    assert memo.recall(DAY, EPOCH, [(1, 1), (4, 4)]) == ([None, status(4)], [1])


def test_below_capacity_nothing_is_dropped() -> None:
    memo = StatusMemo(capacity=3)
    memo.recall(DAY, EPOCH, [])
    memo.keep(DAY, EPOCH, {1: 1, 2: 2}, [status(1), status(2)])
    memo.keep(DAY, EPOCH, {3: 3}, [status(3)])
    assert memo.recall(DAY, EPOCH, [(1, 1), (2, 2), (3, 3)]) == ([status(1), status(2), status(3)], [])
    assert CAPACITY >= 100_000


def test_forget_drops_everything_and_the_day() -> None:
    memo = memo_with(1)
    memo.forget()
    assert len(memo) == 0
    memo.keep(DAY, EPOCH, {1: 101}, [status(1)])  # no day held after forget: not kept
    assert memo.recall(DAY, EPOCH, [(1, 101)]) == ([None], [1])


def test_hits_and_misses_add_up_over_calls() -> None:
    memo = memo_with(1, 2)
    memo.recall(DAY, EPOCH, [(1, 101), (2, 0)])
    memo.recall(DAY, EPOCH, [(1, 101), (2, 102), (3, 3)])
    assert (memo.hits, memo.misses) == (3, 2)
