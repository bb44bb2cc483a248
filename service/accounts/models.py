"""Tables for organizations, people and machine clients."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from service.core.columns import created_at, timestamp, uuid_pk


class Role(StrEnum):
    admin = "admin"  # city administrator (education bureau)
    org_admin = "org_admin"
    trainer = "trainer"
    learner = "learner"
    platform = "platform"  # the smart education platform's service account
    # An enterprise's HR staff: checks credentials and reads what learners shared with their
    # organization; no training-staff powers, so deliberately not in ORG_ROLES.
    employer = "employer"


ORG_ROLES = {Role.org_admin, Role.trainer}


class OrgKind(StrEnum):
    vocational_school = "vocational_school"
    technician_college = "technician_college"
    enterprise = "enterprise"
    training_institution = "training_institution"
    government = "government"
    other = "other"


class Organization(SQLModel, table=True):
    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=200, index=True)
    kind: str = Field(max_length=40)
    district_code: str = Field(max_length=6, index=True)
    credit_code: str | None = Field(default=None, max_length=18, unique=True)
    is_active: bool = True
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class User(SQLModel, table=True):
    id: uuid.UUID = uuid_pk()
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(default="", max_length=200)
    password_hash: str | None = Field(default=None, max_length=255)
    role: str = Field(max_length=20, index=True)
    organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
    is_active: bool = True
    # Failed password sign-ins since the last success or lock; changed only by single UPDATE
    # statements so that parallel attempts are all counted (service.accounts.sessions).
    failed_logins: int = 0
    locked_until: datetime | None = timestamp()
    lockouts: int = 0  # consecutive locks without a successful sign-in: the next lock is longer
    # Carried in every token issued to the account; bumping it ends all of them at once.
    token_generation: int = 0
    created_at: datetime = created_at()
    last_login_at: datetime | None = timestamp()


class RefreshToken(SQLModel, table=True):
    """One row per refresh token issued: rotation marks it used; reuse revokes the family."""

    jti: str = Field(primary_key=True, max_length=64)
    user_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    family_id: str = Field(max_length=64, index=True)
    expires_at: datetime = timestamp(nullable=False)
    used_at: datetime | None = timestamp()
    revoked_at: datetime | None = timestamp()
    created_at: datetime = created_at()


class ApiKey(SQLModel, table=True):
    """Client credentials for a platform service account; only a hash of the secret is kept."""

    __tablename__ = "api_key"
    id: uuid.UUID = uuid_pk()
    client_id: str = Field(max_length=64, unique=True, index=True)
    secret_hash: str = Field(max_length=128)
    user_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    name: str = Field(default="", max_length=200)
    created_at: datetime = created_at()
    last_used_at: datetime | None = timestamp()
    revoked_at: datetime | None = timestamp()


class AuditEvent(SQLModel, table=True):
    """Who did what to which record; never holds personal data values."""

    __tablename__ = "audit_event"
    id: uuid.UUID = uuid_pk()
    at: datetime = created_at()
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    actor_role: str | None = Field(default=None, max_length=20)
    action: str = Field(max_length=80, index=True)
    subject_type: str = Field(max_length=60)
    subject_id: str = Field(max_length=100, index=True)
    detail: str = Field(default="", max_length=2000)
    request_id: str | None = Field(default=None, max_length=64)


class IdempotencyRecord(SQLModel, table=True):
    """The response first given to (actor, route, Idempotency-Key), replayed on retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("actor_key", "route", "key", name="uq_idempotency"),)
    id: uuid.UUID = uuid_pk()
    actor_key: str = Field(max_length=80)
    route: str = Field(max_length=200)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    response_body: str
    created_at: datetime = created_at()
