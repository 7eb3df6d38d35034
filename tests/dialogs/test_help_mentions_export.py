"""The help card tells heads how to get the Excel export, in the reader's language."""

from __future__ import annotations

import json

from dialogs.cards import build_help_card
from dialogs.texts import Texts


def test_help_card_mentions_exportera_t2_for_heads():
    swedish = json.dumps(build_help_card(Texts("sv")), ensure_ascii=False)
    english = json.dumps(build_help_card(Texts("en")), ensure_ascii=False)

    assert "”exportera T2” – periodens uppföljning som Excel-fil (för avdelningschefer, stab och ledning)" in swedish
    assert "“export T2” – the period's follow-up as an Excel file (for department heads" in english
