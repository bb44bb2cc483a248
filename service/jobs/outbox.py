"""Recording jobs inside the caller's transaction.

A job is a row; it reaches Celery only after the transaction that wrote it commits (see
``relay``), so a rollback leaves no job behind and a broker outage loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from service.jobs.models import OutboxJob

_ENQUEUED = "skills.outbox_enqueued"
_on_commit: list[Callable[[], None]] = []


def when_committed(notify: Callable[[], None]) -> Callable[[], None]:
    """Call ``notify`` after each commit that recorded a job in this process (a relay thread
    wakes on it instead of waiting for its next poll); returns the function that stops it."""
    _on_commit.append(notify)
    return lambda: _on_commit.remove(notify) if notify in _on_commit else None


@event.listens_for(OrmSession, "after_commit")
def _notify(session: OrmSession) -> None:
    if session.info.pop(_ENQUEUED, False):
        for notify in list(_on_commit):
            notify()


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget(session: OrmSession, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint in it
        session.info.pop(_ENQUEUED, None)


def enqueue(
    session: Session,
    kind: str,
    payload: dict,
    dedupe_key: str | None = None,
    available_at: datetime | None = None,
) -> OutboxJob:
    """Add a job to the session's transaction; a repeated ``dedupe_key`` returns the first job.
    ``available_at``: not before then (a fallback for work another process is doing now)."""
    if dedupe_key is not None:
        existing = session.exec(select(OutboxJob).where(OutboxJob.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return existing
    job = OutboxJob(kind=kind, payload=payload, dedupe_key=dedupe_key)
    if available_at is not None:
        job.available_at = available_at
    session.add(job)
    session.flush()
    session.info[_ENQUEUED] = True
    return job
