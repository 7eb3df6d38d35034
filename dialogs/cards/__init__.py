"""Adaptive Card builders (schema 1.5, Microsoft's typed `microsoft_teams.cards`
models). Every builder returns the card as a JSON-ready dict; text comes from the
catalogs. Submit actions carry a `verb` that dialogs/main_dialog.py parses."""

from dialogs.cards.help import build_help_card
from dialogs.cards.menu import build_menu_card
from dialogs.cards.overview import build_overview_card, build_unit_choice_card
from dialogs.cards.welcome import build_welcome_card

__all__ = [
    "build_help_card",
    "build_menu_card",
    "build_overview_card",
    "build_unit_choice_card",
    "build_welcome_card",
]
