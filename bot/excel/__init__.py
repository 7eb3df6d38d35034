"""Excel in and out (openpyxl lives here, never in goals/): the goal-plan template,
its all-or-nothing import, and the follow-up export for tertial reports."""
