"""Organization status and learner consent: a deactivated organization's accounts are refused,
its offerings and packages leave the listings; providers act on an existing person only with
proof of that person; subsidy slots are used by completed trainings; target groups are set by
staff with a reason."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlmodel import select

from content.models import Package, PackageVersion, VersionStatus
from service.accounts.models import AuditEvent
from service.training.models import Enrollment
from tests.fixtures.builder import make_id_number, session_entry


def _deactivate(world, org) -> None:
    r = world.client.patch(
        f"/api/v1/organizations/{org.id}", json={"is_active": False}, headers=world.admin
    )
    assert r.status_code == 200, r.text


def _api_key_token(world, user) -> dict:
    key = world.client.post(f"/api/v1/users/{user.id}/api-keys", json={}, headers=world.admin)
    assert key.status_code == 201, key.text
    r = world.client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key.json()["client_id"],
            "client_secret": key.json()["client_secret"],
        },
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


# --- a deactivated organization --------------------------------------------------------------


def test_inactive_organization_staff_and_service_accounts_are_refused(world, client):
    trainer, org_admin = world.trainer, world.org_admin
    service_account = _api_key_token(world, world.make_user("platform", org=world.org))
    offering = world.offering()
    _deactivate(world, world.org)
    calls = [
        ("GET", "/api/v1/auth/me", None),
        ("POST", "/api/v1/offerings", {"title": "x"}),
        ("GET", "/api/v1/offerings", None),
        ("PATCH", f"/api/v1/offerings/{offering['id']}", {"title": "新"}),
        ("POST", "/api/v1/learners", {"id_number": make_id_number(), "name": "王五"}),
        ("POST", "/api/v1/packages", {"title": "焊工"}),
        ("GET", "/api/v1/learners", None),
    ]
    for headers in (trainer, org_admin, service_account):
        for method, url, body in calls:
            r = client.request(method, url, json=body, headers=headers)
            assert r.status_code == 403, (method, url, r.text)
            assert r.json()["code"] == "organization-inactive"
    # the data stays: administrators still see the organization's offering
    assert client.get(f"/api/v1/offerings/{offering['id']}", headers=world.admin).status_code == 200
    listed = client.get("/api/v1/offerings", headers=world.admin).json()
    assert offering["id"] in [o["id"] for o in listed["items"]]
    # other organizations are untouched
    assert client.get("/api/v1/auth/me", headers=world.other_trainer).status_code == 200


def test_inactive_organization_offerings_leave_listings_and_refuse_enrolment(world, client):
    closing = world.offering(title="停办班")
    staying = world.offering(headers=world.other_trainer, title="照常班")
    me, learner = world.learner_with_login()
    _deactivate(world, world.org)
    for headers in (learner, world.as_learner(me["id"]), world.other_trainer):
        ids = [o["id"] for o in client.get("/api/v1/offerings", headers=headers).json()["items"]]
        assert closing["id"] not in ids and staying["id"] in ids
    for headers, body in (
        (learner, {"offering_id": closing["id"]}),
        (world.as_learner(me["id"]), {"offering_id": closing["id"]}),
        (world.admin, {"offering_id": closing["id"], "learner_id": me["id"]}),
    ):
        r = client.post("/api/v1/enrollments", json=body, headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "organization-inactive", r.text
    ok = client.post("/api/v1/enrollments", json={"offering_id": staying["id"]}, headers=learner)
    assert ok.status_code == 201


def test_inactive_organization_packages_leave_the_catalog(world, client, session):
    _, learner = world.learner_with_login()
    for org, title in ((world.org, "停办课程"), (world.other_org, "照常课程")):
        package = Package(organization_id=org.id, title=title)
        session.add(package)
        session.flush()
        session.add(
            PackageVersion(
                package_id=package.id, number=1, status=VersionStatus.published, format="cmi5"
            )
        )
    session.commit()

    def titles(headers):
        items = client.get("/api/v1/catalog/packages", headers=headers).json()["items"]
        return [p["title"] for p in items]

    assert sorted(titles(learner)) == ["停办课程", "照常课程"]
    _deactivate(world, world.org)
    assert titles(learner) == ["照常课程"]


# --- proof of the person ---------------------------------------------------------------------


def _person(world):
    number = make_id_number()
    return number, world.learner(id_number=number, name="陈小红")


def test_staff_get_an_existing_person_only_with_the_matching_name(world, client):
    number, person = _person(world)
    body = {"id_number": number, "name": "某某", "district_code": "330212"}
    stranger = client.post("/api/v1/learners", json=body, headers=world.other_trainer)
    assert stranger.status_code == 403 and stranger.json()["code"] == "holder-check-failed"
    assert person["id"] not in stranger.text and "陈小红" not in stranger.text
    # the same answer as for a number nobody holds, when asked through the lookup
    lookups = [
        client.post("/api/v1/learners/lookup", json=b, headers=world.other_trainer)
        for b in (
            {"id_number": number},
            {"id_number": number, "name": "某某"},
            {"id_number": make_id_number(), "name": "某某"},
        )
    ]
    assert {(r.status_code, r.json()["code"]) for r in lookups} == {(403, "holder-check-failed")}
    assert len({r.json()["detail"] for r in lookups} | {stranger.json()["detail"]}) == 1
    # with the person's name (spacing and width do not matter) the provider finds the record
    holder = client.post(
        "/api/v1/learners", json=body | {"name": " 陈小红 "}, headers=world.other_trainer
    )
    assert holder.status_code == 200 and holder.json()["id"] == person["id"]
    looked = client.post(
        "/api/v1/learners/lookup",
        json={"id_number": number, "name": "陈小红"},
        headers=world.other_trainer,
    )
    assert looked.status_code == 200 and looked.json()["id"] == person["id"]


def test_stranger_provider_enrols_only_with_the_holder_check(world, client, session):
    number, person = _person(world)
    offering = world.offering(headers=world.other_trainer)
    bare = world.enroll(person["id"], offering["id"], headers=world.other_trainer)
    assert bare.status_code == 403 and bare.json()["code"] == "holder-check-required"
    wrong = world.enroll(
        person["id"], offering["id"], headers=world.other_trainer, id_number=number, name="某某"
    )
    other_number = world.enroll(
        person["id"],
        offering["id"],
        headers=world.other_trainer,
        id_number=make_id_number(),
        name="陈小红",
    )
    for r in (wrong, other_number):
        assert r.status_code == 403 and r.json()["code"] == "holder-check-failed"
    assert session.exec(select(Enrollment)).all() == []
    ok = world.enroll(
        person["id"], offering["id"], headers=world.other_trainer, id_number=number, name="陈小红"
    )
    assert ok.status_code == 201, ok.text
    row = session.get(Enrollment, uuid.UUID(ok.json()["id"]))
    assert row.consent_proof == "holder_check"
    audit = session.exec(select(AuditEvent).where(AuditEvent.subject_id == ok.json()["id"])).one()
    assert "proof=holder_check" in audit.detail
    assert number not in audit.detail and "陈小红" not in audit.detail


def test_proofs_recorded_for_self_platform_and_registering_provider(world, client, session):
    offering = world.offering(funding="market")
    me, learner = world.learner_with_login()
    registered = world.learner()  # registered (new) by this provider: its own proof
    by_platform = world.learner()
    body = {"offering_id": offering["id"]}
    cases = [
        (client.post("/api/v1/enrollments", json=body, headers=learner), "self"),
        (world.enroll(registered["id"], offering["id"]), "registered"),
        (
            client.post(
                "/api/v1/enrollments", json=body, headers=world.as_learner(by_platform["id"])
            ),
            "platform",
        ),
    ]
    for response, proof in cases:
        assert response.status_code == 201, response.text
        assert session.get(Enrollment, uuid.UUID(response.json()["id"])).consent_proof == proof


def test_staff_patch_only_learners_enrolled_with_them(world, client):
    number, person = _person(world)
    url = f"/api/v1/learners/{person['id']}"
    # registered here but not enrolled: not theirs to edit yet; a stranger never
    for headers in (world.trainer, world.other_trainer):
        r = client.patch(url, json={"name": "改名"}, headers=headers)
        assert r.status_code == 403
    world.enroll(person["id"], world.offering()["id"])
    assert client.patch(url, json={"name": "陈晓红"}, headers=world.trainer).status_code == 200
    assert client.patch(url, json={"name": "x"}, headers=world.other_trainer).status_code == 403
    assert client.patch(url, json={"name": "陈小红"}, headers=world.admin).status_code == 200


# --- subsidy slots are used by completions ---------------------------------------------------


def _day(world) -> date:
    """A finished day this year (hours are not accepted for the future)."""
    return world.today - timedelta(days=1) if world.today.timetuple().tm_yday > 1 else world.today


def _complete(world, enrollment_id: str, n: int) -> dict:
    world.hours([session_entry(enrollment_id, f"done-{enrollment_id}", _day(world), 8 + n, 60)])
    return world.client.get(f"/api/v1/enrollments/{enrollment_id}", headers=world.trainer).json()


CODES = ["6-18-02-04", "6-31-01-03", "4-03-02-01", "4-10-01-05", "4-01-02-01"]


def _offerings(world, n: int) -> list[dict]:
    start = date(_day(world).year, 1, 1)
    return [
        world.offering(
            occupation_code=CODES[i],
            starts_on=start.isoformat(),
            required_minutes=60,
            assessment_required=False,
            mode="offline",
        )
        for i in range(n)
    ]


def test_failed_subsidised_trainings_do_not_use_up_the_annual_limit(world, client):
    person = world.learner()
    *three, fourth = _offerings(world, 4)
    for off in three:
        e = world.enroll(person["id"], off["id"]).json()
        assert e["subsidised"] is True
        r = client.post(
            f"/api/v1/enrollments/{e['id']}/assessment", json={"score": 10}, headers=world.trainer
        )
        assert r.json()["state"] == "failed"
    again = world.enroll(person["id"], fourth["id"])
    assert again.json()["subsidised"] is True, again.json()["subsidy_decision"]


def test_completed_subsidised_trainings_use_the_annual_limit(world):
    person = world.learner()
    *three, fourth = _offerings(world, 4)
    for n, off in enumerate(three):
        e = world.enroll(person["id"], off["id"]).json()
        assert _complete(world, e["id"], n)["state"] == "completed"
    refused = world.enroll(person["id"], fourth["id"]).json()
    assert refused["subsidised"] is False
    assert [r["code"] for r in refused["subsidy_decision"]["reasons"]] == ["annual_limit_reached"]


def test_a_completion_beyond_the_limit_completes_unsubsidised(world, session):
    person = world.learner()
    enrolled = [world.enroll(person["id"], o["id"]).json() for o in _offerings(world, 4)]
    assert all(e["subsidised"] for e in enrolled)  # granted at enrolment: nothing completed yet
    done = [_complete(world, e["id"], n) for n, e in enumerate(enrolled)]
    assert [d["state"] for d in done] == ["completed"] * 4
    assert [d["subsidised"] for d in done] == [True, True, True, False]
    last = done[3]["subsidy_decision"]["at_completion"]
    assert last["granted"] is False
    assert [r["code"] for r in last["reasons"]] == ["annual_limit_reached"]
    assert done[3]["subsidy_decision"]["granted"] is True  # the enrolment decision is kept
    assert session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "enrollment.subsidy_withdrawn",
            AuditEvent.subject_id == enrolled[3]["id"],
        )
    ).one()


# --- target groups ---------------------------------------------------------------------------


def test_learners_cannot_put_themselves_into_target_groups(world, client):
    user = world.make_user("learner")
    headers = world.login(user)
    body = {
        "id_number": make_id_number(),
        "name": "赵六",
        "district_code": "330212",
        "groups": ["rural"],
    }
    r = client.post("/api/v1/learners", json=body, headers=headers)
    assert r.status_code == 403 and r.json()["code"] == "groups-staff-only"
    me = client.post("/api/v1/learners", json=body | {"groups": []}, headers=headers).json()
    assert me["groups"] == []
    url = f"/api/v1/learners/{me['id']}"
    for h in (headers, world.as_learner(me["id"])):
        r = client.patch(url, json={"groups": ["ningbo_craftsman"]}, headers=h)
        assert r.status_code == 403 and r.json()["code"] == "groups-staff-only"
    assert client.patch(url, json={"name": "赵六六"}, headers=headers).status_code == 200
    assert client.get(url, headers=headers).json()["groups"] == []


def test_staff_set_groups_with_a_reason_and_it_is_audited(world, client, session):
    person = world.learner(groups=[])
    world.enroll(person["id"], world.offering()["id"])
    url = f"/api/v1/learners/{person['id']}"
    missing = client.patch(url, json={"groups": ["rural"]}, headers=world.trainer)
    assert missing.status_code == 422 and missing.json()["code"] == "groups-reason-required"
    ok = client.patch(
        url,
        json={"groups": ["rural"], "groups_reason": "户籍证明已核验"},
        headers=world.trainer,
    )
    assert ok.status_code == 200 and ok.json()["groups"] == ["rural"]
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "learner.groups", AuditEvent.subject_id == person["id"]
        )
    ).one()
    assert "户籍证明已核验" in event.detail and "rural" in event.detail
    assert person["name"] not in event.detail
    create = client.post(
        "/api/v1/learners",
        json={
            "id_number": make_id_number(),
            "name": "孙七",
            "district_code": "330212",
            "groups": ["veteran"],
        },
        headers=world.trainer,
    )
    assert create.status_code == 422 and create.json()["code"] == "groups-reason-required"
