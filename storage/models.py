"""SQLAlchemy models of the goal domain (filled in by the storage work)."""
