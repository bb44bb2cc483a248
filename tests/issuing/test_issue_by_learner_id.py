"""POST /api/v1/credentials/issue names the learner by the id learner routes return; the
credential subject id stays internal (the deprecated learner_subject_id still works)."""

from __future__ import annotations

import uuid

from sqlmodel import select

from credentials.documents import holder_matches
from credentials.jwt_vc import decode_unverified
from credentials.models import Credential
from tests.fixtures.builder import make_id_number

BODY = {"occupation_code": "6-31-01-03", "level": 4, "hours": 40, "score": 75}


def _count(session) -> int:
    session.expire_all()
    return len(session.exec(select(Credential)).all())


def test_issue_by_learner_id(world, client, admin, issuer_key, session, token_of):
    number = make_id_number()
    registered = world.learner(id_number=number)
    assert "subject_id" not in registered  # the id learner routes return is the only handle
    r = client.post(
        "/api/v1/credentials/issue",
        json={**BODY, "learner_id": registered["id"], "basis": "rpl:case-1"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    credential = decode_unverified(token_of(r.json()["credential"]["id"]))
    subject = credential["credentialSubject"]["id"]
    assert subject.startswith("urn:uuid:") and registered["id"] not in subject
    assert holder_matches(credential, number)  # the learner's registered number, hashed
    listed = client.get("/api/v1/credentials", params={"basis": "rpl:case-1"}, headers=admin).json()
    assert listed["items"][0]["learner_subject_id"] == subject.removeprefix("urn:uuid:")


def test_unknown_or_invalid_learner_is_a_problem_and_writes_nothing(
    client, admin, issuer_key, session
):
    unknown = client.post(
        "/api/v1/credentials/issue",
        json={**BODY, "learner_id": str(uuid.uuid4()), "basis": "rpl:case-2"},
        headers=admin,
    )
    assert unknown.status_code == 404, unknown.text
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert unknown.json()["type"].endswith("unknown-learner")
    for learner in ({"learner_id": "not-a-uuid"}, {}):
        bad = client.post(
            "/api/v1/credentials/issue",
            json={**BODY, **learner, "basis": "rpl:case-3"},
            headers=admin,
        )
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
    bulk = client.post(
        "/api/v1/credentials/bulk-issue",
        json={"items": [{**BODY, "learner_id": str(uuid.uuid4()), "basis": "rpl:case-4"}]},
        headers=admin,
    ).json()
    assert bulk["items"][0]["error"]["code"] == "unknown-learner"
    assert _count(session) == 0


def test_deprecated_subject_id_still_accepted(client, admin, issuer_key, token_of):
    subject = uuid.uuid4()
    r = client.post(
        "/api/v1/credentials/issue",
        json={**BODY, "learner_subject_id": str(subject), "basis": "rpl:case-5"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert r.json()["credential"]["learner_subject_id"] == str(subject)
