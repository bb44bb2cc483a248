"""The Celery application.

One generic task, ``skills.run_job``, runs an outbox job by id; domain code never calls Celery
directly. Embedded default: kombu's filesystem transport (no server). Production: Redis or
RabbitMQ from ``SKILLS_BROKER_URL``.
"""

from __future__ import annotations

from celery import Celery

from service.core.settings import Settings, get_settings


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery("skills")
    broker_url = settings.resolved_broker_url()
    conf: dict = {
        "broker_url": broker_url,
        "task_ignore_result": True,
        "task_acks_late": True,  # a worker crash redelivers; handlers are idempotent
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": settings.queue_name,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "timezone": "Asia/Shanghai",
        "enable_utc": True,
        "beat_schedule": {},
    }
    if broker_url.startswith("filesystem"):
        folder = settings.broker_dir()
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        conf["broker_transport_options"] = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            # how often the worker looks for new messages (kombu's default 1 s): a local
            # directory listing, cheap enough to make a queued job start almost at once
            "polling_interval": 0.1,
        }
    else:
        # Publishing must fail fast while the broker is down: the relay retries later.
        # visibility_timeout (Redis, SQS): an unacknowledged message (acks late: its worker
        # died) is delivered again after it; the job lease uses the same span.
        conf["broker_transport_options"] = {
            "socket_connect_timeout": 3,
            "socket_timeout": 10,
            "visibility_timeout": settings.job_lease_seconds,
        }
        conf["broker_connection_timeout"] = 3
        conf["task_publish_retry"] = False
    app.conf.update(conf)
    app.conf.beat_schedule.update(
        {
            "relay-outbox": {"task": "skills.relay_outbox", "schedule": 30.0},
            "sweep-spool": {"task": "skills.sweep_spool", "schedule": 3600.0},
        }
    )
    from service.jobs import tasks

    tasks.register(app)
    return app


# The process's Celery app: the API publishes with it; ``service.worker`` adds the domains'
# periodic tasks to it for workers and beat.
celery = make_celery()
