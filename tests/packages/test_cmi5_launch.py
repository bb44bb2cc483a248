"""Launching cmi5 and xAPI (TinCan) packages for an enrollment: launch URL parameters, the
one-time fetch URL, LMS.LaunchData, statements under the launch token, and its limits."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlmodel import select

from service.packages.launch_models import LaunchSession
from service.packages.player import read_player_url
from service.training.models import Learner
from tests.support import zipkit
from tests.support.xapi import XAPI, cmi5_statement

BASE = "https://skills.test"
AU1 = "https://example.org/au/1"
SESSION_EXT = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"


def _published(client, headers, drain, kind: str = "cmi5") -> str:
    package = client.post(
        "/api/v1/packages", json={"title": f"{kind} 培训包", "declared_hours": "2"}, headers=headers
    )
    assert package.status_code == 201, package.text
    pid = package.json()["id"]
    up = client.post(
        f"/api/v1/packages/{pid}/versions",
        headers=headers,
        files={"file": ("p.zip", zipkit.good_packages()[kind], "application/zip")},
    )
    assert up.status_code == 202, up.text
    drain()
    pub = client.post(f"/api/v1/packages/{pid}/versions/{up.json()['id']}/publish", headers=headers)
    assert pub.status_code == 200, pub.text
    return pid


def _enrolled(world, package_ids, headers=None):
    offering = world.offering(mode="online", required_minutes=90, package_ids=package_ids)
    if headers is None:
        _, headers = world.learner_with_login()
    r = world.client.post(
        "/api/v1/enrollments", json={"offering_id": offering["id"]}, headers=headers
    )
    assert r.status_code == 201, r.text
    return r.json(), headers


def _params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _local(url: str) -> str:
    assert url.startswith(BASE), url
    return url[len(BASE) :]


def test_cmi5_launch_fetch_launch_data_and_statements(
    client,
    backend,
    drain,
    session,
    world,
):
    pid = _published(client, world.trainer, drain)
    enrollment, headers = _enrolled(world, [pid])
    reg = enrollment["registration"]

    r = client.post(f"/api/v1/enrollments/{enrollment['id']}/launch", headers=headers)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["format"] == "cmi5" and out["unit_id"] == AU1 and out["registration"] == reg
    # The learner opens the player (content origin), which frames the AU's launch URL.
    assert out["url"].startswith(f"{BASE}/play/") and "#cfg=" in out["url"]
    assert read_player_url(out["url"])["au_url"] == out["au_url"]
    url = out["au_url"]
    assert "张三" not in url and "actor=%7B" in url  # values are percent-encoded
    params = _params(url)
    assert urlsplit(url).path.endswith("/au1/index.html")
    assert params["endpoint"] == f"{BASE}/xAPI"  # AU libraries append "/statements"
    assert params["registration"] == reg
    # The LMS generates the AU's activityId (cmi5 8.1.5): never the publisher's id.
    assert params["activityId"] != AU1 and params["activityId"].startswith(f"{BASE}/cmi5/au/")
    actor = json.loads(params["actor"])
    learner = session.exec(
        select(Learner).where(Learner.id == uuid.UUID(enrollment["learner_id"]))
    ).one()
    assert actor == {
        "objectType": "Agent",
        "account": {"homePage": BASE, "name": str(learner.subject_id)},
    }
    page = client.get(_local(url))  # the AU itself opens under the signed grant
    assert page.status_code == 200 and page.content == zipkit.HTML

    fetch = _local(params["fetch"])
    first = client.post(fetch)
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    token = first.json()["auth-token"]
    assert base64.b64decode(token).startswith(b"launch:")
    again = client.post(fetch)
    assert again.status_code == 200 and again.json()["error-code"] == "1"
    assert client.post("/cmi5/fetch/not-a-code").json()["error-code"] == "2"
    basic = {"Authorization": f"Basic {token}", **XAPI}

    state = client.get(
        "/xAPI/activities/state",
        params={
            "stateId": "LMS.LaunchData",
            "activityId": params["activityId"],
            "agent": params["actor"],
            "registration": reg,
        },
        headers=basic,
    )
    assert state.status_code == 200, state.text
    assert state.headers["X-Experience-API-Version"] == "1.0.3"
    doc = state.json()
    assert doc["contextTemplate"]["extensions"][SESSION_EXT] == out["session_id"]
    assert doc["launchMode"] == "Normal"
    assert doc["moveOn"] == "CompletedAndPassed" and doc["masteryScore"] == 0.8
    other_state = client.get(
        "/xAPI/activities/state",
        params={"stateId": "suspend", "activityId": AU1, "agent": params["actor"]},
        headers=basic,
    )
    assert other_state.status_code == 404
    prefs = client.get(
        "/xAPI/agents/profile",
        params={"profileId": "cmi5LearnerPreferences", "agent": params["actor"]},
        headers=basic,
    )
    assert prefs.status_code == 404

    t0 = datetime.now(UTC) - timedelta(hours=1)
    statements = [
        cmi5_statement(reg, "initialized", t0),
        cmi5_statement(
            reg, "completed", t0 + timedelta(minutes=40), completion=True, duration="PT40M"
        ),
        cmi5_statement(reg, "terminated", t0 + timedelta(minutes=50), duration="PT50M"),
    ]
    for st in statements:
        st["actor"] = actor
        st["object"]["id"] = params["activityId"]
        st["context"]["extensions"][SESSION_EXT] = out["session_id"]
    posted = client.post("/xAPI/statements", json=statements, headers=basic)
    assert posted.status_code == 200, posted.text
    got = client.get(f"/xAPI/statements?statementId={statements[0]['id']}", headers=basic)
    assert got.status_code == 200
    fresh = client.get(f"/api/v1/enrollments/{enrollment['id']}", headers=headers).json()
    # moveOn decides (cmi5 10): AU 1 is CompletedAndPassed and AU 3 Passed, so a Completed
    # satisfies nothing yet (tests/lrs/test_cmi5_lms_moveon.py plays a course to the end).
    assert not fresh["package_completed"] and fresh["state"] == "in_progress"
    hours = client.get(f"/api/v1/enrollments/{enrollment['id']}/hours", headers=headers).json()
    assert hours["minutes"] == 50

    # The token is for this registration only: another enrollment of the same learner is 403.
    other, _ = _enrolled(world, [pid], headers=headers)
    foreign = cmi5_statement(other["registration"], "initialized", datetime.now(UTC))
    foreign["actor"] = actor
    denied = client.post("/xAPI/statements", json=foreign, headers=basic)
    assert denied.status_code == 403 and denied.headers["X-Experience-API-Version"] == "1.0.3"
    mine = client.post("/xAPI/statements", json=foreign, headers={**headers, **XAPI})
    assert mine.status_code == 200  # the learner's own bearer token still may
    # but in a registration whose AU this LMS launched, cmi5 defined statements come only from
    # the AU under its launch (cmi5 9.3)
    forged = cmi5_statement(reg, "completed", datetime.now(UTC), completion=True)
    forged["actor"] = actor
    refused = client.post("/xAPI/statements", json=forged, headers={**headers, **XAPI})
    assert refused.status_code == 403 and refused.json()["code"] == "cmi5-launch-only"
    started = client.get(f"/api/v1/enrollments/{other['id']}", headers=headers).json()
    assert started["state"] == "in_progress"  # it is that enrolment's learner and registration
    assert (
        client.get(f"/xAPI/statements?statementId={foreign['id']}", headers=basic).status_code
        == 403
    )
    # ... and nothing outside /xAPI accepts it, as Basic or as a bearer JWT.
    assert client.get("/api/v1/auth/me", headers=basic).status_code == 401
    inner = base64.b64decode(token).decode().removeprefix("launch:")
    bearer = {"Authorization": f"Bearer {inner}"}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    on_xapi = client.get(
        f"/xAPI/statements?statementId={statements[0]['id']}", headers={**bearer, **XAPI}
    )
    assert on_xapi.status_code == 401  # a launch JWT is never a bearer access token
    bad = {"Authorization": "Basic " + base64.b64encode(b"launch:nope").decode(), **XAPI}
    assert client.post("/xAPI/statements", json=statements[0], headers=bad).status_code == 401


def test_cmi5_launch_rules(client, drain, session, world):
    pid = _published(client, world.trainer, drain)
    enrollment, headers = _enrolled(world, [pid])
    launch = f"/api/v1/enrollments/{enrollment['id']}/launch"

    # A chosen AU keeps its own query string; unknown units are refused.
    second = client.post(launch, json={"unit_id": "https://example.org/au/2"}, headers=headers)
    assert second.status_code == 200, second.text
    assert _params(second.json()["au_url"])["mode"] == "1"
    assert urlsplit(second.json()["au_url"]).query.startswith("mode=1&")
    unknown = client.post(launch, json={"unit_id": "https://example.org/nope"}, headers=headers)
    assert unknown.status_code == 422

    # The platform may launch for the learner; another learner may not.
    learner_id = enrollment["learner_id"]
    by_platform = client.post(launch, headers=world.as_learner(learner_id))
    assert by_platform.status_code == 200, by_platform.text
    _, stranger = world.learner_with_login()
    assert client.post(launch, headers=stranger).status_code == 403

    # A package the offering does not use, or an offering without packages: 409.
    other_pid = _published(client, world.trainer, drain, "xapi")
    assert client.post(launch, json={"package_id": other_pid}, headers=headers).status_code == 409
    bare, bare_headers = _enrolled(world, [])
    assert (
        client.post(f"/api/v1/enrollments/{bare['id']}/launch", headers=bare_headers).status_code
        == 409
    )

    # An expired fetch URL answers error-code 1.
    url = client.post(launch, headers=headers).json()["au_url"]
    code = _params(url)["fetch"].rsplit("/", 1)[1]
    row = session.exec(select(LaunchSession).where(LaunchSession.fetch_code == code)).one()
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.add(row)
    session.commit()
    expired = client.post(f"/cmi5/fetch/{code}")
    assert expired.status_code == 200 and expired.json()["error-code"] == "1"

    # A withdrawn enrollment cannot be launched.
    gone = client.post(f"/api/v1/enrollments/{enrollment['id']}/withdraw", headers=headers)
    assert gone.status_code == 200 and gone.json()["state"] == "withdrawn", gone.text
    refused = client.post(launch, headers=headers)
    assert refused.status_code == 409 and refused.json()["code"] == "enrollment-not-active"


def test_tincan_launch_hands_out_basic_auth(client, drain, world):
    pid = _published(client, world.trainer, drain, "xapi")
    enrollment, headers = _enrolled(world, [pid])
    r = client.post(f"/api/v1/enrollments/{enrollment['id']}/launch", headers=headers)
    assert r.status_code == 200, r.text
    params = _params(r.json()["au_url"])
    assert urlsplit(r.json()["au_url"]).path.endswith("/story.html")
    assert params["endpoint"] == f"{BASE}/xAPI/"
    assert params["activity_id"] == "http://example.org/course/forklift"
    assert params["registration"] == enrollment["registration"]
    assert params["auth"].startswith("Basic ")
    st = cmi5_statement(enrollment["registration"], "initialized", datetime.now(UTC))
    st["actor"] = json.loads(params["actor"])
    posted = client.post(
        "/xAPI/statements", json=st, headers={"Authorization": params["auth"], **XAPI}
    )
    assert posted.status_code == 200, posted.text
    assert uuid.UUID(posted.json()[0])


def test_package_content_may_call_the_lrs_cross_origin(client):
    """AUs run on the content origin or their own host (even ``Origin: null`` when a package
    sandboxes itself); the LRS routes answer any origin, without credentials."""
    preflight = client.options(
        "/xAPI/statements",
        headers={
            "Origin": "null",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-experience-api-version",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers
    api = client.get("/api/v1/organizations", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in api.headers
