"""Enrollments: idempotent creation, capacity under concurrency, every subsidy rule, states."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from service.accounts.models import IdempotencyRecord
from service.training.models import Enrollment, Offering
from tests.fixtures.builder import count, session_entry


def test_repeat_and_idempotency_key_return_the_same_enrollment(world, client, session):
    offering = world.offering()
    person = world.learner()
    headers = {**world.trainer, "Idempotency-Key": "roster-2025-001"}
    first = world.enroll(person["id"], offering["id"], headers=headers)
    assert first.status_code == 201
    replay = world.enroll(person["id"], offering["id"], headers=headers)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    repeat = world.enroll(person["id"], offering["id"])
    assert repeat.status_code == 200 and repeat.json()["id"] == first.json()["id"]
    assert count(session, Enrollment) == 1
    assert session.get(Offering, __import__("uuid").UUID(offering["id"])).seats_taken == 1
    reused = world.enroll(person["id"], world.offering()["id"], headers=headers)
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency-key-reused"
    assert count(session, IdempotencyRecord) == 1


def test_capacity_full_is_409_and_withdrawal_frees_the_seat(world, client, session):
    offering = world.offering(capacity=1)
    a, b = world.learner(), world.learner()
    first = world.enroll(a["id"], offering["id"])
    full = world.enroll(b["id"], offering["id"])
    assert full.status_code == 409 and full.json()["code"] == "offering-full"
    assert count(session, Enrollment) == 1
    out = client.post(f"/api/v1/enrollments/{first.json()['id']}/withdraw", headers=world.trainer)
    assert out.status_code == 200 and out.json()["state"] == "withdrawn"
    again = client.post(f"/api/v1/enrollments/{first.json()['id']}/withdraw", headers=world.trainer)
    assert again.status_code == 409
    assert again.json()["current_state"] == "withdrawn" and "withdrawn" in again.json()["detail"]
    assert world.enroll(b["id"], offering["id"]).status_code == 201


def test_capacity_holds_under_concurrent_requests(world, client, session):
    offering = world.offering(capacity=3, funding="market")
    people = [world.learner() for _ in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(lambda p: world.enroll(p["id"], offering["id"]).status_code, people))
    assert sorted(codes) == [201] * 3 + [409] * 7
    assert count(session, Enrollment) == 3
    session.expire_all()
    assert session.get(Offering, __import__("uuid").UUID(offering["id"])).seats_taken == 3


def test_same_person_concurrently_gets_one_enrollment(world, client, session):
    offering = world.offering(capacity=5)
    person = world.learner()
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: world.enroll(person["id"], offering["id"]), range(6)))
    assert sorted(r.status_code for r in results) == [200] * 5 + [201]
    assert len({r.json()["id"] for r in results}) == 1
    session.expire_all()
    assert session.get(Offering, __import__("uuid").UUID(offering["id"])).seats_taken == 1


def _codes(enrollment: dict) -> list[str]:
    return [r["code"] for r in enrollment["subsidy_decision"]["reasons"]]


def _day(world) -> date:
    """A finished day of this year (hours are not accepted for the future)."""
    return world.today - timedelta(days=1) if world.today.timetuple().tm_yday > 1 else world.today


def _completed(world, person: dict, hour: int, **fields) -> dict:
    """A subsidised training of ``person``, completed: slots are used by completions."""
    offering = world.offering(
        **{
            "starts_on": date(_day(world).year, 1, 1).isoformat(),
            "required_minutes": 60,
            "assessment_required": False,
            "mode": "offline",
        }
        | fields
    )
    enrollment = world.enroll(person["id"], offering["id"]).json()
    world.hours([session_entry(enrollment["id"], f"c-{enrollment['id']}", _day(world), hour, 60)])
    done = world.client.get(f"/api/v1/enrollments/{enrollment['id']}", headers=world.trainer)
    assert done.json()["state"] == "completed" and done.json()["subsidised"], done.text
    return done.json()


def test_subsidy_annual_limit(world):
    person = world.learner()
    year = _day(world).year
    occupations = ["6-18-02-04", "6-31-01-03", "4-03-02-01", "4-10-01-05"]
    for hour, code in enumerate(occupations[:3], start=8):
        _completed(world, person, hour, occupation_code=code)
    off = world.offering(occupation_code=occupations[3], starts_on=date(year, 1, 1).isoformat())
    fourth = world.enroll(person["id"], off["id"]).json()
    assert fourth["subsidised"] is False
    assert _codes(fourth) == ["annual_limit_reached"]
    assert fourth["state"] == "enrolled"  # attends unsubsidised


def test_subsidy_same_occupation_level_once_and_refusal_writes_nothing(world, session):
    person = world.learner()
    _completed(world, person, 8)
    second = world.offering()
    before = count(session, Enrollment)
    refused = world.enroll(person["id"], second["id"], require_subsidy=True)
    assert refused.status_code == 409 and refused.json()["code"] == "subsidy-refused"
    assert [r["code"] for r in refused.json()["reasons"]] == ["occupation_level_already_subsidised"]
    assert count(session, Enrollment) == before
    assert session.get(Offering, __import__("uuid").UUID(second["id"])).seats_taken == 0
    unsubsidised = world.enroll(person["id"], second["id"]).json()
    assert unsubsidised["subsidised"] is False and unsubsidised["subsidy_requested"] is True


def test_subsidy_no_lower_level_after_higher(world):
    person = world.learner()
    _completed(world, person, 8, level=3)
    lower = world.enroll(person["id"], world.offering(level=4)["id"]).json()
    assert _codes(lower) == ["lower_level_after_higher"]
    higher = world.enroll(person["id"], world.offering(level=2)["id"]).json()
    assert higher["subsidised"] is True


def test_withdrawn_subsidy_does_not_count_and_market_offerings_have_no_decision(world, client):
    person = world.learner()
    first = world.enroll(person["id"], world.offering()["id"]).json()
    client.post(f"/api/v1/enrollments/{first['id']}/withdraw", headers=world.trainer)
    retry = world.enroll(person["id"], world.offering()["id"]).json()
    assert retry["subsidised"] is True
    market = world.enroll(person["id"], world.offering(funding="market")["id"]).json()
    assert market["subsidy_decision"] is None and market["subsidised"] is False


def test_enrollment_bad_inputs_write_nothing(world, client, session):
    person = world.learner()
    other = world.offering(headers=world.other_trainer)
    assert world.enroll(person["id"], other["id"]).status_code == 403
    missing = world.enroll(person["id"], "00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 422
    no_learner = client.post(
        "/api/v1/enrollments", json={"offering_id": other["id"]}, headers=world.trainer
    )
    assert no_learner.status_code == 422
    assert count(session, Enrollment) == 0


def test_learner_and_platform_enroll_for_themselves_only(world, client):
    offering = world.offering()
    me, headers = world.learner_with_login()
    someone = world.learner()
    own = client.post("/api/v1/enrollments", json={"offering_id": offering["id"]}, headers=headers)
    assert own.status_code == 201 and own.json()["learner_id"] == me["id"]
    other = client.post(
        "/api/v1/enrollments",
        json={"offering_id": offering["id"], "learner_id": someone["id"]},
        headers=headers,
    )
    assert other.status_code == 403
    acting = client.post(
        "/api/v1/enrollments",
        json={"offering_id": offering["id"]},
        headers=world.as_learner(someone["id"]),
    )
    assert acting.status_code == 201 and acting.json()["learner_id"] == someone["id"]
    no_header = client.post(
        "/api/v1/enrollments", json={"offering_id": offering["id"]}, headers=world.platform
    )
    assert no_header.status_code == 400
    mine = client.get("/api/v1/enrollments", headers=headers).json()
    assert [e["id"] for e in mine["items"]] == [own.json()["id"]]
