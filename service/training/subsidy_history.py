"""A person's subsidy history, read from the enrollments, and the decisions made on it.

Slots are used by *completed* subsidised trainings (the point at which a subsidy can be
claimed), so an enrollment that was refused, withdrawn or failed, or that someone else started
for the person, never uses up their subsidy. The rules themselves are in :mod:`.subsidy`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_
from sqlmodel import Session, select

from service.training.models import Enrollment, Offering
from service.training.reference_checks import load_policy, subsidy_rules
from service.training.reference_models import RefTrainingPolicy
from service.training.states import EnrollmentState
from service.training.subsidy import PriorSubsidy, SubsidyCandidate, SubsidyDecision, decide


def _prior(enrollment: Enrollment, offering: Offering) -> PriorSubsidy:
    return PriorSubsidy(
        offering.occupation_code,
        offering.level,
        enrollment.subsidy_year,
        EnrollmentState(enrollment.state),
    )


def subsidy_history(
    session: Session, learner_id: uuid.UUID, *, excluding: uuid.UUID | None = None
) -> list[PriorSubsidy]:
    stmt = select(Enrollment, Offering).where(
        Enrollment.learner_id == learner_id,
        Enrollment.subsidised.is_(True),
        Enrollment.offering_id == Offering.id,
    )
    if excluding is not None:
        stmt = stmt.where(Enrollment.id != excluding)
    return [_prior(enr, off) for enr, off in session.exec(stmt).all()]


def enrolment_and_history(
    session: Session, learner_id: uuid.UUID, offering_id: uuid.UUID
) -> tuple[Enrollment | None, list[PriorSubsidy]]:
    """The learner's enrolment in ``offering_id`` (if any) and their subsidy history, in one
    query: what a subsidised enrolment reads once the learner's row is locked."""
    rows = session.exec(
        select(Enrollment, Offering)
        .join(Offering, Offering.id == Enrollment.offering_id)
        .where(
            Enrollment.learner_id == learner_id,
            or_(Enrollment.offering_id == offering_id, Enrollment.subsidised.is_(True)),
        )
    ).all()
    existing = next((enr for enr, _ in rows if enr.offering_id == offering_id), None)
    return existing, [_prior(enr, off) for enr, off in rows if enr.subsidised]


def decide_on(
    policy: RefTrainingPolicy, offering: Offering, history: Iterable[PriorSubsidy]
) -> SubsidyDecision:
    """The subsidy decision for ``offering`` given the person's history and the policy."""
    candidate = SubsidyCandidate(offering.occupation_code, offering.level, offering.starts_on.year)
    return decide(subsidy_rules(policy), candidate, history)


def decide_subsidy(
    session: Session,
    learner_id: uuid.UUID,
    offering: Offering,
    *,
    excluding: uuid.UUID | None = None,
) -> SubsidyDecision:
    return decide_on(
        load_policy(session), offering, subsidy_history(session, learner_id, excluding=excluding)
    )
