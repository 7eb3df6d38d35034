"""Conversation flows, card builders and UI text catalogs (sv, en)."""
