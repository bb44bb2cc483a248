"""Each role against each protected route group: 403 where the role has no business."""

import uuid

import pytest

ROLES = ["admin", "org_admin", "trainer", "learner", "platform"]

# (method, path template, body, roles allowed)
ROUTES = [
    ("GET", "/api/v1/organizations", None, {"admin", "org_admin", "trainer"}),
    (
        "POST",
        "/api/v1/organizations",
        {"name": "新机构", "kind": "enterprise", "district_code": "330212"},
        {"admin"},
    ),
    ("GET", "/api/v1/organizations/{org}", None, {"admin", "org_admin", "trainer"}),
    ("PATCH", "/api/v1/organizations/{org}", {"name": "改名"}, {"admin", "org_admin"}),
    ("GET", "/api/v1/users", None, {"admin", "org_admin"}),
    ("GET", "/api/v1/admin/jobs", None, {"admin"}),
    ("GET", "/api/v1/admin/audit", None, {"admin"}),
    ("POST", "/api/v1/admin/jobs/ping", None, {"admin"}),
    # packages and catalog
    ("GET", "/api/v1/packages", None, {"admin", "org_admin", "trainer"}),
    (
        "POST",
        "/api/v1/packages",
        {"title": "包", "organization_id": "{org}"},
        {"admin", "org_admin", "trainer"},
    ),
    ("GET", "/api/v1/catalog/packages", None, set(ROLES)),
    # training
    ("GET", "/api/v1/learners", None, {"admin", "org_admin", "trainer"}),
    ("POST", "/api/v1/learners/lookup", {}, {"admin", "org_admin", "trainer", "platform"}),
    ("POST", "/api/v1/learners/{missing}/pii-export", None, {"admin"}),
    ("POST", "/api/v1/offerings", {}, {"admin", "org_admin", "trainer"}),
    ("GET", "/api/v1/offerings", None, set(ROLES)),
    ("POST", "/api/v1/hours/batch", {"entries": []}, {"admin", "org_admin", "trainer", "platform"}),
    ("GET", "/api/v1/me/record", None, {"learner", "platform"}),
    # credentials
    ("GET", "/api/v1/credentials", None, {"admin"}),
    ("POST", "/api/v1/credentials/issue", {}, {"admin"}),
    ("POST", "/api/v1/credentials/{missing}/revoke", {"reason": "x"}, {"admin"}),
    ("GET", "/api/v1/me/credentials", None, {"learner", "platform"}),
]


@pytest.fixture
def tokens(client, make_org, make_user, login):
    org = make_org()
    out = {"org": org}
    for role in ROLES:
        user = make_user(role, org=org if role in ("org_admin", "trainer") else None)
        if role == "platform":
            admin_headers = out["admin"]
            key = client.post(
                f"/api/v1/users/{user.id}/api-keys", json={}, headers=admin_headers
            ).json()
            tok = client.post(
                "/api/v1/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": key["client_id"],
                    "client_secret": key["client_secret"],
                },
            ).json()["access_token"]
            out[role] = {"Authorization": f"Bearer {tok}"}
        else:
            out[role] = login(user)
    return out


def test_role_matrix(client, tokens):
    org = tokens["org"]
    for method, template, body, allowed in ROUTES:
        path = template.format(org=org.id, missing=uuid.uuid4())
        payload = {k: str(org.id) if v == "{org}" else v for k, v in (body or {}).items()}
        payload = payload if body is not None else None
        for role in ROLES:
            r = client.request(method, path, json=payload, headers=tokens[role])
            if role in allowed:
                # Allowed roles may still meet a 404 or 422; what matters is no 401/403.
                assert r.status_code not in (401, 403), (method, path, role, r.text)
            else:
                assert r.status_code == 403, (method, path, role, r.status_code)
                assert r.json()["code"] == "forbidden"
        anonymous = client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)


def test_org_staff_only_see_their_own_organization(client, tokens, make_org):
    other = make_org(name="另一家企业", kind="enterprise", district="330281")
    assert (
        client.get(f"/api/v1/organizations/{other.id}", headers=tokens["trainer"]).status_code
        == 403
    )
    listed = client.get("/api/v1/organizations", headers=tokens["org_admin"]).json()
    assert [o["id"] for o in listed["items"]] == [str(tokens["org"].id)]
    everything = client.get("/api/v1/organizations", headers=tokens["admin"]).json()
    assert everything["total"] == 2


def test_org_admin_manages_only_own_staff(client, tokens, make_org):
    own = client.post(
        "/api/v1/users",
        headers=tokens["org_admin"],
        json={
            "email": "t1@school.cn",
            "password": "long-enough-pw",
            "role": "trainer",
            "organization_id": str(tokens["org"].id),
        },
    )
    assert own.status_code == 201
    other = make_org(name="别家", kind="enterprise")
    elsewhere = client.post(
        "/api/v1/users",
        headers=tokens["org_admin"],
        json={
            "email": "t2@school.cn",
            "password": "long-enough-pw",
            "role": "trainer",
            "organization_id": str(other.id),
        },
    )
    assert elsewhere.status_code == 403
    admin_role = client.post(
        "/api/v1/users",
        headers=tokens["org_admin"],
        json={"email": "a@school.cn", "password": "long-enough-pw", "role": "admin"},
    )
    assert admin_role.status_code == 403
