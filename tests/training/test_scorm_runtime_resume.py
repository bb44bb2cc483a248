"""Resume: what a SCO's session leaves is what the player preloads into its next session, and
the enrolment shows it per SCO."""

from __future__ import annotations

import base64
import json
import uuid

from sqlmodel import select

from service.training.models import Learner, ScormRuntimeState
from tests.training.scorm_runtime_support import (
    bearer,
    enrol,
    runtime_token,
    scorm12_course,
    scorm2004_course,
)


def _runtime(client, enrolled, headers=None) -> dict:
    r = client.get(enrolled.runtime_url, headers=headers or enrolled.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_first_session_starts_ab_initio_with_the_learner_and_the_manifest(world, client):
    enrolled = scorm12_course(world)
    runtime = _runtime(client, enrolled)
    assert runtime["version"] == "1.2"
    assert list(runtime["scos"]) == ["I1", "I2"]  # manifest order
    learner = world.session.get(Learner, uuid.UUID(enrolled.enrollment["learner_id"]))
    first = runtime["scos"]["I1"]
    assert first["last_commit_at"] is None
    assert first["values"] == {
        "cmi.core.student_id": str(learner.subject_id),
        "cmi.core.student_name": learner.name,
        "cmi.core.credit": "credit",
        "cmi.core.lesson_mode": "normal",
        "cmi.core.entry": "ab-initio",
        "cmi.launch_data": "level=2;lang=zh",
        "cmi.student_data.mastery_score": "80",
    }
    assert "cmi.launch_data" not in runtime["scos"]["I2"]["values"]


def test_a_suspended_12_session_resumes_where_it_stopped(world, client):
    enrolled = scorm12_course(world)
    token = runtime_token(world, enrolled)
    r = client.post(
        enrolled.commit_url,
        json={
            "version": "1.2",
            "commit_id": "s1-2",
            "sco_id": "I1",
            "runtime_session": "s1",
            "sequence": 2,
            "final": True,
            "values": {
                "cmi.core.session_time": "0000:12:30.50",
                "cmi.core.lesson_status": "incomplete",
                "cmi.core.lesson_location": "page-7",
                "cmi.suspend_data": "viewed=1,2,3,4,5,6,7",
                "cmi.core.exit": "suspend",
                "cmi.core.score.raw": "40",
            },
        },
        headers=bearer(token),
    )
    assert r.status_code == 200, r.text
    values = _runtime(client, enrolled, bearer(token))["scos"]["I1"]["values"]
    assert values["cmi.core.entry"] == "resume"
    assert values["cmi.core.lesson_location"] == "page-7"
    assert values["cmi.suspend_data"] == "viewed=1,2,3,4,5,6,7"
    assert values["cmi.core.total_time"] == "0000:12:30.50"
    assert values["cmi.core.lesson_status"] == "incomplete"
    assert values["cmi.core.score.raw"] == "40"
    assert "cmi.core.exit" not in values and "cmi.core.session_time" not in values
    other = _runtime(client, enrolled)["scos"]["I2"]["values"]
    assert other["cmi.core.entry"] == "ab-initio" and "cmi.suspend_data" not in other

    # An older commit of the same session arriving late does not overwrite the place.
    late = client.post(
        enrolled.commit_url,
        json={
            "version": "1.2",
            "commit_id": "s1-1",
            "sco_id": "I1",
            "runtime_session": "s1",
            "sequence": 1,
            "values": {"cmi.core.session_time": "0000:05:00", "cmi.core.lesson_location": "p2"},
        },
        headers=bearer(token),
    )
    assert late.status_code == 200 and late.json()["minutes"] == 0
    assert _runtime(client, enrolled)["scos"]["I1"]["values"]["cmi.core.lesson_location"] == (
        "page-7"
    )

    # The next session ends normally: no resume, and total_time adds up both sessions.
    client.post(
        enrolled.commit_url,
        json={
            "version": "1.2",
            "commit_id": "s2-1",
            "sco_id": "I1",
            "runtime_session": "s2",
            "sequence": 1,
            "values": {"cmi.core.session_time": "0000:02:00", "cmi.core.exit": ""},
        },
        headers=bearer(token),
    )
    values = _runtime(client, enrolled)["scos"]["I1"]["values"]
    assert values["cmi.core.entry"] == ""
    assert values["cmi.core.total_time"] == "0000:14:30.50"
    assert values["cmi.core.lesson_location"] == "page-7"

    shown = client.get(f"/api/v1/enrollments/{enrolled.id}", headers=enrolled.headers).json()
    (sco,) = shown["runtime"]
    assert sco["sco_id"] == "I1" and sco["status"] == "incomplete" and sco["score"] == 40
    assert sco["location"] == "page-7" and sco["total_time_seconds"] == 870.5
    assert sco["last_commit_at"] is not None


def test_a_suspended_2004_session_resumes_with_iso_total_time(world, client):
    enrolled = scorm2004_course(world)
    fresh = _runtime(client, enrolled)
    assert fresh["version"] == "2004"
    values = fresh["scos"]["SCO1"]["values"]
    assert values["cmi.entry"] == "ab-initio"
    assert values["cmi.launch_data"] == "mode=exam"
    assert values["cmi.scaled_passing_score"] == "0.7"
    assert values["cmi.mode"] == "normal" and values["cmi.credit"] == "credit"
    client.post(
        enrolled.commit_url,
        json={
            "version": "2004",
            "commit_id": "x1",
            "sco_id": "SCO1",
            "runtime_session": "x",
            "sequence": 1,
            "values": {
                "cmi.session_time": "PT1H2M3.5S",
                "cmi.location": "slide-12",
                "cmi.suspend_data": '{"answers":[1,0,2]}',
                "cmi.exit": "suspend",
                "cmi.completion_status": "incomplete",
                "cmi.success_status": "unknown",
            },
        },
        headers=enrolled.headers,
    )
    values = _runtime(client, enrolled)["scos"]["SCO1"]["values"]
    assert values["cmi.entry"] == "resume"
    assert values["cmi.location"] == "slide-12"
    assert values["cmi.suspend_data"] == '{"answers":[1,0,2]}'
    assert values["cmi.total_time"] == "PT1H2M3.50S"
    assert values["cmi.completion_status"] == "incomplete"


def test_an_enrolment_without_scorm_has_no_runtime(world, client):
    enrolled = enrol(world)
    assert _runtime(client, enrolled) == {"version": None, "scos": {}}
    shown = client.get(f"/api/v1/enrollments/{enrolled.id}", headers=enrolled.headers).json()
    assert shown["runtime"] == []


def test_the_launch_hands_the_player_a_token_for_this_enrolments_runtime(world, client):
    """Through the launch, as the player gets it: the token in the URL fragment reads the
    runtime of the launched version and commits to it."""
    enrolled = scorm12_course(world)
    launched = client.post(f"/api/v1/enrollments/{enrolled.id}/launch", headers=enrolled.headers)
    assert launched.status_code == 200, launched.text
    fragment = launched.json()["url"].split("#cfg=", 1)[1]
    config = json.loads(base64.urlsafe_b64decode(fragment + "=" * (-len(fragment) % 4)))
    assert config["enrollment_id"] == enrolled.id
    token = config["token"]
    assert [sco["id"] for sco in config["scos"]] == ["I1", "I2"]
    runtime = _runtime(client, enrolled, bearer(token))
    assert list(runtime["scos"]) == ["I1", "I2"]
    r = client.post(
        enrolled.commit_url,
        json={
            "version": "1.2",
            "commit_id": "p1",
            "sco_id": "I2",
            "runtime_session": "p",
            "sequence": 1,
            "values": {"cmi.core.lesson_location": "end", "cmi.core.exit": "suspend"},
        },
        headers=bearer(token),
    )
    assert r.status_code == 200, r.text
    state = world.session.exec(select(ScormRuntimeState)).one()
    assert state.package_version_id == uuid.UUID(launched.json()["version_id"])
    assert _runtime(client, enrolled, bearer(token))["scos"]["I2"]["values"]["cmi.core.entry"] == (
        "resume"
    )
