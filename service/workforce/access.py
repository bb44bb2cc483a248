"""Who may manage an enterprise's workforce records: administrators, and the enterprise's own
org_admin and employer staff. Only an active organization of kind enterprise has a workforce."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from service.accounts.access import Principal
from service.accounts.models import Organization, OrgKind
from service.core.errors import Forbidden, Invalid, NotFound

# the enterprise's HR people; trainers of a training organization never manage a workforce
WORKFORCE_ROLES = frozenset({"org_admin", "employer"})


def enterprise(session: Session, organization_id: uuid.UUID) -> Organization:
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound("not-found", "Organization not found.")
    if org.kind != OrgKind.enterprise or not org.is_active:
        raise Invalid(
            "not-an-enterprise",
            "Only an active organization of kind enterprise has a workforce.",
            field="organization_id",
        )
    return org


def ensure_manages(
    session: Session, principal: Principal, organization_id: uuid.UUID
) -> Organization:
    if not principal.is_admin and not (
        principal.role in WORKFORCE_ROLES and principal.org_id == organization_id
    ):
        raise Forbidden(
            "forbidden", "Only the enterprise's own staff or an administrator may do this."
        )
    return enterprise(session, organization_id)
