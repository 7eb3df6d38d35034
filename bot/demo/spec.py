"""The shape of a demo city, as plain data.

A demo is written the way an administration writes its goals (see the seeds):
an organisation tree with the people in it, goal areas, goals on every level with
expected results, indicators and activities. What is *not* written by hand is the
calendar: periods, indicator history and follow-ups are computed relative to the
day the demo is loaded (bot/demo/plan.py), so the demo means the same thing
whenever it runs. Each unit goal names the `Scenario` it plays in the current
period; the plan turns that into follow-ups, values and activity dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from goals.model import Direction, ExpectedResult, OrgKind, Role

DEMO_TENANT_ID = "6c1e5d0a-8f2b-4b7e-9a3c-5d4e3f2a1b00"
EMAIL_DOMAIN = "demo.malkoll.se"


def entra_id(number: int) -> str:
    """The demo people's Entra object ids (CONTRACTS.md): d0000000-…-0000000000NN."""
    return f"d0000000-0000-4000-8000-0000000000{number:02d}"


class Scenario(StrEnum):
    """What a goal shows in the current period (and why, when behind)."""

    ON_TRACK = "on_track"  # every report in, forecast fulfilled, indicators on target
    NOT_REPORTED = "not_reported"  # on track so far; nothing reported for the current period yet
    STARTED = "started"  # like NOT_REPORTED, but a draft is started
    FORECAST_PARTLY = "forecast_partly"  # the current report forecasts "delvis uppfyllt"
    FORECAST_NOT = "forecast_not"  # … "ej uppfyllt"
    INDICATOR_OFF_TARGET = "indicator_off_target"  # the first indicator's latest value misses its target
    INDICATOR_TREND = "indicator_trend"  # the first indicator is on target but falling toward a miss
    ACTIVITY_OVERDUE = "activity_overdue"  # an activity is past its end date and not done
    ACTIVITY_DELAYED = "activity_delayed"  # an activity is reported delayed
    REPORT_MISSING = "report_missing"  # the last period whose deadline has passed was never reported


class ActivityPlan(StrEnum):
    """Where an activity sits relative to the demo's today."""

    DONE = "done"
    ONGOING = "ongoing"
    PLANNED = "planned"


@dataclass(frozen=True)
class PersonSpec:
    number: int  # NN of the Entra object id
    name: str
    title: str  # what the person is, in Swedish ("Enhetschef, Förskolan Solrosen")

    @property
    def entra_object_id(self) -> str:
        return entra_id(self.number)

    @property
    def email(self) -> str:
        local = self.name.lower().replace(" ", ".")
        for swedish, plain in (("å", "a"), ("ä", "a"), ("ö", "o"), ("é", "e")):
            local = local.replace(swedish, plain)
        return f"{local}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator and the shape of its history: `start` two years ago, moving
    steadily to `good` (on the right side of `target`) by the latest period."""

    code: str
    name: str
    unit: str
    target: float
    start: float
    good: float
    direction: Direction = Direction.INCREASE
    gender_split: bool = False
    kpi_id: str | None = None
    baseline: float | None = None
    # For gender-split values: how far women/girls lie above the total (negative: below).
    women_offset: float = 0.0


@dataclass(frozen=True)
class ActivitySpec:
    title: str
    plan: ActivityPlan = ActivityPlan.ONGOING


@dataclass(frozen=True)
class GoalSpec:
    code: str
    title: str
    level: str  # a level key of the profile
    description: str = ""
    parent: str | None = None  # code of the parent goal
    area: str | None = None  # code of the goal area
    results: tuple[ExpectedResult, ...] = ()
    indicators: tuple[IndicatorSpec, ...] = ()
    activities: tuple[ActivitySpec, ...] = ()
    scenario: Scenario = Scenario.ON_TRACK
    # Years the goal is valid, relative to the demo's year: (-2, 0) = this year and the two
    # before (so two years of indicator history belong to the goal). None = the current
    # mandate period (Swedish councils sit 2023–2026, 2027–2030, …), stretched back to
    # cover the same two years of history.
    valid: tuple[int, int] | None = (-2, 0)
    analysis: str = ""  # what the owner writes in the current period (scenario-specific)
    actions: str = ""  # corrective actions, for goals short of target


@dataclass(frozen=True)
class NodeSpec:
    code: str
    name: str
    kind: OrgKind
    people: tuple[tuple[PersonSpec, Role], ...] = ()
    goals: tuple[GoalSpec, ...] = ()
    children: tuple[NodeSpec, ...] = ()

    def walk(self):
        """This node and every node below it, parents first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def walk_with_parents(self, parent_code: str | None = None):
        """(node, its parent's code) for this node and every node below it, parents first."""
        yield self, parent_code
        for child in self.children:
            yield from child.walk_with_parents(self.code)


@dataclass(frozen=True)
class AreaSpec:
    code: str
    name: str


@dataclass(frozen=True)
class DemoSpec:
    key: str  # the --profile name of the demo
    profile: str  # steering-model profile of the root
    root: NodeSpec
    areas: tuple[AreaSpec, ...] = ()
    tenant_id: str = DEMO_TENANT_ID
    # Cross-sectoral notes written in every follow-up (Malmö's human-rights perspectives).
    cross_sectoral: dict[str, str] = field(default_factory=dict)
    resource_use: str = ""  # the units' note on resource use, where the profile asks for one

    def people(self) -> list[PersonSpec]:
        seen: dict[int, PersonSpec] = {}
        for node in self.root.walk():
            for person, _ in node.people:
                seen.setdefault(person.number, person)
        return sorted(seen.values(), key=lambda p: p.number)
