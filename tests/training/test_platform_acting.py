"""The platform acting for a learner with X-Learner-Id: every use audited against that learner,
and a deployment may switch the header off so the platform must use token exchange."""

from __future__ import annotations

from sqlmodel import select

from service.accounts.models import AuditEvent
from service.training.access import ACTED_FOR


def _acted_for(session, learner_id: str) -> list[AuditEvent]:
    session.expire_all()
    return session.exec(
        select(AuditEvent).where(
            AuditEvent.action == ACTED_FOR, AuditEvent.subject_id == learner_id
        )
    ).all()


def test_each_read_and_write_for_a_learner_is_audited_against_that_learner(world, client, session):
    learner = world.learner()
    other = world.learner()
    acting = world.as_learner(learner["id"])
    assert client.get("/api/v1/me/learner", headers=acting).json()["id"] == learner["id"]
    assert client.get("/api/v1/me/hours", headers=acting).status_code == 200
    assert client.get("/api/v1/me/credentials", headers=acting).status_code == 200
    offering = world.offering()
    enrolled = client.post(
        "/api/v1/enrollments", json={"offering_id": offering["id"]}, headers=acting
    )
    assert enrolled.status_code == 201, enrolled.text

    events = _acted_for(session, learner["id"])
    assert len(events) == 4
    assert {e.actor_role for e in events} == {"platform"}
    assert all(e.request_id for e in events)  # each one leads to its request's log lines
    assert _acted_for(session, other["id"]) == []

    listed = client.get(
        "/api/v1/admin/audit",
        params={"action": ACTED_FOR, "subject_id": learner["id"]},
        headers=world.admin,
    ).json()
    assert listed["total"] == 4


def test_a_refused_acting_request_is_not_audited(world, client, session):
    learner = world.learner()
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get("/api/v1/me/learner", headers=world.as_learner(missing)).status_code == 404
    assert client.get("/api/v1/me/learner", headers=world.platform).status_code == 400
    assert _acted_for(session, missing) == [] and _acted_for(session, learner["id"]) == []


def test_switched_off_the_header_is_refused_and_names_the_way_out(
    world, client, session, settings, monkeypatch
):
    learner = world.learner()
    monkeypatch.setattr(settings, "platform_acts_by_header", False)
    for method, url in (
        ("GET", "/api/v1/me/learner"),
        ("GET", "/api/v1/me/record"),
        ("GET", "/api/v1/me/credentials"),
        ("GET", "/api/v1/enrollments"),
    ):
        answer = client.request(method, url, headers=world.as_learner(learner["id"]))
        assert answer.status_code == 403, (url, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "acting-header-disabled"
        assert "token exchange" in answer.json()["detail"]
    offering = world.offering()
    enrol = client.post(
        "/api/v1/enrollments",
        json={"offering_id": offering["id"], "learner_id": learner["id"]},
        headers=world.platform,
    )
    assert enrol.status_code == 403 and enrol.json()["code"] == "acting-header-disabled"
    assert _acted_for(session, learner["id"]) == []
    # Staff routes are not personal routes: the switch does not touch them.
    assert client.get(f"/api/v1/learners/{learner['id']}", headers=world.admin).status_code == 200
