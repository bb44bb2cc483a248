"""The periodic reconcile: Celery beat -> an outbox job -> the job handler.

Beat runs ``skills.tallies_reconcile`` every ``SKILLS_TALLIES_RECONCILE_SECONDS``; the task only
records an outbox job (one per time slot, deduplicated, so two beats do not run two
reconciles); the handler in :mod:`service.tallies.jobs` does the work on a worker.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Celery's app module costs start-up time to processes that only wire it
    from celery import Celery


RECONCILE_JOB = "tallies.reconcile"


def enqueue_reconcile(interval_seconds: float, trigger: str = "beat") -> str:
    from service.core.db import session_scope
    from service.jobs.outbox import enqueue

    slot = int(time.time() // max(interval_seconds, 60))
    with session_scope() as session:
        job = enqueue(
            session,
            RECONCILE_JOB,
            {"trigger": trigger},
            dedupe_key=f"{RECONCILE_JOB}:{slot}",
        )
        return str(job.id)


def register(app: Celery) -> None:
    @app.task(name="skills.tallies_reconcile")
    def tallies_reconcile() -> str:
        from service.core.settings import get_settings

        return enqueue_reconcile(get_settings().tallies_reconcile_seconds)
