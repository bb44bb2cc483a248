"""PATCH with an explicit null for a field that cannot be empty is a 422 naming the field and
changes nothing (it was a 500: ``capacity: null`` reached a comparison, ``name: null`` the
database)."""

from __future__ import annotations

from sqlmodel import select

from service.accounts.models import AuditEvent


def _updates(session, action: str) -> int:
    session.expire_all()
    return len(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_null_for_a_required_offering_field_is_422(world, client, session):
    offering = world.offering()
    url = f"/api/v1/offerings/{offering['id']}"
    for field in ("capacity", "title", "starts_on", "training_type", "assessment_required"):
        r = client.patch(url, json={"title": "新名称", field: None}, headers=world.trainer)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == f"body.{field}"
    assert client.get(url, headers=world.trainer).json() == offering
    assert _updates(session, "offering.update") == 0
    cleared = client.patch(url, json={"latitude": None, "longitude": None}, headers=world.trainer)
    assert cleared.status_code == 200 and cleared.json()["latitude"] is None


def test_null_for_a_required_learner_field_is_422(world, client, session):
    person = world.learner(phone="13900139000")
    url = f"/api/v1/learners/{person['id']}"
    for field in ("name", "district_code"):
        r = client.patch(url, json={field: None}, headers=world.admin)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    assert client.get(url, headers=world.admin).json()["name"] == person["name"]
    assert _updates(session, "learner.update") == 0
    r = client.patch(url, json={"phone": None}, headers=world.admin)  # clearing a phone is fine
    assert r.status_code == 200 and r.json()["phone_masked"] is None
