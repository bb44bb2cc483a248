"""Running one outbox job exactly once in effect.

First the job is claimed in a short transaction of its own: ``running``, ``started_at`` and a
lease (``SKILLS_JOB_LEASE_SECONDS``), so operators see it running and, should the worker die,
the relay sends it again once the lease has passed. Then the job row is locked (PostgreSQL
``FOR UPDATE``), the handler runs, and the row is marked done in the same transaction. A
redelivered message finds the job done and returns without work.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlmodel import Session, select

from service.core.db import get_engine, is_postgres
from service.core.observability.logging import scrub
from service.core.settings import get_settings
from service.core.timeutil import utcnow
from service.jobs.handlers import get_handler
from service.jobs.models import JobStatus, OutboxJob

log = logging.getLogger("skills.jobs")
MAX_RUN_ATTEMPTS = 8
WAIT_RETRY = timedelta(seconds=60)  # how soon a job waiting for an operator is tried again


class RetryLater(Exception):  # noqa: N818 - reads as an instruction
    def __init__(self, countdown: float):
        super().__init__(f"retry in {countdown}s")
        self.countdown = countdown


class JobFailed(Exception):
    """Raised by a handler for a permanent failure: retrying would not help."""


class WaitingFor(Exception):  # noqa: N818 - reads as a state: "waiting for <what>"
    """Raised by a handler when something outside the job is missing and only an operator can
    provide it (the issuer's signing key: ``skills keys create``).

    The job is not at fault, so the wait uses up none of its ``MAX_RUN_ATTEMPTS`` and never
    ends in ``failed``: the job goes back to ``pending`` with ``available_at`` ``WAIT_RETRY``
    ahead, and the relay hands it over again then, as often as it takes. The state lives in the
    outbox row, not in a broker retry, so a lost message or a restarted broker does not end the
    wait; once the operator acts, every waiting job runs within ``WAIT_RETRY`` plus one relay
    pass, with nothing to re-queue by hand. ``str(exc)`` is shown to operators (``last_error``).
    """


def _load_for_update(session: Session, job_id: uuid.UUID) -> OutboxJob | None:
    stmt = select(OutboxJob).where(OutboxJob.id == job_id)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


CLAIMED = "claimed"


def _claim(engine, jid: uuid.UUID) -> str:
    """Marks the job running under a lease, committed before the handler starts; ``CLAIMED``,
    or why not: missing, done, failed, or running under another worker's live lease."""
    with Session(engine) as session:
        job = _load_for_update(session, jid)
        if job is None:
            return "missing"
        if job.status in (JobStatus.done, JobStatus.failed):
            return job.status
        now = utcnow()
        if job.status == JobStatus.running and job.lease_until and job.lease_until > now:
            return JobStatus.running  # a live worker holds it; the relay resends if it dies
        job.status = JobStatus.running
        job.started_at = now
        job.lease_until = now + timedelta(seconds=get_settings().job_lease_seconds)
        session.add(job)
        session.commit()
        return CLAIMED


def run_job_by_id(job_id: str, engine=None) -> str:
    engine = engine or get_engine()
    jid = uuid.UUID(job_id)
    error: Exception | None = None
    claimed = _claim(engine, jid)
    if claimed == "missing":
        log.warning("job not found", extra={"job_id": job_id})
    if claimed != CLAIMED:
        return claimed
    with Session(engine) as session:
        job = _load_for_update(session, jid)
        if job is None:
            return "missing"
        if job.status in (JobStatus.done, JobStatus.failed):
            return job.status
        kind, payload = job.kind, dict(job.payload)
        try:
            get_handler(kind)(session, payload)
            job.status = JobStatus.done
            job.done_at = utcnow()
            job.lease_until = None
            job.run_attempts += 1
            job.last_error = None
            session.add(job)
            session.commit()
            log.info("job done", extra={"job_id": job_id, "kind": kind})
            return JobStatus.done
        except WaitingFor as exc:
            session.rollback()
            return _record_wait(engine, jid, exc)
        except Exception as exc:  # noqa: BLE001 - recorded below, then retried or failed
            session.rollback()
            error = exc
    return _record_failure(engine, jid, error)


def _record_wait(engine, jid: uuid.UUID, reason: WaitingFor) -> str:
    """Back to ``pending`` for the relay to send again after ``WAIT_RETRY``; attempts untouched."""
    with Session(engine) as session:
        job = _load_for_update(session, jid)
        if job is None:
            return "missing"
        job.status = JobStatus.pending
        job.available_at = utcnow() + WAIT_RETRY
        job.lease_until = None
        job.last_error = scrub(f"waiting: {reason}")[:2000]
        session.add(job)
        session.commit()
        kind = job.kind
    log.info("job waiting", extra={"job_id": str(jid), "kind": kind})
    return JobStatus.pending


def _record_failure(engine, jid: uuid.UUID, error: Exception) -> str:
    with Session(engine) as session:
        job = _load_for_update(session, jid)
        if job is None:
            return "missing"
        job.run_attempts += 1
        # Shown to operators (admin jobs API): scrubbed like a log line.
        job.last_error = scrub(f"{type(error).__name__}: {error}")[:2000]
        permanent = isinstance(error, JobFailed) or job.run_attempts >= MAX_RUN_ATTEMPTS
        job.status = JobStatus.failed if permanent else JobStatus.sent
        job.lease_until = None
        # Celery sends the retry; the relay's resend window starts again from now.
        job.sent_at = utcnow()
        session.add(job)
        session.commit()
        attempts = job.run_attempts
    log.warning(
        "job failed",
        extra={
            "job_id": str(jid),
            "attempt": attempts,
            "permanent": permanent,
            "error_type": type(error).__name__,
        },
    )
    if permanent:
        return JobStatus.failed
    raise RetryLater(countdown=min(300.0, 2.0**attempts))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(60.0, 0.5 * 2**attempts))
