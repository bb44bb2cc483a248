"""The link step and the browser binding, against the abuse a reviewer found: guessing an ID
number over many sign-ins, a binding cookie planted from a sibling subdomain, a provider slug
repointed to another issuer, and the same person confirming in two browsers at once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from service.core.timeutil import utcnow
from service.federation.id_tokens import IdTokenClaims
from service.federation.logins import HOST_COOKIE, browser_cookie, cookie_options, digest
from service.federation.models import FederatedIdentity, OidcLogin
from service.federation.signin import (
    PendingLink,
    SignedIn,
    after_callback,
    link_and_sign_in,
    mask_account,
)
from tests.federation.oidc_steps import (
    BASE,
    callback_uri,
    error_code,
    link,
    sign_in,
    start,
    to_callback,
)
from tests.fixtures.builder import make_id_number

NAME = "王小红"


@pytest.fixture
def web(app):
    with TestClient(app, base_url=BASE, follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def city(oidc_provider, configure_providers):
    running = oidc_provider("city", [callback_uri("city")])
    configure_providers(running)
    return running


@pytest.fixture
def number(world) -> str:
    value = make_id_number()
    world.learner(id_number=value, name=NAME, groups=[])
    return value


def _links(session) -> list[FederatedIdentity]:
    session.expire_all()
    return list(session.exec(select(FederatedIdentity)).all())


# ---- guessing over many sign-ins ----------------------------------------------------------


def test_link_tries_are_counted_per_subject_across_sign_ins(web, session, settings, city, number):
    """Starting the sign-in again gives a new attempt (5 tries each) but not new guesses: past
    SKILLS_OIDC_LINK_MAX_FAILURES a day for the subject, even the right answer is refused, the
    same way as a wrong one."""
    settings.oidc_link_max_failures = 3
    first = sign_in(web, city, "mallory")
    for _ in range(3):
        wrong = link(web, "city", first, make_id_number(), NAME)
        assert wrong.status_code == 403 and "与学员档案不符" in wrong.text
    again = sign_in(web, city, "mallory")  # a fresh attempt, a fresh handle
    right = link(web, "city", again, number, NAME)
    assert right.status_code == 403
    assert "与学员档案不符" in right.text  # the generic refusal page, nothing more
    assert _links(session) == []
    # another subject of the same provider is not held back
    other = sign_in(web, city, "alice")
    assert link(web, "city", other, number, NAME).status_code == 200


def test_a_successful_link_is_not_a_failure(session, settings, world):
    """Only open (unused) attempts count."""
    row = _row(session, "someone", attempts=4, used=True)
    assert row.link_used_at is not None
    assert _count(session, row) == 0


# ---- the binding cookie --------------------------------------------------------------------


def test_the_binding_cookie_is_a_host_cookie_over_https(web, city):
    started = start(web, "city")
    cookie = started.headers["set-cookie"]
    assert cookie.startswith(f"{HOST_COOKIE}=")
    assert "Path=/;" in cookie and "Secure" in cookie and "domain" not in cookie.lower()


def test_plain_http_development_keeps_the_plain_cookie(settings, monkeypatch):
    monkeypatch.setattr(settings, "public_base_url", "http://localhost:8000")
    assert browser_cookie(settings) == "skills_oidc"
    assert cookie_options(settings)["path"] == "/auth/oidc"
    assert cookie_options(settings)["secure"] is False


def test_a_binding_cookie_planted_from_a_sibling_subdomain_is_ignored(web, app, session, city):
    """An attacker starts a sign-in, then plants its binding value as a plain cookie for the
    parent domain (what script on a sibling origin can do) and sends the victim the callback
    link: the victim must not finish the attacker's sign-in (and link it to themselves)."""
    callback = to_callback(web, city, "attacker")
    value = next(v for k, v in web.cookies.items() if k.endswith("skills_oidc"))
    with TestClient(app, base_url=BASE, follow_redirects=False) as victim:
        host = urlsplit(BASE).hostname
        victim.cookies.set("skills_oidc", value, domain=host, path="/auth/oidc")
        answer = victim.get(callback)
    assert answer.status_code == 400 and error_code(answer) == "oidc-state-invalid"
    # the control: the same value under the __Host- name (which no sibling origin can set)
    # is the binding, so the refusal above was the cookie's name, not the test client
    with TestClient(app, base_url=BASE, follow_redirects=False) as owner:
        owner.cookies.set(HOST_COOKIE, value, domain=host, path="/")
        assert owner.get(callback).status_code == 200


def test_the_link_page_shows_whose_provider_account_is_linked(web, city, number):
    page = sign_in(web, city, "alice")
    assert "确认您的学员身份" in page.text
    assert "a****e" in page.text and "要关联的Test IdP city账号" in page.text
    wrong = link(web, "city", page, make_id_number(), NAME)
    assert wrong.status_code == 403 and "a****e" in wrong.text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("alice", "a****e"),
        ("13812345678", "13****78"),
        ("ab", "a****"),
        ("x" * 300, "xxxx****xxxx"),
    ],
)
def test_account_names_are_masked(value, shown):
    assert mask_account(value) == shown


# ---- (iss, sub), not the slug --------------------------------------------------------------


def _row(session, subject, *, issuer="https://idp.example", attempts=0, used=False) -> OidcLogin:
    now = utcnow()
    row = OidcLogin(
        state_hash=digest(uuid.uuid4().hex),
        browser_hash=digest("browser"),
        provider="city",
        issuer=issuer,
        nonce="n",
        verifier_encrypted=b"sealed",
        expires_at=now + timedelta(minutes=10),
        subject=subject,
        link_handle_hash=digest(uuid.uuid4().hex),
        link_expires_at=now + timedelta(minutes=10),
        link_attempts=attempts,
        link_used_at=now if used else None,
    )
    session.add(row)
    session.commit()
    return row


def _count(session, row) -> int:
    from service.federation.signin import _failed_tries

    return _failed_tries(session, row)


def _claims(issuer: str, subject: str) -> IdTokenClaims:
    return IdTokenClaims(issuer, subject, ("c",), utcnow() + timedelta(minutes=5), "n", {})


def test_a_slug_repointed_to_another_issuer_does_not_sign_in_its_old_links(
    session, settings, world
):
    learner = world.learner()
    session.add(
        FederatedIdentity(
            provider="city",
            issuer="https://old-idp.example",
            subject="alice",
            learner_id=uuid.UUID(learner["id"]),
        )
    )
    session.commit()
    row = _row(session, None, issuer="https://new-idp.example")
    outcome = after_callback(session, settings, row, _claims("https://new-idp.example", "alice"))
    assert isinstance(outcome, PendingLink)  # a stranger until linked, not the old "alice"
    session.rollback()
    old = _row(session, None, issuer="https://old-idp.example")
    signed = after_callback(session, settings, old, _claims("https://old-idp.example", "alice"))
    assert isinstance(signed, SignedIn)


# ---- the same person in two browsers at once ----------------------------------------------


def test_the_same_link_confirmed_in_two_browsers_signs_in_both(session, settings, number):
    first = _row(session, "alice")
    second = _row(session, "alice")  # opened before the first one was confirmed
    done = link_and_sign_in(session, settings, first, id_number=number, name=NAME)
    session.commit()
    again = link_and_sign_in(session, settings, second, id_number=number, name=NAME)
    session.commit()
    assert isinstance(done, SignedIn) and isinstance(again, SignedIn)
    assert done.masked_id == again.masked_id
    assert [(i.issuer, i.subject) for i in _links(session)] == [("https://idp.example", "alice")]


# ---- starting a sign-in is rate-limited -------------------------------------------------------


def test_starting_sign_ins_is_rate_limited(web, session, settings, monkeypatch):
    monkeypatch.setattr(settings, "rate_limit_token", "2/minute")
    statuses = [start(web, "nowhere").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    assert session.exec(select(OidcLogin)).all() == []
