"""Offerings (培训项目/班次): create, change and search, including "near me".

Changing what an offering *is* (occupation, level, type, funding, mode, required minutes, pass
mark) is refused once people are enrolled: their subsidy decisions and progress were computed
against those values. Capacity may not drop below the seats taken.

The "361" cluster follows the occupation (rules in
:func:`service.training.reference_checks.cluster_for_occupation`): derived when the occupation
has one cluster, refused when it contradicts the occupation. A PATCH that changes the
occupation without naming a cluster keeps the cluster only while it still fits the new
occupation; otherwise the cluster is worked out again as on creation (and cleared for an
occupation outside every cluster).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from service.accounts.access import Principal
from service.accounts.audit import apply_changes, record_audit
from service.accounts.models import Organization
from service.core.errors import Conflict, Invalid
from service.training import geo
from service.training.models import Offering
from service.training.reference_checks import (
    check_cluster,
    check_district,
    check_occupation_level,
    cluster_for_occupation,
)
from service.training.reference_data import occupation_clusters

STRUCTURAL_FIELDS = frozenset(
    {
        "occupation_code",
        "level",
        "training_type",
        "funding",
        "mode",
        "required_minutes",
        "pass_mark",
        "assessment_required",
        "online_share_percent",
    }
)
CLUSTER_FIELDS = frozenset({"cluster_version", "cluster_code"})
MAX_NEARBY_CANDIDATES = 5_000


def _validate(session: Session, data: dict) -> None:
    check_occupation_level(session, data["occupation_code"], data["level"])
    check_district(session, data["district_code"])
    check_cluster(session, data.get("cluster_version"), data.get("cluster_code"))
    if data["ends_on"] < data["starts_on"]:
        raise Invalid("invalid-dates", "ends_on must not be before starts_on.", field="ends_on")
    if (data.get("latitude") is None) != (data.get("longitude") is None):
        raise Invalid("invalid-location", "Give both latitude and longitude, or neither.")


def _resolved_cluster(data: dict) -> dict:
    """``cluster_version``/``cluster_code`` as the occupation implies or allows them."""
    version, code = cluster_for_occupation(
        data["occupation_code"], data.get("cluster_version"), data.get("cluster_code")
    )
    return {"cluster_version": version, "cluster_code": code}


def create(session: Session, principal: Principal, data: dict) -> Offering:
    if session.get(Organization, data["organization_id"]) is None:
        raise Invalid("unknown-organization", "The organization does not exist.")
    _validate(session, data)
    data = data | _resolved_cluster(data)
    offering = Offering(**data, created_by=principal.user_id)
    session.add(offering)
    session.flush()
    record_audit(
        session,
        actor=principal,
        action="offering.create",
        subject_type="offering",
        subject_id=str(offering.id),
    )
    return offering


def update(session: Session, principal: Principal, offering: Offering, changes: dict) -> Offering:
    """Apply a PATCH and audit it; the caller commits."""
    touched = STRUCTURAL_FIELDS & set(changes)
    if touched and offering.seats_taken > 0:
        raise Conflict(
            "offering-has-enrollments",
            "People are enrolled; these fields can no longer change: "
            f"{', '.join(sorted(touched))}.",
        )
    if "capacity" in changes and changes["capacity"] < offering.seats_taken:
        raise Conflict(
            "capacity-below-enrolled",
            f"{offering.seats_taken} seats are taken; capacity cannot be lower.",
        )
    merged = offering.model_dump() | changes
    _validate(session, merged)
    changes = changes | _cluster_changes(offering, merged, changes)
    apply_changes(
        session,
        offering,
        changes,
        actor=principal,
        action="offering.update",
        subject_type="offering",
        subject_id=str(offering.id),
    )
    return offering


def _cluster_changes(offering: Offering, merged: dict, changes: dict) -> dict:
    """The cluster fields a PATCH ends with, when it touches the occupation or the cluster.

    Stored offerings the PATCH does not touch this way keep their cluster as it is.
    """
    if not (CLUSTER_FIELDS | {"occupation_code"}) & set(changes):
        return {}
    if not CLUSTER_FIELDS & set(changes) and not _still_fits(merged):
        merged = merged | {"cluster_version": None, "cluster_code": None}
    resolved = _resolved_cluster(merged)
    current = {"cluster_version": offering.cluster_version, "cluster_code": offering.cluster_code}
    return {} if resolved == current and not CLUSTER_FIELDS & set(changes) else resolved


def _still_fits(data: dict) -> bool:
    """True when the kept cluster is one of the (new) occupation's clusters in its edition."""
    version, code = data.get("cluster_version"), data.get("cluster_code")
    return code is not None and code in occupation_clusters(version or "", data["occupation_code"])


@dataclass(frozen=True)
class OfferingFilters:
    organization_id: uuid.UUID | None = None
    occupation_code: str | None = None
    level: int | None = None
    training_type: str | None = None
    funding: str | None = None
    mode: str | None = None
    district_code: str | None = None
    cluster_version: str | None = None
    cluster_code: str | None = None
    open_on: date | None = None  # offerings running (not ended) on this date
    with_seats: bool = False
    # A deactivated organization's offerings leave every listing but the administrators'.
    active_organizations_only: bool = True


def search_statement(f: OfferingFilters):
    stmt = select(Offering)
    for column, value in (
        (Offering.organization_id, f.organization_id),
        (Offering.occupation_code, f.occupation_code),
        (Offering.level, f.level),
        (Offering.training_type, f.training_type),
        (Offering.funding, f.funding),
        (Offering.mode, f.mode),
        (Offering.district_code, f.district_code),
        (Offering.cluster_version, f.cluster_version),
        (Offering.cluster_code, f.cluster_code),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.open_on is not None:
        stmt = stmt.where(Offering.ends_on >= f.open_on)
    if f.with_seats:
        stmt = stmt.where(Offering.seats_taken < Offering.capacity)
    if f.active_organizations_only:
        stmt = stmt.where(Offering.organization_id.in_(active_organization_ids()))
    return stmt


def active_organization_ids():
    return select(Organization.id).where(Organization.is_active.is_(True))


def nearby(
    session: Session, stmt, lat: float, lon: float, radius_m: float, limit: int, offset: int
) -> tuple[list[tuple[Offering, float]], int]:
    """Offerings within ``radius_m`` of a point, nearest first, with their distance in metres."""
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, radius_m)
    boxed = stmt.where(
        Offering.latitude.between(min_lat, max_lat), Offering.longitude.between(min_lon, max_lon)
    ).limit(MAX_NEARBY_CANDIDATES)
    hits = []
    for offering in session.exec(boxed).all():
        distance = geo.haversine_m(lat, lon, offering.latitude, offering.longitude)
        if distance <= radius_m:
            hits.append((offering, distance))
    hits.sort(key=lambda pair: (pair[1], str(pair[0].id)))
    return hits[offset : offset + limit], len(hits)
