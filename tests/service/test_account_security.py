"""Lockout, session revocation and single-use refresh tokens, as an attacker would probe them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from service.accounts import sessions as sessions_module
from service.accounts.models import AuditEvent, RefreshToken, User
from service.accounts.sessions import SignInError, password_sign_in, refresh_sign_in
from service.core.timeutil import as_utc, utcnow
from tests.fixtures.accounts import TEST_PASSWORD

TOKEN_URL = "/api/v1/auth/token"


def _sign_in(client, email, password=TEST_PASSWORD):
    return client.post(TOKEN_URL, data={"username": email, "password": password})


def _refresh(client, refresh_token):
    return client.post(
        TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


def _bearer(body) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['access_token']}"}


def _expire_lock(session, user_id):
    """Stands in for the clock: the lock period has passed."""
    session.expire_all()
    user = session.get(User, user_id)
    user.locked_until = utcnow() - timedelta(seconds=1)
    session.add(user)
    session.commit()


# -- lockout ---------------------------------------------------------------------------------


def test_failed_sign_ins_are_counted_without_lost_updates(engine, session, settings, make_user):
    """Two requests that read the account before either wrote must both be counted."""
    user = make_user("admin")
    with Session(engine, expire_on_commit=False) as first, Session(engine) as second:
        # This request has read the row (failed_logins == 0; held, as the identity map is weak)
        seen = first.get(User, user.id)  # noqa: F841
        with pytest.raises(SignInError):
            password_sign_in(second, settings, user.email, "wrong-password-1")
        second.commit()  # ... while another one counted a failure.
        with pytest.raises(SignInError):
            password_sign_in(first, settings, user.email, "wrong-password-2")
        first.commit()
    session.expire_all()
    assert session.get(User, user.id).failed_logins == 2


def test_locked_inactive_and_unknown_accounts_cost_the_same_password_work(
    client, session, settings, monkeypatch, make_user, login
):
    """A locked account must not answer faster than a wrong password (OWASP ASVS 2.2.1): every
    refusal runs one Argon2 verification and gives the same answer."""
    monkeypatch.setattr(settings, "login_max_failures", 2)
    admin = make_user("admin")
    locked = make_user("admin")
    inactive = make_user("admin")
    wrong = make_user("admin")
    client.patch(f"/api/v1/users/{inactive.id}", json={"is_active": False}, headers=login(admin))
    for _ in range(2):
        _sign_in(client, locked.email, "wrong-password-1")

    calls: list[bool] = []
    real_verify = sessions_module.verify_password

    def counting_verify(password_hash, password):
        calls.append(password_hash is None)
        return real_verify(password_hash, password)

    monkeypatch.setattr(sessions_module, "verify_password", counting_verify)
    answers = {}
    for name, email, password in (
        ("unknown", "nobody@example.org", TEST_PASSWORD),
        ("locked", locked.email, TEST_PASSWORD),
        ("inactive", inactive.email, TEST_PASSWORD),
        ("wrong password", wrong.email, "wrong-password-1"),
    ):
        calls.clear()
        r = _sign_in(client, email, password)
        answers[name] = (r.status_code, r.json()["code"], r.json()["detail"])
        assert len(calls) == 1, name  # one Argon2 verification, whatever the reason
    assert len(set(answers.values())) == 1, answers


def test_a_lock_expires_and_consecutive_locks_grow_to_a_cap(
    client, session, settings, monkeypatch, make_user
):
    monkeypatch.setattr(settings, "login_max_failures", 3)
    monkeypatch.setattr(settings, "login_lock_seconds", 900)
    monkeypatch.setattr(settings, "login_lock_max_seconds", 3000)
    user = make_user("admin")

    def lock_period() -> float:
        for _ in range(3):
            assert _sign_in(client, user.email, "wrong-password-1").status_code == 400
        assert _sign_in(client, user.email).status_code == 400  # locked: right one refused
        session.expire_all()
        return (as_utc(session.get(User, user.id).locked_until) - utcnow()).total_seconds()

    periods = []
    for _ in range(4):
        periods.append(lock_period())
        _expire_lock(session, user.id)
    # 15 min, doubling per consecutive lock, capped
    assert [round(p / 60) for p in periods] == [15, 30, 50, 50]
    ok = _sign_in(client, user.email)
    assert ok.status_code == 200, ok.text
    # A successful sign-in starts the series again.
    assert round(lock_period() / 60) == 15


def test_cli_unlocks_an_account(client, session, settings, monkeypatch, make_user):
    from service.cli import app as cli

    monkeypatch.setattr(settings, "login_max_failures", 2)
    user = make_user("admin")
    for _ in range(2):
        _sign_in(client, user.email, "wrong-password-1")
    assert _sign_in(client, user.email).status_code == 400

    runner = CliRunner()
    unknown = runner.invoke(cli, ["users", "unlock", "nobody@example.org"])
    assert unknown.exit_code == 1
    assert "no account" in unknown.output.lower()
    done = runner.invoke(cli, ["users", "unlock", user.email.upper()])
    assert done.exit_code == 0, done.output
    assert _sign_in(client, user.email).status_code == 200
    session.expire_all()
    assert session.exec(
        select(AuditEvent).where(
            AuditEvent.subject_id == str(user.id), AuditEvent.action == "user.unlock"
        )
    ).first()


def test_an_admin_cannot_deactivate_their_own_account(client, make_user, login):
    admin = make_user("admin")
    headers = login(admin)
    r = client.patch(f"/api/v1/users/{admin.id}", json={"is_active": False}, headers=headers)
    assert r.status_code == 409
    assert r.json()["code"] == "cannot-deactivate-self"
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200


# -- sessions end when the account changes ---------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "self"])
def test_password_change_ends_existing_sessions(client, make_user, login, who):
    admin = make_user("admin")
    target = admin if who == "self" else make_user("admin")
    old = _sign_in(client, target.email).json()
    changer = login(admin)
    r = client.patch(
        f"/api/v1/users/{target.id}", json={"password": "a-new-password-42"}, headers=changer
    )
    assert r.status_code == 200, r.text
    assert _refresh(client, old["refresh_token"]).status_code == 400
    assert client.get("/api/v1/auth/me", headers=_bearer(old)).status_code == 401
    fresh = _sign_in(client, target.email, "a-new-password-42")
    assert fresh.status_code == 200
    assert client.get("/api/v1/auth/me", headers=_bearer(fresh.json())).status_code == 200


def test_deactivation_ends_sessions_for_good(client, make_user, login):
    admin_headers = login(make_user("admin"))
    user = make_user("admin")
    old = _sign_in(client, user.email).json()
    url = f"/api/v1/users/{user.id}"
    assert client.patch(url, json={"is_active": False}, headers=admin_headers).status_code == 200
    assert client.patch(url, json={"is_active": True}, headers=admin_headers).status_code == 200
    # Reactivation does not bring the old sessions back.
    assert _refresh(client, old["refresh_token"]).status_code == 400
    assert client.get("/api/v1/auth/me", headers=_bearer(old)).status_code == 401
    assert _sign_in(client, user.email).status_code == 200


def test_revoking_an_api_key_stops_its_access_tokens(client, make_user, login):
    admin_headers = login(make_user("admin"))
    platform = make_user("platform")
    keys = [
        client.post(
            f"/api/v1/users/{platform.id}/api-keys", json={"name": n}, headers=admin_headers
        ).json()
        for n in ("old", "other")
    ]
    tokens = [
        client.post(
            TOKEN_URL,
            data={
                "grant_type": "client_credentials",
                "client_id": k["client_id"],
                "client_secret": k["client_secret"],
            },
        ).json()
        for k in keys
    ]
    assert client.get("/api/v1/auth/me", headers=_bearer(tokens[0])).status_code == 200
    revoked = client.delete(
        f"/api/v1/users/{platform.id}/api-keys/{keys[0]['id']}", headers=admin_headers
    )
    assert revoked.status_code == 204
    assert client.get("/api/v1/auth/me", headers=_bearer(tokens[0])).status_code == 401
    # The service account's other key is not affected.
    assert client.get("/api/v1/auth/me", headers=_bearer(tokens[1])).status_code == 200


# -- refresh tokens are single use -----------------------------------------------------------


def test_a_refresh_token_read_by_two_requests_is_redeemed_once(
    engine, session, settings, make_user
):
    """Two redemptions that both read the token as unused: one wins, the other is reuse."""
    user = make_user("admin")
    pair = password_sign_in(session, settings, user.email, TEST_PASSWORD)
    session.commit()
    jti = session.exec(select(RefreshToken.jti).where(RefreshToken.user_id == user.id)).one()
    with Session(engine, expire_on_commit=False) as first, Session(engine) as second:
        # This request has read the token as unused (held, as the identity map is weak) ...
        seen = first.get(RefreshToken, jti)  # noqa: F841
        refresh_sign_in(second, settings, pair.refresh_token)
        second.commit()  # ... while another one redeemed it
        with pytest.raises(SignInError):
            refresh_sign_in(first, settings, pair.refresh_token)
        first.commit()
    session.expire_all()
    family = session.exec(select(RefreshToken).where(RefreshToken.user_id == user.id)).all()
    assert len(family) == 2  # no third token was issued
    assert all(row.revoked_at is not None for row in family)  # reuse revoked the family
