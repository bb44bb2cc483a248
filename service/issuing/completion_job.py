"""The ``credentials.issue`` job: a completed enrollment earns its micro-credential.

The training domain records this job in the same transaction as the completion
(``service.training.completion.complete_if_due``). Issuance is idempotent per (enrollment,
achievement), and the credential commits together with the job's ``done`` mark, so however
often the job is delivered exactly one credential exists.

Without an active signing key the job waits (``WaitingFor``) instead of failing: the missing
key is an operator's task (``skills keys create``, which /readyz and the start-up log ask for),
not the enrollment's fault, so the credential is issued by itself once the key exists. The key
is looked up before the learner's ID number is decrypted, so a waiting job touches no personal
data.

Batches: a credential job also takes up to ``BATCH_SIZE - 1`` other due credential jobs
(``pending`` or ``sent``, not held by another worker: ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL) and mints them all in its own transaction (``issue_many``: one key opening, status
indexes drawn in bulk), marking those jobs ``done`` in that same transaction. A job taken this
way finds itself ``done`` when its own message arrives and does nothing; if the transaction
rolls back, they are untouched and run on their own. A job that cannot be issued in the batch
(not completed, refused) is left for its own run, which reports why.
"""

from __future__ import annotations

import logging
import uuid

from sqlmodel import Session, col, select

from service.accounts.audit import record_audit
from service.core.db import is_postgres
from service.core.settings import get_settings
from service.core.timeutil import utcnow
from service.issuing.keys import NO_KEY_MESSAGE, has_active_key
from service.issuing.service import (
    IssueItem,
    IssueOutcome,
    IssuerKeyMissing,
    IssuingError,
    enrollment_ref_for,
    issue_many,
)
from service.jobs.models import JobStatus, OutboxJob
from service.jobs.runner import JobFailed, WaitingFor
from service.tallies.rollups import record_credential_issued
from service.training.completion import CREDENTIAL_JOB, recorded_minutes
from service.training.hours_rules import minutes_to_xueshi
from service.training.learners import cipher
from service.training.models import Enrollment, Learner, Offering

log = logging.getLogger("skills.issuing")
BATCH_SIZE = 50


def _score(enrollment: Enrollment):
    if enrollment.assessment_score is not None:
        return enrollment.assessment_score
    if enrollment.package_score is not None:
        return enrollment.package_score
    return None


def _item(session: Session, enrollment: Enrollment) -> IssueItem:
    offering = session.get(Offering, enrollment.offering_id)
    learner = session.get(Learner, enrollment.learner_id)
    # The number is decrypted only to compute the credential's salted identity hash.
    id_number = cipher().decrypt(learner.id_encrypted, context=learner.id.bytes)
    return IssueItem(
        learner_uuid=learner.subject_id,
        id_number=id_number,
        occupation_code=offering.occupation_code,
        level=offering.level,
        hours=minutes_to_xueshi(int(recorded_minutes(session, enrollment.id))),
        score=_score(enrollment),
        enrollment_ref=enrollment_ref_for(enrollment.id),
    )


def _due_siblings(
    session: Session, own: uuid.UUID, limit: int
) -> list[tuple[OutboxJob, Enrollment]]:
    """Other credential jobs due now, locked for this transaction, with their completed
    enrollments (a job whose enrollment is not completed stays for its own run)."""
    if limit <= 0:
        return []
    query = (
        select(OutboxJob)
        .where(
            OutboxJob.kind == CREDENTIAL_JOB,
            col(OutboxJob.status).in_([JobStatus.pending, JobStatus.sent]),
            OutboxJob.available_at <= utcnow(),
        )
        .order_by(col(OutboxJob.created_at))
        .limit(limit + 1)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    found = []
    for job in session.exec(query).all():
        try:
            enrollment_id = uuid.UUID(str(job.payload.get("enrollment_id")))
        except ValueError:
            continue
        if enrollment_id == own:
            continue
        enrollment = session.get(Enrollment, enrollment_id)
        if enrollment is not None and enrollment.state == "completed":
            found.append((job, enrollment))
    return found[:limit]


def _record_issued(session: Session, enrollment: Enrollment, outcome: IssueOutcome) -> None:
    if not outcome.created:
        return
    # Counted in the same transaction as the credential (tallies: credentials issued).
    record_credential_issued(session, enrollment)
    credential_id = outcome.credential.credential_id
    record_audit(
        session,
        actor=None,
        action="credential.issue",
        subject_type="credential",
        subject_id=credential_id,
        detail=f"enrollment={enrollment.id}",
    )
    log.info(
        "credential issued",
        extra={"enrollment_id": str(enrollment.id), "credential_id": credential_id},
    )


def issue_for_completed_enrollment(session: Session, payload: dict) -> None:
    enrollment = session.get(Enrollment, uuid.UUID(payload["enrollment_id"]))
    if enrollment is None:
        raise JobFailed("enrollment not found")
    if enrollment.state != "completed":
        raise JobFailed(f"enrollment is {enrollment.state}, not completed")
    settings = get_settings()
    if not has_active_key(session, settings):
        raise WaitingFor(NO_KEY_MESSAGE)
    siblings = _due_siblings(session, enrollment.id, BATCH_SIZE - 1)
    enrollments = [enrollment] + [sibling for _, sibling in siblings]
    try:
        outcomes = issue_many(session, settings, [_item(session, e) for e in enrollments])
    except IssuerKeyMissing as exc:  # the key went away since the check above
        raise WaitingFor(NO_KEY_MESSAGE) from exc
    own = outcomes[0]
    if isinstance(own, IssuingError):
        raise JobFailed(f"{own.code}: {own}")
    _record_issued(session, enrollment, own)
    now = utcnow()
    for (job, sibling), outcome in zip(siblings, outcomes[1:], strict=True):
        if isinstance(outcome, IssuingError):
            continue  # left for its own run, which reports the refusal
        _record_issued(session, sibling, outcome)
        job.status = JobStatus.done
        job.done_at = now
        job.lease_until = None
        job.run_attempts += 1
        job.last_error = None
        session.add(job)


HANDLERS = {CREDENTIAL_JOB: issue_for_completed_enrollment}
