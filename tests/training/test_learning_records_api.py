"""xAPI statements from a realistic cmi5 session (through the LRS at /xAPI, projected into the
enrolment), and SCORM 1.2 / 2004 runtime sessions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from service.jobs.models import OutboxJob
from service.lrs.models import LrsStatement
from service.packages.enrollment_launch import actor_for
from service.training.models import HoursEntry, HoursRejection, Learner
from tests.fixtures.builder import count
from tests.support.xapi import XAPI, cmi5_statement


def _setup(world, **offering):
    off = world.offering(mode="online", required_minutes=90, **offering)
    me, headers = world.learner_with_login()
    enrollment = world.client.post(
        "/api/v1/enrollments", json={"offering_id": off["id"]}, headers=headers
    ).json()
    return enrollment, {**headers, **XAPI}


def _statement(world, enrollment, verb, at, **result) -> dict:
    """A cmi5 statement of this enrolment's learner, named as the platform names them."""
    learner = world.session.get(Learner, uuid.UUID(enrollment["learner_id"]))
    statement = cmi5_statement(enrollment["registration"], verb, at, **result)
    statement["actor"] = actor_for(world.settings, learner)
    return statement


def test_cmi5_session_gives_hours_progress_and_completion(world, client, session):
    enrollment, headers = _setup(world)
    t0 = datetime.now(UTC) - timedelta(hours=3)

    def st(verb, at, **result):
        return _statement(world, enrollment, verb, at, **result)

    session_one = [
        st("launched", t0),
        st("initialized", t0 + timedelta(seconds=5)),
        st("completed", t0 + timedelta(minutes=50), completion=True, duration="PT50M"),
        st(
            "passed",
            t0 + timedelta(minutes=55),
            success=True,
            score={"scaled": 0.9},
            duration="PT55M",
        ),
        st("terminated", t0 + timedelta(minutes=60), duration="PT1H0M10S"),
    ]
    r = client.post("/xAPI/statements", json=session_one, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["X-Experience-API-Version"].startswith("1.0")
    assert r.json() == [s["id"] for s in session_one]
    state = client.get(f"/api/v1/enrollments/{enrollment['id']}", headers=headers).json()
    assert state["package_completed"] and state["package_passed"]
    assert state["state"] == "in_progress"  # 60 of 90 minutes

    t1 = t0 + timedelta(hours=2)
    end = st("terminated", t1 + timedelta(minutes=30), duration="PT30M")
    put = client.put(f"/xAPI/statements?statementId={end['id']}", json=end, headers=headers)
    assert put.status_code == 204, put.text
    state = client.get(f"/api/v1/enrollments/{enrollment['id']}", headers=headers).json()
    assert state["state"] == "completed"
    assert count(session, HoursEntry) == 2  # only the terminated durations count

    # Identical duplicate ignored, conflicting one 409, duplicate ids in one batch 400.
    assert client.post("/xAPI/statements", json=session_one[2], headers=headers).status_code == 200
    changed = session_one[2] | {"result": {"completion": True, "duration": "PT51M"}}
    conflict = client.post("/xAPI/statements", json=changed, headers=headers)
    assert conflict.status_code == 409
    assert conflict.headers["X-Experience-API-Version"] == "1.0.3"
    twice = st("initialized", t1)
    assert client.post("/xAPI/statements", json=[twice, twice], headers=headers).status_code == 400
    assert count(session, LrsStatement) == 6
    assert count(session, HoursEntry) == 2
    assert count(session, OutboxJob) == 1

    got = client.get(f"/xAPI/statements?statementId={end['id']}", headers=headers)
    assert got.status_code == 200 and got.json()["verb"]["id"].endswith("terminated")
    assert got.json()["authority"]["objectType"] == "Agent"


def test_xapi_checks_version_registration_and_ownership(world, client, session):
    enrollment, headers = _setup(world)
    other, other_headers = _setup(world)
    st = _statement(world, enrollment, "initialized", datetime.now(UTC))
    no_version = {k: v for k, v in headers.items() if k != "X-Experience-API-Version"}
    assert client.post("/xAPI/statements", json=st, headers=no_version).status_code == 400
    bad = client.post(
        "/xAPI/statements", json=st, headers={**headers, "X-Experience-API-Version": "3.0.0"}
    )
    assert bad.status_code == 400
    # Another learner may not send statements with this learner as the actor.
    assert client.post("/xAPI/statements", json=st, headers=other_headers).status_code == 403
    invalid = st | {"verb": {"id": "not an iri"}}
    r = client.post("/xAPI/statements", json=[st, invalid], headers=headers)
    assert r.status_code == 400
    assert client.post("/xAPI/statements", content=b"{", headers=headers).status_code == 400
    assert (
        client.get(f"/xAPI/statements?statementId={uuid.uuid4()}", headers=headers).status_code
        == 404
    )
    assert count(session, LrsStatement) == 0
    platform = {**world.as_learner(enrollment["learner_id"]), **XAPI}
    assert client.post("/xAPI/statements", json=st, headers=platform).status_code == 200
    assert (
        client.get(f"/xAPI/statements?statementId={st['id']}", headers=other_headers).status_code
        == 403
    )


def test_statements_for_no_enrolment_are_stored_and_feed_nothing(world, client, session):
    """The LRS keeps every valid statement; only those of an enrolment's learner and
    registration count for it."""
    enrollment, headers = _setup(world)
    now = datetime.now(UTC)
    unknown = _statement(world, enrollment, "terminated", now, duration="PT30M")
    unknown["context"]["registration"] = str(uuid.uuid4())
    r = client.post("/xAPI/statements", json=unknown, headers=headers)
    assert r.status_code == 200, r.text
    platform = {**world.as_learner(enrollment["learner_id"]), **XAPI}
    stranger = _statement(world, enrollment, "terminated", now, duration="PT30M")
    stranger["actor"] = {"objectType": "Agent", "mbox": "mailto:someone@example.org"}
    assert client.post("/xAPI/statements", json=stranger, headers=platform).status_code == 200
    assert count(session, LrsStatement) == 2 and count(session, HoursEntry) == 0
    rows = session.exec(select(LrsStatement)).all()
    assert [row.enrollment_id for row in rows] == [None, None]
    state = client.get(f"/api/v1/enrollments/{enrollment['id']}", headers=headers).json()
    assert state["state"] == "enrolled"


def test_voiding_a_statement_takes_its_hours_back(world, client, session):
    enrollment, headers = _setup(world)
    end = datetime.now(UTC) - timedelta(hours=1)
    fed = _statement(world, enrollment, "terminated", end, duration="PT40M")
    assert client.post("/xAPI/statements", json=fed, headers=headers).status_code == 200
    hours = f"/api/v1/enrollments/{enrollment['id']}/hours"
    assert client.get(hours, headers=headers).json()["minutes"] == 40
    voiding = _statement(world, enrollment, "initialized", datetime.now(UTC))
    voiding["verb"] = {"id": "http://adlnet.gov/expapi/verbs/voided"}
    voiding["object"] = {"objectType": "StatementRef", "id": fed["id"]}
    voiding.pop("context")
    r = client.post("/xAPI/statements", json=voiding, headers=headers)
    assert r.status_code == 200, r.text
    assert client.get(hours, headers=headers).json()["minutes"] == 0
    gone = client.get(f"/xAPI/statements?statementId={fed['id']}", headers=headers)
    assert gone.status_code == 404


def test_xapi_hours_over_the_cap_are_recorded_as_rejections(world, client, session):
    enrollment, headers = _setup(world)
    long = _statement(world, enrollment, "terminated", datetime.now(UTC), duration="PT9H")
    assert client.post("/xAPI/statements", json=long, headers=headers).status_code == 200
    assert count(session, HoursEntry) == 0
    (rejection,) = session.exec(select(HoursRejection)).all()
    assert rejection.reasons[0]["code"] == "daily_cap_exceeded"


def test_a_duration_no_session_can_have_is_kept_but_credits_nothing(world, client, session):
    enrollment, headers = _setup(world)
    now = datetime.now(UTC)
    absurd = _statement(world, enrollment, "terminated", now, duration="P99999999D")
    r = client.post("/xAPI/statements", json=absurd, headers=headers)
    assert r.status_code == 200, r.text
    assert count(session, LrsStatement) == 1 and count(session, HoursEntry) == 0
    (rejection,) = session.exec(select(HoursRejection)).all()
    assert rejection.reasons[0]["code"] == "invalid_interval"


def test_scorm_12_session(world, client, session):
    enrollment, headers = _setup(world)
    url = f"/api/v1/enrollments/{enrollment['id']}/scorm-commit"
    body = {
        "version": "1.2",
        "commit_id": "sco1-session-1",
        "values": {"cmi.core.session_time": "0001:00:30", "cmi.core.lesson_status": "passed"},
    }
    first = client.post(url, json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["minutes"] == 60 and first.json()["completed"] is True
    assert first.json()["hours"]["status"] == "accepted"
    replay = client.post(url, json=body, headers=headers)
    assert replay.json()["replayed"] is True
    clash = client.post(
        url, json=body | {"values": {"cmi.core.session_time": "0002:00:00"}}, headers=headers
    )
    assert clash.status_code == 409
    bad = client.post(
        url,
        json=body | {"commit_id": "x2", "values": {"cmi.core.session_time": "1:00"}},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "cmi.core.session_time"
    earlier = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    second = client.post(
        url,
        json={
            "version": "1.2",
            "commit_id": "sco1-session-0",
            "values": {
                "cmi.core.session_time": "0000:30:00",
                "cmi.core.lesson_status": "completed",
            },
            "ended_at": earlier,
        },
        headers=headers,
    )
    assert second.json()["enrollment_state"] == "completed", second.text
    assert count(session, HoursEntry) == 2


def test_scorm_2004_session_and_failed_is_not_passed(world, client, session):
    enrollment, headers = _setup(world)
    url = f"/api/v1/enrollments/{enrollment['id']}/scorm-commit"
    r = client.post(
        url,
        json={
            "version": "2004",
            "commit_id": "a1",
            "values": {
                "cmi.session_time": "PT1H35M",
                "cmi.completion_status": "completed",
                "cmi.success_status": "failed",
            },
        },
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["minutes"] == 95
    assert r.json()["enrollment_state"] == "in_progress"  # hours reached, not passed
    r = client.post(
        url,
        json={
            "version": "2004",
            "commit_id": "a2",
            "values": {"cmi.session_time": "PT5M", "cmi.success_status": "passed"},
            "ended_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
        },
        headers=headers,
    )
    assert r.json()["enrollment_state"] == "completed"
    other, other_headers = _setup(world)
    assert (
        client.post(
            url, json={"version": "2004", "commit_id": "z", "values": {}}, headers=other_headers
        ).status_code
        == 403
    )
