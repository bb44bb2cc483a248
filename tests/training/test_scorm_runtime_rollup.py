"""A course of several SCOs is completed when all of them are, not when the first one is."""

from __future__ import annotations

import base64
import json

from tests.training.scorm_runtime_support import bearer, scorm12_course


def _launch(client, enrolled) -> str:
    launched = client.post(f"/api/v1/enrollments/{enrolled.id}/launch", headers=enrolled.headers)
    assert launched.status_code == 200, launched.text
    fragment = launched.json()["url"].split("#cfg=", 1)[1]
    return json.loads(base64.urlsafe_b64decode(fragment + "=" * (-len(fragment) % 4)))["token"]


def _commit(client, enrolled, token, sco: str, status: str, score: str | None = None) -> dict:
    values = {"cmi.core.lesson_status": status, "cmi.core.session_time": "0000:20:00"}
    if score is not None:
        values["cmi.core.score.raw"] = score
    r = client.post(
        enrolled.commit_url,
        json={
            "version": "1.2",
            "commit_id": f"{sco}-{status}",
            "sco_id": sco,
            "runtime_session": f"{sco}-{status}",
            "sequence": 1,
            "final": True,
            "values": values,
        },
        headers=bearer(token),
    )
    assert r.status_code == 200, r.text
    return client.get(f"/api/v1/enrollments/{enrolled.id}", headers=enrolled.headers).json()


def test_two_sco_course_completes_with_its_last_sco(world, client):
    enrolled = scorm12_course(world)
    token = _launch(client, enrolled)
    first = _commit(client, enrolled, token, "I1", "passed", score="90")
    assert first["package_completed"] is False and first["package_passed"] is None
    both = _commit(client, enrolled, token, "I2", "completed")
    assert both["package_completed"] is True and both["package_passed"] is True
    assert both["assessment_score"] == 90 and both["package_score"] == 90


def test_a_failed_sco_fails_the_package_verdict_but_not_the_enrolment(world, client):
    enrolled = scorm12_course(world)
    token = _launch(client, enrolled)
    _commit(client, enrolled, token, "I2", "completed")
    shown = _commit(client, enrolled, token, "I1", "failed", score="40")
    assert shown["package_completed"] is True and shown["package_passed"] is False
    assert shown["state"] == "in_progress"
