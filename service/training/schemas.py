"""Request and response bodies of the training API.

ID and phone numbers are accepted only in request bodies (never paths, queries or headers) and
are validated *after* parsing (:mod:`.learners`), so error bodies never repeat them; responses
carry only the masked forms.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from service.core.patching import refuse_nulls
from service.training.hours_rules import HoursSource
from service.training.reference_data import FundingKind, LearnerGroup, OfferingMode, TrainingType

DistrictCode = Field(pattern=r"^\d{6}$")
# External ids make writes idempotent and are compared byte for byte: no control characters
# (PostgreSQL cannot store NUL at all, so SQLite and PostgreSQL would otherwise disagree).
NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f]+$"
GroupsReason = Field(
    default=None,
    max_length=200,
    pattern=NO_CONTROL_CHARS,
    description="Required with groups (staff and admins only): what was checked; audited",
)


class LearnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(min_length=1, max_length=40, repr=False)
    name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=30, repr=False)
    district_code: str = DistrictCode
    groups: list[LearnerGroup] = Field(default_factory=list, max_length=8)
    groups_reason: str | None = GroupsReason
    employer_organization_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None


class LearnerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=30, repr=False)
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    groups: list[LearnerGroup] | None = Field(default=None, max_length=8)
    groups_reason: str | None = GroupsReason
    employer_organization_id: uuid.UUID | None = None

    _no_nulls = refuse_nulls("name", "district_code")


class LearnerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    id_number_masked: str = Field(validation_alias="id_masked")
    phone_masked: str | None
    district_code: str
    groups: list[str]
    employer_organization_id: uuid.UUID | None
    user_id: uuid.UUID | None
    created_at: datetime


class OfferingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organization_id: uuid.UUID | None = Field(
        default=None, description="Required for admins; staff create for their own organization"
    )
    title: str = Field(min_length=1, max_length=200)
    occupation_code: str = Field(pattern=r"^[1-8]-\d{2}-\d{2}-\d{2}$")
    level: int = Field(ge=1, le=5)
    training_type: TrainingType
    funding: FundingKind
    mode: OfferingMode
    package_ids: list[str] = Field(default_factory=list, max_length=50)
    required_minutes: int = Field(gt=0, le=100_000)
    online_share_percent: int = Field(default=50, ge=0, le=100)
    pass_mark: int = Field(default=60, ge=0, le=100)
    assessment_required: bool = True
    capacity: int = Field(gt=0, le=100_000)
    starts_on: date
    ends_on: date
    district_code: str = DistrictCode
    address: str = Field(default="", max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    cluster_version: str | None = Field(default=None, max_length=10)
    cluster_code: str | None = Field(default=None, max_length=60)


class OfferingPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    occupation_code: str | None = Field(default=None, pattern=r"^[1-8]-\d{2}-\d{2}-\d{2}$")
    level: int | None = Field(default=None, ge=1, le=5)
    training_type: TrainingType | None = None
    funding: FundingKind | None = None
    mode: OfferingMode | None = None
    package_ids: list[str] | None = Field(default=None, max_length=50)
    required_minutes: int | None = Field(default=None, gt=0, le=100_000)
    online_share_percent: int | None = Field(default=None, ge=0, le=100)
    pass_mark: int | None = Field(default=None, ge=0, le=100)
    assessment_required: bool | None = None
    capacity: int | None = Field(default=None, gt=0, le=100_000)
    starts_on: date | None = None
    ends_on: date | None = None
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    address: str | None = Field(default=None, max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    cluster_version: str | None = Field(default=None, max_length=10)
    cluster_code: str | None = Field(default=None, max_length=60)

    _no_nulls = refuse_nulls(
        "title", "occupation_code", "level", "training_type", "funding", "mode", "package_ids",
        "required_minutes", "online_share_percent", "pass_mark", "assessment_required",
        "capacity", "starts_on", "ends_on", "district_code", "address",
    )  # fmt: skip


class OfferingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    organization_id: uuid.UUID
    title: str
    occupation_code: str
    level: int
    training_type: str
    funding: str
    mode: str
    package_ids: list[str]
    required_minutes: int
    online_share_percent: int
    pass_mark: int
    assessment_required: bool
    capacity: int
    seats_taken: int
    starts_on: date
    ends_on: date
    district_code: str
    address: str
    latitude: float | None
    longitude: float | None
    cluster_version: str | None
    cluster_code: str | None
    distance_m: float | None = None


class EnrollmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offering_id: uuid.UUID
    learner_id: uuid.UUID | None = Field(
        default=None, description="Omit for yourself (learner) or with X-Learner-Id (platform)"
    )
    # The holder check: staff enrolling a person another organization registered send the
    # person's ID number and name (body only, never stored, never echoed).
    id_number: str | None = Field(default=None, min_length=1, max_length=40, repr=False)
    name: str | None = Field(default=None, min_length=1, max_length=100, repr=False)
    require_subsidy: bool = Field(
        default=False,
        description="Refuse (409 with the reasons) instead of enrolling unsubsidised",
    )


class ScoRuntimeOut(BaseModel):
    """The runtime state last committed for one SCO."""

    sco_id: str
    status: str | None
    success: str | None
    score: float | None
    location: str | None
    total_time_seconds: float
    last_commit_at: datetime | None


class EnrollmentOut(BaseModel):
    """An enrolment. ``assessment_score`` is the trainer's, else the score the package reported
    (the score its credential will carry)."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    learner_id: uuid.UUID
    offering_id: uuid.UUID
    registration: uuid.UUID
    state: str
    subsidy_requested: bool
    subsidised: bool
    subsidy_year: int | None
    subsidy_decision: dict | None
    assessment_score: float | None
    assessment_passed: bool | None
    package_completed: bool
    package_passed: bool | None
    package_score: float | None = None  # what the package reported, whatever the trainer's
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    completion_year: int | None
    failed_at: datetime | None
    withdrawn_at: datetime | None
    # enterprise training: the employer named, and when it confirmed (null: not yet)
    employer_organization_id: uuid.UUID | None = None
    employer_confirmed_at: datetime | None = None

    @model_validator(mode="after")
    def _package_score_when_not_assessed(self) -> EnrollmentOut:
        if self.assessment_score is None and self.package_score is not None:
            self.assessment_score = self.package_score
        return self


class EnrollmentDetailOut(EnrollmentOut):
    runtime: list[ScoRuntimeOut] = Field(
        default_factory=list, description="SCORM: per SCO, the runtime state last committed"
    )


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: float = Field(ge=0, le=100)
    passed: bool | None = Field(default=None, description="Optional; must agree with the score")


class HoursEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enrollment_id: uuid.UUID
    source: Literal[HoursSource.CLASSROOM, HoursSource.IMPORT, HoursSource.ONLINE_SESSION]
    external_id: str = Field(min_length=1, max_length=200, pattern=NO_CONTROL_CHARS)
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    minutes: int | None = Field(default=None, ge=-100_000, le=100_000)
    online: bool | None = None


class HoursBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entries: list[HoursEntryIn] = Field(min_length=1, max_length=1000)


CmiElement = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class ScormCommitIn(BaseModel):
    """A SCORM runtime commit. A commit of a ``runtime_session`` carries that session's
    cumulative values (its session_time so far); ``sequence`` orders the session's commits."""

    model_config = ConfigDict(extra="forbid")
    version: Literal["1.2", "2004"]
    commit_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")
    # a commit carries the whole data model: a long quiz's interactions are thousands of values
    values: dict[CmiElement, str] = Field(max_length=10_000)
    ended_at: AwareDatetime | None = Field(
        default=None,
        description="When the SCO session ended (default: now); for commits sent late",
    )
    sco_id: str | None = Field(
        default=None, min_length=1, max_length=500, pattern=NO_CONTROL_CHARS,
        description="The manifest item identifier of the SCO",
    )  # fmt: skip
    runtime_session: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$",
        description="Made by the player per SCO session (per Initialize), e.g. a UUID",
    )  # fmt: skip
    sequence: int | None = Field(default=None, ge=0, le=2_000_000_000)
    final: bool = Field(default=False, description="Sent on Terminate/LMSFinish or unload")
