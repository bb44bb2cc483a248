"""xAPI statements from a realistic cmi5 session, and SCORM 1.2 / 2004 runtime sessions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from service.jobs.models import OutboxJob
from service.training.models import HoursEntry, HoursRejection, XapiStatement
from tests.fixtures.builder import count
from tests.support.xapi import XAPI, cmi5_statement


def _setup(world, **offering):
    off = world.offering(mode="online", required_minutes=90, **offering)
    me, headers = world.learner_with_login()
    enrollment = world.client.post(
        "/api/v1/enrollments", json={"offering_id": off["id"]}, headers=headers
    ).json()
    return enrollment, {**headers, **XAPI}


def test_cmi5_session_gives_hours_progress_and_completion(world, client, session):
    enrollment, headers = _setup(world)
    reg = enrollment["registration"]
    t0 = datetime.now(UTC) - timedelta(hours=3)
    session_one = [
        cmi5_statement(reg, "launched", t0),
        cmi5_statement(reg, "initialized", t0 + timedelta(seconds=5)),
        cmi5_statement(
            reg, "completed", t0 + timedelta(minutes=50), completion=True, duration="PT50M"
        ),
        cmi5_statement(
            reg,
            "passed",
            t0 + timedelta(minutes=55),
            success=True,
            score={"scaled": 0.9},
            duration="PT55M",
        ),
        cmi5_statement(reg, "terminated", t0 + timedelta(minutes=60), duration="PT1H0M10S"),
    ]
    r = client.post("/xAPI/statements", json=session_one, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["X-Experience-API-Version"].startswith("1.0")
    assert r.json() == [s["id"] for s in session_one]
    state = client.get(f"/api/v1/enrollments/{enrollment['id']}", headers=headers).json()
    assert state["package_completed"] and state["package_passed"]
    assert state["state"] == "in_progress"  # 60 of 90 minutes

    t1 = t0 + timedelta(hours=2)
    end = cmi5_statement(reg, "terminated", t1 + timedelta(minutes=30), duration="PT30M")
    client.put(f"/xAPI/statements?statementId={end['id']}", json=end, headers=headers)
    state = client.get(f"/api/v1/enrollments/{enrollment['id']}", headers=headers).json()
    assert state["state"] == "completed"
    assert count(session, HoursEntry) == 2  # only the terminated durations count

    # Identical duplicate ignored, conflicting one 409, duplicate ids in one batch 400.
    assert client.post("/xAPI/statements", json=session_one[2], headers=headers).status_code == 200
    changed = session_one[2] | {"result": {"completion": True, "duration": "PT51M"}}
    conflict = client.post("/xAPI/statements", json=changed, headers=headers)
    assert conflict.status_code == 409
    assert conflict.headers["X-Experience-API-Version"] == "1.0.3"
    twice = cmi5_statement(reg, "initialized", t1)
    assert client.post("/xAPI/statements", json=[twice, twice], headers=headers).status_code == 400
    assert count(session, XapiStatement) == 6
    assert count(session, OutboxJob) == 1

    got = client.get(f"/xAPI/statements?statementId={end['id']}", headers=headers)
    assert got.status_code == 200 and got.json()["verb"]["id"].endswith("terminated")
    assert got.json()["authority"]["objectType"] == "Agent"


def test_xapi_checks_version_registration_and_ownership(world, client, session):
    enrollment, headers = _setup(world)
    other, other_headers = _setup(world)
    st = cmi5_statement(enrollment["registration"], "initialized", datetime.now(UTC))
    no_version = {k: v for k, v in headers.items() if k != "X-Experience-API-Version"}
    assert client.post("/xAPI/statements", json=st, headers=no_version).status_code == 400
    bad = client.post(
        "/xAPI/statements", json=st, headers={**headers, "X-Experience-API-Version": "2.0.0"}
    )
    assert bad.status_code == 400 and bad.headers["X-Experience-API-Version"] == "1.0.3"
    assert client.post("/xAPI/statements", json=st, headers=other_headers).status_code == 403
    unknown = cmi5_statement(str(uuid.uuid4()), "initialized", datetime.now(UTC))
    assert client.post("/xAPI/statements", json=unknown, headers=headers).status_code == 400
    invalid = st | {"verb": {"id": "not an iri"}}
    r = client.post("/xAPI/statements", json=[st, invalid], headers=headers)
    assert r.status_code == 400 and r.json()["field"] == "verb.id"
    assert client.post("/xAPI/statements", content=b"{", headers=headers).status_code == 400
    assert (
        client.get(f"/xAPI/statements?statementId={uuid.uuid4()}", headers=headers).status_code
        == 404
    )
    assert count(session, XapiStatement) == 0
    platform = {**world.as_learner(enrollment["learner_id"]), **XAPI}
    assert client.post("/xAPI/statements", json=st, headers=platform).status_code == 200
    assert (
        client.get(f"/xAPI/statements?statementId={st['id']}", headers=other_headers).status_code
        == 403
    )


def test_xapi_hours_over_the_cap_are_recorded_as_rejections(world, client, session):
    enrollment, headers = _setup(world)
    reg = enrollment["registration"]
    long = cmi5_statement(reg, "terminated", datetime.now(UTC), duration="PT9H")
    assert client.post("/xAPI/statements", json=long, headers=headers).status_code == 200
    assert count(session, HoursEntry) == 0
    (rejection,) = session.exec(__import__("sqlmodel").select(HoursRejection)).all()
    assert rejection.reasons[0]["code"] == "daily_cap_exceeded"


def test_a_duration_no_session_can_have_is_refused_not_a_server_error(world, client, session):
    enrollment, headers = _setup(world)
    now = datetime.now(UTC)
    absurd = cmi5_statement(enrollment["registration"], "terminated", now, duration="P99999999D")
    r = client.post("/xAPI/statements", json=absurd, headers=headers)
    assert r.status_code == 400, r.text
    assert "result.duration" in r.json()["detail"]
    assert count(session, XapiStatement) == 0 and count(session, HoursEntry) == 0


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
