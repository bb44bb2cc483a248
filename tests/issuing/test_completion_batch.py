"""Credential jobs run in batches: one job mints the credentials of the other due jobs in its
own transaction, and every job still ends ``done`` with exactly one credential each."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from credentials.models import Credential
from service.jobs.models import JobStatus, OutboxJob
from service.jobs.runner import run_job_by_id
from service.training.models import Enrollment


def _jobs(session):
    session.expire_all()
    return session.exec(
        select(OutboxJob)
        .where(OutboxJob.kind == "credentials.issue")
        .order_by(OutboxJob.created_at)
    ).all()


def test_one_job_issues_the_due_batch_once(world, session, engine, issuer_key):
    offering = world.add_offering()
    day = world.today - timedelta(days=1)
    enrollments = [world.completion(world.add_learner(), offering, day) for _ in range(4)]
    not_due = _jobs(session)[3]
    not_due.status = JobStatus.failed  # an operator's case: never taken into a batch
    session.add(not_due)
    session.commit()
    first = _jobs(session)[0]
    assert run_job_by_id(str(first.id), engine) == "done"

    statuses = [job.status for job in _jobs(session)]
    assert statuses == ["done", "done", "done", "failed"]
    rows = session.exec(select(Credential)).all()
    refs = {row.enrollment_ref for row in rows}
    assert refs == {f"enrollment:{e.id}" for e in enrollments[:3]}
    for job in _jobs(session)[:3]:  # redelivered messages change nothing
        assert run_job_by_id(str(job.id), engine) == "done"
    assert len(session.exec(select(Credential)).all()) == 3
    audit = world.client.get("/api/v1/admin/audit", headers=world.admin).json()["items"]
    assert sum(a["action"] == "credential.issue" for a in audit) == 3


def test_a_sibling_that_cannot_be_issued_is_left_for_its_own_run(
    world, session, engine, issuer_key
):
    offering = world.add_offering()
    day = world.today - timedelta(days=1)
    own, other = (world.completion(world.add_learner(), offering, day) for _ in range(2))
    other_row = session.get(Enrollment, other.id)
    other_row.state = "in_progress"  # e.g. reopened meanwhile
    session.add(other_row)
    session.commit()
    jobs = _jobs(session)
    assert run_job_by_id(str(jobs[0].id), engine) == "done"
    assert _jobs(session)[1].status != JobStatus.done
    assert [r.enrollment_ref for r in session.exec(select(Credential)).all()] == [
        f"enrollment:{own.id}"
    ]
