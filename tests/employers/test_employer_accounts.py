"""The employer role: who may create one, where it belongs, what it may not see, API keys."""

from __future__ import annotations

import pytest
from sqlmodel import select

from service.accounts.models import User
from tests.fixtures.accounts import TEST_PASSWORD


def _new_employer(client, headers, org_id, email="hr@yongjiang.example.org"):
    return client.post(
        "/api/v1/users",
        json={
            "email": email,
            "password": TEST_PASSWORD,
            "role": "employer",
            "organization_id": str(org_id) if org_id else None,
        },
        headers=headers,
    )


def test_admin_creates_employers_of_active_enterprises_only(
    client, session, admin, enterprise, make_org
):
    school = make_org(kind="vocational_school")
    for org_id in (school.id, None):
        r = _new_employer(client, admin, org_id)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "employer-organization-required"
    assert session.exec(select(User).where(User.role == "employer")).first() is None
    r = _new_employer(client, admin, enterprise.id)
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "employer"


def test_enterprise_org_admin_manages_its_own_employer_staff(
    client, make_user, login, enterprise, make_org
):
    boss = login(make_user("org_admin", enterprise))
    assert _new_employer(client, boss, enterprise.id).status_code == 201
    elsewhere = make_org(name="宁波港湾物流有限公司", kind="enterprise")
    assert _new_employer(client, boss, elsewhere.id, "x@example.org").status_code == 403
    school = make_org(kind="vocational_school")
    school_admin = login(make_user("org_admin", school))
    r = _new_employer(client, school_admin, school.id, "y@example.org")
    assert r.status_code == 422 and r.json()["code"] == "employer-organization-required"


def test_employer_signs_in_like_staff(client, employer, employer_user):
    me = client.get("/api/v1/auth/me", headers=employer)
    assert me.status_code == 200
    assert me.json()["role"] == "employer"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/learners"),
        ("GET", "/api/v1/offerings/00000000-0000-0000-0000-000000000000/enrollments"),
        ("GET", "/api/v1/tallies"),
        ("GET", "/api/v1/tallies/export.csv"),
        ("GET", "/api/v1/imports"),
        ("POST", "/api/v1/imports"),
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/offerings"),
        ("POST", "/api/v1/credentials/issue"),
        ("GET", "/api/v1/me/credentials"),
        ("GET", "/api/v1/me/shares"),
    ],
)
def test_employer_has_no_staff_or_learner_powers(client, employer, method, path):
    r = client.request(method, path, headers=employer)
    assert r.status_code in (403, 422), (path, r.status_code, r.text)
    if r.status_code == 422:  # a body check ran first: the role must still refuse it
        r = client.request(method, path, headers=employer, json={})
        assert r.status_code in (403, 422)
    assert "items" not in (r.json() if r.content else {})


def test_employer_cannot_see_a_learner_or_an_enrollment(client, employer, world):
    learner = world.learner()
    offering = world.offering()
    enrollment = world.enroll(learner["id"], offering["id"]).json()
    for path in (
        f"/api/v1/learners/{learner['id']}",
        f"/api/v1/learners/{learner['id']}/hours",
        f"/api/v1/enrollments/{enrollment['id']}",
        f"/api/v1/offerings/{offering['id']}/enrollments",
    ):
        r = client.get(path, headers=employer)
        assert r.status_code == 403, (path, r.text)


@pytest.mark.parametrize("role", ["org_admin", "trainer", "admin", "learner"])
def test_other_roles_cannot_use_the_employer_api(client, make_user, login, enterprise, role):
    org = None if role in ("admin", "learner") else enterprise
    headers = login(make_user(role, org))
    for method, path in (
        ("GET", "/api/v1/employer/checks"),
        ("GET", "/api/v1/employer/shared-credentials"),
        ("POST", "/api/v1/employer/checks"),
    ):
        kwargs = {"json": {"items": ["x"]}} if method == "POST" else {}
        r = client.request(method, path, headers=headers, **kwargs)
        assert r.status_code == 403, (role, path, r.text)


def test_employer_api_key_checks_credentials(client, admin, employer_user, issued):
    cred, token = issued
    r = client.post(
        f"/api/v1/users/{employer_user.id}/api-keys", json={"name": "HR system"}, headers=admin
    )
    assert r.status_code == 201, r.text
    key = r.json()
    signed = client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key["client_id"],
            "client_secret": key["client_secret"],
        },
    )
    assert signed.status_code == 200, signed.text
    headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).json()["role"] == "employer"
    run = client.post("/api/v1/employer/checks", json={"items": [token]}, headers=headers)
    assert run.status_code == 201, run.text
    assert run.json()["rows"][0]["result"] == "valid"
    assert client.get("/api/v1/learners", headers=headers).status_code == 403
    # Revoking the key ends its tokens at once.
    client.delete(f"/api/v1/users/{employer_user.id}/api-keys/{key['id']}", headers=admin)
    assert client.get("/api/v1/employer/checks", headers=headers).status_code == 401


def test_api_keys_still_refused_for_staff(client, admin, make_user, enterprise):
    trainer = make_user("trainer", enterprise)
    r = client.post(f"/api/v1/users/{trainer.id}/api-keys", json={}, headers=admin)
    assert r.status_code == 422 and r.json()["code"] == "not-a-service-account"


def test_employer_of_a_deactivated_or_changed_organization_is_refused(
    client, session, employer, enterprise
):
    enterprise.kind = "vocational_school"
    session.add(enterprise)
    session.commit()
    r = client.get("/api/v1/employer/checks", headers=employer)
    assert r.status_code == 403 and r.json()["code"] == "employer-organization-required"
    enterprise.kind, enterprise.is_active = "enterprise", False
    session.add(enterprise)
    session.commit()
    assert client.get("/api/v1/employer/checks", headers=employer).status_code == 403


def test_the_cli_path_keeps_the_enterprise_rule_too(session, make_org):
    """``skills users create`` calls create_user directly, without the API's check."""
    import pytest

    from service.accounts.users import create_user
    from service.core.errors import Invalid

    school = make_org(kind="vocational_school")
    with pytest.raises(Invalid) as refused:
        create_user(
            session, email="hr@example.org", role="employer", password="x" * 12,
            organization_id=school.id,
        )  # fmt: skip
    assert refused.value.code == "employer-organization-required"
