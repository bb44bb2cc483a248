"""A person's subsidy history, read from the enrollments, and the decisions made on it.

Slots are used by *completed* subsidised trainings (the point at which a subsidy can be
claimed), so an enrollment that was refused, withdrawn or failed, or that someone else started
for the person, never uses up their subsidy. The rules themselves are in :mod:`.subsidy`.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from service.training.models import Enrollment, Offering
from service.training.reference_checks import load_policy, subsidy_rules
from service.training.states import EnrollmentState
from service.training.subsidy import PriorSubsidy, SubsidyCandidate, SubsidyDecision, decide


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
    return [
        PriorSubsidy(off.occupation_code, off.level, enr.subsidy_year, EnrollmentState(enr.state))
        for enr, off in session.exec(stmt).all()
    ]


def decide_subsidy(
    session: Session,
    learner_id: uuid.UUID,
    offering: Offering,
    *,
    excluding: uuid.UUID | None = None,
) -> SubsidyDecision:
    candidate = SubsidyCandidate(offering.occupation_code, offering.level, offering.starts_on.year)
    rules = subsidy_rules(load_policy(session))
    return decide(rules, candidate, subsidy_history(session, learner_id, excluding=excluding))
