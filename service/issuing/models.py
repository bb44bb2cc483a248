"""Service-side tables for credentials: share links a learner creates for one credential."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from service.core.columns import created_at, timestamp, uuid_pk


def new_share_code() -> str:
    """128 random bits, URL-safe: the share page's address is its only secret."""
    return secrets.token_urlsafe(16)


class CredentialShare(SQLModel, table=True):
    __tablename__ = "credential_share"
    id: uuid.UUID = uuid_pk()
    code: str = Field(default_factory=new_share_code, max_length=40, unique=True, index=True)
    credential_pk: uuid.UUID = Field(foreign_key="cred_credential.id", index=True)
    learner_id: uuid.UUID = Field(foreign_key="learner.id", index=True)
    show_name: bool = False
    created_at: datetime = created_at()
    revoked_at: datetime | None = timestamp()
    # Addressed to one employer (an enterprise organization): listed to its accounts through
    # the employer API until withdrawn (service.issuing.employer_shares).
    employer_organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
