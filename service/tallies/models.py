"""Tables of the tallies: completion facts, rollup cells, distinct-learner cells, targets and
reconcile runs (DESIGN.md, Tallies; README "Tallies").

- ``tally_completion`` is one row per completed enrollment, a *snapshot* taken in the completion's
  transaction: the learner's district and groups and the offering's attributes as they were then.
  A learner who moves district or an offering edited later does not move past person-times.
- ``tally_cell`` / ``tally_group_cell`` hold person-times, minutes and credentials at the finest
  grain (all dimensions). Group cells are separate because a learner may be in several groups:
  summing them would count one completion several times.
- ``tally_day`` holds person-times per day (all, and per group) for the recent pace;
- ``tally_distinct_cell`` holds exact distinct-learner counts for the declared grouping sets
  (:data:`service.tallies.dimensions.DISTINCT_SETS`); ``tally_overlap`` holds learners' repeats
  per agreement mask, from which any other grouping's distinct learners follow
  (:mod:`service.tallies.overlap`); ``tally_learner`` is the per-learner row whose lock
  serialises the "is this learner new in that cell" decision.

Every dimension column is NOT NULL (``''`` = no cluster; unused dimensions of a distinct set
hold ``''``, ``0`` or the nil UUID), so the unique constraints are real conflict targets for
``INSERT ... ON CONFLICT DO UPDATE`` on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.core.columns import created_at, json_column, timestamp, uuid_pk

NIL_UUID = uuid.UUID(int=0)
CELL_DIMS = (
    "year",
    "district_code",
    "cluster_version",
    "cluster_code",
    "training_type",
    "funding",
    "organization_id",
    "occupation_code",
    "level",
)


class TallyCompletion(SQLModel, table=True):
    """One person-time (人次): a completed enrollment, with its dimensions as of completion.

    ``rolled_person`` / ``rolled_credential`` say whether this row's person-time and credential
    are already in the rollups; they make the commit-time apply idempotent (see ``rollups``).
    """

    __tablename__ = "tally_completion"
    __table_args__ = (
        Index("ix_tally_completion_learner", "learner_id"),
        Index("ix_tally_completion_completed_on", "completed_on"),
        Index("ix_tally_completion_year_district", "year", "district_code"),
    )
    enrollment_id: uuid.UUID = Field(primary_key=True, foreign_key="enrollment.id")
    learner_id: uuid.UUID = Field(foreign_key="learner.id")
    completed_at: datetime = timestamp(nullable=False)
    completed_on: date  # the Asia/Shanghai calendar day
    year: int
    district_code: str = Field(max_length=6)
    cluster_version: str = Field(default="", max_length=10)
    cluster_code: str = Field(default="", max_length=60)
    training_type: str = Field(max_length=30)
    funding: str = Field(max_length=30)
    organization_id: uuid.UUID
    occupation_code: str = Field(max_length=12)
    level: int
    minutes: int
    credentialed: bool = False
    rolled_person: bool = False
    rolled_credential: bool = False
    created_at: datetime = created_at()


class TallyCompletionGroup(SQLModel, table=True):
    """The learner's groups at completion, one row each."""

    __tablename__ = "tally_completion_group"
    __table_args__ = (Index("ix_tally_completion_group_code", "group_code"),)
    enrollment_id: uuid.UUID = Field(primary_key=True, foreign_key="tally_completion.enrollment_id")
    group_code: str = Field(primary_key=True, max_length=30)


class TallyCell(SQLModel, table=True):
    __tablename__ = "tally_cell"
    __table_args__ = (UniqueConstraint(*CELL_DIMS, name="uq_tally_cell"),)
    id: int | None = Field(default=None, primary_key=True)
    year: int
    district_code: str = Field(max_length=6)
    cluster_version: str = Field(default="", max_length=10)
    cluster_code: str = Field(default="", max_length=60)
    training_type: str = Field(max_length=30)
    funding: str = Field(max_length=30)
    organization_id: uuid.UUID
    occupation_code: str = Field(max_length=12)
    level: int
    person_times: int = 0
    minutes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    credentials: int = 0


class TallyGroupCell(SQLModel, table=True):
    __tablename__ = "tally_group_cell"
    __table_args__ = (UniqueConstraint("group_code", *CELL_DIMS, name="uq_tally_group_cell"),)
    id: int | None = Field(default=None, primary_key=True)
    group_code: str = Field(max_length=30)
    year: int
    district_code: str = Field(max_length=6)
    cluster_version: str = Field(default="", max_length=10)
    cluster_code: str = Field(default="", max_length=60)
    training_type: str = Field(max_length=30)
    funding: str = Field(max_length=30)
    organization_id: uuid.UUID
    occupation_code: str = Field(max_length=12)
    level: int
    person_times: int = 0
    minutes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    credentials: int = 0


class TallyDay(SQLModel, table=True):
    """Person-times per Asia/Shanghai day, for all completions (``group_code = ''``) and per
    learner group: the trailing-90-day pace of a target reads ~90 rows, not the facts."""

    __tablename__ = "tally_day"
    __table_args__ = (UniqueConstraint("day", "group_code", name="uq_tally_day"),)
    id: int | None = Field(default=None, primary_key=True)
    day: date
    group_code: str = Field(default="", max_length=30)
    person_times: int = 0


class TallyDistinctCell(SQLModel, table=True):
    """Distinct learners in one cell of one declared grouping set (``set_code``)."""

    __tablename__ = "tally_distinct_cell"
    __table_args__ = (
        UniqueConstraint("set_code", "group_code", *CELL_DIMS, name="uq_tally_distinct_cell"),
    )
    id: int | None = Field(default=None, primary_key=True)
    set_code: str = Field(max_length=80)
    group_code: str = Field(default="", max_length=30)
    year: int = 0
    district_code: str = Field(default="", max_length=6)
    cluster_version: str = Field(default="", max_length=10)
    cluster_code: str = Field(default="", max_length=60)
    training_type: str = Field(default="", max_length=30)
    funding: str = Field(default="", max_length=30)
    organization_id: uuid.UUID = Field(default=NIL_UUID)
    occupation_code: str = Field(default="", max_length=12)
    level: int = 0
    learners: int = 0


class TallyOverlap(SQLModel, table=True):
    """Repeats of learners, for distinct counts over any grouping (see ``overlap``): per
    agreement ``mask``, learner group (``''`` = everyone) and cell, the signed number of
    completions that repeat an earlier one of the same learner on the columns of ``mask``.

    The unique key leads with ``mask`` so a query reads only the masks containing its columns.
    """

    __tablename__ = "tally_overlap"
    __table_args__ = (UniqueConstraint("mask", "group_code", *CELL_DIMS, name="uq_tally_overlap"),)
    id: int | None = Field(default=None, primary_key=True)
    mask: int
    group_code: str = Field(default="", max_length=30)
    year: int
    district_code: str = Field(max_length=6)
    cluster_version: str = Field(default="", max_length=10)
    cluster_code: str = Field(default="", max_length=60)
    training_type: str = Field(max_length=30)
    funding: str = Field(max_length=30)
    organization_id: uuid.UUID
    occupation_code: str = Field(max_length=12)
    level: int
    learners: int = 0


class TallyLearner(SQLModel, table=True):
    """Per-learner completion count; its row lock serialises distinct-learner decisions."""

    __tablename__ = "tally_learner"
    learner_id: uuid.UUID = Field(primary_key=True, foreign_key="learner.id")
    completions: int = 0


class TallyReconcileRun(SQLModel, table=True):
    """One reconcile: what was checked, what was corrected, the first differences found."""

    __tablename__ = "tally_reconcile_run"
    id: uuid.UUID = uuid_pk()
    trigger: str = Field(max_length=20)  # beat | cli | api | test
    started_at: datetime = created_at()
    finished_at: datetime | None = timestamp()
    status: str = Field(default="running", max_length=20)  # running | ok | drift | error
    facts_checked: int = 0
    facts_corrected: int = 0
    cells_checked: int = 0
    cells_corrected: int = 0
    diffs: list = json_column(list)  # at most MAX_REPORTED_DIFFS entries
    diff_count: int = 0
    error: str | None = Field(default=None, max_length=2000)


class RefTallyTarget(SQLModel, table=True):
    """A counted target of the plan, as data (admins edit it; migration 0006 seeds the plan's).

    ``filters`` uses the breakdown's filter names (``{"group": "rural"}``); ``metric`` is
    ``person_times`` or ``distinct_learners``. Named ``ref_`` like the training policy: it is
    configuration the service reads, kept across test truncations.
    """

    __tablename__ = "ref_tally_target"
    code: str = Field(primary_key=True, max_length=40)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    metric: str = Field(default="person_times", max_length=30)
    target: int = Field(sa_column=Column(BigInteger, nullable=False))
    period_from: date
    period_to: date
    filters: dict = json_column(dict)
    is_active: bool = True
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()
