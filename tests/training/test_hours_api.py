"""The hours ledger through the batch API: every guard, idempotence, concurrency, totals."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from service.training.models import HoursEntry, HoursRejection
from tests.fixtures.builder import count, session_entry


def _reasons(result, index):
    return [r["code"] for r in result["results"][index]["reasons"]]


def _enrolled(world, **offering_fields):
    offering = world.offering(**offering_fields)
    person = world.learner()
    enrollment = world.enroll(person["id"], offering["id"]).json()
    return offering, person, enrollment


def test_every_guard_is_reported(world, client, session):
    offering, person, e = _enrolled(world, required_minutes=600, online_share_percent=20)
    eid = e["id"]
    day = world.today - timedelta(days=1)
    result = world.hours(
        [
            session_entry(eid, "a", day, 8, 240),
            session_entry(eid, "b", day, 10, 60),  # overlaps a
            session_entry(eid, "c", day, 13, 240),  # day total 480: at the cap, accepted
            session_entry(eid, "d", day, 18, 30),  # over the daily cap
            session_entry(
                eid, "e", world.today, 8, 150, source="online_session"
            ),  # over 20% of 600
            session_entry(eid, "f", world.today - timedelta(days=30), 8, 60),  # before start
            session_entry(eid, "g", world.today, 18, 30) | {"minutes": -5},  # invalid
            session_entry("00000000-0000-0000-0000-000000000000", "h", day, 20, 30),
        ]
    )
    statuses = [r["status"] for r in result["results"]]
    assert statuses == ["accepted", "rejected", "accepted"] + ["rejected"] * 5
    assert _reasons(result, 1) == ["overlaps_existing_session"]
    assert _reasons(result, 3) == ["daily_cap_exceeded"]
    assert _reasons(result, 4) == ["online_share_exceeded"]
    assert _reasons(result, 5) == ["outside_offering_dates"]
    assert _reasons(result, 6) == ["invalid_interval"]
    assert _reasons(result, 7) == ["unknown_enrollment"]
    assert count(session, HoursEntry) == 2 and count(session, HoursRejection) == 6

    client.post(f"/api/v1/enrollments/{eid}/withdraw", headers=world.trainer)
    late = world.hours([session_entry(eid, "z", world.today, 8, 30)])
    assert _reasons(late, 0) == ["enrollment_not_active"]


def test_same_external_id_changes_nothing_and_conflicts_are_reported(world, client, session):
    _, person, e = _enrolled(world)
    day = world.today - timedelta(days=1)
    entry = session_entry(e["id"], "att-1", day, 9, 90)
    assert world.hours([entry, entry])["results"][1]["status"] == "duplicate"
    again = world.hours([entry])
    assert again["duplicate"] == 1 and again["accepted"] == 0
    changed = world.hours([session_entry(e["id"], "att-1", day, 9, 120)])
    assert _reasons(changed, 0) == ["external_id_conflict"]
    assert count(session, HoursEntry) == 1
    totals = client.get(f"/api/v1/learners/{person['id']}/hours", headers=world.trainer).json()
    assert totals["total"]["minutes"] == 90 and totals["total"]["xueshi"] == "2.00"


def test_other_organizations_enrollments_are_unknown(world, session):
    _, _, e = _enrolled(world)
    result = world.hours(
        [session_entry(e["id"], "x", world.today, 9, 30)], headers=world.other_trainer
    )
    assert _reasons(result, 0) == ["unknown_enrollment"]
    assert count(session, HoursEntry) == 0


def test_bad_batches_are_422_and_write_nothing(world, client, session):
    _, _, e = _enrolled(world)
    naive = {
        "enrollment_id": e["id"],
        "source": "classroom",
        "external_id": "n",
        "started_at": "2025-03-01T09:00:00",
        "minutes": 30,
    }
    good = session_entry(e["id"], "ok", world.today, 9, 30)
    for body in (
        {"entries": [good, naive]},
        {"entries": []},
        {"entries": [good | {"source": "xapi"}]},
        # NUL cannot be stored by PostgreSQL (it was a 500 there) and is refused on both
        {"entries": [good, good | {"external_id": "a\x00b"}]},
        {"entries": [good | {"external_id": "line\nbreak"}]},
    ):
        r = client.post("/api/v1/hours/batch", json=body, headers=world.trainer)
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
    learner_token = world.learner_with_login()[1]
    assert (
        client.post(
            "/api/v1/hours/batch", json={"entries": [good]}, headers=learner_token
        ).status_code
        == 403
    )
    assert count(session, HoursEntry) == 0


def test_concurrent_identical_batches_do_not_double_count(world, client, session):
    _, person, e = _enrolled(world)
    day = world.today - timedelta(days=1)
    batch = [session_entry(e["id"], f"c-{i}", day, 8 + i, 45) for i in range(4)]

    def send(_):
        return client.post(
            "/api/v1/hours/batch", json={"entries": batch}, headers=world.trainer
        ).json()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(send, range(6)))
    assert sum(r["accepted"] for r in results) == 4
    assert sum(r["duplicate"] for r in results) == 20
    assert count(session, HoursEntry) == 4
    totals = client.get(f"/api/v1/learners/{person['id']}/hours", headers=world.admin).json()
    assert totals["total"]["minutes"] == 180
