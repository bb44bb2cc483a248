"""From a published event to one delivery per endpoint that subscribes to it and may see it.

The handler of ``service.jobs.events.EVENT_JOB``. The message id is derived from the event's
own id, and the message, its deliveries and their send jobs are written in the transaction that
marks the job done, so a re-run job finds the message and adds nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from credentials.models import Credential
from service.accounts.models import Organization, User
from service.issuing.models import CredentialShare
from service.jobs.outbox import enqueue
from service.training.models import Enrollment, Offering
from service.webhooks.catalog import EMPLOYER, ORGANIZATION_ROLES, visible
from service.webhooks.endpoints import lock_endpoint
from service.webhooks.models import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    WebhookSubscription,
)

log = logging.getLogger("skills.webhooks")
SEND_JOB = "webhooks.send"


def message_id_for(event_id: str) -> str:
    return f"msg_{uuid.UUID(event_id).hex}"


def _organization_of(session: Session, data: dict) -> uuid.UUID | None:
    """The organization behind an event published without one: that of the enrolment named
    in ``data`` (a credential issued for a completion), or none."""
    enrollment_id = data.get("enrollment_id")
    if not enrollment_id:
        return None
    try:
        enrollment_pk = uuid.UUID(str(enrollment_id))
    except ValueError:  # a hand-issued credential's basis (``enrollment:CASE-1``): no enrolment
        return None
    enrollment = session.get(Enrollment, enrollment_pk)
    if enrollment is None:
        return None
    offering = session.get(Offering, enrollment.offering_id)
    return offering.organization_id if offering is not None else None


def _owner_may_still_see(session: Session, endpoint: WebhookEndpoint) -> bool:
    """An endpoint acts with its owner's rights as they are now: an owner deactivated, given
    another role, moved to another organization, or of an organization deactivated
    (``accounts.access.ensure_organization_active``) receives nothing more through it."""
    owner = session.get(User, endpoint.owner_id)
    if owner is None or not owner.is_active or owner.role != endpoint.owner_role:
        return False
    if owner.organization_id is not None:
        org = session.get(Organization, owner.organization_id)
        if org is not None and not org.is_active:
            return False
    return (
        endpoint.owner_role not in ORGANIZATION_ROLES
        or owner.organization_id == endpoint.organization_id
    )


def _shared_with(session: Session, data: dict, organization_id: uuid.UUID | None) -> bool:
    """Is the event's credential shared with this employer (a share not withdrawn)?"""
    credential_id = data.get("credential_id")
    if not credential_id or organization_id is None:
        return False
    stmt = (
        select(CredentialShare.id)
        .join(Credential, Credential.id == CredentialShare.credential_pk)  # type: ignore[arg-type]
        .where(
            Credential.credential_id == credential_id,
            CredentialShare.employer_organization_id == organization_id,
            col(CredentialShare.revoked_at).is_(None),
        )
        .limit(1)
    )
    return session.exec(stmt).first() is not None


def still_visible(session: Session, endpoint: WebhookEndpoint, data: dict) -> bool:
    """Checked again before each attempt: may the endpoint's owner still see this event (its
    account and organization active; for an employer, the share not withdrawn)?"""
    return _owner_may_still_see(session, endpoint) and (
        endpoint.owner_role != EMPLOYER or _shared_with(session, data, endpoint.organization_id)
    )


def queue_send(session: Session, delivery: WebhookDelivery, when: datetime | None = None) -> None:
    """The outbox job that makes the delivery's next attempt (at ``when``, else at once)."""
    enqueue(
        session,
        SEND_JOB,
        {"delivery_id": str(delivery.id)},
        dedupe_key=f"webhook-send:{delivery.id}:{delivery.attempts + 1}",
        available_at=when,
    )
    delivery.next_attempt_at = when or delivery.created_at


def fan_out(session: Session, payload: dict) -> None:
    message_id = message_id_for(payload["event_id"])
    if session.get(WebhookMessage, message_id) is not None:
        return
    event_type = payload["type"]
    data = payload.get("data") or {}
    org = payload.get("organization_id")
    organization_id = uuid.UUID(org) if org else _organization_of(session, data)
    endpoints = session.exec(
        select(WebhookEndpoint)
        .join(WebhookSubscription, WebhookSubscription.endpoint_id == WebhookEndpoint.id)  # type: ignore[arg-type]
        .where(
            WebhookSubscription.event_type == event_type,
            col(WebhookEndpoint.active).is_(True),
        )
    ).all()
    targets = [
        e
        for e in endpoints
        if visible(e.owner_role, e.organization_id, event_type, organization_id)
        and _owner_may_still_see(session, e)
        and (e.owner_role != EMPLOYER or _shared_with(session, data, e.organization_id))
    ]
    if not targets:
        return
    message = WebhookMessage(
        id=message_id,
        event_type=event_type,
        organization_id=organization_id,
        data=data,
        occurred_at=datetime.fromisoformat(payload["occurred_at"]),
    )
    session.add(message)
    session.flush()
    for endpoint in targets:
        if lock_endpoint(session, endpoint.id) is None:  # deleted meanwhile
            continue
        delivery = WebhookDelivery(message_id=message_id, endpoint_id=endpoint.id)
        session.add(delivery)
        session.flush()
        queue_send(session, delivery)
        session.add(delivery)
    log.info(
        "webhook event fanned out",
        extra={"message_id": message_id, "event_type": event_type, "deliveries": len(targets)},
    )
