"""The launch session table: one row per launch of a cmi5 AU or xAPI (TinCan) activity for an
enrollment. It carries the one-time cmi5 fetch code and the session id the AU must report."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from service.core.columns import created_at, timestamp, uuid_pk


class LaunchSession(SQLModel, table=True):
    __tablename__ = "launch_session"
    id: uuid.UUID = uuid_pk()
    enrollment_id: uuid.UUID = Field(foreign_key="enrollment.id", index=True)
    registration: uuid.UUID = Field(index=True)
    package_version_id: uuid.UUID = Field(foreign_key="package_version.id")
    au_id: str = Field(max_length=500)
    session_id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    fetch_code: str = Field(max_length=64, unique=True)
    fetched_at: datetime | None = timestamp()
    expires_at: datetime = timestamp(nullable=False)
    return_url: str | None = Field(default=None, max_length=2000)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()
