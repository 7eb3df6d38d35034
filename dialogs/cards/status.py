"""Answer cards for status questions: which goals are behind, one goal's or one unit's
status, what is left to report, deadlines, units that have not reported, an
indicator's trend, "which one did you mean?" and "what can I ask?".

Built for a phone: stacked text blocks, one container per goal, no tables or wide
column sets. Lists come most-behind (or most urgent) first and are paged: a card
shows at most PAGE_SIZE items and a "Visa fler" button asks for the next page, so
a director's whole administration still fits far below Teams' ~80 KB message limit.
Buttons are Action.Submit with a `verb` (dialogs/main_dialog.py routes them).

The trend is Teams' native line chart (Chart.Line, outside the 1.5 schema); its
`fallback` lists the values per period as text for hosts that cannot draw it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from microsoft_teams.cards import (
    ActionSet,
    CardElement,
    Container,
    LineChart,
    LineChartData,
    LineChartValue,
    SubmitAction,
    TextBlock,
)

from dialogs.cards.common import card, paragraph, submit, title
from dialogs.cards.overview import period_name
from dialogs.formatting import format_date, format_number
from dialogs.texts import Texts
from goals.model import FollowUpState, Goal, Indicator, OrgNode
from goals.queries import GoalStatus, NotReported, PeriodDeadline, Trend, UnitStatus
from goals.status import Due, Reason, ReasonKind, is_off_target

PAGE_SIZE = 10
MAX_CHOICES = 10
_BULLET = "• "


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer to "which one did you mean?": its label and the button's verb and data."""

    label: str
    verb: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Page:
    number: int  # 1-based, already clamped to the pages there are
    pages: int
    start: int
    end: int

    @property
    def has_more(self) -> bool:
        return self.number < self.pages


def page_of(count: int, wanted: int) -> Page:
    pages = max(1, -(-count // PAGE_SIZE))
    number = min(max(1, wanted), pages)
    start = (number - 1) * PAGE_SIZE
    return Page(number=number, pages=pages, start=start, end=min(count, start + PAGE_SIZE))


# --- words -----------------------------------------------------------------------------


def goal_label(texts: Texts, goal: Goal) -> str:
    if goal.number:
        return texts.t("questions.goal", number=goal.number, title=goal.title)
    return texts.t("questions.goal_unnumbered", title=goal.title)


def kind_name(texts: Texts, kind: str) -> str:
    key = f"period.{kind}"
    return texts.t(key) if texts.has(key) else texts.t("period.other", kind=kind)


def measured(texts: Texts, value: float, indicator: Indicator | None) -> str:
    """"70 %", "12,5 dagar"; counts ("antal") need no unit after the number."""
    number = format_number(value, texts.language)
    unit = indicator.unit.strip() if indicator else ""
    return f"{number} {unit}" if unit and unit.casefold() != "antal" else number


def state_name(texts: Texts, state: FollowUpState | None) -> str:
    return texts.t(f"questions.state.{state.value if state else 'none'}")


def reason_text(texts: Texts, reason: Reason, goal: Goal) -> str:
    """One reason for "behind", in words, with the numbers and dates that explain it."""
    lang = texts.language
    indicator = next((i for i in goal.indicators if i.id == reason.indicator_id), None)
    match reason.kind:
        case ReasonKind.ASSESSMENT | ReasonKind.FORECAST:
            label = texts.t(f"questions.fulfilment.{reason.fulfilment.value}") if reason.fulfilment else ""
            return texts.t(f"questions.reason.{reason.kind.value}", period=kind_name(texts, reason.name), label=label)
        case ReasonKind.INDICATOR_OFF_TARGET:
            key = "indicator_off_target" if reason.period_id is not None else "indicator_off_target_unknown_period"
            return texts.t(
                f"questions.reason.{key}",
                name=reason.name,
                value=measured(texts, reason.value, indicator),
                target=measured(texts, reason.target, indicator),
            )
        case ReasonKind.INDICATOR_TREND:
            return texts.t(
                "questions.reason.indicator_trend",
                name=reason.name,
                value=measured(texts, reason.value, indicator),
                projected=measured(texts, reason.projected, indicator),
                target=measured(texts, reason.target, indicator),
                deadline=format_date(reason.deadline, lang),
            )
        case ReasonKind.ACTIVITY_OVERDUE:
            return texts.t("questions.reason.activity_overdue", name=reason.name, deadline=format_date(reason.deadline, lang))
        case ReasonKind.ACTIVITY_DELAYED:
            return texts.t("questions.reason.activity_delayed", name=reason.name)
        case ReasonKind.REPORT_MISSING:
            return texts.t(
                "questions.reason.report_missing",
                period=kind_name(texts, reason.name),
                deadline=format_date(reason.deadline, lang),
            )
    raise ValueError(f"no words for {reason.kind}")


def _due_text(texts: Texts, due: Due, today: date, prefix: str) -> str:
    key = f"{prefix}_passed" if due.period.deadline < today else prefix
    return texts.t(
        key,
        period=period_name(texts, due.period),
        deadline=format_date(due.period.deadline, texts.language),
        state=state_name(texts, due.state),
    )


# --- building blocks -------------------------------------------------------------------


def _heading(text: str) -> TextBlock:
    return TextBlock(text=text, weight="Bolder", wrap=True)


def _subtle(text: str) -> TextBlock:
    return TextBlock(text=text, is_subtle=True, wrap=True, spacing="None")


def _bullet(text: str) -> TextBlock:
    return TextBlock(text=_BULLET + text, wrap=True, spacing="Small")


def _goal_buttons(texts: Texts, goal: Goal, *, can_report: bool, open_button: bool = True,
                  report_period_id: int | None = None) -> list[SubmitAction]:
    buttons = []
    if open_button:
        buttons.append(submit(texts.t("questions.open"), "goal_status", goal_id=goal.id))
    if can_report:
        # The follow-up dialog opens the goal's report for a known period, or else the
        # unit's reporting overview for the period at hand.
        data: dict[str, Any] = (
            {"goal_id": goal.id, "period_id": report_period_id} if report_period_id is not None
            else {"unit_id": goal.owner_id}
        )
        buttons.append(submit(texts.t("questions.report"), "report", **data))
    return buttons


def _goal_block(texts: Texts, goal: Goal, owner: str, reasons: Sequence[Reason], *, can_report: bool,
                report_period_id: int | None, extra: Sequence[CardElement] = ()) -> Container:
    items: list[CardElement] = [_heading(goal_label(texts, goal)), _subtle(owner), *extra]
    items.extend(_bullet(reason_text(texts, r, goal)) for r in reasons)
    buttons = _goal_buttons(texts, goal, can_report=can_report, report_period_id=report_period_id)
    items.append(ActionSet(actions=buttons, spacing="Small"))
    return Container(items=items, separator=True, spacing="Medium")


def _paging(texts: Texts, page: Page, verb: str, **data: Any) -> tuple[list[CardElement], list[SubmitAction]]:
    """The "Sida 2 av 5" line and the "Visa fler" button (which asks for the next page)."""
    if page.pages == 1:
        return [], []
    line = [paragraph(texts.t("questions.page", page=page.number, pages=page.pages), subtle=True)]
    more = [submit(texts.t("questions.more"), verb, page=page.number + 1, **data)] if page.has_more else []
    return line, more


def _missing_period(reasons: Sequence[Reason]) -> int | None:
    """The period a "Rapportera" button should open: the earliest missing report, if any."""
    return next((r.period_id for r in reasons if r.kind is ReasonKind.REPORT_MISSING), None)


# --- answers -----------------------------------------------------------------------------


def build_behind_card(
    texts: Texts,
    behind: Sequence[Any],
    *,
    page: int = 1,
    scope: OrgNode | None = None,
    can_report: bool = False,
) -> dict[str, Any]:
    """`behind`: goals.services BehindGoal items (goal, owner_name, reasons), most behind first;
    `scope`: the node asked about, if one was named."""
    heading = texts.t("questions.behind.title_in", scope=scope.name) if scope else texts.t("questions.behind.title")
    body: list[CardElement] = [title(heading)]
    if not behind:
        none = texts.t("questions.behind.none_in", scope=scope.name) if scope else texts.t("questions.behind.none")
        body.append(paragraph(none))
        return card(body, [submit(texts.t("menu.open"), "menu")])
    shown = page_of(len(behind), page)
    body.append(paragraph(texts.t("questions.behind.count", count=len(behind)), subtle=True))
    body.extend(
        _goal_block(texts, item.goal, item.owner_name, item.reasons, can_report=can_report,
                    report_period_id=_missing_period(item.reasons))
        for item in behind[shown.start : shown.end]
    )
    line, more = _paging(texts, shown, "behind", **({"node_id": scope.id} if scope else {}))
    body.extend(line)
    return card(body, more)


def build_goal_status_card(texts: Texts, status: GoalStatus, *, today: date, can_report: bool) -> dict[str, Any]:
    goal = status.goal
    body: list[CardElement] = [title(goal_label(texts, goal)), _subtle(status.owner_name)]
    verdict = texts.t("questions.status.behind") if status.is_behind else texts.t("questions.status.on_track")
    body.append(TextBlock(text=verdict, weight="Bolder", color="Attention" if status.is_behind else "Good", wrap=True))
    if status.reasons:
        body.append(paragraph(texts.t("questions.status.reasons")))
        body.extend(_bullet(reason_text(texts, r, goal)) for r in status.reasons)
    if status.due:
        body.extend(_bullet(_due_text(texts, d, today, "questions.status.due")) for d in status.due)
    else:
        body.append(paragraph(texts.t("questions.status.nothing_due"), subtle=True))
    actions: list[SubmitAction] = []
    if can_report and status.due:
        actions.extend(_goal_buttons(texts, goal, can_report=True, open_button=False,
                                     report_period_id=status.due[0].period.id))
    actions.extend(
        submit(texts.t("questions.status.trend", name=indicator.name), "trend", goal_id=goal.id, indicator_id=indicator.id)
        for indicator in goal.indicators[:3]
    )
    return card(body, actions)


def build_unit_status_card(
    texts: Texts, status: UnitStatus, *, today: date, page: int = 1, can_report: bool = False
) -> dict[str, Any]:
    body: list[CardElement] = [title(texts.t("questions.status.title", name=status.node.name))]
    if not status.goals:
        body.append(paragraph(texts.t("questions.status.no_goals")))
        return card(body, [submit(texts.t("menu.open"), "menu")])
    body.append(
        paragraph(texts.t("questions.status.summary", behind=len(status.behind), total=len(status.goals)), subtle=True)
    )
    shown = page_of(len(status.goals), page)
    for item in status.goals[shown.start : shown.end]:
        verdict = TextBlock(
            text=texts.t("questions.status.behind") if item.is_behind else texts.t("questions.status.on_track"),
            color="Attention" if item.is_behind else "Good",
            wrap=True,
            spacing="Small",
        )
        report_period = _missing_period(item.reasons) or (item.due[0].period.id if item.due else None)
        body.append(
            _goal_block(texts, item.goal, item.owner_name, item.reasons, can_report=can_report and bool(item.due),
                        report_period_id=report_period, extra=[verdict])
        )
    line, more = _paging(texts, shown, "unit_status", node_id=status.node.id)
    body.extend(line)
    return card(body, more)


def build_left_card(
    texts: Texts, left: Sequence[tuple[Goal, OrgNode, Due]], *, today: date, page: int = 1, can_report: bool = False
) -> dict[str, Any]:
    body: list[CardElement] = [title(texts.t("questions.left.title"))]
    if not left:
        body.append(paragraph(texts.t("questions.left.none")))
        return card(body, [submit(texts.t("menu.open"), "menu")])
    body.append(paragraph(texts.t("questions.left.count", count=len(left)), subtle=True))
    shown = page_of(len(left), page)
    for goal, owner, due in left[shown.start : shown.end]:
        items: list[CardElement] = [
            _heading(goal_label(texts, goal)),
            _subtle(owner.name),
            TextBlock(text=_due_text(texts, due, today, "questions.left.item"), wrap=True, spacing="Small",
                      color="Attention" if due.period.deadline < today else None),
            ActionSet(actions=_goal_buttons(texts, goal, can_report=can_report, report_period_id=due.period.id),
                      spacing="Small"),
        ]
        body.append(Container(items=items, separator=True, spacing="Medium"))
    line, more = _paging(texts, shown, "left_to_report")
    body.extend(line)
    return card(body, more)


def build_deadline_card(texts: Texts, deadlines: Sequence[PeriodDeadline]) -> dict[str, Any]:
    body: list[CardElement] = [title(texts.t("questions.deadline.title"))]
    if not deadlines:
        body.append(paragraph(texts.t("questions.deadline.none")))
    for item in deadlines[:PAGE_SIZE]:
        key = "item_passed" if item.passed else "item" if item.left else "item_done"
        body.append(
            _bullet(
                texts.t(
                    f"questions.deadline.{key}",
                    period=period_name(texts, item.period),
                    deadline=format_date(item.period.deadline, texts.language),
                    left=item.left,
                )
            )
        )
    actions = [submit(texts.t("questions.help.ask_left"), "left_to_report")] if any(d.left for d in deadlines) else []
    return card(body, actions)


def build_not_reported_card(
    texts: Texts, items: Sequence[NotReported], *, page: int = 1, scope: OrgNode | None = None
) -> dict[str, Any]:
    body: list[CardElement] = [title(texts.t("questions.not_reported.title"))]
    if not items:
        body.append(paragraph(texts.t("questions.not_reported.none")))
        return card(body, [submit(texts.t("menu.open"), "menu")])
    units = len({item.unit.id for item in items})
    body.append(paragraph(texts.t("questions.not_reported.count", count=units), subtle=True))
    shown = page_of(len(items), page)
    for item in items[shown.start : shown.end]:
        counts: dict[FollowUpState | None, int] = {}
        for _, state in item.goals:
            counts[state] = counts.get(state, 0) + 1
        states = ", ".join(
            texts.t("questions.not_reported.state_count", count=n, state=state_name(texts, state))
            for state, n in counts.items()
        )
        key = "item_passed" if item.overdue else "item"
        body.append(
            Container(
                items=[
                    _heading(item.unit.name),
                    TextBlock(
                        text=texts.t(f"questions.not_reported.{key}", period=period_name(texts, item.period),
                                     deadline=format_date(item.period.deadline, texts.language)),
                        wrap=True, spacing="None", color="Attention" if item.overdue else None,
                    ),
                    _subtle(texts.t("questions.not_reported.goals", count=len(item.goals), states=states)),
                ],
                separator=True,
                spacing="Medium",
            )
        )
    line, more = _paging(texts, shown, "not_reported", **({"node_id": scope.id} if scope else {}))
    body.extend(line)
    return card(body, more)


def build_trend_card(texts: Texts, trend: Trend) -> dict[str, Any]:
    """The indicator per period as a Teams line chart (total, women/men where split, the
    target as a flat line), falling back to the same values as text."""
    indicator = trend.indicator
    body: list[CardElement] = [
        title(texts.t("questions.trend.title", indicator=indicator.name)),
        _subtle(texts.t("questions.trend.subtitle", number=trend.goal.number, title=trend.goal.title,
                        owner=trend.owner_name)),
    ]
    if not trend.points:
        body.append(paragraph(texts.t("questions.trend.no_values")))
        return card(body, [submit(texts.t("questions.open"), "goal_status", goal_id=trend.goal.id)])
    latest = next((p for p in reversed(trend.points) if p.value.total is not None), None)
    if latest is not None:
        params = {"period": period_name(texts, latest.period), "value": measured(texts, latest.value.total, indicator)}
        if indicator.target is None:
            body.append(paragraph(texts.t("questions.trend.latest_plain", **params)))
        else:
            verdict = "off_target" if is_off_target(indicator, latest.value.total) else "on_target"
            body.append(paragraph(texts.t("questions.trend.latest", verdict=texts.t(f"questions.trend.{verdict}"), **params)))
    body.append(_chart(texts, trend, _values_as_text(texts, trend)))
    return card(body, [submit(texts.t("questions.open"), "goal_status", goal_id=trend.goal.id)])


def _values_as_text(texts: Texts, trend: Trend) -> Container:
    indicator = trend.indicator
    lines: list[CardElement] = []
    for point in trend.points:
        value = point.value
        name = period_name(texts, point.period)
        total = measured(texts, value.total, indicator) if value.total is not None else "–"
        if indicator.gender_split and (value.women is not None or value.men is not None):
            women = measured(texts, value.women, indicator) if value.women is not None else "–"
            men = measured(texts, value.men, indicator) if value.men is not None else "–"
            lines.append(_bullet(texts.t("questions.trend.point_split", period=name, value=total, women=women, men=men)))
        else:
            lines.append(_bullet(texts.t("questions.trend.point", period=name, value=total)))
    if indicator.target is not None:
        lines.append(paragraph(texts.t("questions.trend.target_line", target=measured(texts, indicator.target, indicator)),
                               subtle=True))
    return Container(items=lines)


def _chart(texts: Texts, trend: Trend, fallback: Container) -> LineChart:
    indicator = trend.indicator
    labels = [_short_period(texts, p.period) for p in trend.points]

    def series(legend: str, values: Sequence[float | None], color: str) -> LineChartData | None:
        points = [LineChartValue(x=x, y=y) for x, y in zip(labels, values, strict=True) if y is not None]
        return LineChartData(legend=legend, values=points, color=color) if points else None

    data = [series(texts.t("questions.trend.total"), [p.value.total for p in trend.points], "categoricalBlue")]
    if indicator.gender_split:
        data.append(series(texts.t("questions.trend.women"), [p.value.women for p in trend.points], "categoricalPurple"))
        data.append(series(texts.t("questions.trend.men"), [p.value.men for p in trend.points], "categoricalTeal"))
    if indicator.target is not None:
        data.append(series(texts.t("questions.trend.target"), [indicator.target] * len(labels), "good"))
    return LineChart(
        title=indicator.name,
        x_axis_title=texts.t("questions.trend.axis_period"),
        y_axis_title=indicator.unit or None,
        show_legend=True,
        data=[d for d in data if d is not None],
        fallback=fallback,
    )


def _short_period(texts: Texts, period: Any) -> str:
    # Chart labels must be short on a phone: "T1 2026", "Delår 2026".
    return f"{period.kind} {period.year}" if period.kind.startswith("T") else period_name(texts, period)


# --- choosing and helping ----------------------------------------------------------------


def build_choice_card(texts: Texts, choices: Sequence[Choice]) -> dict[str, Any]:
    """"Vilken menade du?": one button per candidate, each carrying the full question."""
    shown = list(choices[:MAX_CHOICES])
    body: list[CardElement] = [title(texts.t("questions.choose")), paragraph(texts.t("questions.choose_hint"), subtle=True)]
    body.extend(_bullet(choice.label) for choice in shown)
    return card(body, [submit(choice.label, choice.verb, **choice.data) for choice in shown])


HELP_LINES = (
    "questions.help.behind",
    "questions.help.goal",
    "questions.help.unit",
    "questions.help.left",
    "questions.help.deadline",
    "questions.help.not_reported",
    "questions.help.trend",
)


def build_questions_help_card(texts: Texts) -> dict[str, Any]:
    body: list[CardElement] = [title(texts.t("questions.help.title")), paragraph(texts.t("questions.help.intro"), subtle=True)]
    body.extend(_bullet(texts.t(key)) for key in HELP_LINES)
    return card(
        body,
        [
            submit(texts.t("questions.help.ask_behind"), "behind"),
            submit(texts.t("questions.help.ask_left"), "left_to_report"),
            submit(texts.t("menu.open"), "menu"),
        ],
    )
