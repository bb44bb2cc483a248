"""The transactional outbox, the relay through broker outages, and real Celery workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from urllib.parse import urlparse

import pytest
from sqlmodel import Session, select

from service.accounts.models import AuditEvent
from service.core.settings import Settings
from service.jobs.celery_app import make_celery
from service.jobs.models import JobStatus, OutboxJob
from service.jobs.outbox import enqueue
from service.jobs.relay import relay_pending
from service.jobs.runner import run_job_by_id
from tests.support.tcp_proxy import TcpProxy


def _job(session, job_id) -> OutboxJob:
    session.expire_all()
    return session.get(OutboxJob, job_id)


def _pings(session) -> int:
    session.expire_all()
    return len(session.exec(select(AuditEvent).where(AuditEvent.action == "ops.ping.done")).all())


def test_job_rolls_back_with_its_transaction(session):
    job = enqueue(session, "ops.ping", {"note": "never"})
    job_id = job.id
    session.rollback()
    assert session.get(OutboxJob, job_id) is None


def test_dedupe_key_records_one_job(session):
    a = enqueue(session, "ops.ping", {}, dedupe_key="ping:1")
    b = enqueue(session, "ops.ping", {}, dedupe_key="ping:1")
    session.commit()
    assert a.id == b.id


def test_redelivered_job_runs_once(session, engine):
    job = enqueue(session, "ops.ping", {"note": "x"})
    session.commit()
    assert run_job_by_id(str(job.id), engine) == JobStatus.done
    assert run_job_by_id(str(job.id), engine) == JobStatus.done  # a second delivery
    assert _pings(session) == 1


def test_unknown_kind_retries_then_fails(session, engine):
    from service.jobs.runner import MAX_RUN_ATTEMPTS, RetryLater

    job = enqueue(session, "no.such.kind", {})
    session.commit()
    for _ in range(MAX_RUN_ATTEMPTS - 1):
        with pytest.raises(RetryLater):
            run_job_by_id(str(job.id), engine)
    assert run_job_by_id(str(job.id), engine) == JobStatus.failed
    assert "UnknownJobKind" in _job(session, job.id).last_error


def test_failure_message_is_scrubbed_of_personal_numbers(session, engine, monkeypatch):
    from service.jobs import handlers
    from service.jobs.runner import JobFailed

    def leaky(_session, payload):
        raise JobFailed(f"bad record for 330203199003071236 / {payload['phone']}")

    monkeypatch.setitem(handlers._HANDLERS, "test.leaky", leaky)
    job = enqueue(session, "test.leaky", {"phone": "+86 139-1234-5678"})
    session.commit()
    assert run_job_by_id(str(job.id), engine) == JobStatus.failed
    error = _job(session, job.id).last_error
    assert "[id-number]" in error and "[phone]" in error and "1234" not in error


def _start_worker(settings: Settings, env_overrides: dict[str, str]) -> subprocess.Popen:
    env = {
        **os.environ,
        "SKILLS_DATABASE_URL": settings.resolved_database_url(),
        "SKILLS_VAR_DIR": str(settings.var_dir),
        "SKILLS_MASTER_KEY": settings.master_key.get_secret_value(),
        **env_overrides,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "worker", "--pool", "solo", "--concurrency", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_done(session, job_id, timeout=45.0) -> OutboxJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _job(session, job_id)
        if job.status == JobStatus.done:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job not done in {timeout}s: {job.status} {job.last_error}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_embedded_worker_runs_jobs_without_a_broker_server(settings, session):
    """The embedded default: kombu's filesystem transport and a real worker process."""
    assert settings.resolved_broker_url().startswith("filesystem")
    worker = _start_worker(settings, {})
    try:
        job = enqueue(session, "ops.ping", {"note": "embedded"})
        session.commit()
        assert relay_pending(make_celery(settings)) == 1
        _wait_done(session, job.id)
        assert _pings(session) == 1
    finally:
        _stop(worker)


@pytest.mark.redis
def test_job_survives_a_broker_outage_and_runs_on_a_real_worker(settings, session, redis_url):
    queue = f"skills-test-{uuid.uuid4().hex[:8]}"
    target = urlparse(redis_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    proxied = redis_url.replace(target.netloc, f"127.0.0.1:{proxy.port}", 1)
    relay_app = make_celery(Settings(broker_url=proxied, queue_name=queue, _env_file=None))

    # Broker down: the change commits, the job waits in the outbox, nothing is lost.
    job = enqueue(session, "ops.ping", {"note": "outage"})
    session.commit()
    assert relay_pending(relay_app) == 0
    waiting = _job(session, job.id)
    assert waiting.status == JobStatus.pending and waiting.publish_attempts == 1
    assert "publish failed" in waiting.last_error

    # Broker back: the next relay pass hands it over and a real worker runs it once.
    proxy.up()
    worker = _start_worker(settings, {"SKILLS_BROKER_URL": redis_url, "SKILLS_QUEUE_NAME": queue})
    try:
        with Session(session.get_bind()) as s:
            row = s.get(OutboxJob, job.id)
            row.available_at = row.created_at  # skip the back-off wait
            s.add(row)
            s.commit()
        assert relay_pending(relay_app) == 1
        done = _wait_done(session, job.id)
        assert done.run_attempts == 1
        assert _pings(session) == 1
    finally:
        _stop(worker)
        proxy.down()


def test_admin_retries_a_failed_job(client, session, engine, make_user, login):
    from service.jobs.runner import MAX_RUN_ATTEMPTS, RetryLater

    job = enqueue(session, "no.such.kind", {})
    session.commit()
    for _ in range(MAX_RUN_ATTEMPTS - 1):
        with pytest.raises(RetryLater):
            run_job_by_id(str(job.id), engine)
    assert run_job_by_id(str(job.id), engine) == JobStatus.failed
    headers = login(make_user("admin"))
    failed = client.get("/api/v1/admin/jobs?status=failed", headers=headers).json()
    assert [j["id"] for j in failed["items"]] == [str(job.id)]
    retried = client.post(f"/api/v1/admin/jobs/{job.id}/retry", headers=headers)
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert retried.json()["run_attempts"] == 0
    again = client.post(f"/api/v1/admin/jobs/{job.id}/retry", headers=headers)
    assert again.status_code == 409 and again.json()["current_status"] == "pending"


def test_a_job_committed_in_the_process_is_relayed_at_once_not_at_the_next_poll(settings, session):
    from service.jobs.relay import RelayThread

    relay = RelayThread(make_celery(settings), interval=60)  # polls once, at start
    relay.start()
    try:
        time.sleep(1)  # the first pass has run and found nothing
        job = enqueue(session, "ops.ping", {"note": "wake"})
        session.commit()
        deadline = time.monotonic() + 10
        while _job(session, job.id).status == JobStatus.pending:
            assert time.monotonic() < deadline, "the relay waited for its next poll"
            time.sleep(0.05)
        # a transaction that rolls back wakes nobody and leaves nothing behind
        enqueue(session, "ops.ping", {"note": "never"})
        session.rollback()
    finally:
        relay.stop()
        relay.join(timeout=10)
