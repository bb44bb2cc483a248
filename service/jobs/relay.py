"""The outbox relay: hands committed jobs to the broker, and keeps trying while it is down.

Runs as a thread in each API process (``SKILLS_OUTBOX_RELAY_IN_API``), as ``skills relay``,
and as a beat task. Several relays may run at once: on PostgreSQL rows are claimed with
``FOR UPDATE SKIP LOCKED``; a job published twice is harmless because runs are idempotent.

A job is sent again when its message seems lost: ``sent`` but not started within
``RESEND_SENT_AFTER``, or ``running`` past its lease (the worker died, e.g. killed mid-ingest).
The relay thread also sweeps orphaned spool files now and then (``spool.sweep_spool``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import FunctionType
from typing import TYPE_CHECKING

from sqlalchemy import or_
from sqlmodel import Session, select

from service.core.db import get_engine, is_postgres
from service.core.observability.metrics import OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED
from service.core.timeutil import utcnow
from service.jobs.models import JobStatus, OutboxJob
from service.jobs.outbox import when_committed
from service.jobs.runner import MAX_RUN_ATTEMPTS, backoff
from service.jobs.spool import sweep_spool

if TYPE_CHECKING:  # imported by whoever makes the app; start-up does not wait for it
    from celery import Celery

log = logging.getLogger("skills.relay")
RESEND_SENT_AFTER = timedelta(minutes=10)
SWEEP_EVERY = 600.0  # seconds between spool sweeps of a relay thread


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
                    (OutboxJob.status == JobStatus.running) & (OutboxJob.lease_until < now),
                )
            )
            .order_by(OutboxJob.created_at)
            .limit(limit)
        )
        if is_postgres(session):
            stmt = stmt.with_for_update(skip_locked=True)
        for job in session.exec(stmt).all():
            if job.status == JobStatus.running and _died_too_often(job):
                session.add(job)
                continue
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
            if job.status == JobStatus.running:
                log.warning("job lease expired, sent again", extra={"job_id": str(job.id)})
            job.status = JobStatus.sent
            job.sent_at = utcnow()
            job.lease_until = None
            session.add(job)
            published += 1
            OUTBOX_PUBLISHED.inc()
        session.commit()
    return published


def _died_too_often(job: OutboxJob) -> bool:
    """A running job whose lease ran out: its worker died holding it (killed, out of memory)
    and recorded nothing. That counts as an attempt, or a job that kills its worker would be
    sent again for ever; past the attempts it fails, for an operator to look at."""
    job.run_attempts += 1
    job.last_error = "the worker running this job stopped before it finished"
    if job.run_attempts < MAX_RUN_ATTEMPTS:
        return False
    job.status = JobStatus.failed
    job.lease_until = None
    log.warning("job failed: its workers kept dying", extra={"job_id": str(job.id)})
    return True


class RelayThread(threading.Thread):
    """Polls the outbox in the background of a process until stopped."""

    def __init__(
        self,
        app: Celery | Callable[[], Celery],
        interval: float = 1.0,
        sweep_every: float = SWEEP_EVERY,
    ):
        """``app`` may be a function that returns the Celery app: the thread then calls it
        itself, so a process that starts a relay (the API on the embedded default) does not
        wait for Celery and its transport to import before it answers."""
        super().__init__(name="outbox-relay", daemon=True)
        self._app_source = app
        self.interval = interval
        self.sweep_every = sweep_every
        self._stop_event = threading.Event()
        self.wake = threading.Event()

    def run(self) -> None:
        source = self._app_source
        while not self._stop_event.is_set():
            try:
                self.app = source() if isinstance(source, FunctionType) else source
                break
            except Exception:  # noqa: BLE001 - jobs wait in the outbox; try again, said loudly
                log.exception("the outbox relay could not load the Celery app")
                self._stop_event.wait(self.interval)
        else:
            return
        # A job recorded in this process is relayed at once, not at the next poll (which
        # remains for jobs that other processes record).
        stop_listening = when_committed(self.wake.set)
        try:
            self._loop()
        finally:
            stop_listening()

    def _loop(self) -> None:
        next_sweep = time.monotonic()  # at start, then every ``sweep_every`` seconds
        while not self._stop_event.is_set():
            try:
                relay_pending(self.app)
            except Exception:  # noqa: BLE001 - a database hiccup must not kill the relay
                log.exception("outbox relay pass failed")
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + self.sweep_every
                try:
                    sweep_spool()
                except Exception:  # noqa: BLE001 - nor a full or unreadable spool directory
                    log.exception("spool sweep failed")
            self.wake.wait(self.interval)
            self.wake.clear()

    def stop(self) -> None:
        self._stop_event.set()
        self.wake.set()
