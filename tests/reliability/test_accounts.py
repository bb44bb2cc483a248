"""Replays of attacks on sign-in, over real HTTP with real threads (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from service.accounts.models import RefreshToken, User
from tests.fixtures.accounts import TEST_PASSWORD

TOKEN_PATH = "/api/v1/auth/token"


@pytest.fixture(autouse=True)
def _many_addresses(settings, monkeypatch):
    """The attacker spreads requests over many addresses, so the per-address rate limit is
    lifted here: the account rules must hold on their own."""
    monkeypatch.setattr(settings, "rate_limit_token", "10000/minute")


def _all_at_once(base: str, count: int, data: dict) -> list[int]:
    """``count`` identical token requests released together; their status codes."""
    barrier = threading.Barrier(count, timeout=30)
    with httpx.Client(base_url=base, timeout=120) as http:

        def one(_: int) -> int:
            barrier.wait()
            return http.post(TOKEN_PATH, data=data).status_code

        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(one, range(count)))


def test_parallel_wrong_passwords_lock_the_account(
    live_server, session, settings, monkeypatch, make_user
):
    monkeypatch.setattr(settings, "login_max_failures", 5)
    user = make_user("admin")
    codes = _all_at_once(
        live_server, 30, {"username": user.email, "password": "wrong-password-123"}
    )
    assert codes == [400] * 30
    with httpx.Client(base_url=live_server, timeout=60) as http:
        right = http.post(TOKEN_PATH, data={"username": user.email, "password": TEST_PASSWORD})
    assert right.status_code == 400 and right.json()["code"] == "invalid-grant"
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored.lockouts == 1  # one lock, not one per surplus attempt
    assert stored.failed_logins == settings.login_max_failures


def test_parallel_redemptions_of_one_refresh_token_give_one_pair(live_server, session, make_user):
    user = make_user("admin")
    with httpx.Client(base_url=live_server, timeout=60) as http:
        first = http.post(TOKEN_PATH, data={"username": user.email, "password": TEST_PASSWORD})
    refresh = first.json()["refresh_token"]
    codes = _all_at_once(live_server, 10, {"grant_type": "refresh_token", "refresh_token": refresh})
    assert sorted(codes) == [200] + [400] * 9
    session.expire_all()
    rows = session.exec(select(RefreshToken).where(RefreshToken.user_id == user.id)).all()
    assert len(rows) == 2  # the original and the winner's; the losers got nothing


def test_password_change_refuses_the_old_tokens(live_server, make_user, login):
    admin_headers = login(make_user("admin"))
    user = make_user("admin")
    with httpx.Client(base_url=live_server, timeout=60) as http:
        old = http.post(TOKEN_PATH, data={"username": user.email, "password": TEST_PASSWORD})
        old = old.json()
        changed = http.patch(
            f"/api/v1/users/{user.id}",
            json={"password": "another-password-77"},
            headers=admin_headers,
        )
        assert changed.status_code == 200, changed.text
        reuse = http.post(
            TOKEN_PATH,
            data={"grant_type": "refresh_token", "refresh_token": old["refresh_token"]},
        )
        me = http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old['access_token']}"})
    assert reuse.status_code == 400
    assert me.status_code == 401
