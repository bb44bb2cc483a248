"""Tables of the training domain: learners, offerings, enrollments, the hours ledger and the
learning records that feed it. Reference data lives in :mod:`.reference_models`.

Constraints carry the invariants the code relies on under concurrency:

- ``learner.id_fingerprint`` UNIQUE: one record per natural person;
- ``enrollment (learner_id, offering_id)`` UNIQUE: one enrollment per person and offering;
- ``offering.seats_taken <= capacity``: enforced by the conditional UPDATE that takes a seat;
- ``hours_entry (source, external_id)`` UNIQUE: every ledger write is idempotent;
- ``scorm_commit (enrollment_id, commit_id)`` UNIQUE; ``scorm_runtime_state (enrollment_id,
  sco_id)`` UNIQUE.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    LargeBinary,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from service.core.columns import created_at, json_column, timestamp, uuid_pk


class Learner(SQLModel, table=True):
    """One natural person, for life. The ID number is held only as an HMAC (dedup and lookup)
    and an AES-GCM ciphertext bound to the learner id (export); people see the masked form."""

    id: uuid.UUID = uuid_pk()
    # The person's stable subject id in credentials (credentialSubject.id = urn:uuid:...):
    # separate from the row id so no internal database id ever leaves in a credential.
    subject_id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    id_fingerprint: str = Field(max_length=64, unique=True)
    id_encrypted: bytes = Field(sa_type=LargeBinary, nullable=False)
    id_masked: str = Field(max_length=18)
    phone_fingerprint: str | None = Field(default=None, max_length=64, index=True)
    phone_encrypted: bytes | None = Field(default=None, sa_type=LargeBinary)
    phone_masked: str | None = Field(default=None, max_length=11)
    name: str = Field(max_length=100)
    district_code: str = Field(max_length=6, foreign_key="ref_district.code", index=True)
    groups: list = json_column(list)
    employer_organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
    user_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", unique=True)
    # The organization whose staff registered this (then new) person: it held the person's
    # number and name, which is the proof it may enrol them without a further holder check.
    registered_by_organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id"
    )
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class Offering(SQLModel, table=True):
    """An organization's training (培训项目/班次) for one occupation and level."""

    __table_args__ = (
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="ck_offering_seats"),
        CheckConstraint("level BETWEEN 1 AND 5", name="ck_offering_level"),
        Index("ix_offering_location", "latitude", "longitude"),
    )
    id: uuid.UUID = uuid_pk()
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    title: str = Field(max_length=200)
    occupation_code: str = Field(max_length=12, foreign_key="ref_occupation.code", index=True)
    level: int
    training_type: str = Field(max_length=30, foreign_key="ref_training_type.code")
    funding: str = Field(max_length=30, foreign_key="ref_funding_kind.code")
    mode: str = Field(max_length=20, foreign_key="ref_offering_mode.code")
    package_ids: list = json_column(list)
    required_minutes: int
    online_share_percent: int = 50  # blended offerings: online minutes cap, % of required
    pass_mark: int = 60  # assessment score (0..100) needed to pass
    assessment_required: bool = True
    capacity: int
    seats_taken: int = 0
    starts_on: date
    ends_on: date
    district_code: str = Field(max_length=6, foreign_key="ref_district.code", index=True)
    address: str = Field(default="", max_length=300)
    latitude: float | None = None
    longitude: float | None = None
    cluster_version: str | None = Field(default=None, max_length=10)
    cluster_code: str | None = Field(default=None, max_length=60)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class Enrollment(SQLModel, table=True):
    """Learner x offering. ``registration`` is the id handed to packages at launch (cmi5/xAPI
    ``context.registration``); ``subsidy`` is the recorded decision with its reasons."""

    __table_args__ = (
        UniqueConstraint("learner_id", "offering_id", name="uq_enrollment_learner_offering"),
    )
    id: uuid.UUID = uuid_pk()
    learner_id: uuid.UUID = Field(foreign_key="learner.id", index=True)
    offering_id: uuid.UUID = Field(foreign_key="offering.id", index=True)
    registration: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    state: str = Field(default="enrolled", max_length=20, index=True)
    subsidy_requested: bool = False
    subsidised: bool = False
    subsidy_year: int | None = None
    subsidy_decision: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    assessment_score: float | None = None
    assessment_passed: bool | None = None
    assessment_at: datetime | None = timestamp()
    assessed_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    package_completed: bool = False
    package_passed: bool | None = None
    package_score: float | None = None
    enrolled_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    # How the enroller proved the person agreed (``service.training.consent``); no personal data.
    consent_proof: str | None = Field(default=None, max_length=20)
    created_at: datetime = created_at()
    started_at: datetime | None = timestamp()
    completed_at: datetime | None = timestamp()
    completion_year: int | None = Field(default=None, index=True)
    # Enterprise training: the employer the training is for, counted toward that employer's
    # participation once it confirmed (service.workforce.enterprise_training).
    employer_organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
    employer_confirmed_at: datetime | None = timestamp()
    employer_confirmed_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    failed_at: datetime | None = timestamp()
    withdrawn_at: datetime | None = timestamp()
    updated_at: datetime | None = timestamp()


class HoursEntry(SQLModel, table=True):
    """The append-only hours ledger: rows are inserted, never updated or deleted. A reversal
    (e.g. of a voided xAPI statement) is a row with the reversed entry's negative minutes."""

    __tablename__ = "hours_entry"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_hours_entry_source_external"),
        CheckConstraint("minutes <> 0", name="ck_hours_entry_minutes"),
        Index("ix_hours_entry_learner_started", "learner_id", "started_at"),
    )
    id: uuid.UUID = uuid_pk()
    enrollment_id: uuid.UUID = Field(foreign_key="enrollment.id", index=True)
    learner_id: uuid.UUID = Field(foreign_key="learner.id")
    source: str = Field(max_length=20)
    external_id: str = Field(max_length=200)
    started_at: datetime = timestamp(nullable=False)
    ended_at: datetime | None = timestamp()
    minutes: int
    online: bool
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()


class HoursRejection(SQLModel, table=True):
    """Every rejected ledger candidate, with its reasons: nothing is silently dropped, also
    for sources that cannot report back (xAPI statements are answered with ids only)."""

    __tablename__ = "hours_rejection"
    id: uuid.UUID = uuid_pk()
    enrollment_id: uuid.UUID | None = Field(default=None, index=True)
    learner_id: uuid.UUID | None = Field(default=None, index=True)
    source: str = Field(max_length=20)
    external_id: str = Field(max_length=200)
    started_at: datetime | None = timestamp()
    ended_at: datetime | None = timestamp()
    minutes: int | None = None
    reasons: list = json_column(list)
    recorded_by: uuid.UUID | None = None
    created_at: datetime = created_at()


class ScormCommit(SQLModel, table=True):
    """A SCORM runtime commit as received; ``commit_id`` (client-chosen) makes it idempotent."""

    __tablename__ = "scorm_commit"
    __table_args__ = (UniqueConstraint("enrollment_id", "commit_id", name="uq_scorm_commit"),)
    id: uuid.UUID = uuid_pk()
    enrollment_id: uuid.UUID = Field(foreign_key="enrollment.id", index=True)
    commit_id: str = Field(max_length=100)
    version: str = Field(max_length=10)
    cmi_values: dict = json_column(dict)
    request_hash: str = Field(max_length=64)
    minutes: int = 0
    stored_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()
    # The player's runtime session (one per Initialize) and the commit's place in it; a commit
    # of a session carries the session's cumulative values (see learning_records).
    sco_id: str | None = Field(default=None, max_length=500)
    runtime_session: str | None = Field(default=None, max_length=64, index=True)
    sequence: int | None = None
    # The commit's session_time in hundredths of a second (CMITimespan's resolution)
    session_centiseconds: int = Field(default=0, sa_type=BigInteger, nullable=False)


class ScormRuntimeState(SQLModel, table=True):
    """What the LMS keeps of a SCO between sessions (SCORM 1.2 RTE 3.4, 2004 RTE 4.2): the
    values a later session resumes from, the statuses and score last committed, and
    total_time, which the LMS itself accumulates from the session times. One row per enrolment
    and SCO; updated in the transaction of each accepted commit."""

    __tablename__ = "scorm_runtime_state"
    __table_args__ = (UniqueConstraint("enrollment_id", "sco_id", name="uq_scorm_runtime_state"),)
    id: uuid.UUID = uuid_pk()
    enrollment_id: uuid.UUID = Field(foreign_key="enrollment.id", index=True)
    sco_id: str = Field(max_length=500)  # "" when the client did not name its SCO
    version: str = Field(max_length=10)
    package_version_id: uuid.UUID | None = None
    # resume values: location, suspend_data, exit, statuses, score elements (flattened names)
    cmi_values: dict = json_column(dict)
    status: str | None = Field(default=None, max_length=20)
    success: str | None = Field(default=None, max_length=20)
    score: float | None = None  # percent, 0..100
    total_centiseconds: int = Field(default=0, sa_type=BigInteger, nullable=False)
    runtime_session: str | None = Field(default=None, max_length=64)
    sequence: int | None = None
    last_commit_at: datetime | None = timestamp()
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()
