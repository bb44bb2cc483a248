"""The other events: credentials, package versions, imports; each to whom it belongs, with ids
and states only."""

from __future__ import annotations

from tests.fixtures.builder import make_id_number
from tests.support import zipkit


def _other_org_admin(world) -> dict:
    return world.login(world.make_user("org_admin", org=world.other_org))


def test_credential_events_reach_the_organization_of_the_enrolment(
    world, client, receivers, subscribe, drain
):
    ours, theirs = receivers(), receivers()
    types = ["credential.issued", "credential.revoked"]
    subscribe(ours, world.org_admin, types)
    subscribe(theirs, _other_org_admin(world), types)
    enrollment = world.completion(world.add_learner(), world.add_offering(), world.today)
    credential = world.credential(enrollment)
    r = client.post(
        f"/api/v1/credentials/{credential.credential_id}/revoke",
        json={"reason": "issued in error"},
        headers=world.admin,
    )
    assert r.status_code == 200, r.text
    drain()
    assert theirs.received == []
    issued, revoked = ours.verified()
    assert issued["type"] == "credential.issued" and revoked["type"] == "credential.revoked"
    assert issued["data"]["credential_id"] == credential.credential_id
    assert issued["data"]["enrollment_id"] == str(enrollment.id)
    assert (issued["data"]["state"], revoked["data"]["state"]) == ("active", "revoked")
    assert "reason" not in revoked["data"] and "issued in error" not in ours.received[1].body


def test_package_version_ready_and_rejected(world, client, receivers, subscribe, drain):
    receiver = receivers()
    subscribe(receiver, world.org_admin, ["package_version.ready", "package_version.rejected"])
    package = client.post(
        "/api/v1/packages",
        json={"title": "电工培训包", "occupation_code": "6-31-01-03", "level": 4},
        headers=world.trainer,
    )
    assert package.status_code == 201, package.text
    url = f"/api/v1/packages/{package.json()['id']}/versions"
    for data in (zipkit.good_packages()["scorm12"], b"not a zip at all"):
        up = client.post(
            url, headers=world.trainer, files={"file": ("p.zip", data, "application/zip")}
        )
        assert up.status_code == 202, up.text
        drain()
    ready, rejected = receiver.verified()
    assert ready["type"] == "package_version.ready" and ready["data"]["state"] == "ready"
    assert rejected["type"] == "package_version.rejected" and rejected["data"]["reasons"]
    assert ready["data"]["package_id"] == package.json()["id"]


def test_import_finished_carries_counts_and_no_personal_data(
    world, client, receivers, subscribe, drain
):
    receiver = receivers()
    subscribe(receiver, world.org_admin, ["import.finished"])
    number = make_id_number()
    csv = f"身份证号,姓名,区县代码,手机号\n{number},张三,330212,13812345678\n".encode()
    r = client.post(
        "/api/v1/imports",
        data={"kind": "learners"},
        files={"file": ("roster.csv", csv, "application/octet-stream")},
        headers=world.trainer,
    )
    assert r.status_code == 202, r.text
    drain()
    [got] = receiver.received
    assert got.document["data"]["import_id"] == r.json()["id"]
    assert got.document["data"]["state"] == "done" and got.document["data"]["accepted"] == 1
    for personal in (number, "张三", "13812345678"):
        assert personal not in got.body


def test_an_employer_hears_of_status_changes_of_credentials_shared_with_it_only(
    world, client, session, receivers, subscribe, drain, make_org
):
    from service.core.timeutil import utcnow
    from service.issuing.models import CredentialShare

    def employer_of(name: str):
        org = make_org(name=name, kind="enterprise")
        return org, world.login(world.make_user("employer", org=org))

    (hired, hr), (_other, other_hr) = employer_of("甬江机械"), employer_of("北仑港务")
    refused = client.post(
        "/api/v1/webhooks/endpoints",
        json={"url": receivers().url, "event_types": ["credential.issued"]},
        headers=hr,
    )
    assert refused.status_code == 422 and refused.json()["code"] == "event-type-not-visible"
    ours, theirs = receivers(), receivers()
    types = ["credential.revoked", "credential.suspended", "credential.reinstated"]
    subscribe(ours, hr, types)
    subscribe(theirs, other_hr, types)
    learner = world.add_learner()
    shared = world.credential(world.completion(learner, world.add_offering(), world.today))
    kept = world.credential(world.completion(learner, world.add_offering(), world.today))
    for credential, withdrawn in ((shared, None), (kept, utcnow())):
        session.add(
            CredentialShare(
                credential_pk=credential.id,
                learner_id=learner.id,
                employer_organization_id=hired.id,
                revoked_at=withdrawn,
            )
        )
    session.commit()
    for credential in (shared, kept):
        r = client.post(
            f"/api/v1/credentials/{credential.credential_id}/revoke",
            json={"reason": "issued in error"},
            headers=world.admin,
        )
        assert r.status_code == 200, r.text
    drain()
    assert theirs.received == []
    (event,) = ours.verified()  # the withdrawn share's credential is not theirs to hear of
    assert event["type"] == "credential.revoked"
    assert event["data"]["credential_id"] == shared.credential_id
