"""A scripted cohort end to end: learners, an offering, enrollments, attendance, an assessment,
completion (one outbox job), and the lifelong record."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import select

from service.jobs.models import OutboxJob
from service.training.models import Enrollment
from tests.fixtures.builder import session_entry


def test_cohort_from_enrollment_to_completion(world, client, session):
    offering = world.offering(required_minutes=360, mode="offline")
    people = [world.learner(name=f"学员{i}") for i in range(3)]
    enrollments = []
    for person in people:
        r = world.enroll(person["id"], offering["id"])
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["state"] == "enrolled"
        assert body["subsidised"] is True
        assert body["subsidy_decision"]["granted"] is True
        enrollments.append(body)

    day1, day2 = world.today - timedelta(days=2), world.today - timedelta(days=1)
    entries = []
    for e in enrollments:
        entries.append(session_entry(e["id"], f"sheet-1/{e['id']}", day1, 9, 180))
        entries.append(session_entry(e["id"], f"sheet-2/{e['id']}", day2, 9, 180))
    result = world.hours(entries)
    assert result["accepted"] == 6 and result["rejected"] == 0, result

    first = enrollments[0]["id"]
    hours = client.get(f"/api/v1/enrollments/{first}/hours", headers=world.trainer).json()
    assert hours["minutes"] == 360 and hours["xueshi"] == "8.00"
    assert client.get(f"/api/v1/enrollments/{first}", headers=world.trainer).json()["state"] == (
        "in_progress"
    )

    # Pass, fail, and one without an assessment yet.
    passed = client.post(
        f"/api/v1/enrollments/{first}/assessment", json={"score": 85}, headers=world.trainer
    )
    assert passed.status_code == 200, passed.text
    assert passed.json()["state"] == "completed"
    assert passed.json()["completion_year"] == world.today.year
    failed = client.post(
        f"/api/v1/enrollments/{enrollments[1]['id']}/assessment",
        json={"score": 40},
        headers=world.trainer,
    )
    assert failed.json()["state"] == "failed"
    again = client.post(
        f"/api/v1/enrollments/{first}/assessment", json={"score": 90}, headers=world.trainer
    )
    assert again.status_code == 409 and "completed" in again.json()["detail"]

    jobs = session.exec(select(OutboxJob).where(OutboxJob.kind == "credentials.issue")).all()
    assert [j.payload for j in jobs] == [{"enrollment_id": first}]
    assert jobs[0].dedupe_key == f"credential:{first}"

    record = client.get("/api/v1/me/record", headers=world.as_learner(people[0]["id"]))
    assert record.status_code == 200, record.text
    doc = record.json()
    assert doc["totals"]["completed"] == 1
    (item,) = doc["enrollments"]
    assert item["state"] == "completed" and item["occupation"]["name"] == "焊工"
    assert item["level_name"] == "初级工" and item["hours"]["minutes"] == 360
    assert item["subsidy"]["granted"] is True and item["credentials"] == []
    admin_view = client.get(f"/api/v1/learners/{people[0]['id']}/record", headers=world.admin)
    assert admin_view.json() == doc
    assert session.get(Enrollment, uuid.UUID(enrollments[2]["id"])).state == "in_progress"
