"""Tables of the workforce domain.

The plan's enterprise target ("企业职工教育培训年参与率达到50%以上") is a rate per enterprise
and year: distinct employees with a completed training in the year over the declared headcount.
Who counts as an employee of an enterprise in a year: a person on its roster for that year, or
a learner whose completed enrolment names it and was confirmed by it (enterprise training).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.core.columns import created_at, timestamp, uuid_pk


class WorkforceYear(SQLModel, table=True):
    """An enterprise's declaration for one year: its headcount and its industry cluster (the
    '361' list is versioned, so the edition is part of the key, as for offerings)."""

    __tablename__ = "workforce_year"
    organization_id: uuid.UUID = Field(foreign_key="organization.id", primary_key=True)
    year: int = Field(primary_key=True)
    headcount: int
    cluster_version: str | None = Field(default=None, max_length=10)
    cluster_code: str | None = Field(default=None, max_length=60)
    declared_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class WorkforceEmployee(SQLModel, table=True):
    """One person on an enterprise's roster for a year, held like a learner's ID number: an
    HMAC fingerprint (matching), an AES-GCM copy bound to the row id, and the masked form."""

    __tablename__ = "workforce_employee"
    __table_args__ = (
        UniqueConstraint("organization_id", "year", "id_fingerprint", name="uq_workforce_employee"),
    )
    id: uuid.UUID = uuid_pk()
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    year: int
    id_fingerprint: str = Field(max_length=64, index=True)
    id_encrypted: bytes = Field(sa_type=LargeBinary, nullable=False)
    id_masked: str = Field(max_length=18)
    added_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()


class ParticipationMember(SQLModel, table=True):
    """A distinct employee of an enterprise with a completed training in a year: the
    numerator of its participation rate, kept in the completion transaction and by every
    roster or confirmation change, and checked by the tallies reconcile."""

    __tablename__ = "participation_member"
    organization_id: uuid.UUID = Field(foreign_key="organization.id", primary_key=True)
    year: int = Field(primary_key=True)
    learner_id: uuid.UUID = Field(foreign_key="learner.id", primary_key=True)
    # the first completion of the year that made the person count (the recent pace's clock)
    first_completed_at: datetime = timestamp(nullable=False)
