"""Completion: the one place an enrollment becomes ``completed``.

``complete_if_due`` is called in the transaction of whatever may have made completion due
(hours written, an assessment, a package result) and by retried jobs. It completes an enrollment
exactly once:

- it re-reads the enrollment under ``SELECT ... FOR UPDATE`` (PostgreSQL), so concurrent callers
  queue on the row and the later ones see ``completed``;
- the state change is a conditional ``UPDATE ... WHERE state = 'in_progress'`` whose row count
  decides who completed it (this also holds on SQLite, which serialises writers);
- only that winner records the outbox job ``credentials.issue`` (deduplicated on
  ``credential:<enrollment id>``) in the same transaction, so a rollback leaves neither.

A subsidy granted at enrolment is re-checked here, under the learner's row lock (taken first,
the documented lock order), against the person's other *completed* subsidised trainings: when
another completion used the slot meanwhile, this one completes unsubsidised, with the reasons
recorded as ``subsidy_decision.at_completion`` and audited. The person still completes and
still gets the credential; only the subsidy claim is off.

A completion is one person-time (人次) in ``completion_year``: the Asia/Shanghai calendar year of
``completed_at`` (DESIGN.md, Domain / Completion). What else must change in the same
transaction (the tallies' rollups) subscribes with :func:`on_completion`; the composition root
(``service.wiring``) does that, so training does not import the packages that count it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from service.accounts.audit import record_audit
from service.core.errors import DomainError
from service.core.timeutil import CITY_TZ
from service.jobs.events import publish
from service.jobs.outbox import enqueue
from service.training.models import Enrollment, HoursEntry, Offering
from service.training.progress import lock_enrollment, lock_learner, move
from service.training.states import EnrollmentState, completion_due
from service.training.subsidy_history import decide_subsidy

CREDENTIAL_JOB = "credentials.issue"

CompletionListener = Callable[[Session, Enrollment, Offering, datetime], None]
_listeners: list[CompletionListener] = []


def on_completion(listener: CompletionListener) -> None:
    """Calls ``listener`` in the transaction of every completion, right after the state change."""
    if listener not in _listeners:
        _listeners.append(listener)


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
    lock_learner(session, enrollment.learner_id)
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
    except DomainError:
        return False  # a concurrent caller completed (or ended) it first
    if locked.subsidised:
        _recheck_subsidy(session, locked, offering)
    for listener in _listeners:
        listener(session, locked, offering, now)
    enqueue(
        session,
        CREDENTIAL_JOB,
        {"enrollment_id": str(locked.id)},
        dedupe_key=f"credential:{locked.id}",
    )
    publish(
        session,
        "enrollment.completed",
        {
            "enrollment_id": str(locked.id),
            "learner_id": str(locked.learner_id),
            "offering_id": str(offering.id),
            "organization_id": str(offering.organization_id),
            "state": locked.state,
            "completed_at": now.isoformat(),
        },
        organization_id=offering.organization_id,
    )
    return True


def _recheck_subsidy(session: Session, enrollment: Enrollment, offering: Offering) -> None:
    """The enrolment's subsidy, decided again against the other completed trainings."""
    decision = decide_subsidy(session, enrollment.learner_id, offering, excluding=enrollment.id)
    enrollment.subsidy_decision = {
        **(enrollment.subsidy_decision or {}),
        "at_completion": decision.as_dict(),
    }
    if not decision.granted:
        enrollment.subsidised = False
        record_audit(
            session,
            actor=None,
            action="enrollment.subsidy_withdrawn",
            subject_type="enrollment",
            subject_id=str(enrollment.id),
            detail="reasons=" + ",".join(r.code for r in decision.reasons),
        )
    session.add(enrollment)
    session.flush()
