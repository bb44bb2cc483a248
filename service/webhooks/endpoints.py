"""Endpoints: subscribe, change, rotate the secret, re-enable, delete; and who manages which.

Administrators manage every endpoint; an org_admin those of its organization; the platform its
own. Functions flush and never commit: the router owns the transaction.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete as sql_delete
from sqlmodel import Session, col, select

from service.accounts.access import Principal
from service.accounts.audit import record_audit
from service.core.errors import Forbidden, Invalid, NotFound
from service.core.settings import Settings
from service.core.timeutil import as_utc, utcnow
from service.webhooks import catalog, secrets
from service.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSubscription,
)
from service.webhooks.targets import check_target

ROTATION_OVERLAP = timedelta(hours=24)  # the old secret still signs this long after a rotation


def has_subscribers(session: Session, event_type: str) -> bool:
    """One indexed query: does any active endpoint subscribe to ``event_type``?"""
    stmt = (
        select(WebhookSubscription.endpoint_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookSubscription.endpoint_id)  # type: ignore[arg-type]
        .where(WebhookSubscription.event_type == event_type, col(WebhookEndpoint.active).is_(True))
        .limit(1)
    )
    return session.exec(stmt).first() is not None


def _ensure_subscriber(principal: Principal) -> None:
    if principal.role not in catalog.SUBSCRIBER_ROLES:
        raise Forbidden(
            "forbidden", "Only administrators, org_admins, the platform and employers subscribe."
        )


def checked_types(principal: Principal, event_types: list[str]) -> list[str]:
    allowed = catalog.types_for(principal.role)
    unknown = sorted({t for t in event_types if t not in catalog.EVENT_TYPES})
    if unknown:
        raise Invalid(
            "unknown-event-type",
            "Unknown event type: " + ", ".join(unknown) + ". See /api/v1/webhooks/event-types.",
            field="event_types",
        )
    hidden = sorted({t for t in event_types if t not in allowed})
    if hidden:
        raise Invalid(
            "event-type-not-visible",
            f"The {principal.role} role does not receive: " + ", ".join(hidden) + ".",
            field="event_types",
        )
    if not event_types:
        raise Invalid("event-types-required", "Name at least one event type.", field="event_types")
    return sorted(set(event_types))


def _subscribe(session: Session, endpoint: WebhookEndpoint, event_types: list[str]) -> None:
    session.execute(
        sql_delete(WebhookSubscription).where(
            WebhookSubscription.endpoint_id == endpoint.id  # type: ignore[arg-type]
        )
    )
    for event_type in event_types:
        session.add(WebhookSubscription(endpoint_id=endpoint.id, event_type=event_type))
    endpoint.event_types = event_types


def create(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    url: str,
    event_types: list[str],
    description: str = "",
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret (shown to the caller once)."""
    _ensure_subscriber(principal)
    types = checked_types(principal, event_types)
    check_target(settings, url)
    secret = secrets.new_secret()
    endpoint = WebhookEndpoint(
        owner_id=principal.user_id,
        owner_role=principal.role,
        organization_id=principal.org_id if principal.role in catalog.ORGANIZATION_ROLES else None,
        url=url.strip(),
        description=description,
        secret_encrypted=b"",
    )
    endpoint.secret_encrypted = secrets.seal(settings, endpoint.id, secret)
    session.add(endpoint)
    session.flush()
    _subscribe(session, endpoint, types)
    record_audit(
        session,
        actor=principal,
        action="webhook.endpoint.create",
        subject_type="webhook_endpoint",
        subject_id=str(endpoint.id),
        detail="types=" + ",".join(types),
    )
    session.flush()
    return endpoint, secret


def scope_filter(stmt, principal: Principal):
    """``stmt`` over endpoints, limited to those ``principal`` manages."""
    _ensure_subscriber(principal)
    if principal.role == catalog.ADMIN:
        return stmt
    if principal.role in catalog.ORGANIZATION_ROLES:  # the organization's, of the same role
        return stmt.where(
            WebhookEndpoint.organization_id == principal.org_id,
            WebhookEndpoint.owner_role == principal.role,
        )
    return stmt.where(WebhookEndpoint.owner_id == principal.user_id)


def get(session: Session, principal: Principal, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    stmt = scope_filter(select(WebhookEndpoint), principal).where(WebhookEndpoint.id == endpoint_id)
    endpoint = session.exec(stmt).first()
    if endpoint is None:
        raise NotFound("not-found", "No such webhook endpoint.")
    return endpoint


def update(
    session: Session,
    settings: Settings,
    principal: Principal,
    endpoint: WebhookEndpoint,
    changes: dict,
) -> WebhookEndpoint:
    """PATCH: ``url``, ``event_types``, ``description``, ``active`` (true re-enables a disabled
    endpoint and clears its failure count; false pauses it)."""
    if "event_types" in changes:
        _subscribe(session, endpoint, checked_types(principal, changes["event_types"] or []))
    if "url" in changes:
        check_target(settings, changes["url"])
        endpoint.url = changes["url"].strip()
    if "description" in changes:
        endpoint.description = changes["description"] or ""
    if "active" in changes:
        if changes["active"] and not endpoint.active:
            endpoint.active = True
            endpoint.disabled_at = None
            endpoint.disabled_reason = None
            endpoint.failed_deliveries_in_a_row = 0
        elif not changes["active"] and endpoint.active:
            endpoint.active = False
            endpoint.disabled_at = utcnow()
            endpoint.disabled_reason = "Paused by its owner."
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    record_audit(
        session,
        actor=principal,
        action="webhook.endpoint.update",
        subject_type="webhook_endpoint",
        subject_id=str(endpoint.id),
        detail="fields=" + ",".join(sorted(changes)),
    )
    session.flush()
    return endpoint


def rotate_secret(
    session: Session, settings: Settings, principal: Principal, endpoint: WebhookEndpoint
) -> str:
    """A new secret; the old one keeps signing beside it for ``ROTATION_OVERLAP`` (each request
    then carries both signatures, Standard Webhooks "Signature scheme"), so receivers can switch
    without dropping a message."""
    current = secrets.unseal(settings, endpoint.id, endpoint.secret_encrypted)
    secret = secrets.new_secret()
    endpoint.previous_secret_encrypted = secrets.seal(settings, endpoint.id, current)
    endpoint.previous_secret_until = utcnow() + ROTATION_OVERLAP
    endpoint.secret_encrypted = secrets.seal(settings, endpoint.id, secret)
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    record_audit(
        session,
        actor=principal,
        action="webhook.endpoint.rotate_secret",
        subject_type="webhook_endpoint",
        subject_id=str(endpoint.id),
    )
    session.flush()
    return secret


def lock_endpoint(session: Session, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    """The endpoint under a row lock (PostgreSQL ``FOR UPDATE``; on SQLite the database's write
    lock, ``service.core.db``). Whoever adds a delivery, sends one or deletes the endpoint takes
    it first, so a delivery is never added to an endpoint being deleted (no foreign key error)
    and the endpoint's failure count is changed by one transaction at a time."""
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).first()


def remove(session: Session, principal: Principal, endpoint: WebhookEndpoint) -> None:
    """Deletes the endpoint with its subscriptions, deliveries and attempts (messages stay)."""
    if lock_endpoint(session, endpoint.id) is None:  # deleted meanwhile: done already
        return
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    session.execute(
        sql_delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(deliveries))
    )
    session.execute(
        sql_delete(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint.id  # type: ignore[arg-type]
        )
    )
    session.execute(
        sql_delete(WebhookSubscription).where(
            WebhookSubscription.endpoint_id == endpoint.id  # type: ignore[arg-type]
        )
    )
    record_audit(
        session,
        actor=principal,
        action="webhook.endpoint.delete",
        subject_type="webhook_endpoint",
        subject_id=str(endpoint.id),
    )
    session.delete(endpoint)
    session.flush()


def current_secrets(settings: Settings, endpoint: WebhookEndpoint) -> list[str]:
    """The secrets that sign a request now: the current one, and the previous one while a
    rotation's overlap lasts."""
    out = [secrets.unseal(settings, endpoint.id, endpoint.secret_encrypted)]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret_encrypted and until is not None and as_utc(until) > utcnow():
        out.append(secrets.unseal(settings, endpoint.id, endpoint.previous_secret_encrypted))
    return out
