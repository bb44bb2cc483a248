"""The Celery application that workers and beat run (``celery -A service.worker ...``).

It is the process's app from ``service.jobs.celery_app`` with every domain wired in: the job
handlers the generic ``skills.run_job`` task dispatches to, and the periodic tasks. A worker
that starts while the issuer has no signing key says so once, with the command to run.
"""

from celery.signals import worker_ready

from service.jobs.celery_app import celery
from service.wiring import configure_celery, wire

wire()
configure_celery(celery)


@worker_ready.connect
def check_signing_key(**_) -> None:
    """Warns (never creates: that is the API's or the operator's task) when no key exists."""
    from service.core.settings import get_settings
    from service.issuing.keys import ensure_key_at_startup

    ensure_key_at_startup(get_settings(), may_create=False)


__all__ = ["celery"]
