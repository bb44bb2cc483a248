"""The composition root: connects the domains to the job runner and to each other.

Lower layers never import higher ones (see the README's code map). What they must reach
anyway is registered here, once per process, by every entry point (the app factory, the CLI,
the Celery worker and beat):

- each domain's job handlers, into the runner's registry;
- what must happen in the transaction of a completion (the tallies' rollups);
- the domains' periodic tasks, on the Celery app that workers and beat run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from service.accounts import ops_jobs
from service.core.settings import Settings, get_settings
from service.imports import runner as import_jobs
from service.issuing import completion_job
from service.jobs.events import on_subscriber_check
from service.jobs.handlers import register_handlers
from service.lrs import cmi5_jobs, cmi5_lms
from service.packages import jobs as package_jobs
from service.packages.enrollment_launch import on_cmi5_launch
from service.tallies import jobs as tally_jobs
from service.tallies import tasks as tally_tasks
from service.tallies.rollups import record_completion
from service.training.completion import on_completion
from service.webhooks import jobs as webhook_jobs
from service.webhooks.endpoints import has_subscribers
from service.workforce import participation

if TYPE_CHECKING:  # Celery's app module costs start-up time to processes that only wire it
    from celery import Celery


def wire() -> None:
    """Registers handlers and listeners; safe to call more than once."""
    for handlers in (
        ops_jobs.HANDLERS,
        completion_job.HANDLERS,
        package_jobs.HANDLERS,
        tally_jobs.HANDLERS,
        cmi5_jobs.HANDLERS,
        import_jobs.HANDLERS,
        webhook_jobs.HANDLERS,
    ):
        register_handlers(handlers)
    on_subscriber_check(has_subscribers)  # publish() records only what someone receives
    on_completion(record_completion)
    on_completion(participation.record_completion)  # enterprises' participants, same transaction
    on_cmi5_launch(cmi5_lms.record_launch)  # the LMS records "Launched" (cmi5 9.3.1)


def configure_celery(app: Celery, settings: Settings | None = None) -> Celery:
    """Adds the domains' periodic tasks to ``app`` (what workers and beat run)."""
    settings = settings or get_settings()
    tally_tasks.register(app)
    app.conf.beat_schedule["tallies-reconcile"] = {
        "task": "skills.tallies_reconcile",
        "schedule": settings.tallies_reconcile_seconds,
    }
    cmi5_jobs.register(app, settings)  # the cmi5 abandon sweep (cmi5 9.3.6)
    return app
