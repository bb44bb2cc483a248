"""Recording jobs inside the caller's transaction.

A job is a row; it reaches Celery only after the transaction that wrote it commits (see
``relay``), so a rollback leaves no job behind and a broker outage loses nothing.
"""

from __future__ import annotations

from sqlmodel import Session, select

from service.jobs.models import OutboxJob


def enqueue(session: Session, kind: str, payload: dict, dedupe_key: str | None = None) -> OutboxJob:
    """Add a job to the session's transaction; a repeated ``dedupe_key`` returns the first job."""
    if dedupe_key is not None:
        existing = session.exec(select(OutboxJob).where(OutboxJob.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return existing
    job = OutboxJob(kind=kind, payload=payload, dedupe_key=dedupe_key)
    session.add(job)
    session.flush()
    return job
