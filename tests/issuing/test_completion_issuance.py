"""A completed training earns exactly one credential, which the learner downloads and any
verifier (ours, or a plain JOSE library against the published JWKS) accepts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
from sqlmodel import select

from credentials.documents import holder_matches
from credentials.models import Credential
from service.jobs.models import OutboxJob
from service.jobs.runner import run_job_by_id
from service.training.models import Learner
from tests.fixtures.builder import make_id_number, session_entry


def _complete(world, headers_learner, learner):
    offering = world.offering(required_minutes=360, mode="offline")
    # the person enrols themselves: the provider did not register them
    enrollment = world.enroll(learner["id"], offering["id"], headers=headers_learner).json()
    day1, day2 = world.today - timedelta(days=2), world.today - timedelta(days=1)
    world.hours(
        [
            session_entry(enrollment["id"], f"a/{enrollment['id']}", day1, 9, 180),
            session_entry(enrollment["id"], f"b/{enrollment['id']}", day2, 9, 180),
        ]
    )
    done = world.client.post(
        f"/api/v1/enrollments/{enrollment['id']}/assessment",
        json={"score": 85},
        headers=world.trainer,
    )
    assert done.json()["state"] == "completed", done.text
    return enrollment


def _run_issue_jobs(session, engine):
    jobs = session.exec(select(OutboxJob).where(OutboxJob.kind == "credentials.issue")).all()
    assert len(jobs) == 1
    for _ in range(2):  # a redelivered job changes nothing
        assert run_job_by_id(str(jobs[0].id), engine) == "done"


def test_completion_issues_one_credential_the_learner_owns(
    world,
    client,
    session,
    engine,
    issuer_key,
):
    number = make_id_number(birth="19880412")
    learner_user = world.make_user("learner")
    headers = world.login(learner_user)
    learner = world.learner(headers=headers, id_number=number, groups=[])
    enrollment = _complete(world, headers, learner)
    _run_issue_jobs(session, engine)
    assert len(session.exec(select(Credential)).all()) == 1

    tallies = client.get("/api/v1/tallies?group_by=year", headers=world.admin).json()
    assert tallies["totals"]["person_times"] == 1 and tallies["totals"]["credentials"] == 1

    mine = client.get("/api/v1/me/credentials", headers=headers).json()
    assert mine["total"] == 1
    item = mine["items"][0]
    token = client.get(item["downloads"]["jwt"], headers=headers).text
    assert (
        number not in token
        and number not in jwt.decode(token, options={"verify_signature": False}).__repr__()
    )

    # An independent check: plain PyJWT with the key published in the JWKS.
    header = jwt.get_unverified_header(token)
    assert set(header) == {"alg", "kid", "typ"}
    jwks = client.get("/.well-known/jwks.json").json()
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    payload = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=[header["alg"]])
    learner_row = session.get(Learner, uuid.UUID(learner["id"]))
    assert payload["sub"] == f"urn:uuid:{learner_row.subject_id}"
    assert payload["sub"] != f"urn:uuid:{learner_row.id}"
    assert holder_matches(payload, number) and not holder_matches(payload, make_id_number())
    results = payload["credentialSubject"].get("result", [])
    assert results, payload["credentialSubject"]

    record = client.get("/api/v1/me/record", headers=headers).json()
    entry = next(e for e in record["enrollments"] if e["enrollment_id"] == enrollment["id"])
    assert [c["id"] for c in entry["credentials"]] == [item["id"]]

    verified = client.post("/api/v1/verify", json={"token": token}).json()
    assert verified["result"] == "valid", verified
    png = client.get(item["downloads"]["png"], headers=headers)
    assert png.headers["content-type"] == "image/png"
    assert (
        client.post("/api/v1/verify", files={"file": ("b.png", png.content, "image/png")}).json()[
            "result"
        ]
        == "valid"
    )

    # Another learner sees nothing of it.
    other = world.login(world.make_user("learner"))
    world.learner(headers=other, groups=[])
    assert client.get(item["downloads"]["jwt"], headers=other).status_code == 404
    assert client.get("/api/v1/me/credentials", headers=other).json()["total"] == 0


def test_job_waits_for_a_signing_key(world, client, session, engine):
    learner = world.learner()
    _complete(world, None, learner)
    job = session.exec(select(OutboxJob).where(OutboxJob.kind == "credentials.issue")).one()
    assert run_job_by_id(str(job.id), engine) == "pending"
    session.expire_all()
    waiting = session.get(OutboxJob, job.id)
    assert waiting.status == "pending" and waiting.run_attempts == 0
    assert "skills keys create" in waiting.last_error
    assert session.exec(select(Credential)).all() == []
