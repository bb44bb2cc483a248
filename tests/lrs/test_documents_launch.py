"""The State API under a cmi5 launch token: ``LMS.LaunchData`` is served from the launch session
and is read-only for the AU (cmi5 §10.2.1); the token reaches only its learner and registration."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from tests.support import zipkit
from tests.support.xapi import XAPI

BASE = "https://skills.test"
AU1 = "https://example.org/au/1"
SESSION_EXT = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
STATE = "/xAPI/activities/state"


def _launched(client, world, drain, by_platform: bool = False) -> tuple[dict, dict, str]:
    """(launch URL parameters, Basic launch-token headers, the launch's session id); the learner
    launches, or the platform for them."""
    headers = world.trainer
    pid = client.post(
        "/api/v1/packages", json={"title": "cmi5", "declared_hours": "2"}, headers=headers
    ).json()["id"]
    up = client.post(
        f"/api/v1/packages/{pid}/versions",
        headers=headers,
        files={"file": ("p.zip", zipkit.good_packages()["cmi5"], "application/zip")},
    )
    drain()
    client.post(f"/api/v1/packages/{pid}/versions/{up.json()['id']}/publish", headers=headers)
    offering = world.offering(mode="online", required_minutes=90, package_ids=[pid])
    person, learner = world.learner_with_login()
    enrollment = client.post(
        "/api/v1/enrollments", json={"offering_id": offering["id"]}, headers=learner
    ).json()
    launcher = world.as_learner(person["id"]) if by_platform else learner
    out = client.post(f"/api/v1/enrollments/{enrollment['id']}/launch", headers=launcher).json()
    params = {k: v[0] for k, v in parse_qs(urlsplit(out["au_url"]).query).items()}
    fetch = params["fetch"].removeprefix(BASE)
    token = client.post(fetch).json()["auth-token"]
    return params, {"Authorization": f"Basic {token}", **XAPI}, out["session_id"]


def test_launch_token_state_rules(client, drain, world):
    params, basic, session_id = _launched(client, world, drain)
    reg, actor = params["registration"], params["actor"]
    launch = {
        "stateId": "LMS.LaunchData",
        "activityId": params["activityId"],  # the LMS-generated one (cmi5 8.1.5)
        "agent": actor,
        "registration": reg,
    }

    got = client.get(STATE, params=launch, headers=basic)
    assert got.status_code == 200, got.text
    assert got.json()["contextTemplate"]["extensions"][SESSION_EXT] == session_id
    assert got.headers["etag"].startswith('"')
    # The AU must not write it (cmi5 §10.2.1).
    assert client.put(STATE, params=launch, json={}, headers=basic).status_code == 403
    assert client.delete(STATE, params=launch, headers=basic).status_code == 403
    # Deleting all of the registration's state leaves the launch data in place.
    every = {k: v for k, v in launch.items() if k != "stateId"}
    assert client.delete(STATE, params=every, headers=basic).status_code == 204
    assert client.get(STATE, params=launch, headers=basic).status_code == 200

    # The AU's own state: its registration, or none; never another learner or registration.
    own = {**launch, "stateId": "suspend"}
    assert client.put(STATE, params=own, content=b"p=3", headers=basic).status_code == 204
    assert client.get(STATE, params=own, headers=basic).content == b"p=3"
    bare = {k: v for k, v in own.items() if k != "registration"}
    assert client.get(STATE, params=bare, headers=basic).status_code == 404
    other_reg = {**own, "registration": "9b3d0c52-55a4-4cbb-9a4b-5b8a2c5f0e11"}
    assert client.get(STATE, params=other_reg, headers=basic).status_code == 403
    stranger = json.dumps({"mbox": "mailto:someone@example.com"})
    assert client.get(STATE, params={**own, "agent": stranger}, headers=basic).status_code == 403


def test_a_session_the_platform_launched_reports_as_the_learner(client, drain, world):
    """The platform may launch for a learner; the AU's statements are still the learner's."""
    params, basic, session_id = _launched(client, world, drain, by_platform=True)
    statement = {
        "actor": json.loads(params["actor"]),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": AU1},
        "context": {"registration": params["registration"]},
    }
    sent = client.post("/xAPI/statements", json=statement, headers=basic)
    assert sent.status_code == 200, sent.text
    someone = {**statement, "actor": {"mbox": "mailto:other@example.com"}}
    assert client.post("/xAPI/statements", json=someone, headers=basic).status_code == 403
