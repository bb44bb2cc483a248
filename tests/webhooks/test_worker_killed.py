"""A worker killed while its request is on the wire: the relay re-runs the job, the receiver
gets the same ``webhook-id`` again, and exactly one success is recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlmodel import Session, select

from service.core.timeutil import utcnow
from service.jobs.celery_app import make_celery
from service.jobs.models import JobStatus, OutboxJob
from service.jobs.relay import relay_pending
from service.webhooks.fanout import SEND_JOB
from service.webhooks.models import WebhookAttempt, WebhookDelivery


def _worker(settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "SKILLS_ENV": "test",
        "SKILLS_DATABASE_URL": settings.resolved_database_url(),
        "SKILLS_VAR_DIR": str(settings.var_dir),
        "SKILLS_MASTER_KEY": settings.master_key.get_secret_value(),
        "SKILLS_TRUSTED_HTTP_HOSTS": '["127.0.0.1"]',
        "SKILLS_WEBHOOK_TIMEOUT_SECONDS": "30",
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "service.cli", "worker", "--pool", "solo", "--concurrency", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _delivery(engine) -> WebhookDelivery | None:
    with Session(engine) as s:
        return s.exec(select(WebhookDelivery)).first()


def test_worker_killed_mid_delivery_records_exactly_one_success(
    world, engine, settings, receivers, subscribe, drain
):
    receiver = receivers(hang_first=True)
    subscribe(receiver, world.admin, ["enrollment.created"])
    r = world.enroll(world.learner()["id"], world.offering()["id"])
    assert r.status_code == 201
    drain(max_rounds=1)  # the fan-out, in-process: one delivery and its send job are recorded
    celery = make_celery(settings)
    first = _worker(settings)
    try:
        assert relay_pending(celery, engine) == 1
        assert receiver.arrived.wait(60), "the worker never sent the request"
        os.kill(first.pid, signal.SIGKILL)  # mid-request: the receiver has not answered
        first.wait(timeout=15)
    finally:
        if first.poll() is None:
            first.kill()
    delivery = _delivery(engine)
    assert delivery.status == "sending" and delivery.attempts == 1
    with Session(engine) as s:  # the dead worker's job lease runs out (here: at once)
        job = s.exec(select(OutboxJob).where(OutboxJob.kind == SEND_JOB)).one()
        assert job.status == JobStatus.running
        job.lease_until = utcnow() - timedelta(seconds=1)
        s.add(job)
        s.commit()
    second = _worker(settings)
    try:
        assert relay_pending(celery, engine) == 1  # the relay sends the running job again
        _wait(lambda: len(receiver.received) >= 2, 60, "the second request")
        done = _wait(
            lambda: (d := _delivery(engine)) is not None and d.status == "succeeded" and d,
            30,
            "the delivery to succeed",
        )
    finally:
        receiver.release.set()
        second.terminate()
        try:
            second.wait(timeout=15)
        except subprocess.TimeoutExpired:
            second.kill()
    assert done.attempts == 2
    # the receiver saw the message twice, under one webhook-id, both signed
    assert len(receiver.received) == 2 and len(set(receiver.ids)) == 1
    assert len(receiver.verified()) == 2
    with Session(engine) as s:
        attempts = s.exec(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == done.id)
            .order_by(WebhookAttempt.number)
        ).all()
        deliveries = s.exec(select(WebhookDelivery)).all()
    assert [(a.number, a.succeeded, a.error) for a in attempts] == [
        (1, False, "interrupted"),
        (2, True, None),
    ]
    assert len(deliveries) == 1 and sum(a.succeeded for a in attempts) == 1
