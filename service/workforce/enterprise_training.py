"""Enterprise training: an enrolment names the employer it is for, and counts toward that
employer's participation only once the employer confirms it (a learner cannot make themselves
someone's employee)."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlmodel import Session, select

from service.accounts.access import Principal
from service.accounts.audit import record_audit
from service.core.errors import Conflict, NotFound
from service.core.timeutil import utcnow
from service.training.access import ensure_can_act_for
from service.training.models import Enrollment, Learner
from service.training.progress import lock_enrollment, lock_learner
from service.training.states import EnrollmentState
from service.workforce.access import ensure_manages, enterprise
from service.workforce.participation import recount


def _enrollment(session: Session, enrollment_id: uuid.UUID) -> Enrollment:
    """The enrolment, locked as a completion locks it (learner, then enrolment), so a naming or
    a confirmation and a completion of it happen one after the other."""
    row = session.get(Enrollment, enrollment_id)
    if row is None:
        raise NotFound("not-found", "Enrollment not found.")
    lock_learner(session, row.learner_id)
    return lock_enrollment(session, enrollment_id)


def name_employer(
    session: Session,
    principal: Principal,
    enrollment_id: uuid.UUID,
    organization_id: uuid.UUID | None,
) -> Enrollment:
    """The learner (or the platform for them, or an administrator) says whom the training is
    for; ``None`` takes it back. Any change needs the (new) employer's confirmation again.
    Training staff cannot: naming an employer shares the person with it, the person's choice."""
    enrollment = _enrollment(session, enrollment_id)
    ensure_can_act_for(principal, session.get(Learner, enrollment.learner_id))
    if enrollment.state in (EnrollmentState.FAILED, EnrollmentState.WITHDRAWN):
        raise Conflict(
            "enrollment-ended", "The enrollment has ended; its employer no longer changes."
        )
    if organization_id is not None:
        enterprise(session, organization_id)
    before = enrollment.employer_organization_id
    was_confirmed = enrollment.employer_confirmed_at is not None
    enrollment.employer_organization_id = organization_id
    enrollment.employer_confirmed_at = None
    enrollment.employer_confirmed_by = None
    enrollment.updated_at = utcnow()
    session.add(enrollment)
    session.flush()
    record_audit(
        session,
        actor=principal,
        action="enrollment.employer_named",
        subject_type="enrollment",
        subject_id=str(enrollment.id),
        detail=f"organization={organization_id}",
    )
    if was_confirmed and before is not None and enrollment.completion_year is not None:
        recount(session, before, enrollment.completion_year)
    return enrollment


def confirm(
    session: Session, principal: Principal, enrollment_id: uuid.UUID, confirmed: bool
) -> Enrollment:
    """The named employer confirms (or declines) that the training is for one of its people."""
    enrollment = _enrollment(session, enrollment_id)
    if enrollment.employer_organization_id is None:
        raise NotFound("not-found", "No employer is named on this enrollment.")
    ensure_manages(session, principal, enrollment.employer_organization_id)
    if confirmed:
        enrollment.employer_confirmed_at = enrollment.employer_confirmed_at or utcnow()
        enrollment.employer_confirmed_by = enrollment.employer_confirmed_by or principal.user_id
    else:  # declined: the enrolment no longer names this employer
        enrollment.employer_confirmed_at = None
        enrollment.employer_confirmed_by = None
    org = enrollment.employer_organization_id
    if not confirmed:
        enrollment.employer_organization_id = None
    enrollment.updated_at = utcnow()
    session.add(enrollment)
    session.flush()
    record_audit(
        session,
        actor=principal,
        action="enrollment.employer_confirmed" if confirmed else "enrollment.employer_declined",
        subject_type="enrollment",
        subject_id=str(enrollment.id),
        detail=f"organization={org}",
    )
    if enrollment.completion_year is not None:
        recount(session, org, enrollment.completion_year)
    return enrollment


def named_enrollments(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID,
    confirmed: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[Enrollment], int]:
    """The enrolments that name this employer (what its people chose to share with it)."""
    ensure_manages(session, principal, organization_id)
    where = [Enrollment.employer_organization_id == organization_id]
    if confirmed is not None:
        where.append(
            Enrollment.employer_confirmed_at.is_not(None)
            if confirmed
            else Enrollment.employer_confirmed_at.is_(None)
        )
    total = session.exec(select(func.count()).select_from(Enrollment).where(*where)).one()
    rows = session.exec(
        select(Enrollment)
        .where(*where)
        .order_by(Enrollment.created_at.desc(), Enrollment.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)
