"""Enrollments: create with capacity and subsidy rules, withdraw, record assessments.

Capacity (no overbooking under concurrency): a seat is taken by one atomic conditional
``UPDATE offering SET seats_taken = seats_taken + 1 WHERE id = :id AND seats_taken < capacity``.
On PostgreSQL concurrent updaters of the row queue on its lock and re-check the condition; the
CHECK constraint ``seats_taken <= capacity`` backs it up. Withdrawal gives the seat back;
completed and failed enrollments keep theirs. The seat is taken last, after the enrollment and
its audit entry are written, so the offering's row (which every enrollment in it queues on) is
held only from that statement to the commit; a refusal after it leaves the caller to roll back.

Statements per enrollment: the offering with its organization and the policy (one query), the
learner's lock, the learner's enrollment in this offering together with their subsidy history
(one query), the two inserts, the seat.

Subsidy (rules in :mod:`.subsidy`, parameters in ``ref_training_policy``): the
history is the learner's *completed* subsidised trainings (:mod:`.subsidy_history`); the
decision made here is re-checked when the training completes (:mod:`.completion`). The
learner's row is locked first, so two concurrent subsidised enrollments of one person are
decided one after the other. The candidate year is the Asia/Shanghai calendar year in which
the offering *starts* (funding follows the year the training is delivered). A refused subsidy
does not refuse the enrollment (the person may still attend, unsubsidised) unless the client
asks ``require_subsidy``; either way the decision and its reasons are recorded.

Consent: the enroller's proof of the person (:mod:`.consent`) is stored as ``consent_proof``
and in the audit entry. A deactivated organization's offerings take no new enrollments (409).

Assessment: the score is compared with the offering's pass mark. A failing result ends the
enrollment as ``failed`` (terminal, see :mod:`.states`: a retake is a new enrollment, and the
subsidy rules allow a subsidised retake). A pass completes it once the hours are there too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from service.accounts.access import ORGANIZATION_INACTIVE, Principal
from service.accounts.audit import record_audit
from service.accounts.models import Organization
from service.core.errors import Conflict, Invalid
from service.core.timeutil import CITY_TZ
from service.jobs.events import publish
from service.training.completion import complete_if_due
from service.training.models import Enrollment, Learner, Offering
from service.training.progress import ensure_started, lock_enrollment, lock_learner, move
from service.training.reference_checks import POLICY_ID, load_policy
from service.training.reference_data import FundingKind
from service.training.reference_models import RefTrainingPolicy
from service.training.states import EnrollmentState
from service.training.subsidy_history import decide_on, enrolment_and_history


class AlreadyEnrolled(Exception):  # noqa: N818 - a signal, not a failure
    """The person is enrolled in the offering already. The caller rolls back (the transaction
    may hold a failed insert) and answers with :func:`find`."""

    def __init__(self, learner_id: uuid.UUID, offering_id: uuid.UUID) -> None:
        self.learner_id = learner_id
        self.offering_id = offering_id


@dataclass(frozen=True, slots=True)
class EnrolmentTarget:
    """The offering and what its enrolment rules read besides the person: its organization (a
    deactivated one takes no enrolments) and the subsidy policy."""

    offering: Offering
    organization: Organization | None
    policy: RefTrainingPolicy


def load_target(session: Session, offering_id: uuid.UUID) -> EnrolmentTarget | None:
    """The offering with its organization and the policy, in one query (none of them is locked
    by an enrolment, so reading them before the learner's lock decides nothing differently)."""
    row = session.exec(
        select(Offering, Organization, RefTrainingPolicy)
        .select_from(Offering)
        .outerjoin(Organization, Organization.id == Offering.organization_id)
        .outerjoin(RefTrainingPolicy, RefTrainingPolicy.id == POLICY_ID)
        .where(Offering.id == offering_id)
    ).first()
    if row is None:
        return None
    offering, organization, policy = row
    return EnrolmentTarget(offering, organization, policy or load_policy(session))


def find(session: Session, learner_id: uuid.UUID, offering_id: uuid.UUID) -> Enrollment | None:
    return session.exec(
        select(Enrollment).where(
            Enrollment.learner_id == learner_id, Enrollment.offering_id == offering_id
        )
    ).first()


def enroll(
    session: Session,
    principal: Principal,
    learner: Learner,
    target: EnrolmentTarget,
    *,
    require_subsidy: bool,
    now: datetime,
    proof: str,
) -> Enrollment:
    """Create the enrollment (flushed, not committed) or raise :class:`AlreadyEnrolled` or a
    domain error, after which the caller rolls back: the rows may already be flushed, since the
    seat is taken last to hold the offering's row lock only from there to the commit.
    ``proof`` names how the enroller proved the person (:mod:`.consent`)."""
    offering = target.offering
    lock_learner(session, learner.id)
    subsidised = offering.funding == FundingKind.SUBSIDISED
    if subsidised:
        existing, history = enrolment_and_history(session, learner.id, offering.id)
    else:
        existing, history = find(session, learner.id, offering.id), []
    if existing is not None:
        raise AlreadyEnrolled(learner.id, offering.id)
    if offering.ends_on < now.astimezone(CITY_TZ).date():
        raise Conflict("offering-ended", "This offering has ended.")
    organization = target.organization
    if organization is None or not organization.is_active:
        raise Conflict(
            ORGANIZATION_INACTIVE, "The organization running this offering has been deactivated."
        )

    decision = decide_on(target.policy, offering, history) if subsidised else None
    if decision is not None and require_subsidy and not decision.granted:
        raise Conflict(
            "subsidy-refused",
            "The subsidy rules refuse this enrollment: "
            + "; ".join(r.message for r in decision.reasons)
            + ".",
            reasons=[r.as_dict() for r in decision.reasons],
        )

    enrollment = Enrollment(
        learner_id=learner.id,
        offering_id=offering.id,
        subsidy_requested=decision is not None,
        subsidised=bool(decision and decision.granted),
        subsidy_year=offering.starts_on.year if decision is not None else None,
        subsidy_decision=decision.as_dict() if decision is not None else None,
        enrolled_by=principal.user_id,
        consent_proof=proof,
        created_at=now,
    )
    session.add(enrollment)
    record_audit(
        session,
        actor=principal,
        action="enrollment.create",
        subject_type="enrollment",
        subject_id=str(enrollment.id),
        detail="subsidy="
        + ("n/a" if decision is None else str(decision.granted).lower())
        + f";proof={proof}",
    )
    try:
        session.flush()
    except IntegrityError as exc:  # the same person enrolled concurrently
        raise AlreadyEnrolled(learner.id, offering.id) from exc
    _take_seat(session, offering)
    publish(
        session,
        "enrollment.created",
        {
            "enrollment_id": str(enrollment.id),
            "learner_id": str(learner.id),
            "offering_id": str(offering.id),
            "organization_id": str(offering.organization_id),
            "state": enrollment.state,
        },
        organization_id=offering.organization_id,
    )
    return enrollment


def _take_seat(session: Session, offering: Offering) -> None:
    """One atomic conditional UPDATE; concurrent takers queue on the row and re-check."""
    seats = session.execute(
        update(Offering)
        .where(Offering.id == offering.id, Offering.seats_taken < Offering.capacity)
        .values(seats_taken=Offering.seats_taken + 1)
        .returning(Offering.seats_taken)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if seats is None:
        raise Conflict("offering-full", "This offering has no free seats.")
    set_committed_value(offering, "seats_taken", seats)


def withdraw(session: Session, principal: Principal, enrollment: Enrollment, now: datetime):
    """Withdraw and give the seat back; the caller commits."""
    locked = lock_enrollment(session, enrollment.id)
    fresh = move(session, locked, EnrollmentState.WITHDRAWN, withdrawn_at=now, updated_at=now)
    session.execute(
        update(Offering)
        .where(Offering.id == fresh.offering_id, Offering.seats_taken > 0)
        .values(seats_taken=Offering.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    record_audit(
        session,
        actor=principal,
        action="enrollment.withdraw",
        subject_type="enrollment",
        subject_id=str(fresh.id),
    )
    return fresh


def record_assessment(
    session: Session,
    principal: Principal,
    enrollment: Enrollment,
    offering: Offering,
    *,
    score: float,
    passed: bool | None,
    now: datetime,
) -> Enrollment:
    """Record the score and complete or fail the enrollment; flushed, the caller commits."""
    verdict = score >= offering.pass_mark
    if passed is not None and passed != verdict:
        raise Invalid(
            "assessment-inconsistent",
            f"passed={str(passed).lower()} contradicts the score {score:g} against the pass mark "
            f"{offering.pass_mark}.",
            field="passed",
        )
    lock_learner(session, enrollment.learner_id)  # lock order: learner, then enrollment
    locked = ensure_started(session, lock_enrollment(session, enrollment.id), now)
    if locked.state != EnrollmentState.IN_PROGRESS:
        raise Conflict(
            "invalid-state-transition",
            f"The enrollment is {locked.state}; an assessment can no longer be recorded.",
            current_state=locked.state,
        )
    locked.assessment_score = score
    locked.assessment_passed = verdict
    locked.assessment_at = now
    locked.assessed_by = principal.user_id
    locked.updated_at = now
    session.add(locked)
    session.flush()
    if verdict:
        complete_if_due(session, locked, now)
    else:
        locked = move(session, locked, EnrollmentState.FAILED, failed_at=now, updated_at=now)
    record_audit(
        session,
        actor=principal,
        action="enrollment.assessment",
        subject_type="enrollment",
        subject_id=str(locked.id),
        detail=f"score={score:g},passed={str(verdict).lower()}",
    )
    session.flush()
    return session.get(Enrollment, locked.id, populate_existing=True)
