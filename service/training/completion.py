"""Completion: the one place an enrollment becomes ``completed`` (issue 4, item 7).

``complete_if_due`` is called in the transaction of whatever may have made completion due
(hours written, an assessment, a package result) and by retried jobs. It completes an enrollment
exactly once:

- it re-reads the enrollment under ``SELECT ... FOR UPDATE`` (PostgreSQL), so concurrent callers
  queue on the row and the later ones see ``completed``;
- the state change is a conditional ``UPDATE ... WHERE state = 'in_progress'`` whose row count
  decides who completed it (this also holds on SQLite, which serialises writers);
- only that winner records the outbox job ``credentials.issue`` (deduplicated on
  ``credential:<enrollment id>``) in the same transaction, so a rollback leaves neither.

A completion is one person-time (人次) in ``completion_year``: the Asia/Shanghai calendar year of
``completed_at`` (DESIGN.md, Domain / Completion). Rollup updates for the tallies belong here,
inside the same transaction, after the state change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from service.core.timeutil import CITY_TZ
from service.jobs.outbox import enqueue
from service.tallies.rollups import record_completion
from service.training.errors import TrainingError
from service.training.models import Enrollment, HoursEntry, Offering
from service.training.progress import lock_enrollment, move
from service.training.states import EnrollmentState, completion_due

CREDENTIAL_JOB = "credentials.issue"


def recorded_minutes(session: Session, enrollment_id) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(HoursEntry.minutes), 0)).where(
            HoursEntry.enrollment_id == enrollment_id
        )
    ).one()
    return int(total)


def assessment_passed(enrollment: Enrollment) -> bool | None:
    """A trainer's recorded pass, or a package's passed/mastery; ``None`` while unknown."""
    if enrollment.assessment_passed is True or enrollment.package_passed is True:
        return True
    if enrollment.assessment_passed is False:
        return False
    return None


def complete_if_due(session: Session, enrollment: Enrollment, now: datetime) -> bool:
    """Complete ``enrollment`` if it is due; True only for the call that completed it."""
    locked = lock_enrollment(session, enrollment.id)
    if locked.state != EnrollmentState.IN_PROGRESS:
        return False
    offering = session.get(Offering, locked.offering_id)
    if not completion_due(
        offering.required_minutes,
        recorded_minutes(session, locked.id),
        assessment_passed(locked),
        assessment_required=offering.assessment_required,
    ):
        return False
    try:
        move(
            session,
            locked,
            EnrollmentState.COMPLETED,
            completed_at=now,
            completion_year=now.astimezone(CITY_TZ).year,
            updated_at=now,
        )
    except TrainingError:
        return False  # a concurrent caller completed (or ended) it first
    record_completion(session, locked, offering, now)
    enqueue(
        session,
        CREDENTIAL_JOB,
        {"enrollment_id": str(locked.id)},
        dedupe_key=f"credential:{locked.id}",
    )
    return True
