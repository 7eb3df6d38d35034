"""The goal-management domain. Standard library only (tests/unit/test_layering.py)."""
