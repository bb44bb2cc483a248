"""What a SCORM runtime records becomes hours, completion and score, exactly once: through the
API, as a learner's player sends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from sqlmodel import select

from credentials.models import Credential
from service.jobs.models import OutboxJob
from service.jobs.runner import run_job_by_id
from service.training.models import HoursEntry, ScormCommit, ScormRuntimeState
from tests.fixtures.builder import count
from tests.training.scorm_runtime_support import enrol


def _hours(world, enrolled) -> dict:
    r = world.client.get(f"/api/v1/enrollments/{enrolled.id}/hours", headers=enrolled.headers)
    assert r.status_code == 200, r.text
    return r.json()


def _state(world, enrolled) -> dict:
    r = world.client.get(f"/api/v1/enrollments/{enrolled.id}", headers=enrolled.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_two_back_to_back_sessions_both_count(world, client):
    """Two 45-minute sessions committed one after the other, without ended_at: both end "now",
    and the second must not be refused as overlapping the first."""
    enrolled = enrol(world)
    for n in (1, 2):
        r = client.post(
            enrolled.commit_url,
            json={
                "version": "1.2",
                "commit_id": f"session-{n}",
                "values": {
                    "cmi.core.session_time": "0000:45:00",
                    "cmi.core.lesson_status": "passed",
                },
            },
            headers=enrolled.headers,
        )
        assert r.status_code == 200, r.text
        assert r.json()["hours"]["status"] == "accepted", r.json()["hours"]
    assert _hours(world, enrolled)["minutes"] == 90
    assert _state(world, enrolled)["state"] == "completed"
    entries = _hours(world, enrolled)["entries"]["items"]
    first, second = sorted(entries, key=lambda e: e["started_at"])
    assert first["ended_at"] == second["started_at"]  # back to back, no gap, no overlap


def test_a_classroom_session_at_the_same_time_still_refuses_the_commit(world, client):
    enrolled = enrol(world, mode="blended", required_minutes=600)
    now = datetime.now(UTC)
    start = now - timedelta(minutes=30)
    world.hours(
        [
            {
                "enrollment_id": enrolled.id,
                "source": "classroom",
                "external_id": f"room/{enrolled.id}",
                "started_at": start.isoformat(),
                "ended_at": (now + timedelta(minutes=1)).isoformat(),
            }
        ]
    )
    r = client.post(
        enrolled.commit_url,
        json={"version": "1.2", "commit_id": "c1", "values": {"cmi.core.session_time": "00:20:00"}},
        headers=enrolled.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["hours"]["status"] == "rejected"
    assert r.json()["hours"]["reasons"][0]["code"] == "overlaps_existing_session"
    assert _hours(world, enrolled)["online_minutes"] == 0


def _commit(client, enrolled, sequence, session_time, **extra):
    return client.post(
        enrolled.commit_url,
        json={
            "version": "2004",
            "commit_id": f"rs1-{sequence}",
            "sco_id": "SCO1",
            "runtime_session": "rs1",
            "sequence": sequence,
            "values": {"cmi.session_time": session_time, "cmi.completion_status": "incomplete"},
        }
        | extra,
        headers=enrolled.headers,
    )


def test_cumulative_commits_of_one_session_count_once(world, client, session):
    enrolled = enrol(world, required_minutes=600)
    assert _commit(client, enrolled, 1, "PT5M").json()["minutes"] == 5
    assert _commit(client, enrolled, 2, "PT12M").json()["minutes"] == 7
    replay = _commit(client, enrolled, 2, "PT12M")
    assert replay.status_code == 200 and replay.json()["replayed"] is True
    # The same sequence sent again under a new commit id adds nothing either.
    again = _commit(client, enrolled, 2, "PT12M", commit_id="rs1-2-resent")
    assert again.status_code == 200 and again.json()["minutes"] == 0
    assert _commit(client, enrolled, 3, "PT20M").json()["minutes"] == 8
    assert _hours(world, enrolled)["minutes"] == 20
    assert count(session, HoursEntry) == 3
    (sco,) = _state(world, enrolled)["runtime"]
    assert sco["sco_id"] == "SCO1" and sco["total_time_seconds"] == 1200


def test_commits_out_of_order_never_count_twice(world, client):
    enrolled = enrol(world, required_minutes=600)
    assert _commit(client, enrolled, 1, "PT5M").json()["minutes"] == 5
    assert _commit(client, enrolled, 3, "PT20M").json()["minutes"] == 15
    late = _commit(client, enrolled, 2, "PT12M", values={"cmi.session_time": "PT12M"})
    assert late.status_code == 200 and late.json()["minutes"] == 0
    assert _hours(world, enrolled)["minutes"] == 20


def test_a_second_session_of_the_same_sco_adds_its_own_time(world, client):
    enrolled = enrol(world, required_minutes=600)
    _commit(client, enrolled, 1, "PT10M")
    second = client.post(
        enrolled.commit_url,
        json={
            "version": "2004",
            "commit_id": "rs2-1",
            "sco_id": "SCO1",
            "runtime_session": "rs2",
            "sequence": 1,
            "values": {"cmi.session_time": "PT4M30S"},
        },
        headers=enrolled.headers,
    )
    assert second.json()["minutes"] == 4 and second.json()["hours"]["status"] == "accepted"
    assert _hours(world, enrolled)["minutes"] == 14
    (sco,) = _state(world, enrolled)["runtime"]
    assert sco["total_time_seconds"] == 870


def test_passed_with_a_score_records_the_score_on_the_enrolment_and_credential(
    world, client, session, engine, issuer_key
):
    enrolled = enrol(world)
    r = client.post(
        enrolled.commit_url,
        json={
            "version": "1.2",
            "commit_id": "final",
            "values": {
                "cmi.core.session_time": "0001:30:00",
                "cmi.core.lesson_status": "passed",
                "cmi.core.score.raw": "90",
            },
        },
        headers=enrolled.headers,
    )
    assert r.status_code == 200, r.text
    state = _state(world, enrolled)
    assert state["state"] == "completed"
    assert state["assessment_score"] == 90
    assert state["runtime"][0]["score"] == 90 and state["runtime"][0]["status"] == "passed"

    (job,) = session.exec(select(OutboxJob).where(OutboxJob.kind == "credentials.issue")).all()
    assert run_job_by_id(str(job.id), engine) == "done"
    session.expire_all()
    (credential,) = session.exec(select(Credential)).all()
    payload = jwt.decode(credential.jwt, options={"verify_signature": False})
    results = {
        item["resultDescription"].rsplit("-", 1)[-1]: item["value"]
        for item in payload["credentialSubject"]["result"]
    }
    assert results["score"] == "90"


def test_2004_scaled_score_and_raw_within_its_range(world, client):
    scaled = enrol(world)
    client.post(
        scaled.commit_url,
        json={
            "version": "2004",
            "commit_id": "a",
            "values": {"cmi.success_status": "passed", "cmi.score.scaled": "0.85"},
        },
        headers=scaled.headers,
    )
    assert _state(world, scaled)["assessment_score"] == 85
    ranged = enrol(world)
    client.post(
        ranged.commit_url,
        json={
            "version": "2004",
            "commit_id": "a",
            "values": {"cmi.score.raw": "18", "cmi.score.min": "0", "cmi.score.max": "20"},
        },
        headers=ranged.headers,
    )
    assert _state(world, ranged)["assessment_score"] == 90


def test_a_trainers_assessment_stays_the_score(world, client):
    enrolled = enrol(world, required_minutes=600)
    client.post(
        enrolled.commit_url,
        json={
            "version": "1.2",
            "commit_id": "a",
            "values": {"cmi.core.lesson_status": "failed", "cmi.core.score.raw": "40"},
        },
        headers=enrolled.headers,
    )
    state = _state(world, enrolled)
    assert state["assessment_score"] == 40 and state["state"] == "in_progress"  # not failed
    r = client.post(
        f"/api/v1/enrollments/{enrolled.id}/assessment",
        json={"score": 75},
        headers=world.trainer,
    )
    assert r.status_code == 200, r.text
    client.post(
        enrolled.commit_url,
        json={
            "version": "1.2",
            "commit_id": "b",
            "values": {"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "95"},
        },
        headers=enrolled.headers,
    )
    assert _state(world, enrolled)["assessment_score"] == 75


def test_bad_values_are_refused_and_nothing_is_written(world, client, session):
    enrolled = enrol(world)
    cases = [
        ({"cmi.core.score.raw": "ninety"}, "cmi.core.score.raw"),
        ({"cmi.core.score.raw": "120"}, "cmi.core.score.raw"),
        ({"cmi.core.exit": "later"}, "cmi.core.exit"),
        ({"cmi.core.session_time": "PT45M"}, "cmi.core.session_time"),
        ({"cmi.suspend_data": "x" * 64001}, "cmi.suspend_data"),
    ]
    for values, element in cases:
        r = client.post(
            enrolled.commit_url,
            json={"version": "1.2", "commit_id": "bad", "values": values},
            headers=enrolled.headers,
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == element
    for body in (
        {"version": "2004", "commit_id": "bad", "values": {"cmi.score.scaled": "1.5"}},
        {"version": "2004", "commit_id": "bad", "values": {}, "sequence": -1},
        {"version": "2004", "commit_id": "bad", "values": {}, "runtime_session": "a b"},
        {"version": "2004", "commit_id": "bad", "values": {}, "surprise": 1},
        {"version": "3", "commit_id": "bad", "values": {}},
    ):
        r = client.post(enrolled.commit_url, json=body, headers=enrolled.headers)
        assert r.status_code == 422, r.text
    r = client.post(
        enrolled.commit_url,
        content=b'{"version": "1.2",',
        headers={**enrolled.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid-json"
    assert count(session, ScormCommit) == 0
    assert count(session, ScormRuntimeState) == 0
    assert count(session, HoursEntry) == 0
    assert _state(world, enrolled)["state"] == "enrolled"
