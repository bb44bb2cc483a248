"""The player's runtime token: accepted by the two runtime routes for its own enrolment only,
in the Authorization header or, for sendBeacon on unload, in a text/plain body."""

from __future__ import annotations

import json
import uuid

import pytest

from service.core.settings import Settings
from service.training.models import HoursEntry, ScormCommit
from service.training.runtime_tokens import (
    TokenError,
    issue_runtime_token,
    read_runtime_token,
)
from tests.fixtures.builder import count
from tests.training.scorm_runtime_support import bearer, enrol, runtime_token

COMMIT = {
    "version": "1.2",
    "commit_id": "c1",
    "sco_id": "I1",
    "runtime_session": "rs-1",
    "sequence": 1,
    "values": {"cmi.core.session_time": "0000:10:00", "cmi.core.lesson_status": "incomplete"},
}


def test_a_token_reads_back_its_grant_and_nothing_else_passes(settings):
    user, enrollment, launch = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    token = issue_runtime_token(
        settings,
        user_id=user,
        role="learner",
        org_id=None,
        enrollment_id=enrollment,
        launch_session_id=launch,
    )
    grant = read_runtime_token(settings, token)
    assert (grant.user_id, grant.enrollment_id, grant.launch_session_id) == (
        user,
        enrollment,
        launch,
    )
    other = Settings(**settings.model_dump() | {"master_key": "another" * 8})
    for bad in (token[:-3] + "abc", "not-a-token", ""):
        with pytest.raises(TokenError):
            read_runtime_token(settings, bad)
    with pytest.raises(TokenError):
        read_runtime_token(other, token)


def test_the_runtime_token_commits_for_its_enrolment(world, client, session):
    enrolled = enrol(world)
    token = runtime_token(world, enrolled)
    r = client.post(enrolled.commit_url, json=COMMIT, headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json()["minutes"] == 10 and r.json()["enrollment_state"] == "in_progress"
    got = client.get(enrolled.runtime_url, headers=bearer(token))
    assert got.status_code == 200, got.text


def test_a_token_for_another_enrolment_is_refused(world, client, session):
    mine, other = enrol(world), enrol(world)
    token = runtime_token(world, mine)
    r = client.post(other.commit_url, json=COMMIT, headers=bearer(token))
    assert r.status_code == 403, r.text
    assert client.get(other.runtime_url, headers=bearer(token)).status_code == 403
    beacon = client.post(
        other.commit_url,
        content=json.dumps(COMMIT | {"runtime_token": token}),
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert beacon.status_code == 403
    assert count(session, ScormCommit) == 0


def test_every_other_route_refuses_the_runtime_token(world, client):
    enrolled = enrol(world)
    headers = bearer(runtime_token(world, enrolled))
    for method, url in (
        ("GET", f"/api/v1/enrollments/{enrolled.id}"),
        ("GET", f"/api/v1/enrollments/{enrolled.id}/hours"),
        ("GET", "/api/v1/enrollments"),
        ("GET", "/api/v1/auth/me"),
        ("POST", f"/api/v1/enrollments/{enrolled.id}/withdraw"),
        ("POST", f"/api/v1/enrollments/{enrolled.id}/launch"),
    ):
        r = client.request(method, url, headers=headers)
        assert r.status_code == 401, (url, r.text)
    statements = client.get(
        f"/xAPI/statements?statementId={uuid.uuid4()}",
        headers=headers | {"X-Experience-API-Version": "1.0.3"},
    )
    assert statements.status_code == 401


def test_a_beacon_carries_the_token_in_a_text_body(world, client, session):
    enrolled = enrol(world)
    token = runtime_token(world, enrolled)
    body = COMMIT | {"final": True, "runtime_token": token}
    r = client.post(
        enrolled.commit_url,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["final"] is True and r.json()["hours"]["status"] == "accepted"
    assert count(session, HoursEntry) == 1


def test_beacons_without_a_valid_token_or_json_are_refused(world, client, session):
    enrolled = enrol(world)
    text = {"Content-Type": "text/plain"}
    no_token = client.post(enrolled.commit_url, content=json.dumps(COMMIT), headers=text)
    assert no_token.status_code == 401
    forged = client.post(
        enrolled.commit_url,
        content=json.dumps(COMMIT | {"runtime_token": "x.y.z"}),
        headers=text,
    )
    assert forged.status_code == 401
    token = runtime_token(world, enrolled)
    broken = client.post(enrolled.commit_url, content=b"{not json", headers=text)
    assert broken.status_code == 400
    assert broken.headers["content-type"].startswith("application/problem+json")
    listed = client.post(enrolled.commit_url, content=b"[1, 2]", headers=text)
    assert listed.status_code == 400
    bad_value = client.post(
        enrolled.commit_url,
        content=json.dumps(
            COMMIT | {"runtime_token": token, "values": {"cmi.core.session_time": "1h"}}
        ),
        headers=text,
    )
    assert bad_value.status_code == 422 and bad_value.json()["field"] == "cmi.core.session_time"
    huge = client.post(
        enrolled.commit_url,
        content=json.dumps(COMMIT | {"values": {"cmi.suspend_data": "x" * 600_000}}),
        headers=text,
    )
    assert huge.status_code == 413
    assert count(session, ScormCommit) == 0


def test_an_access_token_of_staff_may_read_but_not_commit(world, client):
    enrolled = enrol(world)
    assert client.post(enrolled.commit_url, json=COMMIT, headers=world.trainer).status_code == 403
    assert client.get(enrolled.runtime_url, headers=world.trainer).status_code == 200
    assert client.get(enrolled.runtime_url).status_code == 401
    platform = world.as_learner(enrolled.enrollment["learner_id"])
    assert client.post(enrolled.commit_url, json=COMMIT, headers=platform).status_code == 200
