"""Completion happens exactly once: concurrent callers, retried jobs, one outbox job."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlmodel import Session, select

from service.core.timeutil import as_utc, utcnow
from service.jobs.models import OutboxJob
from service.training.completion import complete_if_due
from service.training.models import Enrollment
from tests.fixtures.builder import session_entry


def _due_enrollment(world, client):
    offering = world.offering(required_minutes=60, mode="offline")
    person = world.learner()
    e = world.enroll(person["id"], offering["id"]).json()
    world.hours([session_entry(e["id"], f"c-{e['id']}", world.today - timedelta(days=1), 9, 60)])
    return e


def test_retried_completion_is_a_no_op(world, client, session):
    e = _due_enrollment(world, client)
    r = client.post(
        f"/api/v1/enrollments/{e['id']}/assessment",
        json={"score": 60, "passed": True},
        headers=world.trainer,
    )
    assert r.json()["state"] == "completed"
    enrollment = session.get(Enrollment, uuid.UUID(e["id"]))
    completed_at = as_utc(enrollment.completed_at)
    assert complete_if_due(session, enrollment, utcnow()) is False  # a retried job
    session.commit()
    session.refresh(enrollment)
    assert as_utc(enrollment.completed_at) == completed_at
    assert len(session.exec(select(OutboxJob)).all()) == 1


def test_assessment_must_agree_with_the_pass_mark(world, client, session):
    e = _due_enrollment(world, client)
    r = client.post(
        f"/api/v1/enrollments/{e['id']}/assessment",
        json={"score": 59, "passed": True},
        headers=world.trainer,
    )
    assert r.status_code == 422 and r.json()["code"] == "assessment-inconsistent"
    assert (
        client.post(
            f"/api/v1/enrollments/{e['id']}/assessment", json={"score": 101}, headers=world.trainer
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/enrollments/{e['id']}/assessment",
            json={"score": 80},
            headers=world.other_trainer,
        ).status_code
        == 403
    )
    assert session.get(Enrollment, uuid.UUID(e["id"])).assessment_score is None


def test_concurrent_completion_counts_once(world, client, engine):
    e = _due_enrollment(world, client)
    with Session(engine) as s:
        row = s.get(Enrollment, uuid.UUID(e["id"]))
        row.package_passed = True  # passed in the package; completion not yet evaluated
        s.add(row)
        s.commit()
    barrier = threading.Barrier(8)

    def attempt(_):
        with Session(engine, expire_on_commit=False) as s:
            enrollment = s.get(Enrollment, uuid.UUID(e["id"]))
            barrier.wait()
            done = complete_if_due(s, enrollment, utcnow())
            s.commit()
            return done

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count(True) == 1
    with Session(engine) as s:
        jobs = s.exec(select(OutboxJob).where(OutboxJob.kind == "credentials.issue")).all()
        assert len(jobs) == 1
        assert s.get(Enrollment, uuid.UUID(e["id"])).state == "completed"
