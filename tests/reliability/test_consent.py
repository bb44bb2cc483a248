"""Learner consent and organization status under attack, replayed as the attacker did it: a
stranger provider holding only a person's ID number, and a deactivated organization's staff,
sending real HTTP requests from real threads to a real server (``live_server``, on SQLite and
PostgreSQL)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
from sqlmodel import select

from service.training.models import Enrollment, Learner
from tests.fixtures.accounts import TEST_PASSWORD
from tests.fixtures.builder import make_id_number, session_entry

CODES = ["6-18-02-04", "6-31-01-03", "4-03-02-01", "4-10-01-05"]


def _sign_in(base: str, user) -> dict:
    with httpx.Client(base_url=base, timeout=60) as http:
        r = http.post(
            "/api/v1/auth/token", data={"username": user.email, "password": TEST_PASSWORD}
        )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _all_at_once(base: str, requests: list[tuple[str, str, dict | None, dict]]):
    """Every request at once, each from its own thread and connection."""

    def send(item):
        method, path, body, headers = item
        with httpx.Client(base_url=base, timeout=120) as http:
            return http.request(method, path, json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def _offering(base: str, headers: dict, code: str, start: date) -> dict:
    body = {
        "title": "焊工培训班",
        "occupation_code": code,
        "level": 5,
        "training_type": "employment",
        "funding": "subsidised",
        "mode": "offline",
        "required_minutes": 60,
        "assessment_required": True,
        "capacity": 30,
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=400)).isoformat(),
        "district_code": "330206",
        # valid for every occupation used here (welders must name one of theirs)
        "cluster_version": "2025",
        "cluster_code": "nev_high_end_equipment",
    }
    with httpx.Client(base_url=base, timeout=60) as http:
        r = http.post("/api/v1/offerings", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_stranger_provider_with_an_id_number_gets_nothing(world, live_server, session):
    # The person, registered with their home provider, wants a subsidised training this year.
    number, real_name = make_id_number(), "陈小红"
    victim = world.learner(id_number=number, name=real_name)
    start = date(world.today.year, 1, 1)
    stranger = _sign_in(live_server, world.make_user("trainer", org=world.other_org))
    traps = [_offering(live_server, stranger, code, start) for code in CODES[:3]]
    guesses = ["陈红", "陈晓红", "某某", "张三"]

    # 1. obtain the record: create-or-find and lookup, with the number and guessed names
    obtain = [
        ("POST", "/api/v1/learners", {"id_number": number, "name": n, "district_code": "330212"},
         stranger) for n in guesses
    ] + [
        ("POST", "/api/v1/learners/lookup", {"id_number": number}, stranger),
        ("POST", "/api/v1/learners/lookup", {"id_number": number, "name": "某某"}, stranger),
    ]  # fmt: skip
    # 2. enrol them in three subsidised trainings, by id alone or with a guessed name
    enrol = [
        ("POST", "/api/v1/enrollments", {"offering_id": t["id"], "learner_id": victim["id"]},
         stranger) for t in traps
    ] + [
        ("POST", "/api/v1/enrollments",
         {"offering_id": t["id"], "learner_id": victim["id"], "id_number": number, "name": g},
         stranger) for t, g in zip(traps, guesses, strict=False)
    ]  # fmt: skip
    # 3. change their profile
    patch = [
        ("PATCH", f"/api/v1/learners/{victim['id']}", {"name": "改名", "phone": "13800138000"},
         stranger),
        ("PATCH", f"/api/v1/learners/{victim['id']}",
         {"groups": ["rural"], "groups_reason": "x"}, stranger),
    ]  # fmt: skip
    replies = _all_at_once(live_server, obtain + enrol + patch)
    assert [r.status_code for r in replies if r.status_code >= 500] == []
    assert all(r.status_code == 403 for r in replies), [r.text for r in replies]
    for r in replies:
        assert victim["id"] not in r.text and real_name not in r.text and number not in r.text
    # one refusal for every wrong name: nothing tells that the number is registered
    details = {r.json()["detail"] for r in replies[: len(obtain)]}
    assert len(details) == 1

    session.expire_all()
    assert session.exec(select(Enrollment)).all() == []
    person = session.get(Learner, uuid.UUID(victim["id"]))
    assert person.name == real_name and person.phone_masked is None

    # 4. the person's own subsidised trainings elsewhere are granted, three of them
    home = [world.offering(occupation_code=code, starts_on=start.isoformat()) for code in CODES]
    mine = [world.enroll(victim["id"], o["id"]).json() for o in home[:3]]
    assert [e["subsidised"] for e in mine] == [True, True, True]


def test_a_stranger_who_fails_the_person_does_not_use_up_their_subsidy(world, live_server):
    # Even a provider that *did* enrol a person (here with the holder check, as allowed) and
    # fails them three times uses none of their subsidised trainings: slots are used by
    # completions only.
    number, real_name = make_id_number(), "李四"
    victim = world.learner(id_number=number, name=real_name)
    start = date(world.today.year, 1, 1)
    stranger = _sign_in(live_server, world.make_user("trainer", org=world.other_org))
    traps = [_offering(live_server, stranger, code, start) for code in CODES[:3]]
    enrolled = _all_at_once(
        live_server,
        [
            ("POST", "/api/v1/enrollments",
             {"offering_id": t["id"], "learner_id": victim["id"], "id_number": number,
              "name": real_name}, stranger)
            for t in traps
        ],
    )  # fmt: skip
    assert [r.status_code for r in enrolled] == [201] * 3, [r.text for r in enrolled]
    failed = _all_at_once(
        live_server,
        [
            ("POST", f"/api/v1/enrollments/{r.json()['id']}/assessment", {"score": 0}, stranger)
            for r in enrolled
        ],
    )
    assert [r.json()["state"] for r in failed] == ["failed"] * 3
    own = world.offering(occupation_code=CODES[3], starts_on=start.isoformat())
    assert world.enroll(victim["id"], own["id"]).json()["subsidised"] is True


def test_a_deactivated_organizations_trainer_is_refused(world, live_server):
    trainer_user = world.make_user("trainer", org=world.org)
    trainer = _sign_in(live_server, trainer_user)
    person = world.learner()
    offering = world.offering()
    with httpx.Client(base_url=live_server, timeout=60) as http:
        r = http.patch(
            f"/api/v1/organizations/{world.org.id}", json={"is_active": False}, headers=world.admin
        )
        assert r.status_code == 200, r.text
    attempts = [
        ("GET", "/api/v1/auth/me", None, trainer),
        ("POST", "/api/v1/learners",
         {"id_number": make_id_number(), "name": "王五", "district_code": "330212"}, trainer),
        ("POST", "/api/v1/enrollments",
         {"offering_id": offering["id"], "learner_id": person["id"]}, trainer),
        ("PATCH", f"/api/v1/offerings/{offering['id']}", {"title": "新班"}, trainer),
        ("POST", "/api/v1/packages", {"title": "焊工"}, trainer),
        ("GET", "/api/v1/learners", None, trainer),
    ] * 3  # fmt: skip
    replies = _all_at_once(live_server, attempts)
    assert {(r.status_code, r.json()["code"]) for r in replies} == {(403, "organization-inactive")}
    # a fresh sign-in gives a token that is refused the same way
    again = _sign_in(live_server, trainer_user)
    with httpx.Client(base_url=live_server, timeout=60) as http:
        r = http.get("/api/v1/offerings", headers=again)
        assert r.status_code == 403 and r.json()["code"] == "organization-inactive"
        listed = http.get("/api/v1/offerings", headers=world.other_trainer).json()
    assert offering["id"] not in [o["id"] for o in listed["items"]]


def test_concurrent_completions_claim_at_most_the_annual_limit(world, live_server, session):
    # Four subsidised trainings granted at enrolment (none completed yet) finish at the same
    # moment: the completions are re-checked one after the other, so exactly three keep it.
    person = world.learner()
    day = world.today - timedelta(days=1) if world.today.timetuple().tm_yday > 1 else world.today
    start = date(day.year, 1, 1)
    enrolled = []
    for code in CODES:
        offering = world.offering(
            occupation_code=code,
            starts_on=start.isoformat(),
            required_minutes=60,
            assessment_required=False,
            mode="offline",
        )
        enrolled.append(world.enroll(person["id"], offering["id"]).json())
    assert all(e["subsidised"] for e in enrolled)
    batches = [
        ("POST", "/api/v1/hours/batch",
         {"entries": [session_entry(e["id"], f"fin-{e['id']}", day, 8 + n, 60)]}, world.trainer)
        for n, e in enumerate(enrolled)
    ]  # fmt: skip
    replies = _all_at_once(live_server, batches)
    assert [r.status_code for r in replies] == [200] * 4, [r.text for r in replies]
    session.expire_all()
    rows = [session.get(Enrollment, uuid.UUID(e["id"])) for e in enrolled]
    assert [r.state for r in rows] == ["completed"] * 4
    assert sorted(r.subsidised for r in rows) == [False, True, True, True]
    (kept_off,) = [r for r in rows if not r.subsidised]
    reasons = kept_off.subsidy_decision["at_completion"]["reasons"]
    assert [r["code"] for r in reasons] == ["annual_limit_reached"]
