"""The menu: the main things a person does in Målkoll, one button each."""

from __future__ import annotations

from typing import Any

from dialogs.cards.common import card, submit, title
from dialogs.texts import Texts

# (verb, catalog key): the verbs main_dialog routes; the order is the menu's.
MENU_ITEMS = (
    ("my_goals", "menu.my_goals"),
    ("report", "menu.report"),
    ("behind", "menu.behind"),
    ("left_to_report", "menu.left"),
    ("help", "menu.help"),
)


def build_menu_card(texts: Texts) -> dict[str, Any]:
    return card([title(texts.t("menu.title"))], [submit(texts.t(key), verb) for verb, key in MENU_ITEMS])
