"""Who a caller is and which organization's records they may touch.

The principal comes from a verified token (``service.api.deps``); these rules decide scope in
one place: admins everywhere, org_admin and trainer only their own organization, others none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from service.accounts.models import ORG_ROLES, Organization, OrgKind, Role, User
from service.core.errors import Forbidden, Invalid

ORGANIZATION_INACTIVE = "organization-inactive"


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    role: str
    org_id: uuid.UUID | None
    # Set only for a package's launch token (xAPI routes): the one registration it may touch.
    registration: uuid.UUID | None = None
    # Set for a delegated token (token exchange, RFC 8693 section 4.1 ``act``): the platform
    # account acting as this learner, so audit entries and enrolments name it.
    delegated_by: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def actor_key(self) -> str:
        return f"user:{self.user_id}"


def ensure_org_access(principal: Principal, org_id: uuid.UUID | None) -> None:
    """Organization scoping, in one place: admins everywhere, org staff only at home."""
    if principal.is_admin:
        return
    if principal.role in ORG_ROLES and org_id is not None and principal.org_id == org_id:
        return
    raise Forbidden("forbidden", "This record belongs to another organization.")


def org_filter(principal: Principal) -> uuid.UUID | None:
    """The organization a listing must be limited to; None means no limit (admins)."""
    if principal.is_admin:
        return None
    if principal.role in ORG_ROLES and principal.org_id is not None:
        return principal.org_id
    raise Forbidden("forbidden", "Only administrators and organization staff may list this.")


def organization_acted_for(
    session: Session, principal: Principal, requested: uuid.UUID | None, *, purpose: str
) -> uuid.UUID:
    """The organization a staff action is for: administrators name it (``purpose`` says what
    for, in the 422), staff act for their own only."""
    if principal.is_admin:
        if requested is None:
            raise Invalid(
                "organization-required",
                f"Administrators must name the organization {purpose} (organization_id).",
                field="organization_id",
            )
        if session.get(Organization, requested) is None:
            raise Invalid("organization-not-found", "The organization does not exist.")
        return requested
    assert principal.org_id is not None  # staff roles always belong to an organization
    ensure_org_access(principal, requested or principal.org_id)
    return principal.org_id


def ensure_organization_active(session: Session, user: User) -> None:
    """Refuse every account of a deactivated organization (staff, and service accounts and API
    keys belonging to it) on each request; its records stay for administrators."""
    if user.organization_id is None:
        return
    org = session.get(Organization, user.organization_id)
    if org is not None and not org.is_active:
        raise Forbidden(
            ORGANIZATION_INACTIVE,
            "Your organization has been deactivated; its accounts can no longer act. "
            "Contact the city's administrators.",
        )


EMPLOYER_ORGANIZATION_REQUIRED = "employer-organization-required"


def check_employer_account(session: Session, role: str, organization_id: uuid.UUID | None) -> None:
    """An employer account belongs to an active organization of kind enterprise: what it may
    read (shares addressed to that organization, its own check runs) is scoped by it."""
    if role != Role.employer:
        return
    org = session.get(Organization, organization_id) if organization_id is not None else None
    if org is None or org.kind != OrgKind.enterprise or not org.is_active:
        raise Invalid(
            EMPLOYER_ORGANIZATION_REQUIRED,
            "An employer account must belong to an active organization of kind enterprise.",
            field="organization_id",
        )


def employer_organization_id(session: Session, principal: Principal) -> uuid.UUID:
    """The organization an employer acts for, checked on every request (its kind may have
    changed since the account was made); any other role is refused."""
    if principal.role != Role.employer or principal.org_id is None:
        raise Forbidden("forbidden", "Only employer accounts may do this.")
    org = session.get(Organization, principal.org_id)
    if org is None or org.kind != OrgKind.enterprise or not org.is_active:
        raise Forbidden(
            EMPLOYER_ORGANIZATION_REQUIRED,
            "Your account's organization is not an active enterprise.",
        )
    return org.id
