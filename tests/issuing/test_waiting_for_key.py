"""Without a signing key nothing is lost: credential jobs wait, however long, and the credential
is issued by itself once an operator runs ``skills keys create``."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlmodel import Session, select
from typer.testing import CliRunner

from credentials.models import Credential
from service.issuing.cli import keys_app
from service.jobs.celery_app import make_celery
from service.jobs.models import JobStatus, OutboxJob
from service.jobs.relay import relay_pending
from service.jobs.runner import MAX_RUN_ATTEMPTS, WAIT_RETRY, run_job_by_id
from tests.fixtures.builder import make_id_number
from tests.issuing.test_completion_issuance import _complete


def _issue_job(engine) -> OutboxJob:
    with Session(engine) as s:
        return s.exec(select(OutboxJob).where(OutboxJob.kind == "credentials.issue")).one()


def _let_wait_pass(engine, job_id) -> None:
    """The clock moves on by WAIT_RETRY: the job is due again."""
    with Session(engine) as s:
        job = s.get(OutboxJob, job_id)
        job.available_at -= WAIT_RETRY + timedelta(seconds=1)
        s.add(job)
        s.commit()


def test_credential_is_issued_once_a_key_is_created(world, settings, engine, drain):
    _complete(world, None, world.learner())
    relay = make_celery(settings)  # the embedded default's filesystem broker, in the test's var

    # Far more deliveries than a failing job is allowed: it keeps waiting, it never fails.
    for _ in range(MAX_RUN_ATTEMPTS + 2):
        drain(max_rounds=1)
    job = _issue_job(engine)
    assert job.status == JobStatus.pending and job.run_attempts == 0
    assert "skills keys create" in job.last_error
    assert relay_pending(relay, engine) == 0  # not resent before WAIT_RETRY has passed
    with Session(engine) as s:
        assert s.exec(select(Credential)).all() == []

    created = CliRunner().invoke(keys_app, ["create"])
    assert created.exit_code == 0, created.output
    kid = json.loads(created.output)["kid"]

    _let_wait_pass(engine, job.id)
    assert relay_pending(relay, engine) == 1  # the relay hands the job over again by itself
    assert run_job_by_id(str(job.id), engine) == JobStatus.done
    with Session(engine) as s:
        credentials = s.exec(select(Credential)).all()
        assert len(credentials) == 1 and credentials[0].kid == kid
        assert s.get(OutboxJob, job.id).last_error is None


def test_jobs_an_earlier_release_gave_up_on_resume_at_start_up(world, app, engine):
    """Before jobs waited for the key, they failed after MAX_RUN_ATTEMPTS: the next start-up
    puts those (and only those) back, and they run once the key exists."""
    from fastapi.testclient import TestClient

    _complete(world, None, world.learner())
    job = _issue_job(engine)
    with Session(engine) as s:
        gave_up = s.get(OutboxJob, job.id)
        gave_up.status, gave_up.run_attempts = JobStatus.failed, MAX_RUN_ATTEMPTS
        gave_up.last_error = "IssuerKeyMissing: The issuer has no active signing key"
        other = OutboxJob(
            kind="credentials.issue",
            payload={"enrollment_id": str(job.payload["enrollment_id"])},
            status=JobStatus.failed,
            last_error="JobFailed: enrollment is active, not completed",
        )
        s.add_all([gave_up, other])
        s.commit()
        other_id = other.id

    with TestClient(app):  # a restart
        pass
    with Session(engine) as s:
        assert s.get(OutboxJob, job.id).status == JobStatus.pending
        assert s.get(OutboxJob, job.id).run_attempts == 0
        assert s.get(OutboxJob, other_id).status == JobStatus.failed

    assert CliRunner().invoke(keys_app, ["create"]).exit_code == 0
    assert run_job_by_id(str(job.id), engine) == JobStatus.done
    with Session(engine) as s:
        assert len(s.exec(select(Credential)).all()) == 1


def test_a_waiting_job_logs_and_records_no_personal_data(world, engine, caplog):
    number = make_id_number()
    _complete(world, None, world.learner(id_number=number, name="王小明"))
    caplog.set_level(logging.DEBUG)
    job = _issue_job(engine)
    assert run_job_by_id(str(job.id), engine) == JobStatus.pending
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "job waiting" in logged
    recorded = _issue_job(engine).last_error
    for value in (number, "王小明"):
        assert value not in logged and value not in recorded
