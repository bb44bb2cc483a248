"""Webhooks: subscribe endpoints to events, follow deliveries, redeliver by hand.

Deliveries are signed per Standard Webhooks and sent by the job system (``service.webhooks``);
the README's "Webhooks" part explains how to verify them. Administrators, org_admins (for their
organization) and the platform subscribe.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, Response
from sqlmodel import select

from service.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from service.api.idempotency import run_idempotent
from service.api.pagination import Page, PageParamsDep, page_of, paginate
from service.api.schemas.webhooks import (
    AttemptOut,
    DeliveryOut,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EventTypeOut,
    SecretOut,
)
from service.core.timeutil import as_utc, utcnow
from service.webhooks import catalog, deliveries, secrets
from service.webhooks import endpoints as service
from service.webhooks.models import WebhookEndpoint

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.get("/event-types", response_model=list[EventTypeOut])
def event_types(principal: CurrentPrincipal):
    """The event types the caller may subscribe to."""
    return [
        EventTypeOut(type=t, description=catalog.EVENT_TYPES[t])
        for t in catalog.types_for(principal.role)
    ]


@router.post("/endpoints", status_code=201, response_model=EndpointCreated)
def create_endpoint(
    body: EndpointIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    """Answers with the signing secret, this once. A retry with the same Idempotency-Key gets
    the same endpoint again, with its secret only while never rotated and within a day of the
    create (see ``_with_secret``); the stored replay itself holds no secret."""

    def create():
        endpoint, _secret = service.create(
            session,
            settings,
            principal,
            url=body.url,
            event_types=body.event_types,
            description=body.description,
        )
        return EndpointOut.model_validate(endpoint)

    response = run_idempotent(
        session,
        actor_key=principal.actor_key,
        route="POST /api/v1/webhooks/endpoints",
        key=idempotency_key,
        body=body.model_dump(),
        create=create,
    )
    return _with_secret(session, settings, response)


REPLAY_SHOWS_SECRET_FOR = timedelta(hours=24)


def _with_secret(session, settings, response: JSONResponse) -> JSONResponse:
    """The secret joins the answer here, never the replay store. A replay (a client retrying a
    create whose answer it lost) gets it only while it can still be the one first shown: the
    endpoint never rotated, and created within the last day; otherwise rotate to get one."""
    document = json.loads(bytes(response.body))
    endpoint = session.get(WebhookEndpoint, uuid.UUID(document["id"]))
    replayed = response.headers.get("idempotent-replayed") == "true"
    if endpoint is not None and (
        not replayed
        or (
            endpoint.previous_secret_encrypted is None
            and as_utc(endpoint.created_at) > utcnow() - REPLAY_SHOWS_SECRET_FOR
        )
    ):
        document["secret"] = secrets.unseal(settings, endpoint.id, endpoint.secret_encrypted)
    headers = {k: v for k, v in response.headers.items() if k.lower() == "idempotent-replayed"}
    return JSONResponse(document, status_code=response.status_code, headers=headers)


@router.get("/endpoints", response_model=Page[EndpointOut])
def list_endpoints(principal: CurrentPrincipal, session: SessionDep, params: PageParamsDep):
    stmt = service.scope_filter(select(WebhookEndpoint), principal).order_by(
        WebhookEndpoint.created_at.desc(),  # type: ignore[attr-defined]
        WebhookEndpoint.id,
    )
    return page_of(session, stmt, params)


@router.get("/endpoints/{endpoint_id}", response_model=EndpointOut)
def get_endpoint(endpoint_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep):
    return service.get(session, principal, endpoint_id)


@router.patch("/endpoints/{endpoint_id}", response_model=EndpointOut)
def update_endpoint(
    endpoint_id: uuid.UUID,
    body: EndpointPatch,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
):
    """``active: true`` re-enables an endpoint disabled after failing deliveries."""
    endpoint = service.get(session, principal, endpoint_id)
    changes = body.model_dump(exclude_unset=True)
    service.update(session, settings, principal, endpoint, changes)
    session.commit()
    return endpoint


@router.delete("/endpoints/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep):
    endpoint = service.get(session, principal, endpoint_id)
    service.remove(session, principal, endpoint)
    session.commit()
    return Response(status_code=204)


@router.post("/endpoints/{endpoint_id}/rotate-secret", response_model=SecretOut)
def rotate_secret(
    endpoint_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
):
    """A new secret; for 24 hours requests carry a signature by the old one as well."""
    endpoint = service.get(session, principal, endpoint_id)
    secret = service.rotate_secret(session, settings, principal, endpoint)
    session.commit()
    return SecretOut(secret=secret, previous_secret_valid_until=endpoint.previous_secret_until)


@router.get("/endpoints/{endpoint_id}/deliveries", response_model=Page[DeliveryOut])
def list_deliveries(
    endpoint_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, params: PageParamsDep
):
    """Newest first, each with its attempts."""
    endpoint = service.get(session, principal, endpoint_id)
    rows, total = paginate(session, deliveries.listing(endpoint.id), params)
    attempts = deliveries.attempts_of(session, [d.id for d, _ in rows])
    items = [
        DeliveryOut(
            id=d.id,
            webhook_id=m.id,
            event_type=m.event_type,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            succeeded_at=d.succeeded_at,
            failed_at=d.failed_at,
            last_error=d.last_error,
            redelivery_of=d.redelivery_of,
            created_at=d.created_at,
            attempt_log=[AttemptOut.model_validate(a) for a in attempts.get(d.id, [])],
        )
        for d, m in rows
    ]
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post("/deliveries/{delivery_id}/redeliver", status_code=202)
def redeliver(
    delivery_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
):
    """A new delivery of the same message (same ``webhook-id``), sent by the job system."""
    delivery = deliveries.redeliver(session, settings, principal, delivery_id)
    session.commit()
    return JSONResponse(
        {"id": str(delivery.id), "redelivery_of": str(delivery_id), "status": delivery.status},
        status_code=202,
    )
