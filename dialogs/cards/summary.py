"""The summary card posted to a team channel: goals by assessment (a Teams donut
chart, with the same counts as text for hosts that cannot draw it), goals behind
with their reasons, units not yet reported, the largest movements since last year.

Large organisations are summarised and paged so a post stays far under Teams'
~80 KB message limit whatever the size: at most BEHIND_SHOWN goals behind (the
most behind), the units not reported listed one by one only when they are few,
otherwise grouped by department on the first page with "Visa fler" paging through
the units (UNITS_PER_PAGE each). Sizes are checked in the tests and bench/summary_card.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from microsoft_teams.cards import CardElement, Container, DonutChart, DonutChartData, SubmitAction, TextBlock

from dialogs.cards.common import card, paragraph, submit, title
from dialogs.cards.overview import period_name
from dialogs.cards.status import goal_label, measured, reason_text
from dialogs.formatting import format_date
from dialogs.texts import Texts
from goals.model import Fulfilment, Period
from goals.profiles import Profile
from goals.summaries import Summary, UnitNotReported

SUMMARY_VERB = "summary"
BEHIND_SHOWN = 5
REASONS_SHOWN = 2
UNITS_LISTED = 15  # up to this many units not reported are listed on the first page
UNITS_PER_PAGE = 25
GROUPS_SHOWN = 12
_COLORS = {Fulfilment.FULFILLED: "good", Fulfilment.PARTLY: "warning", Fulfilment.NOT: "attention", None: "neutral"}


def build_summary_card(texts: Texts, summary: Summary, *, profile: Profile, today: date, page: int = 1,
                       occasion: str | None = None) -> dict[str, Any]:
    """`page` > 1 lists only the units not reported (the rest is on page 1);
    `occasion`: "deadline" or "weekly" for a scheduled post, None on demand."""
    period = summary.period
    body: list[CardElement] = [title(texts.t("summaries.title", node=summary.node.name)), _period_line(texts, period, today)]
    if occasion is not None:
        key = "summaries.posted_deadline" if occasion == "deadline" else "summaries.posted_weekly"
        body.append(paragraph(texts.t(key, period=period_name(texts, period))))
    if page > 1:
        units, more = _units_page(texts, summary, page)
        return card([*body, *units], more)
    if not summary.goals:
        body.append(paragraph(texts.t("summaries.no_goals")))
        return card(body)
    body.append(_assessments(texts, summary, profile))
    body.append(_behind(texts, summary))
    not_reported, more = _not_reported(texts, summary)
    body.append(not_reported)
    body.append(_movements(texts, summary))
    return card(body, more)


def _period_line(texts: Texts, period: Period, today: date) -> TextBlock:
    key = "summaries.period_passed" if period.deadline < today else "summaries.period"
    return paragraph(texts.t(key, period=period_name(texts, period), deadline=format_date(period.deadline, texts.language)),
                     subtle=True)


def _assessments(texts: Texts, summary: Summary, profile: Profile) -> Container:
    rows = [(profile.label(f, texts.language), summary.by_assessment.get(f, 0), _COLORS[f]) for f in Fulfilment]
    rows.append((texts.t("summaries.not_assessed"), summary.by_assessment.get(None, 0), _COLORS[None]))
    as_text = Container(items=[_bullet(texts.t("summaries.count", label=label, count=n)) for label, n, _ in rows])
    chart = DonutChart(
        title=texts.t("summaries.assessment_title", goals=summary.goals),
        data=[DonutChartData(legend=label, value=n, color=color) for label, n, color in rows if n],
        fallback=as_text,
    )
    return Container(items=[_section(texts.t("summaries.assessment_title", goals=summary.goals)), chart],
                     separator=True, spacing="Medium")


def _behind(texts: Texts, summary: Summary) -> Container:
    items: list[CardElement] = [_section(texts.t("summaries.behind_title", count=len(summary.behind)))]
    if not summary.behind:
        items.append(paragraph(texts.t("summaries.behind_none")))
    for item in summary.behind[:BEHIND_SHOWN]:
        items.append(TextBlock(text=texts.t("summaries.behind_item", goal=goal_label(texts, item.goal), owner=item.owner_name),
                               wrap=True, weight="Bolder", spacing="Small"))
        items.extend(_bullet(reason_text(texts, r, item.goal), subtle=True) for r in item.reasons[:REASONS_SHOWN])
    if len(summary.behind) > BEHIND_SHOWN:
        items.append(paragraph(texts.t("summaries.behind_more", count=len(summary.behind) - BEHIND_SHOWN), subtle=True))
    return Container(items=items, separator=True, spacing="Medium")


def _not_reported(texts: Texts, summary: Summary) -> tuple[Container, list[SubmitAction]]:
    missing = summary.not_reported
    items: list[CardElement] = [
        _section(texts.t("summaries.not_reported_title", count=len(missing), total=summary.units_with_goals))
    ]
    more: list[SubmitAction] = []
    if not missing:
        items.append(paragraph(texts.t("summaries.not_reported_none")))
    elif len(missing) <= UNITS_LISTED:
        items.extend(_unit_line(texts, u) for u in missing)
    else:
        items.extend(_groups(texts, missing))
        more = [_more_button(texts, summary, 2)]
    return Container(items=items, separator=True, spacing="Medium"), more


def _groups(texts: Texts, missing: Sequence[UnitNotReported]) -> list[CardElement]:
    groups: dict[str, list[UnitNotReported]] = {}
    for unit in missing:
        groups.setdefault(unit.department or texts.t("summaries.not_reported_other"), []).append(unit)
    ranked = sorted(groups.items(), key=lambda kv: (-sum(u.missing for u in kv[1]), kv[0]))
    lines: list[CardElement] = [
        _bullet(texts.t("summaries.not_reported_group", department=name, units=len(units),
                        missing=sum(u.missing for u in units)))
        for name, units in ranked[:GROUPS_SHOWN]
    ]
    rest = sum(len(units) for _, units in ranked[GROUPS_SHOWN:])
    if rest:
        lines.append(paragraph(texts.t("summaries.not_reported_more", count=rest), subtle=True))
    return lines


def _units_page(texts: Texts, summary: Summary, page: int) -> tuple[list[CardElement], list[SubmitAction]]:
    missing = summary.not_reported
    pages = max(1, -(-len(missing) // UNITS_PER_PAGE))
    number = min(page - 1, pages)  # page 2 of the card is the first page of units
    start = (number - 1) * UNITS_PER_PAGE
    items: list[CardElement] = [
        _section(texts.t("summaries.not_reported_title", count=len(missing), total=summary.units_with_goals)),
        *(_unit_line(texts, u) for u in missing[start : start + UNITS_PER_PAGE]),
        paragraph(texts.t("summaries.page", page=number, pages=pages), subtle=True),
    ]
    more = [_more_button(texts, summary, page + 1)] if number < pages else []
    return items, more


def _movements(texts: Texts, summary: Summary) -> Container:
    last_year = period_name(texts, _year_before(summary.period))
    items: list[CardElement] = [_section(texts.t("summaries.movements_title", period=last_year))]
    if not summary.movements:
        items.append(paragraph(texts.t("summaries.movements_none"), subtle=True))
    for move in summary.movements:
        verdict = texts.t("summaries.better" if move.better else "summaries.worse")
        line = texts.t("summaries.movement", indicator=move.indicator.name, owner=move.owner_name,
                       before=measured(texts, move.before, move.indicator), after=measured(texts, move.after, move.indicator))
        items.append(TextBlock(text=f"• {line} ({verdict})", wrap=True, spacing="Small",
                               color="Good" if move.better else "Attention"))
    return Container(items=items, separator=True, spacing="Medium")


def _year_before(period: Period) -> Period:
    return Period(id=0, root_id=period.root_id, kind=period.kind, year=period.year - 1, start=period.start,
                  end=period.end, deadline=period.deadline)


def _unit_line(texts: Texts, unit: UnitNotReported) -> TextBlock:
    return _bullet(texts.t("summaries.not_reported_unit", unit=unit.unit.name, missing=unit.missing, goals=unit.goals))


def _more_button(texts: Texts, summary: Summary, page: int) -> SubmitAction:
    return submit(texts.t("summaries.more"), SUMMARY_VERB, node_id=summary.node.id, period_id=summary.period.id, page=page)


def _section(text: str) -> TextBlock:
    return TextBlock(text=text, weight="Bolder", wrap=True)


def _bullet(text: str, *, subtle: bool = False) -> TextBlock:
    return TextBlock(text="• " + text, wrap=True, spacing="Small", is_subtle=subtle or None)
