"""The periodic cmi5 abandon sweep: Celery beat -> an outbox job -> the handler.

Beat runs ``skills.cmi5_abandon_sessions`` every ``SKILLS_CMI5_ABANDON_SWEEP_SECONDS``; the task
only records an outbox job (one per time slot, deduplicated, so two beats do not sweep twice);
the handler closes the stale sessions (:func:`service.lrs.cmi5_lms.abandon_stale`) in the job's
transaction. A redelivered job finds those sessions already closed, so it records nothing twice.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlmodel import Session

from service.core.settings import Settings, get_settings
from service.core.timeutil import utcnow
from service.lrs.cmi5_lms import abandon_stale

if TYPE_CHECKING:  # Celery's app module costs start-up time to processes that only wire it
    from celery import Celery

ABANDON_JOB = "cmi5.abandon_sessions"
BEAT_ENTRY = "cmi5-abandon-sessions"
TASK = "skills.cmi5_abandon_sessions"


def abandon_job(session: Session, payload: dict) -> None:
    abandon_stale(session, get_settings(), utcnow())


HANDLERS = {ABANDON_JOB: abandon_job}


def enqueue_sweep(interval_seconds: float) -> str:
    from service.core.db import session_scope
    from service.jobs.outbox import enqueue

    slot = int(time.time() // max(interval_seconds, 10))
    with session_scope() as session:
        job = enqueue(session, ABANDON_JOB, {}, dedupe_key=f"{ABANDON_JOB}:{slot}")
        return str(job.id)


def register(app: Celery, settings: Settings) -> None:
    """The beat task and its schedule."""

    @app.task(name=TASK)
    def cmi5_abandon_sessions() -> str:
        return enqueue_sweep(get_settings().cmi5_abandon_sweep_seconds)

    app.conf.beat_schedule[BEAT_ENTRY] = {
        "task": TASK,
        "schedule": settings.cmi5_abandon_sweep_seconds,
    }
