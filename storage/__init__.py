"""Persistence: SQLAlchemy models, repositories and unit of work implementing goals' ports."""
