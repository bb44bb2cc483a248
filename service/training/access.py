"""Who may see and act for which learner and enrollment.

- ``learner``: only their own record (``learner.user_id`` = the token's user);
- ``trainer`` / ``org_admin``: learners enrolled in their organization's offerings, and the
  enrollments of those offerings (organization scoping itself: ``service.accounts.access``);
- ``admin``: everything;
- ``platform`` (the smart education platform's service account) acts *for* a learner. Scheme:
  learner-scoped resources name the learner in the path (``/learners/{id}/...``) or reach it
  through an enrollment; the ``/api/v1/me/...`` routes take the learner from ``X-Learner-Id``
  (a learner uuid, never an ID number), which is honoured only for the platform role. Each
  such use is audited against the learner (``platform.acted_for_learner``), and a deployment
  can switch the header off (``SKILLS_PLATFORM_ACTS_BY_HEADER``) so that the platform must
  exchange for a token scoped to one learner (RFC 8693) instead. A learner's own token (or an
  exchanged one) maps to their record through ``learner.user_id``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists
from sqlmodel import Session, select

from service.accounts.access import Principal, ensure_org_access, org_filter
from service.accounts.audit import record_audit
from service.accounts.models import ORG_ROLES, Role
from service.core.errors import BadRequest, Forbidden
from service.training.errors import not_found
from service.training.models import Enrollment, Learner, Offering

ACTING_HEADER = "X-Learner-Id"


ACTED_FOR = "platform.acted_for_learner"


def acting_learner(
    session: Session,
    principal: Principal,
    learner_header: str | None,
    *,
    header_allowed: bool = True,
) -> Learner:
    """The learner a ``/me`` request is about: the caller, or the one the platform acts for.

    The platform's use is audited in the session (the caller commits it, also for reads).
    ``header_allowed=False``: the platform may no longer act by naming a learner."""
    if principal.role == Role.learner:
        if learner_header is not None:
            raise Forbidden(
                "forbidden", f"{ACTING_HEADER} is honoured only for the platform's service token."
            )
        learner = session.exec(select(Learner).where(Learner.user_id == principal.user_id)).first()
        if learner is None:
            raise not_found("A learner record linked to this account")
        return learner
    if principal.role == Role.platform:
        if not header_allowed:
            raise Forbidden(
                "acting-header-disabled",
                f"{ACTING_HEADER} is switched off here: exchange the platform's credentials for "
                "a token of this learner (POST /api/v1/auth/token, RFC 8693 token exchange).",
            )
        if not learner_header:
            raise BadRequest(
                "acting-learner-required", f"Send {ACTING_HEADER}: <learner id> to act for."
            )
        try:
            learner_id = uuid.UUID(learner_header)
        except ValueError:
            raise BadRequest(
                "acting-learner-invalid", f"{ACTING_HEADER} must be a learner id (UUID)."
            ) from None
        learner = session.get(Learner, learner_id)
        if learner is None:
            raise not_found("Learner")
        record_audit(
            session,
            actor=principal,
            action=ACTED_FOR,
            subject_type="learner",
            subject_id=str(learner.id),
            detail=ACTING_HEADER,
        )
        return learner
    raise Forbidden(
        "forbidden", "Only a learner, or the platform acting for one, has a personal record here."
    )


def is_own(principal: Principal, learner: Learner) -> bool:
    return principal.role == Role.learner and learner.user_id == principal.user_id


def _enrolled_with_org(session: Session, learner_id: uuid.UUID, org_id: uuid.UUID) -> bool:
    stmt = select(
        exists().where(
            Enrollment.learner_id == learner_id,
            Enrollment.offering_id == Offering.id,
            Offering.organization_id == org_id,
        )
    )
    return bool(session.exec(stmt).one())


def ensure_can_view_learner(session: Session, principal: Principal, learner: Learner) -> None:
    if principal.is_admin or principal.role == Role.platform or is_own(principal, learner):
        return
    if (
        principal.role in ORG_ROLES
        and principal.org_id is not None
        and _enrolled_with_org(session, learner.id, principal.org_id)
    ):
        return
    raise Forbidden("forbidden", "You may not see this learner.")


def ensure_can_act_for(principal: Principal, learner: Learner) -> None:
    """Actions a person takes for themselves (enroll, withdraw, learn): self, platform, admin."""
    if principal.is_admin or principal.role == Role.platform or is_own(principal, learner):
        return
    raise Forbidden("forbidden", "Only the learner, or the platform acting for them, may do this.")


def ensure_can_view_enrollment(
    principal: Principal, enrollment: Enrollment, offering: Offering, learner: Learner
) -> None:
    if principal.is_admin or principal.role == Role.platform or is_own(principal, learner):
        return
    if principal.role in ORG_ROLES:
        ensure_org_access(principal, offering.organization_id)
        return
    raise Forbidden("forbidden", "You may not see this enrollment.")


def ensure_can_manage(principal: Principal, offering: Offering) -> None:
    """Running an offering (roster, attendance, assessment): its organization's staff, admins."""
    ensure_org_access(principal, offering.organization_id)


def visible_learner_ids_clause(principal: Principal):
    """A WHERE clause limiting a learner listing to what the caller may see (None = all)."""
    if principal.role == Role.platform:
        return None
    if principal.role == Role.learner:
        return Learner.user_id == principal.user_id
    scope = org_filter(principal)  # admins: None; staff: their org; others: 403
    if scope is None:
        return None
    return exists().where(
        Enrollment.learner_id == Learner.id,
        Enrollment.offering_id == Offering.id,
        Offering.organization_id == scope,
    )
