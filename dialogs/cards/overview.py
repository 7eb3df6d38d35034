"""The overview of a person's goals ("mina mål"), and the question which unit to show
when they have several. Plain stacked text, no wide tables: it must read on a phone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from microsoft_teams.cards import Container, TextBlock

from dialogs.cards.common import card, paragraph, submit, title
from dialogs.formatting import format_date
from dialogs.texts import Texts
from goals.model import OrgNode, Period

# Teams refuses messages over ~80 KB and a phone screen holds little; beyond this
# the card says how many more there are instead of growing.
MAX_UNITS_PER_CARD = 10


def period_name(texts: Texts, period: Period) -> str:
    key = f"period.{period.kind}"
    name = texts.t(key) if texts.has(key) else texts.t("period.other", kind=period.kind)
    return f"{name} {period.year}"


def _unit_block(texts: Texts, overview: Any) -> Container:
    items = [TextBlock(text=overview.unit.name, size="Medium", weight="Bolder", wrap=True)]
    if overview.period is not None:
        line = texts.t(
            "overview.period",
            period=period_name(texts, overview.period),
            deadline=format_date(overview.period.deadline, texts.language),
        )
    else:
        line = texts.t("overview.no_period")
    items.append(TextBlock(text=line, is_subtle=True, wrap=True, spacing="None"))
    if overview.goals:
        items.extend(
            TextBlock(text=texts.t("overview.goal", number=goal.number, title=goal.title), wrap=True, spacing="Small")
            for goal in overview.goals
        )
    else:
        items.append(paragraph(texts.t("overview.no_goals")))
    return Container(items=items, separator=True, spacing="Medium")


def build_overview_card(texts: Texts, overviews: Sequence[Any]) -> dict[str, Any]:
    """`overviews`: goals.services UnitOverview items (unit, goals, period)."""
    body: list[Any] = [title(texts.t("overview.title"))]
    if not overviews:
        body.append(paragraph(texts.t("overview.no_units")))
        return card(body, [submit(texts.t("menu.open"), "menu")])
    shown = overviews[:MAX_UNITS_PER_CARD]
    body.extend(_unit_block(texts, overview) for overview in shown)
    if len(overviews) > len(shown):
        body.append(paragraph(texts.t("overview.more_units", count=len(overviews) - len(shown)), subtle=True))
    actions = []
    if len(shown) == 1 and shown[0].period is not None and shown[0].goals:
        only = shown[0]
        actions.append(submit(texts.t("overview.report"), "report", unit_id=only.unit.id, period_id=only.period.id))
    actions.append(submit(texts.t("menu.open"), "menu"))
    return card(body, actions)


def build_unit_choice_card(texts: Texts, units: Sequence[OrgNode]) -> dict[str, Any]:
    body = [title(texts.t("overview.choose_unit")), paragraph(texts.t("overview.choose_hint"), subtle=True)]
    body.extend(
        TextBlock(text=texts.t("overview.choose_item", number=i, name=unit.name), wrap=True, spacing="Small")
        for i, unit in enumerate(units, start=1)
    )
    actions = [submit(unit.name, "my_goals", unit_id=unit.id) for unit in units[:MAX_UNITS_PER_CARD]]
    actions.append(submit(texts.t("overview.all_units"), "my_goals", unit_id="all"))
    return card(body, actions)
