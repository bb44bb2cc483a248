"""Offerings: organizations' staff create and change them; anyone signed in searches them."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Header, Query
from sqlmodel import Session, select

from service.accounts.access import ensure_org_access
from service.api.deps import (
    CurrentPrincipal,
    SessionDep,
    StaffPrincipal,
)
from service.api.idempotency import run_idempotent
from service.api.pagination import Page, PageParamsDep, paginate
from service.core.errors import Invalid
from service.core.timeutil import CITY_TZ
from service.training import geo
from service.training import offerings as service
from service.training.access import ensure_can_manage
from service.training.errors import not_found
from service.training.models import Enrollment, Offering
from service.training.reference_data import FundingKind, OfferingMode, TrainingType
from service.training.schemas import EnrollmentOut, OfferingIn, OfferingOut, OfferingPatch

router = APIRouter(prefix="/api/v1/offerings", tags=["offerings"])


def load_offering(session: Session, offering_id: uuid.UUID) -> Offering:
    offering = session.get(Offering, offering_id)
    if offering is None:
        raise not_found("Offering")
    return offering


@router.post("", status_code=201, response_model=OfferingOut)
def create_offering(
    body: OfferingIn,
    principal: StaffPrincipal,
    session: SessionDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    org_id = body.organization_id or principal.org_id
    if org_id is None:
        raise Invalid("organization-required", "organization_id is required.")
    ensure_org_access(principal, org_id)
    data = body.model_dump(mode="python") | {"organization_id": org_id}
    for key in ("training_type", "funding", "mode"):
        data[key] = str(data[key])

    def create():
        return OfferingOut.model_validate(service.create(session, principal, data))

    return run_idempotent(
        session,
        actor_key=principal.actor_key,
        route="offerings.create",
        key=idempotency_key,
        body=body,
        create=create,
    )


@router.get("", response_model=Page[OfferingOut])
def search_offerings(
    principal: CurrentPrincipal,
    params: PageParamsDep,
    session: SessionDep,
    organization_id: uuid.UUID | None = None,
    occupation_code: str | None = Query(None, max_length=12),
    level: int | None = Query(None, ge=1, le=5),
    training_type: TrainingType | None = None,
    funding: FundingKind | None = None,
    mode: OfferingMode | None = None,
    district_code: str | None = Query(None, pattern=r"^\d{6}$"),
    cluster_version: str | None = Query(None, max_length=10),
    cluster_code: str | None = Query(None, max_length=60),
    include_ended: bool = False,
    with_seats: bool = False,
    lat: float | None = Query(None, ge=-90, le=90, description="Near me: latitude (WGS 84)"),
    lon: float | None = Query(None, ge=-180, le=180, description="Near me: longitude"),
    radius_m: int = Query(
        geo.DEFAULT_RADIUS_M,
        ge=100,
        le=geo.MAX_RADIUS_M,
        description="Near me: radius in metres (default 3 km, a 15-minute trip)",
    ),
):
    """Search with filters; with ``lat``/``lon`` only offerings within ``radius_m``, nearest
    first. Ended offerings are left out unless ``include_ended``."""
    filters = service.OfferingFilters(
        organization_id=organization_id,
        occupation_code=occupation_code,
        level=level,
        training_type=training_type and str(training_type),
        funding=funding and str(funding),
        mode=mode and str(mode),
        district_code=district_code,
        cluster_version=cluster_version,
        cluster_code=cluster_code,
        open_on=None if include_ended else datetime.now(CITY_TZ).date(),
        with_seats=with_seats,
        active_organizations_only=not principal.is_admin,
    )
    stmt = service.search_statement(filters)
    if (lat is None) != (lon is None):
        raise Invalid("invalid-location", "Give both lat and lon, or neither.")
    if lat is not None:
        hits, total = service.nearby(session, stmt, lat, lon, radius_m, params.limit, params.offset)
        items = [
            OfferingOut.model_validate(o).model_copy(update={"distance_m": round(d, 1)})
            for o, d in hits
        ]
    else:
        rows, total = paginate(session, stmt.order_by(Offering.starts_on, Offering.id), params)
        items = [OfferingOut.model_validate(o) for o in rows]
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


@router.get("/{offering_id}", response_model=OfferingOut)
def get_offering(
    offering_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
):
    return load_offering(session, offering_id)


@router.patch("/{offering_id}", response_model=OfferingOut)
def update_offering(
    offering_id: uuid.UUID,
    body: OfferingPatch,
    principal: StaffPrincipal,
    session: SessionDep,
):
    offering = load_offering(session, offering_id)
    ensure_can_manage(principal, offering)
    changes = body.model_dump(exclude_unset=True, mode="python")
    for key in ("training_type", "funding", "mode"):
        if changes.get(key) is not None:
            changes[key] = str(changes[key])
    offering = service.update(session, principal, offering, changes)
    session.commit()
    return offering


@router.get("/{offering_id}/enrollments", response_model=Page[EnrollmentOut])
def offering_enrollments(
    offering_id: uuid.UUID,
    principal: StaffPrincipal,
    params: PageParamsDep,
    session: SessionDep,
    state: str | None = Query(None, max_length=20),
):
    """The roster of an offering, for its organization's staff."""
    offering = load_offering(session, offering_id)
    ensure_can_manage(principal, offering)
    stmt = (
        select(Enrollment)
        .where(Enrollment.offering_id == offering.id)
        .order_by(Enrollment.created_at, Enrollment.id)
    )
    if state:
        stmt = stmt.where(Enrollment.state == state)
    rows, total = paginate(session, stmt, params)
    return Page(
        items=[EnrollmentOut.model_validate(r) for r in rows],
        total=total,
        limit=params.limit,
        offset=params.offset,
    )
