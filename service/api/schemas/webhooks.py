"""Request and response bodies of the webhooks API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.api.pagination import PLAIN_TEXT
from service.core.patching import refuse_nulls


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, pattern=PLAIN_TEXT)
    event_types: list[str] = Field(min_length=1, max_length=20)
    description: str = Field(default="", max_length=200, pattern=PLAIN_TEXT)


class EndpointPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2000, pattern=PLAIN_TEXT)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=20)
    description: str | None = Field(default=None, max_length=200, pattern=PLAIN_TEXT)
    active: bool | None = None

    _no_nulls = refuse_nulls("url", "event_types", "description", "active")


class EndpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    organization_id: uuid.UUID | None
    owner_role: str
    active: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    failed_deliveries_in_a_row: int
    created_at: datetime
    updated_at: datetime | None


class EndpointCreated(EndpointOut):
    secret: str | None = Field(
        default=None,
        description="The signing secret (Standard Webhooks), shown at creation; an "
        "Idempotency-Key replay shows it again only within 24 h of a never-rotated endpoint",
    )


class SecretOut(BaseModel):
    secret: str
    previous_secret_valid_until: datetime | None


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    started_at: datetime
    finished_at: datetime | None
    succeeded: bool
    status_code: int | None
    duration_ms: int | None
    response_excerpt: str | None
    error: str | None


class DeliveryOut(BaseModel):
    id: uuid.UUID
    webhook_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    succeeded_at: datetime | None
    failed_at: datetime | None
    last_error: str | None
    redelivery_of: uuid.UUID | None
    created_at: datetime
    attempt_log: list[AttemptOut]


class EventTypeOut(BaseModel):
    type: str
    description: str
