"""Signing in, token types, expiry, refresh rotation and platform client credentials."""

import time

import jwt
from sqlmodel import select

from service.accounts.models import AuditEvent, User
from service.accounts.tokens import issue_token


def test_password_grant_returns_typed_tokens(client, make_user, settings):
    user = make_user("admin")
    r = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": "correct-horse-battery"}
    )
    assert r.status_code == 200
    body = r.json()
    assert (
        body["token_type"] == "bearer" and body["expires_in"] == settings.access_token_ttl_seconds
    )
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["typ"] == "access" and claims["sub"] == str(user.id)
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == user.email


def test_wrong_password_and_unknown_user_look_the_same(client, make_user):
    user = make_user("admin")
    bad = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": "nope-nope-nope"}
    )
    unknown = client.post(
        "/api/v1/auth/token", data={"username": "x@y.org", "password": "nope-nope-nope"}
    )
    assert bad.status_code == unknown.status_code == 400
    assert bad.json()["code"] == unknown.json()["code"] == "invalid-grant"
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_missing_malformed_expired_and_wrong_type_tokens_get_401(client, make_user, settings):
    user = make_user("admin")
    cases = {
        "missing": {},
        "malformed": {"Authorization": "Bearer not.a.jwt"},
        "garbage scheme": {"Authorization": "Basic Zm9vOmJhcg=="},
    }
    expired, _ = issue_token(
        settings, typ="access", user_id=user.id, role="admin", org_id=None, ttl_seconds=-60
    )
    refresh, _ = issue_token(
        settings, typ="refresh", user_id=user.id, role="admin", org_id=None, ttl_seconds=600
    )
    forged = jwt.encode(
        {
            "sub": str(user.id),
            "typ": "access",
            "role": "admin",
            "exp": time.time() + 600,
            "iat": time.time(),
            "jti": "x",
            "aud": "skills-api",
            "iss": settings.public_base_url,
        },
        "some-other-key",
        algorithm="HS256",
    )
    none_alg = jwt.encode({"sub": str(user.id), "typ": "access"}, None, algorithm="none")
    cases.update(
        {
            "expired": {"Authorization": f"Bearer {expired}"},
            "refresh used as access": {"Authorization": f"Bearer {refresh}"},
            "forged": {"Authorization": f"Bearer {forged}"},
            "alg none": {"Authorization": f"Bearer {none_alg}"},
        }
    )
    for name, headers in cases.items():
        r = client.get("/api/v1/organizations", headers=headers)
        assert r.status_code == 401, name
        assert r.headers["content-type"].startswith("application/problem+json"), name
        assert r.headers.get("www-authenticate") == "Bearer", name
    expired_r = client.get("/api/v1/organizations", headers=cases["expired"])
    assert "expired" in expired_r.json()["detail"]


def test_refresh_rotates_and_reuse_revokes_the_family(client, make_user):
    user = make_user("admin")
    first = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": "correct-horse-battery"}
    ).json()
    second = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert second.status_code == 200
    new = second.json()
    assert new["refresh_token"] != first["refresh_token"]
    # Presenting the spent token again is treated as theft: the whole family is revoked.
    reuse = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert reuse.status_code == 400
    after = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": new["refresh_token"]},
    )
    assert after.status_code == 400
    # An access token is not a refresh token.
    wrong = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": new["access_token"]},
    )
    assert wrong.status_code == 400


def test_platform_client_credentials(client, make_user, login):
    admin = make_user("admin")
    platform = make_user("platform")
    headers = login(admin)
    created = client.post(
        f"/api/v1/users/{platform.id}/api-keys", json={"name": "smart-edu"}, headers=headers
    )
    assert created.status_code == 201
    key = created.json()
    listed = client.get(f"/api/v1/users/{platform.id}/api-keys", headers=headers).json()
    assert "client_secret" not in listed[0] and key["client_secret"] not in str(listed)
    token = client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key["client_id"],
            "client_secret": key["client_secret"],
        },
    )
    assert token.status_code == 200 and token.json()["role"] == "platform"
    assert "refresh_token" not in token.json()
    bad = client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key["client_id"],
            "client_secret": "wrong",
        },
    )
    assert bad.status_code == 400
    # Platform accounts cannot sign in with a password grant.
    pw = client.post("/api/v1/auth/token", data={"username": platform.email, "password": "x" * 12})
    assert pw.status_code == 400
    revoke = client.delete(f"/api/v1/users/{platform.id}/api-keys/{key['id']}", headers=headers)
    assert revoke.status_code == 204
    again = client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key["client_id"],
            "client_secret": key["client_secret"],
        },
    )
    assert again.status_code == 400


def test_deactivated_user_token_stops_working(client, make_user, login, session):
    admin = make_user("admin")
    other = make_user("admin")
    headers = login(other)
    r = client.patch(f"/api/v1/users/{other.id}", json={"is_active": False}, headers=login(admin))
    assert r.status_code == 200
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_repeated_failures_lock_the_account(client, make_user, settings):
    user = make_user("admin")
    for _ in range(settings.login_max_failures):
        client.post("/api/v1/auth/token", data={"username": user.email, "password": "wrong-wrong"})
    ok = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": "correct-horse-battery"}
    )
    assert ok.status_code == 400


def test_admin_unlocks_an_account_locked_by_failed_sign_ins(
    client, session, settings, monkeypatch, make_org, make_user, login
):
    """SKILLS_LOGIN_MAX_FAILURES wrong passwords lock the account; while locked even the right
    password is refused; a non-admin cannot unlock it; the admin's unlock (PATCH ``unlock``) is
    audited and the right password signs in again."""
    monkeypatch.setattr(settings, "login_max_failures", 3)
    org = make_org()
    admin = make_user("admin")
    admin_headers = login(admin)
    colleague_headers = login(make_user("trainer", org=org))
    locked = make_user("trainer", org=org)

    def sign_in(password):
        return client.post(
            "/api/v1/auth/token", data={"username": locked.email, "password": password}
        )

    for _ in range(3):
        wrong = sign_in("wrong-password-123")
        assert wrong.status_code == 400 and wrong.json()["code"] == "invalid-grant"
    session.expire_all()
    assert session.get(User, locked.id).failed_logins == 3
    refused = sign_in("correct-horse-battery")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid-grant"

    url = f"/api/v1/users/{locked.id}"
    assert client.patch(url, json={"unlock": True}, headers=colleague_headers).status_code == 403
    assert sign_in("correct-horse-battery").status_code == 400  # still locked

    unlocked = client.patch(url, json={"unlock": True}, headers=admin_headers)
    assert unlocked.status_code == 200, unlocked.text
    session.expire_all()
    assert session.get(User, locked.id).failed_logins == 0
    audit = session.exec(
        select(AuditEvent).where(
            AuditEvent.subject_id == str(locked.id), AuditEvent.action == "user.update"
        )
    ).all()
    assert [(e.actor_id, e.detail.split(",")) for e in audit] == [(admin.id, ["unlock"])]

    again = sign_in("correct-horse-battery")
    assert again.status_code == 200, again.text
    assert again.json()["access_token"]
