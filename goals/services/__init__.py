"""Application services: the use cases dialogs, the scheduler and imports call.

Each takes an un-entered UnitOfWork and keyword-only arguments, opens the unit of
work, checks access on the server, and (for writes) commits the change together
with its audit row. Small modules by concern; everything public is re-exported here.
"""

from goals.services.approval_view import (
    ApprovalView,
    PendingApprovals,
    load_approval_view,
    pending_approvals,
)
from goals.services.follow_ups import (
    FollowUpChanges,
    approve_follow_up,
    open_follow_up,
    return_follow_up,
    save_follow_up,
    submit_follow_up,
)
from goals.services.organisation import add_person, assign_role, create_org_node
from goals.services.planning import (
    close_period,
    create_goal,
    create_period,
    update_goal,
)
from goals.services.questions import (
    BehindGoal,
    UnitOverview,
    behind_goals,
    goals_overview,
    left_to_report,
)

__all__ = [
    "ApprovalView",
    "BehindGoal",
    "FollowUpChanges",
    "PendingApprovals",
    "UnitOverview",
    "add_person",
    "approve_follow_up",
    "assign_role",
    "behind_goals",
    "close_period",
    "create_goal",
    "create_org_node",
    "create_period",
    "goals_overview",
    "left_to_report",
    "load_approval_view",
    "open_follow_up",
    "pending_approvals",
    "return_follow_up",
    "save_follow_up",
    "submit_follow_up",
    "update_goal",
]
