"""The outbox: jobs written in the same transaction as the change that causes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from service.core.columns import created_at, timestamp, uuid_pk


class JobStatus(StrEnum):
    pending = "pending"  # committed, not yet handed to the broker
    sent = "sent"  # handed to the broker, not yet run
    running = "running"  # a worker claimed it (started_at) and holds it until lease_until
    done = "done"
    failed = "failed"  # the handler gave up; kept for an operator


class OutboxJob(SQLModel, table=True):
    __tablename__ = "outbox_job"
    id: uuid.UUID = uuid_pk()
    kind: str = Field(max_length=80, index=True)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    status: str = Field(default=JobStatus.pending, max_length=20, index=True)
    publish_attempts: int = 0
    run_attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    available_at: datetime = created_at()
    created_at: datetime = created_at()
    sent_at: datetime | None = timestamp()
    done_at: datetime | None = timestamp()
    started_at: datetime | None = timestamp()
    lease_until: datetime | None = timestamp()
