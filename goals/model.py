"""The goal-management domain as plain data.

Everything here is a frozen dataclass or an enum, so domain objects can be passed
between the storage layer, services and dialogs without anyone mutating shared
state behind another's back. Changes are made with `dataclasses.replace`.

Ids are integers assigned by the store (0 means "not stored yet"); `code` is the
stable natural key people and spreadsheets use (e.g. "E-SOL-1"), so re-importing
the same file finds the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class OrgKind(StrEnum):
    MUNICIPALITY = "municipality"
    ADMINISTRATION = "administration"
    COMMITTEE = "committee"
    DEPARTMENT = "department"
    UNIT = "unit"


class Role(StrEnum):
    UNIT_MANAGER = "unit_manager"  # enhetschef
    DEPARTMENT_HEAD = "department_head"  # avdelningschef
    STAFF = "staff"  # stab / utvecklingsenhet
    DIRECTOR = "director"  # förvaltningsdirektör / stadsdelsdirektör
    ADMIN = "admin"


class Direction(StrEnum):
    """Which way an expected result or indicator should move."""

    INCREASE = "increase"  # higher is better
    DECREASE = "decrease"  # lower is better
    REACH = "reach"  # reach (at least) a target state; treated as higher-is-better


class ActivityStatus(StrEnum):
    NOT_STARTED = "not_started"
    ONGOING = "ongoing"
    DONE = "done"
    DELAYED = "delayed"
    CANCELLED = "cancelled"


class Fulfilment(StrEnum):
    """Assessment of goal fulfilment: uppfyllt / delvis uppfyllt / ej uppfyllt."""

    FULFILLED = "fulfilled"
    PARTLY = "partly"
    NOT = "not"


class FollowUpState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class CrossSectoral(StrEnum):
    """Tvärsektoriella perspektiv (human-rights perspectives)."""

    CHILD_RIGHTS = "child_rights"  # barnrätt
    GENDER_EQUALITY = "gender_equality"  # jämställdhet
    EQUITY = "equity"  # jämlikhet
    ANTI_DISCRIMINATION = "anti_discrimination"  # icke-diskriminering


# --- organisation and people -------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrgNode:
    """A node in the organisation tree: municipality → administration → … → unit.

    `profile` names the steering-model profile (e.g. "stockholm_ils"); it is set on
    the root and inherited by every node below it.
    """

    id: int
    code: str
    name: str
    kind: OrgKind
    parent_id: int | None = None
    tenant_id: str = ""
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """A user, identified by Microsoft Entra object id within a tenant."""

    id: int
    tenant_id: str
    entra_object_id: str
    name: str
    email: str = ""
    locale: str = "sv-SE"


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    person_id: int
    org_node_id: int
    role: Role


# --- goals -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoalArea:
    """Målområde: groups council goals."""

    id: int
    code: str
    name: str
    org_node_id: int


@dataclass(frozen=True, slots=True)
class ExpectedResult:
    """Förväntat resultat: the state expected by year end."""

    id: int
    text: str
    direction: Direction = Direction.REACH
    target_value: float | None = None
    baseline: float | None = None  # nollbasvärde


@dataclass(frozen=True, slots=True)
class Indicator:
    id: int
    code: str
    name: str
    unit: str  # unit of measure as written: "%", "antal", "dagar"
    direction: Direction = Direction.INCREASE
    target: float | None = None  # målvärde
    baseline: float | None = None
    gender_split: bool = False
    kpi_id: str | None = None  # external key figure, e.g. a Kolada KPI id "U23471"


@dataclass(frozen=True, slots=True)
class Activity:
    id: int
    title: str
    start: date
    end: date
    status: ActivityStatus = ActivityStatus.NOT_STARTED


@dataclass(frozen=True, slots=True)
class Goal:
    """A goal on any level: KF-mål, nämndmål, enhetsmål …

    `level` is a level key of the owner's profile (e.g. "kf", "namnd", "enhet").
    Validity is a year range: one year for a yearly goal, four for a mandate period.
    `number` is the short number people use in chat ("mål 3"), unique per owner.
    """

    id: int
    code: str
    title: str
    level: str
    owner_id: int
    valid_from: int
    valid_to: int
    number: int = 0
    description: str = ""
    parent_id: int | None = None
    area_id: int | None = None
    expected_results: tuple[ExpectedResult, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    activities: tuple[Activity, ...] = ()

    def is_valid_in(self, year: int) -> bool:
        return self.valid_from <= year <= self.valid_to


# --- periods and follow-ups --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period of one organisation root (tertial, delår, årsanalys …).

    `kind` is a period-kind key of the profile ("T1", "T2", "T3", "interim", "annual").
    `is_year_end` marks the period whose actions are a plan for next year.
    """

    id: int
    root_id: int
    kind: str
    year: int
    start: date
    end: date
    deadline: date
    is_open: bool = True
    is_year_end: bool = False


@dataclass(frozen=True, slots=True)
class Measurement:
    """An indicator value for a period: total, and women/men where split."""

    total: float | None = None
    women: float | None = None
    men: float | None = None


@dataclass(frozen=True, slots=True)
class FollowUp:
    """Uppföljning of one goal for one period.

    `version` is the optimistic-concurrency token: a save must name the version it
    was based on, and the store refuses it if someone saved in between.
    `evidence_note` is the author's explanation when claiming "fulfilled" against
    off-target evidence (the Malmö city audit asked for traceable assessments).
    """

    id: int
    goal_id: int
    period_id: int
    state: FollowUpState = FollowUpState.DRAFT
    assessment: Fulfilment | None = None
    forecast: Fulfilment | None = None
    analysis: str = ""
    actions: str = ""
    evidence_note: str = ""
    resource_use: str = ""
    cross_sectoral: dict[CrossSectoral, str] = field(default_factory=dict)
    indicator_values: dict[int, Measurement] = field(default_factory=dict)
    activity_statuses: dict[int, ActivityStatus] = field(default_factory=dict)
    author_id: int | None = None
    submitted_at: datetime | None = None
    approver_id: int | None = None
    decided_at: datetime | None = None
    return_comment: str = ""
    version: int = 0
    updated_at: datetime | None = None
    updated_by: int | None = None

    @property
    def is_editable(self) -> bool:
        return self.state in (FollowUpState.DRAFT, FollowUpState.RETURNED, FollowUpState.SUBMITTED)


# --- audit -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Who did what, when. Written in the same transaction as the change.

    `actor_id` is a person id, or None for the system (scheduler, import, demo).
    `details` is JSON-serialisable: what changed, from what, to what.
    """

    at: datetime
    actor_id: int | None
    action: str  # e.g. "follow_up.saved", "follow_up.submitted", "goal.created", "card.refused"
    entity: str  # e.g. "follow_up", "goal"
    entity_id: int | None
    details: dict = field(default_factory=dict)
    id: int = 0
