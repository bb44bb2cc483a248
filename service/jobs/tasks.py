"""Celery tasks: thin wrappers that call into the outbox runner and relay."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Celery's app module costs start-up time to processes that only wire it
    from celery import Celery


def register(app: Celery) -> None:
    @app.task(name="skills.run_job", bind=True, max_retries=None)
    def run_job(self, job_id: str) -> str:
        from service.jobs.runner import RetryLater, run_job_by_id

        try:
            return run_job_by_id(job_id)
        except RetryLater as exc:
            raise self.retry(countdown=exc.countdown) from exc

    @app.task(name="skills.relay_outbox")
    def relay_outbox() -> int:
        """Sweeps the outbox from beat too, in case no API process is relaying."""
        from service.jobs.relay import relay_pending

        return relay_pending(app)

    @app.task(name="skills.sweep_spool")
    def sweep_spool() -> int:
        """Removes orphaned spool files on the host of the worker that runs it."""
        from service.jobs.spool import sweep_spool as sweep

        return sweep()
