"""SQLAlchemy models for the bot's own state: dialog state, conversation references,
processed activity ids (filled in by the runtime work)."""
