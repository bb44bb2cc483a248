"""Enrollment state changes shared by hours, learning records and assessments.

Every change is a conditional UPDATE (``... WHERE state = <the state we read>``), so two
concurrent requests cannot both move an enrollment (also on SQLite, where ``SELECT ... FOR
UPDATE`` does not exist); the loser re-reads and gets a 409 naming the current state.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from service.training.errors import invalid_transition
from service.training.models import Enrollment, Learner
from service.training.states import EnrollmentState, InvalidTransition, transition


def lock_learner(session: Session, learner_id) -> None:
    """Take the learner's row lock (PostgreSQL). Lock order, everywhere: learner, then
    enrollment, then offering; so paths that take several never deadlock each other."""
    session.exec(select(Learner.id).where(Learner.id == learner_id).with_for_update()).one()


def lock_enrollment(session: Session, enrollment_id) -> Enrollment:
    """Re-read the enrollment, holding its row lock on PostgreSQL until the transaction ends."""
    return session.exec(
        select(Enrollment)
        .where(Enrollment.id == enrollment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def move(session: Session, enrollment: Enrollment, target: EnrollmentState, **fields) -> Enrollment:
    """Move ``enrollment`` to ``target`` (validated by :func:`states.transition`) or raise 409."""
    current = enrollment.state
    try:
        transition(current, target)
    except InvalidTransition as exc:
        raise invalid_transition(exc) from None
    result = session.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment.id, Enrollment.state == current)
        .values(state=str(target), **fields)
        .execution_options(synchronize_session=False)
    )
    fresh = lock_enrollment(session, enrollment.id)
    if result.rowcount != 1:
        raise invalid_transition(InvalidTransition(fresh.state, target))
    return fresh


def ensure_started(session: Session, enrollment: Enrollment, now: datetime) -> Enrollment:
    """The first hours entry, statement or assessment moves ``enrolled`` to ``in_progress``."""
    if enrollment.state == EnrollmentState.ENROLLED:
        return move(
            session, enrollment, EnrollmentState.IN_PROGRESS, started_at=now, updated_at=now
        )
    return enrollment


def apply_package_result(
    enrollment: Enrollment, completed: bool | None, passed: bool | None, score: float | None
) -> None:
    """Record what a package reported. Sticky: completed and passed never revert, so a late or
    re-sent older statement cannot undo mastery; a ``failed`` after ``passed`` is kept as passed.
    A package's *failed* does not fail the enrollment (packages allow retries); only a trainer's
    assessment does (see :mod:`service.training.enrollments`)."""
    if completed:
        enrollment.package_completed = True
    if passed is True:
        enrollment.package_passed = True
    elif passed is False and enrollment.package_passed is not True:
        enrollment.package_passed = False
    if score is not None:
        enrollment.package_score = score
