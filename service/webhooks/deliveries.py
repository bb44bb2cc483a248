"""Deliveries as owners see them (newest first, each with its attempts) and redelivery by hand.

A redelivery is a new delivery of the same message to the same endpoint: same ``webhook-id``,
its own attempts and retry schedule. It is refused while the endpoint is disabled (re-enable it
first) and while the original is still being tried; an original left ``sending`` by a send job
that gave up, or for longer than a job's lease, counts as failed (``interrupted``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

from sqlmodel import Session, col, select

from service.accounts.access import Principal
from service.accounts.audit import record_audit
from service.core.errors import Conflict, NotFound
from service.core.settings import Settings
from service.core.timeutil import as_utc, utcnow
from service.jobs.models import JobStatus, OutboxJob
from service.webhooks.endpoints import lock_endpoint, scope_filter
from service.webhooks.fanout import queue_send
from service.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from service.webhooks.sending import close_open_attempts


def listing(endpoint_id: uuid.UUID):
    """Deliveries of one endpoint with their message, newest first (a statement to paginate)."""
    return (
        select(WebhookDelivery, WebhookMessage)
        .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)  # type: ignore[arg-type]
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id).desc())
    )


def attempts_of(session: Session, delivery_ids: list[uuid.UUID]) -> dict[uuid.UUID, list]:
    """Each delivery's attempts in order, in one query for the page."""
    out: dict[uuid.UUID, list[WebhookAttempt]] = defaultdict(list)
    if not delivery_ids:
        return out
    rows = session.exec(
        select(WebhookAttempt)
        .where(col(WebhookAttempt.delivery_id).in_(delivery_ids))
        .order_by(col(WebhookAttempt.number))
    ).all()
    for row in rows:
        out[row.delivery_id].append(row)
    return out


def _abandoned(session: Session, settings: Settings, delivery: WebhookDelivery) -> bool:
    """A delivery left ``sending`` that nobody will finish: its send job gave up, or its
    attempt started longer ago than a job's lease (a live attempt ends well inside it)."""
    job = session.exec(
        select(OutboxJob).where(
            OutboxJob.dedupe_key == f"webhook-send:{delivery.id}:{delivery.attempts}"
        )
    ).first()
    if job is not None and job.status == JobStatus.failed:
        return True
    started = session.exec(
        select(WebhookAttempt.started_at).where(
            WebhookAttempt.delivery_id == delivery.id,
            WebhookAttempt.number == delivery.attempts,
        )
    ).first()
    cutoff = utcnow() - timedelta(seconds=settings.job_lease_seconds)
    return started is None or as_utc(started) < cutoff


def redeliver(
    session: Session, settings: Settings, principal: Principal, delivery_id: uuid.UUID
) -> WebhookDelivery:
    original = session.get(WebhookDelivery, delivery_id)
    endpoint = None
    if original is not None:
        endpoint = session.exec(
            scope_filter(select(WebhookEndpoint), principal).where(
                WebhookEndpoint.id == original.endpoint_id
            )
        ).first()
    if original is None or endpoint is None:
        raise NotFound("not-found", "No such webhook delivery.")
    endpoint = lock_endpoint(session, endpoint.id)  # not deleted under the new delivery
    if endpoint is None:
        raise NotFound("not-found", "No such webhook delivery.")
    session.refresh(original)
    if not endpoint.active:
        raise Conflict(
            "webhook-endpoint-disabled",
            "The endpoint is disabled: re-enable it (PATCH active=true) before redelivering.",
        )
    if original.status == DeliveryStatus.sending and _abandoned(session, settings, original):
        close_open_attempts(session, original, utcnow())
        original.status = DeliveryStatus.failed
        original.failed_at = utcnow()
        original.last_error = "interrupted"
        session.add(original)
    if original.status not in (DeliveryStatus.succeeded, DeliveryStatus.failed):
        raise Conflict(
            "webhook-delivery-in-progress",
            "This delivery is still being tried; redeliver it once it has succeeded or failed.",
            delivery_status=original.status,
        )
    delivery = WebhookDelivery(
        message_id=original.message_id,
        endpoint_id=original.endpoint_id,
        redelivery_of=original.id,
        requested_by=principal.user_id,
    )
    session.add(delivery)
    session.flush()
    queue_send(session, delivery)
    session.add(delivery)
    record_audit(
        session,
        actor=principal,
        action="webhook.delivery.redeliver",
        subject_type="webhook_delivery",
        subject_id=str(delivery.id),
        detail=f"of={original.id}",
    )
    session.flush()
    return delivery
