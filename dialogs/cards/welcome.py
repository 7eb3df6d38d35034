"""The first thing a person sees after installing Målkoll."""

from __future__ import annotations

from typing import Any

from dialogs.cards.common import card, paragraph, submit, title
from dialogs.texts import Texts


def build_welcome_card(texts: Texts) -> dict[str, Any]:
    return card(
        [title(texts.t("welcome.title")), paragraph(texts.t("welcome.body")), paragraph(texts.t("welcome.try"))],
        [submit(texts.t("menu.my_goals"), "my_goals"), submit(texts.t("menu.help"), "help")],
    )
