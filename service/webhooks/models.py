"""Webhook endpoints, the messages sent to them, and each delivery with its attempts.

A message is one event, signed with its ``id`` as the ``webhook-id`` header (Standard Webhooks,
"Webhook identifier"): a delivery and every retry or redelivery of it carry the same id, so a
receiver drops duplicates by it. Deliveries and attempts are kept for operators and the API.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from service.core.columns import created_at, timestamp, uuid_pk


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt (the first, or a retry at next_attempt_at)
    sending = "sending"  # an attempt was claimed and its request may be on the wire
    succeeded = "succeeded"  # a 2xx answer was recorded: never sent again
    failed = "failed"  # the retry schedule ran out, or the endpoint was disabled meanwhile


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"
    id: uuid.UUID = uuid_pk()
    owner_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    owner_role: str = Field(max_length=20)  # the role that decides what the endpoint may see
    organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organization.id", index=True
    )
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    event_types: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret_encrypted: bytes = Field(sa_type=LargeBinary, nullable=False)
    # after a rotation the old secret also signs, for a day (Standard Webhooks "Key rotation")
    previous_secret_encrypted: bytes | None = Field(default=None, sa_type=LargeBinary)
    previous_secret_until: datetime | None = timestamp()
    active: bool = True
    disabled_at: datetime | None = timestamp()
    disabled_reason: str | None = Field(default=None, max_length=300)
    failed_deliveries_in_a_row: int = 0
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class WebhookSubscription(SQLModel, table=True):
    """(endpoint, event type): what ``publish`` asks, in one indexed look-up, before it records
    an event nobody subscribed to. Mirrors ``WebhookEndpoint.event_types``."""

    __tablename__ = "webhook_subscription"
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id", primary_key=True)
    event_type: str = Field(max_length=60, primary_key=True, index=True)


class WebhookMessage(SQLModel, table=True):
    __tablename__ = "webhook_message"
    id: str = Field(primary_key=True, max_length=40)  # "msg_<uuid hex>": the webhook-id header
    event_type: str = Field(max_length=60)
    organization_id: uuid.UUID | None = Field(default=None, index=True)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    occurred_at: datetime = created_at()
    created_at: datetime = created_at()


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_endpoint_created", "endpoint_id", "created_at"),)
    id: uuid.UUID = uuid_pk()
    message_id: str = Field(foreign_key="webhook_message.id", max_length=40, index=True)
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id")
    status: str = Field(default=DeliveryStatus.pending, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = timestamp()
    succeeded_at: datetime | None = timestamp()
    failed_at: datetime | None = timestamp()
    last_error: str | None = Field(default=None, max_length=60)
    redelivery_of: uuid.UUID | None = Field(default=None)
    requested_by: uuid.UUID | None = Field(default=None)  # who asked for a redelivery
    created_at: datetime = created_at()


class WebhookAttempt(SQLModel, table=True):
    """One request to the receiver. ``finished_at`` stays empty while it is on the wire; an
    attempt whose worker died is closed as ``interrupted`` by the attempt that follows it."""

    __tablename__ = "webhook_attempt"
    id: uuid.UUID = uuid_pk()
    delivery_id: uuid.UUID = Field(foreign_key="webhook_delivery.id", index=True)
    number: int
    started_at: datetime = created_at()
    finished_at: datetime | None = timestamp()
    succeeded: bool = False
    status_code: int | None = None
    duration_ms: int | None = None
    response_excerpt: str | None = Field(default=None, max_length=500)
    error: str | None = Field(default=None, max_length=60)  # a class of error, never a message
