"""The outbox relay: hands committed jobs to the broker, and keeps trying while it is down.

Runs as a thread in each API process (``SKILLS_OUTBOX_RELAY_IN_API``), as ``skills relay``,
and as a beat task. Several relays may run at once: on PostgreSQL rows are claimed with
``FOR UPDATE SKIP LOCKED``; a job published twice is harmless because runs are idempotent.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery import Celery
from sqlalchemy import or_
from sqlmodel import Session, select

from service.core.db import get_engine, is_postgres
from service.core.observability.metrics import OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED
from service.core.timeutil import utcnow
from service.jobs.models import JobStatus, OutboxJob
from service.jobs.runner import backoff

log = logging.getLogger("skills.relay")
RESEND_SENT_AFTER = timedelta(minutes=10)


def relay_pending(app: Celery, engine=None, limit: int = 200) -> int:
    """Publish due jobs; returns how many were handed over. Stops at the first broker error."""
    engine = engine or get_engine()
    published = 0
    with Session(engine) as session:
        now = utcnow()
        stmt = (
            select(OutboxJob)
            .where(
                or_(
                    (OutboxJob.status == JobStatus.pending) & (OutboxJob.available_at <= now),
                    (OutboxJob.status == JobStatus.sent)
                    & (OutboxJob.sent_at < now - RESEND_SENT_AFTER),
                )
            )
            .order_by(OutboxJob.created_at)
            .limit(limit)
        )
        if is_postgres(session):
            stmt = stmt.with_for_update(skip_locked=True)
        for job in session.exec(stmt).all():
            try:
                app.send_task(
                    "skills.run_job", args=[str(job.id)], queue=app.conf.task_default_queue
                )
            except Exception as exc:  # noqa: BLE001 - any broker error means "later"
                job.publish_attempts += 1
                job.last_error = f"publish failed: {type(exc).__name__}: {exc}"[:2000]
                job.available_at = utcnow() + backoff(job.publish_attempts)
                session.add(job)
                OUTBOX_PUBLISH_FAILURES.inc()
                log.warning(
                    "broker unavailable, job kept pending",
                    extra={"job_id": str(job.id), "error_type": type(exc).__name__},
                )
                break
            job.status = JobStatus.sent
            job.sent_at = utcnow()
            session.add(job)
            published += 1
            OUTBOX_PUBLISHED.inc()
        session.commit()
    return published


class RelayThread(threading.Thread):
    """Polls the outbox in the background of a process until stopped."""

    def __init__(self, app: Celery, interval: float = 1.0):
        super().__init__(name="outbox-relay", daemon=True)
        self.app = app
        self.interval = interval
        self._stop_event = threading.Event()
        self.wake = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                relay_pending(self.app)
            except Exception:  # noqa: BLE001 - a database hiccup must not kill the relay
                log.exception("outbox relay pass failed")
            self.wake.wait(self.interval)
            self.wake.clear()

    def stop(self) -> None:
        self._stop_event.set()
        self.wake.set()
