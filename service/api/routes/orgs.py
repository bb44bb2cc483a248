"""Organizations: the city creates them; their own admins may read and rename them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Header, Query
from sqlmodel import Session, select

from service.accounts.access import Principal, ensure_org_access, org_filter
from service.accounts.audit import apply_changes, record_audit
from service.accounts.models import Organization
from service.api.deps import (
    AdminPrincipal,
    ManagerPrincipal,
    SessionDep,
    StaffPrincipal,
)
from service.api.idempotency import run_idempotent
from service.api.pagination import PLAIN_TEXT, Page, PageParamsDep, page_of
from service.api.problems import conflict, not_found
from service.api.schemas.accounts import OrganizationIn, OrganizationOut, OrganizationPatch
from service.core.search import contains_text

router = APIRouter(prefix="/api/v1/organizations", tags=["organizations"])


@router.post("", status_code=201, response_model=OrganizationOut)
def create_organization(
    body: OrganizationIn,
    principal: AdminPrincipal,
    session: SessionDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    def create():
        if (
            body.credit_code
            and session.exec(
                select(Organization).where(Organization.credit_code == body.credit_code)
            ).first()
        ):
            raise conflict("An organization with this credit code exists.", "credit-code-taken")
        org = Organization(**body.model_dump())
        session.add(org)
        session.flush()
        record_audit(
            session,
            actor=principal,
            action="organization.create",
            subject_type="organization",
            subject_id=str(org.id),
        )
        return OrganizationOut.model_validate(org)

    return run_idempotent(
        session,
        actor_key=principal.actor_key,
        route="organizations.create",
        key=idempotency_key,
        body=body,
        create=create,
    )


@router.get("", response_model=Page[OrganizationOut])
def list_organizations(
    principal: StaffPrincipal,
    params: PageParamsDep,
    session: SessionDep,
    district_code: str | None = Query(None, pattern=r"^\d{6}$"),
    kind: str | None = Query(None, max_length=40),
    q: str | None = Query(None, max_length=100, pattern=PLAIN_TEXT, description="Name contains"),
):
    stmt = select(Organization).order_by(Organization.name, Organization.id)
    scope = org_filter(principal)
    if scope is not None:
        stmt = stmt.where(Organization.id == scope)
    if district_code:
        stmt = stmt.where(Organization.district_code == district_code)
    if kind:
        stmt = stmt.where(Organization.kind == kind)
    if q:
        stmt = stmt.where(contains_text(Organization.name, q))
    return page_of(session, stmt, params)


def _get_org(session: Session, org_id: uuid.UUID, principal: Principal) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise not_found("Organization")
    ensure_org_access(principal, org.id)
    return org


@router.get("/{org_id}", response_model=OrganizationOut)
def get_organization(org_id: uuid.UUID, principal: StaffPrincipal, session: SessionDep):
    return _get_org(session, org_id, principal)


@router.patch("/{org_id}", response_model=OrganizationOut)
def update_organization(
    org_id: uuid.UUID,
    body: OrganizationPatch,
    principal: ManagerPrincipal,
    session: SessionDep,
):
    org = _get_org(session, org_id, principal)
    changes = body.model_dump(exclude_unset=True)
    if "is_active" in changes and not principal.is_admin:
        raise conflict("Only the city may activate or deactivate an organization.", "admin-only")
    apply_changes(
        session,
        org,
        changes,
        actor=principal,
        action="organization.update",
        subject_type="organization",
        subject_id=str(org.id),
    )
    session.commit()
    return org
