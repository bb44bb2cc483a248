"""The launch tables.

``launch_session``: one row per launch of a cmi5 AU, xAPI (TinCan) activity or SCORM package
for an enrollment. It carries the one-time cmi5 fetch code, the session id the AU must report,
and for cmi5 the LMS-generated activity id handed to the AU (cmi5 8.1.5), the launch mode
(cmi5 10) and the session's lifecycle as the LMS saw it (Initialized, Terminated, Abandoned;
cmi5 9.3), which the LRS enforces and the abandon sweep reads.

``cmi5_progress``: per registration, what the LMS knows of each AU's moveOn criteria (completed,
passed, waived; cmi5 9.3.3-9.3.7) and which blocks and courses it has declared Satisfied
(cmi5 9.3.9), so a Satisfied statement is written once per registration.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from service.core.columns import created_at, timestamp, uuid_pk


class LaunchSession(SQLModel, table=True):
    __tablename__ = "launch_session"
    __table_args__ = (
        Index("ix_launch_session_activity", "registration", "activity_id"),
        # The abandon sweep reads only the cmi5 sessions still open after Initialized.
        Index(
            "ix_launch_session_open",
            "last_statement_at",
            postgresql_where=text(
                "initialized_at IS NOT NULL AND terminated_at IS NULL AND abandoned_at IS NULL"
            ),
            sqlite_where=text(
                "initialized_at IS NOT NULL AND terminated_at IS NULL AND abandoned_at IS NULL"
            ),
        ),
    )
    id: uuid.UUID = uuid_pk()
    enrollment_id: uuid.UUID = Field(foreign_key="enrollment.id", index=True)
    registration: uuid.UUID = Field(index=True)
    package_version_id: uuid.UUID = Field(foreign_key="package_version.id")
    # The AU's (publisher) id from the course structure, or the xAPI activity id.
    au_id: str = Field(max_length=500)
    session_id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    fetch_code: str = Field(max_length=64, unique=True)
    fetched_at: datetime | None = timestamp()
    expires_at: datetime = timestamp(nullable=False)
    return_url: str | None = Field(default=None, max_length=2000)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()
    format: str = Field(default="", max_length=20)  # the package version's format
    # The activity id in the launch URL: LMS-generated for cmi5, the activity's own for xAPI.
    activity_id: str | None = Field(default=None, sa_type=Text)
    launch_mode: str | None = Field(default=None, max_length=10)  # cmi5: Normal|Browse|Review
    initialized_at: datetime | None = timestamp()
    terminated_at: datetime | None = timestamp()
    abandoned_at: datetime | None = timestamp()
    last_statement_at: datetime | None = timestamp()

    @property
    def ended(self) -> bool:
        return self.terminated_at is not None or self.abandoned_at is not None


AU = "au"
BLOCK = "block"
COURSE = "course"


class Cmi5Progress(SQLModel, table=True):
    """One AU, block or course of a registration. ``activity_id`` is the LMS-generated id
    (:mod:`service.packages.cmi5_ids`), unique per package and node, so the row is shared by
    every version of the package the registration launches."""

    __tablename__ = "cmi5_progress"
    __table_args__ = (UniqueConstraint("registration", "activity_id", name="uq_cmi5_progress"),)
    id: uuid.UUID = uuid_pk()
    enrollment_id: uuid.UUID = Field(foreign_key="enrollment.id", index=True)
    registration: uuid.UUID
    package_id: uuid.UUID
    kind: str = Field(max_length=10)  # au | block | course
    publisher_id: str = Field(sa_type=Text)
    activity_id: str = Field(sa_type=Text)
    completed: bool = False
    passed: bool = False
    waived_reason: str | None = Field(default=None, max_length=40)
    # An AU: when its moveOn was first met; a block or course: when Satisfied was recorded.
    satisfied_at: datetime | None = timestamp()
    updated_at: datetime = created_at()
