"""What can I ask? One line per thing, in the words a person would type."""

from __future__ import annotations

from typing import Any

from dialogs.cards.common import card, paragraph, submit, title
from dialogs.texts import Texts

# "exportera" and "att godkänna" are for heads only; each line says so rather than the card
# asking who reads it.
HELP_LINES = ("help.my_goals", "help.report", "help.behind", "help.left", "help.export", "help.approvals",
              "help.menu", "help.cancel")


def build_help_card(texts: Texts) -> dict[str, Any]:
    return card(
        [title(texts.t("help.title")), *(paragraph("• " + texts.t(key)) for key in HELP_LINES)],
        [submit(texts.t("menu.my_goals"), "my_goals"), submit(texts.t("menu.open"), "menu")],
    )
