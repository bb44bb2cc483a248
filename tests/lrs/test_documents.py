"""The xAPI document resources as a client sees them: State, Activity Profile and Agent Profile
(xAPI 1.0.3 Communication §2.2-2.7, §3.1 / 9274.1.1 §4.1.4, §4.1.6), plus Activities and Agents."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

V1 = {"X-Experience-API-Version": "1.0.3"}
V2 = {"X-Experience-API-Version": "2.0.0"}
ACTIVITY = "http://www.example.com/activities/forklift"
AGENT = {"objectType": "Agent", "account": {"homePage": "http://example.com", "name": "a-1"}}
STATE = "/xAPI/activities/state"
ACTIVITY_PROFILE = "/xAPI/activities/profile"
AGENT_PROFILE = "/xAPI/agents/profile"


def state(state_id: str | None = "bookmark", agent=AGENT, **extra) -> dict:
    params = {"activityId": ACTIVITY, "agent": json.dumps(agent), **extra}
    if state_id is not None:
        params["stateId"] = state_id
    return params


@pytest.fixture
def platform(world) -> dict:
    return world.platform


def test_state_put_get_keeps_bytes_type_and_etag(client, platform):
    h = {**platform, **V1}
    body = b"\x00binary suspend data\xff"
    put = client.put(
        STATE,
        params=state(),
        content=body,
        headers={**h, "Content-Type": "application/octet-stream"},
    )
    assert put.status_code == 204, put.text
    got = client.get(STATE, params=state(), headers=h)
    assert got.status_code == 200
    assert got.content == body
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["etag"] == f'"{hashlib.sha1(body).hexdigest()}"'
    assert got.headers["last-modified"].endswith("GMT")
    assert got.headers["x-experience-api-version"] == "1.0.3"
    head = client.head(STATE, params=state(), headers=h)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    # 1.0.3 lets State be overwritten without concurrency headers (Communication §3.1) ...
    again = client.put(STATE, params=state(), json={"page": 2}, headers=h)
    assert again.status_code == 204
    assert client.get(STATE, params=state(), headers=h).json() == {"page": 2}
    # ... 2.0 does not (9274.1.1 §4.1.4).
    v2 = client.put(STATE, params=state(), json={"page": 3}, headers={**platform, **V2})
    assert v2.status_code == 409 and v2.json()["detail"]


def test_state_post_merges_json_objects_one_level_deep(client, platform):
    h = {**platform, **V2}
    first = {"car": {"make": "Ford"}, "driver": "Dale"}
    assert client.post(STATE, params=state(), json=first, headers=h).status_code == 204
    second = {"car": {"model": "Ram"}, "series": 1}
    assert client.post(STATE, params=state(), json=second, headers=h).status_code == 204
    got = client.get(STATE, params=state(), headers=h).json()
    assert got == {"car": {"model": "Ram"}, "driver": "Dale", "series": 1}

    # Not JSON onto JSON, JSON that is not an object, broken JSON: 400, nothing changes.
    text = {**h, "Content-Type": "text/plain"}
    assert client.post(STATE, params=state(), content=b"abc", headers=text).status_code == 400
    arr = client.post(STATE, params=state(), json=[1, 2], headers=h)
    assert arr.status_code == 400
    broken = {**h, "Content-Type": "application/json"}
    assert client.post(STATE, params=state(), content=b'{"a":', headers=broken).status_code == 400
    assert client.get(STATE, params=state(), headers=h).json() == got

    # JSON onto a stored non-JSON document: 400 too.
    opaque = state("opaque")
    assert client.put(STATE, params=opaque, content=b"x", headers=text).status_code == 204
    assert client.post(STATE, params=opaque, json={"a": 1}, headers=h).status_code == 400
    assert client.get(STATE, params=opaque, headers=h).content == b"x"


def test_state_ids_since_and_delete_all(client, platform):
    h = {**platform, **V1}
    reg = str(uuid.uuid4())
    for sid in ("one", "two"):
        assert (
            client.put(STATE, params=state(sid, registration=reg), json={}, headers=h).status_code
            == 204
        )
    assert client.put(STATE, params=state("other"), json={}, headers=h).status_code == 204
    ids = client.get(STATE, params=state(None, registration=reg), headers=h)
    assert ids.status_code == 200 and sorted(ids.json()) == ["one", "two"]
    later = client.get(
        STATE, params=state(None, registration=reg, since="2999-01-01T00:00:00Z"), headers=h
    )
    assert later.json() == []
    assert client.delete(STATE, params=state(None, registration=reg), headers=h).status_code == 204
    assert client.get(STATE, params=state(None, registration=reg), headers=h).json() == []
    # Another registration's (here: none) documents are untouched.
    assert client.get(STATE, params=state("other"), headers=h).status_code == 200
    assert client.get(STATE, params=state("gone", registration=reg), headers=h).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"agent": json.dumps(AGENT), "stateId": "s"},  # no activityId
        {"activityId": "not an iri", "agent": json.dumps(AGENT), "stateId": "s"},
        {"activityId": ACTIVITY, "stateId": "s"},  # no agent
        {"activityId": ACTIVITY, "agent": "not JSON", "stateId": "s"},
        {"activityId": ACTIVITY, "agent": '{"name": "no ifi"}', "stateId": "s"},
        {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "s", "registration": "x"},
        {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "s", "StateId": "t"},
        {"activityId": ACTIVITY, "agent": json.dumps(AGENT)},  # PUT needs stateId
        {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "s" * 5000},
        {"activityId": ACTIVITY + "/" + "a" * 5000, "agent": json.dumps(AGENT), "stateId": "s"},
        {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "s\x00"},
    ],
)
def test_state_bad_parameters_are_400(client, platform, params):
    r = client.put(STATE, params=params, json={"a": 1}, headers={**platform, **V1})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"


def test_bad_since_is_400(client, platform):
    r = client.get(STATE, params=state(None, since="yesterday"), headers={**platform, **V1})
    assert r.status_code == 400


def test_profile_concurrency(client, platform):
    h = {**platform, **V1}
    params = {"activityId": ACTIVITY, "profileId": "p"}
    # 1.0.3 requires the headers on a profile PUT: none at all is a 400 ...
    assert client.put(ACTIVITY_PROFILE, params=params, json={"a": 1}, headers=h).status_code == 400
    create = {**h, "If-None-Match": "*"}
    assert (
        client.put(ACTIVITY_PROFILE, params=params, json={"a": 1}, headers=create).status_code
        == 204
    )
    # ... If-None-Match: * over an existing document fails ...
    assert (
        client.put(ACTIVITY_PROFILE, params=params, json={"a": 2}, headers=create).status_code
        == 412
    )
    # ... and none over an existing document is a 409 with an explanation.
    conflict = client.put(ACTIVITY_PROFILE, params=params, json={"a": 2}, headers=h)
    assert conflict.status_code == 409 and "If-Match" in conflict.json()["detail"]
    etag = client.get(ACTIVITY_PROFILE, params=params, headers=h).headers["etag"]
    stale = {**h, "If-Match": '"1111111111111111111111111111111111111111"'}
    assert (
        client.put(ACTIVITY_PROFILE, params=params, json={"a": 3}, headers=stale).status_code == 412
    )
    assert (
        client.post(ACTIVITY_PROFILE, params=params, json={"b": 1}, headers=stale).status_code
        == 412
    )
    assert client.delete(ACTIVITY_PROFILE, params=params, headers=stale).status_code == 412
    fresh = {**h, "If-Match": etag}
    assert (
        client.put(ACTIVITY_PROFILE, params=params, json={"a": 4}, headers=fresh).status_code == 204
    )
    assert client.get(ACTIVITY_PROFILE, params=params, headers=h).json() == {"a": 4}
    assert (
        client.delete(ACTIVITY_PROFILE, params=params, headers={**h, "If-Match": "*"}).status_code
        == 204
    )
    assert client.get(ACTIVITY_PROFILE, params=params, headers=h).status_code == 404
    # 2.0: a first PUT needs no header.
    assert (
        client.put(ACTIVITY_PROFILE, params=params, json={}, headers={**platform, **V2}).status_code
        == 204
    )


def test_agent_profile_round_trip_and_ids(client, platform):
    h = {**platform, **V2}
    params = {"agent": json.dumps(AGENT), "profileId": "prefs"}
    assert (
        client.post(AGENT_PROFILE, params=params, json={"lang": "zh"}, headers=h).status_code == 204
    )
    assert client.get(AGENT_PROFILE, params=params, headers=h).json() == {"lang": "zh"}
    ids = client.get(AGENT_PROFILE, params={"agent": json.dumps(AGENT)}, headers=h)
    assert ids.json() == ["prefs"]
    assert (
        client.delete(AGENT_PROFILE, params={"agent": json.dumps(AGENT)}, headers=h).status_code
        == 400
    )


def test_learner_reaches_only_its_own_documents(client, world, session, settings):
    from service.packages.enrollment_launch import actor_for
    from service.training.models import Learner

    learner, headers = world.learner_with_login()
    row = session.get(Learner, uuid.UUID(learner["id"]))
    mine = actor_for(settings, row)
    h = {**headers, **V2}
    assert client.put(STATE, params=state(agent=mine), json={"p": 1}, headers=h).status_code == 204
    assert client.get(STATE, params=state(agent=mine), headers=h).json() == {"p": 1}
    assert client.get(STATE, params=state(agent=AGENT), headers=h).status_code == 403
    agent_doc = {"agent": json.dumps(AGENT), "profileId": "x"}
    assert client.get(AGENT_PROFILE, params=agent_doc, headers=h).status_code == 403
    # Activity profiles: every caller reads, only the platform writes.
    profile = {"activityId": ACTIVITY, "profileId": "shared"}
    assert client.put(ACTIVITY_PROFILE, params=profile, json={}, headers=h).status_code == 403
    assert (
        client.put(
            ACTIVITY_PROFILE, params=profile, json={}, headers={**world.platform, **V2}
        ).status_code
        == 204
    )
    assert client.get(ACTIVITY_PROFILE, params=profile, headers=h).status_code == 200
    # Nobody but the LMS writes cmi5's LMS.LaunchData.
    launch = state("LMS.LaunchData", agent=mine)
    assert client.put(STATE, params=launch, json={}, headers=h).status_code == 403
    # The Person object: only their own.
    assert (
        client.get("/xAPI/agents", params={"agent": json.dumps(AGENT)}, headers=h).status_code
        == 403
    )
    person = client.get("/xAPI/agents", params={"agent": json.dumps(mine)}, headers=h).json()
    assert person == {"objectType": "Person", "account": [mine["account"]]}


def test_activities_and_agents(client, platform, session):
    from service.core.timeutil import utcnow
    from service.lrs.models import LrsActivity

    h = {**platform, **V1}
    unknown = client.get("/xAPI/activities", params={"activityId": ACTIVITY}, headers=h)
    assert unknown.status_code == 200
    assert unknown.json() == {"objectType": "Activity", "id": ACTIVITY}
    definition = {"name": {"en-US": "Forklift", "zh-CN": "叉车"}}
    session.add(LrsActivity(activity_id=ACTIVITY, definition=definition, updated=utcnow()))
    session.commit()
    known = client.get("/xAPI/activities", params={"activityId": ACTIVITY}, headers=h).json()
    assert known == {"objectType": "Activity", "id": ACTIVITY, "definition": definition}
    assert client.get("/xAPI/activities", headers=h).status_code == 400
    bad = client.get("/xAPI/activities", params={"activityId": "nope"}, headers=h)
    assert bad.status_code == 400

    agent = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
    person = client.get("/xAPI/agents", params={"agent": json.dumps(agent)}, headers=h)
    assert person.status_code == 200
    assert person.json() == {
        "objectType": "Person",
        "name": ["Ann"],
        "mbox": ["mailto:ann@example.com"],
    }
    no_ifi = client.get("/xAPI/agents", params={"agent": '{"name": "x"}'}, headers=h)
    assert no_ifi.status_code == 400
    assert client.get("/xAPI/agents", headers=h).status_code == 400


def test_documents_need_credentials_and_a_version(client, platform):
    assert client.get(STATE, params=state(), headers=V1).status_code == 401
    assert client.get(STATE, params=state(), headers=platform).status_code == 400
