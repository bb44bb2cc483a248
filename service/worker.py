"""The Celery application that workers and beat run (``celery -A service.worker ...``).

It is the process's app from ``service.jobs.celery_app`` with every domain wired in: the job
handlers the generic ``skills.run_job`` task dispatches to, and the periodic tasks.
"""

from service.jobs.celery_app import celery
from service.wiring import configure_celery, wire

wire()
configure_celery(celery)

__all__ = ["celery"]
