"""Learners: create-or-find, validation, masking, scoping, audited export, and the ID number
never appearing in a response, an error body or a log line."""

from __future__ import annotations

import logging

from sqlmodel import select

from service.accounts.models import AuditEvent
from service.training.models import Learner
from tests.fixtures.builder import count, make_id_number, session_entry


def test_create_or_find_dedupes_and_masks(world, client, session):
    number = make_id_number()
    body = {
        "id_number": number,
        "name": "李四",
        "district_code": "330203",
        "phone": "138 0013 8000",
        "groups": ["rural", "rural"],
        "groups_reason": "户籍证明已核验",
    }
    first = client.post("/api/v1/learners", json=body, headers=world.trainer)
    assert first.status_code == 201, first.text
    out = first.json()
    assert out["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert out["phone_masked"] == "138****8000" and out["groups"] == ["rural"]
    again = client.post(
        "/api/v1/learners", json=body | {"id_number": number.lower()}, headers=world.platform
    )
    assert again.status_code == 200 and again.json()["id"] == out["id"]
    assert count(session, Learner) == 1


def test_bad_inputs_are_named_and_write_nothing(world, client, session):
    good = {"id_number": make_id_number(), "name": "王五", "district_code": "330212"}
    broken = good["id_number"][:-1] + ("0" if good["id_number"][-1] != "0" else "1")
    cases = [
        ({"id_number": broken}, "id-number-check-digit"),
        ({"id_number": "33020319900307123"}, "id-number-length"),
        ({"id_number": "990203199003071234"}, "id-number-region"),
        ({"district_code": "330200"}, "unknown-district"),
        ({"phone": "12345"}, "phone-length"),
        ({"groups": ["astronaut"]}, "validation-error"),
    ]
    for change, code in cases:
        r = client.post("/api/v1/learners", json=good | change, headers=world.trainer)
        assert r.status_code == 422, (change, r.text)
        assert r.json()["code"] == code
        assert r.headers["content-type"] == "application/problem+json"
        for value in change.values():
            if isinstance(value, str) and len(value) > 6:
                assert value not in r.text
    assert count(session, Learner) == 0


def test_who_sees_which_learner(world, client):
    offering = world.offering()
    enrolled = world.learner()
    world.enroll(enrolled["id"], offering["id"])
    stranger = world.learner()
    me, my_headers = world.learner_with_login()
    url = "/api/v1/learners/{}".format
    assert client.get(url(enrolled["id"]), headers=world.trainer).status_code == 200
    assert client.get(url(stranger["id"]), headers=world.trainer).status_code == 403
    assert client.get(url(enrolled["id"]), headers=world.other_trainer).status_code == 403
    assert client.get(url(stranger["id"]), headers=world.admin).status_code == 200
    assert client.get(url(me["id"]), headers=my_headers).status_code == 200
    assert client.get(url(enrolled["id"]), headers=my_headers).status_code == 403
    assert client.get("/api/v1/me/learner", headers=my_headers).json()["id"] == me["id"]
    assert (
        client.get(
            "/api/v1/me/learner", headers={**my_headers, "X-Learner-Id": stranger["id"]}
        ).status_code
        == 403
    )
    listed = client.get("/api/v1/learners", headers=world.trainer).json()
    assert [i["id"] for i in listed["items"]] == [enrolled["id"]]
    assert client.get("/api/v1/learners", headers=my_headers).status_code == 403
    assert (
        client.get(f"/api/v1/learners/{enrolled['id']}/record", headers=world.trainer).status_code
        == 403
    )
    assert (
        client.get(
            f"/api/v1/learners/{enrolled['id']}/record", headers=world.as_learner(enrolled["id"])
        ).status_code
        == 200
    )


def test_a_learner_cannot_claim_someone_elses_record(world, client, session):
    number = make_id_number()
    world.learner(id_number=number)
    _, headers = world.learner_with_login()
    claim = client.post(
        "/api/v1/learners",
        json={"id_number": number, "name": "冒充", "district_code": "330212"},
        headers=headers,
    )
    assert claim.status_code == 409 and claim.json()["code"] == "identity-verification-required"


def test_export_is_admin_only_and_audited_without_the_number(world, client, session):
    number = make_id_number()
    person = world.learner(id_number=number, phone="13900139000")
    url = f"/api/v1/learners/{person['id']}/pii-export"
    assert client.post(url, headers=world.trainer).status_code == 403
    assert client.post(url, headers=world.platform).status_code == 403
    r = client.post(url, headers=world.admin)
    assert r.status_code == 200 and r.json()["id_number"] == number
    assert r.json()["phone"] == "13900139000" and r.headers["Cache-Control"] == "no-store"
    (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "learner.export_pii"))
    assert event.subject_id == person["id"] and number not in event.detail


def test_id_number_never_leaves_in_responses_errors_or_logs(world, client, session, caplog):
    caplog.set_level(logging.DEBUG)
    number = make_id_number()
    bodies = []

    def keep(r):
        bodies.append(r.text)
        return r

    body = {"id_number": number, "name": "赵六", "district_code": "330212", "phone": "13700137000"}
    person = keep(client.post("/api/v1/learners", json=body, headers=world.trainer)).json()
    keep(
        client.post("/api/v1/learners", json=body | {"district_code": "bad"}, headers=world.trainer)
    )
    keep(client.post("/api/v1/learners", json=body | {"name": ""}, headers=world.trainer))
    keep(
        client.post(
            "/api/v1/learners", json=body | {"id_number": number[:-1] + "Y"}, headers=world.trainer
        )
    )
    keep(client.post("/api/v1/learners/lookup", json={"id_number": number}, headers=world.trainer))
    offering = world.offering()
    enrollment = keep(world.enroll(person["id"], offering["id"])).json()
    keep(
        client.post(
            "/api/v1/hours/batch",
            json={"entries": [session_entry(enrollment["id"], "att-9", world.today, 9, 60)]},
            headers=world.trainer,
        )
    )
    keep(client.get(f"/api/v1/learners/{person['id']}", headers=world.trainer))
    keep(client.get(f"/api/v1/learners/{person['id']}/record", headers=world.admin))
    keep(client.get("/api/v1/learners", headers=world.admin))
    keep(client.get(f"/api/v1/offerings/{offering['id']}/enrollments", headers=world.trainer))
    for text in bodies:
        assert number not in text and "13700137000" not in text
    assert caplog.records  # the access log at least
    for record in caplog.records:
        line = record.getMessage() + " " + str(record.__dict__)
        assert number not in line and number[:-1] not in line


def test_a_number_in_the_name_field_is_refused(world, client):
    """A shifted column puts an ID or phone number where the name belongs; it would then be
    shown wherever the name is. Six digits in a row are no one's name."""
    for name in ("330203199001011234", "１３８１２３４５６７８", "张三 138123456"):
        r = client.post(
            "/api/v1/learners",
            json={"id_number": make_id_number(), "name": name, "district_code": "330212"},
            headers=world.trainer,
        )
        assert r.status_code == 422, name
        assert r.json()["code"] == "name-looks-like-a-number"
        assert "1234" not in r.json()["detail"]
    person = world.learner(name="王二")
    patch = client.patch(
        f"/api/v1/learners/{person['id']}", json={"name": "13812345678"}, headers=world.admin
    )
    assert patch.status_code == 422
