"""Learner sign-in through a real OpenID Connect provider (node oidc-provider), over HTTP.

The provider's own login and consent forms are walked as a person would (the browser tests do
the same in Chromium). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from service.accounts.models import AuditEvent, RefreshToken, User
from service.federation.logins import digest, safe_return_to
from service.federation.models import FederatedIdentity, OidcLogin
from service.training.models import Learner
from tests.federation.oidc_provider import RunningProvider, rsa_jwk
from tests.federation.oidc_steps import (
    BASE,
    callback_uri,
    error_code,
    handle,
    link,
    sign_in,
    start,
    to_callback,
    tokens,
)
from tests.fixtures.builder import count, make_id_number


@dataclass
class Person:
    learner_id: uuid.UUID
    id_number: str
    name: str


@pytest.fixture
def web(app):
    """A browser of the public site (https, so the Secure binding cookie is sent back)."""
    with TestClient(app, base_url=BASE, follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def person(world) -> Person:
    """A learner registered by a training provider: a record, no account yet."""
    number = make_id_number()
    body = world.learner(id_number=number, name="王小红", groups=[])
    return Person(uuid.UUID(body["id"]), number, "王小红")


@pytest.fixture
def city(oidc_provider, configure_providers):
    running = oidc_provider("city", [callback_uri("city")])
    configure_providers(running)
    return running


def _me(web, page) -> dict:
    access = tokens(page)["access_token"]
    r = web.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"})
    assert r.status_code == 200, r.text
    return r.json()


def _links(session) -> list[FederatedIdentity]:
    session.expire_all()
    return list(session.exec(select(FederatedIdentity)).all())


def test_first_sign_in_links_by_holder_check_then_signs_in_directly(web, session, city, person):
    first = sign_in(web, city, "alice", return_to="/verify?x=1")
    assert first.status_code == 200
    assert "确认您的学员身份" in first.text  # the link step, not signed in yet
    assert _links(session) == []

    done = link(web, "city", first, person.id_number, person.name)
    assert done.status_code == 200, done.text
    assert done.headers["cache-control"] == "no-store"
    masked = person.id_number[:6] + "********" + person.id_number[-4:]
    assert f"已登录学员：{masked}" in done.text
    assert person.id_number not in done.text
    assert 'href="/verify?x=1"' in done.text  # offered, not followed
    me = _me(web, done)
    assert me["role"] == "learner"
    assert me["email"].endswith("@federated.invalid")  # no personal data in the account
    session.expire_all()
    learner = session.get(Learner, person.learner_id)
    assert str(learner.user_id) == me["id"]
    assert [(i.provider, i.subject, i.learner_id) for i in _links(session)] == [
        ("city", "alice", person.learner_id)
    ]
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "federation.link")).one()
    assert audit.subject_id == str(person.learner_id) and audit.detail == "provider=city"
    assert person.name not in audit.detail and person.id_number not in audit.detail

    again = sign_in(web, city, "alice")
    assert again.status_code == 200
    assert "oidc-session" in again.text and "确认您的学员身份" not in again.text
    assert _me(web, again)["id"] == me["id"]  # the same account, no second one
    assert count(session, FederatedIdentity) == 1


def test_a_learner_with_an_account_signs_in_to_that_account(web, session, world, city):
    user = world.make_user("learner")
    number = make_id_number()
    world.learner(headers=world.login(user), id_number=number, name="周杰", groups=[])
    done = link(web, "city", sign_in(web, city, "zhou"), number, "周杰")
    assert done.status_code == 200, done.text
    assert _me(web, done)["id"] == str(user.id)


def test_the_redirect_carries_code_flow_pkce_state_and_nonce(web, session, city):
    r = start(web, "city", return_to="/dashboard")
    assert r.status_code == 302
    target = urlsplit(r.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == city.issuer
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["response_type"] == "code"
    assert query["scope"].split() == ["openid"]
    assert query["client_id"] == city.client_id
    assert query["redirect_uri"] == callback_uri("city")
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 22
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" in cookie
    row = session.exec(select(OidcLogin)).one()
    assert row.state_hash == digest(query["state"])  # the state itself is not kept
    assert query["code_challenge"].encode() not in row.verifier_encrypted
    assert row.return_to == "/dashboard"


def test_the_provider_list_is_public(web, oidc_provider, configure_providers):
    configure_providers(
        oidc_provider("city", [callback_uri("city")]),
        oidc_provider("school", [callback_uri("school")]),
    )
    r = web.get("/api/v1/auth/oidc/providers")
    assert r.status_code == 200
    assert r.json() == [
        {"name": "city", "label": "Test IdP city", "login_url": "/auth/oidc/city/login"},
        {"name": "school", "label": "Test IdP school", "login_url": "/auth/oidc/school/login"},
    ]


def test_an_unknown_provider_is_404(web, session, city):
    r = start(web, "nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unknown-provider"
    page = web.get("/auth/oidc/nowhere/callback?code=x&state=y")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert count(session, OidcLogin) == 0


def _nothing_signed_in(session) -> None:
    session.expire_all()
    assert count(session, FederatedIdentity) == 0
    learner_tokens = select(RefreshToken).join(User, col(User.id) == RefreshToken.user_id)
    assert session.exec(learner_tokens.where(User.role == "learner")).all() == []
    assert session.exec(select(User).where(col(User.email).like("%federated.invalid"))).all() == []


def test_a_forged_state_is_refused(web, session, city):
    callback = to_callback(web, city, "mallory")
    query = parse_qs(urlsplit(callback).query)
    forged = web.get(
        "/auth/oidc/city/callback", params={"code": query["code"][0], "state": "forged-" + "a" * 40}
    )
    assert forged.status_code == 400
    assert error_code(forged) == "oidc-state-invalid"
    assert "这个登录链接已失效" in forged.text
    session.expire_all()
    assert session.exec(select(OidcLogin)).one().used_at is None  # the real one is untouched
    _nothing_signed_in(session)


def test_a_replayed_callback_is_refused(web, session, city, person):
    callback = to_callback(web, city, "alice")
    first = web.get(callback)
    assert first.status_code == 200 and handle(first)
    replay = web.get(callback)
    assert replay.status_code == 400
    assert error_code(replay) == "oidc-state-invalid"
    _nothing_signed_in(session)


def test_an_expired_state_is_refused(web, session, city):
    callback = to_callback(web, city, "alice")
    row = session.exec(select(OidcLogin)).one()
    row.expires_at = row.expires_at - timedelta(minutes=11)
    session.add(row)
    session.commit()
    r = web.get(callback)
    assert r.status_code == 400 and error_code(r) == "oidc-state-invalid"
    session.expire_all()
    assert session.exec(select(OidcLogin)).one().used_at is None
    _nothing_signed_in(session)


def test_a_callback_in_another_browser_is_refused(web, app, session, city):
    """The state alone is not enough: the browser that started the sign-in must finish it (a
    victim cannot be made to finish an attacker's sign-in, RFC 6749 section 10.12)."""
    callback = to_callback(web, city, "attacker")
    with TestClient(app, base_url=BASE, follow_redirects=False) as other:
        r = other.get(callback)
    assert r.status_code == 400 and error_code(r) == "oidc-state-invalid"
    _nothing_signed_in(session)


def test_a_provider_error_is_explained(web, session, city):
    started = start(web, "city")
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    r = web.get(
        "/auth/oidc/city/callback",
        params={
            "error": "access_denied",
            "error_description": "<script>alert(1)</script>",
            "state": state,
            "iss": city.issuer,
        },
    )
    assert r.status_code == 400
    assert error_code(r) == "provider-access_denied"
    assert "登录已取消" in r.text and "<script>alert" not in r.text
    assert 'href="/auth/oidc/city/login"' in r.text
    odd = web.get("/auth/oidc/city/callback", params={"error": '"><b>x</b>', "state": state})
    assert odd.status_code == 400 and error_code(odd) == "provider-error"
    assert "未能完成登录" in odd.text and "<b>x</b>" not in odd.text
    _nothing_signed_in(session)


def test_an_unreachable_provider_is_503_and_records_nothing(
    web, session, configure_providers, tmp_path
):
    down = RunningProvider("down", [callback_uri("down")], workdir=tmp_path)  # never started
    configure_providers(down)  # nothing listens there
    r = start(web, "down")
    assert r.status_code == 503
    assert r.json()["code"] == "provider-unavailable"
    assert count(session, OidcLogin) == 0


def test_a_wrong_name_links_nothing_and_tries_run_out(web, session, city, person):
    page = sign_in(web, city, "alice")
    value = handle(page)
    for wrong in ("王小明", "", "王小红 ".replace("红", "")):
        r = link(web, "city", value, person.id_number, wrong)
        assert r.status_code == 403
        assert "身份证号码和姓名与学员档案不符" in r.text
        assert person.id_number not in r.text
    other_number = link(web, "city", value, make_id_number(), person.name)
    assert other_number.status_code == 403 and "与学员档案不符" in other_number.text
    last = link(web, "city", value, "not-a-number", person.name)
    assert last.status_code == 403 and error_code(last) == "oidc-link-expired"
    spent = link(web, "city", value, person.id_number, person.name)  # right, but too late
    assert spent.status_code == 403 and error_code(spent) == "oidc-link-expired"
    _nothing_signed_in(session)


def test_the_link_step_needs_the_browser_that_signed_in(web, app, session, city, person):
    page = sign_in(web, city, "attacker")
    with TestClient(app, base_url=BASE, follow_redirects=False) as victim:
        r = link(victim, "city", page, person.id_number, person.name)
    assert r.status_code == 403 and error_code(r) == "oidc-link-expired"
    _nothing_signed_in(session)


def test_a_learner_linked_to_another_subject_is_refused(web, app, session, city, person):
    assert link(web, "city", sign_in(web, city, "alice"), person.id_number, person.name).is_success
    with TestClient(app, base_url=BASE, follow_redirects=False) as other:
        page = sign_in(other, city, "bob")
        r = link(other, "city", page, person.id_number, person.name)
    assert r.status_code == 409 and error_code(r) == "oidc-already-linked"
    assert [(i.subject, i.learner_id) for i in _links(session)] == [("alice", person.learner_id)]


def test_two_providers_side_by_side(web, session, oidc_provider, configure_providers, person):
    """A subject is a provider's: the same ``sub`` at another provider is another person until
    linked, and one learner may be linked once at each provider."""
    city = oidc_provider("city", [callback_uri("city")])
    school = oidc_provider("school", [callback_uri("school")])
    configure_providers(city, school)
    assert link(web, "city", sign_in(web, city, "alice"), person.id_number, person.name).is_success

    at_school = sign_in(web, school, "alice")
    assert at_school.status_code == 200 and "确认您的学员身份" in at_school.text
    done = link(web, "school", at_school, person.id_number, person.name)
    assert done.status_code == 200, done.text
    assert "Test IdP school" in done.text
    assert sorted((i.provider, i.subject) for i in _links(session)) == [
        ("city", "alice"),
        ("school", "alice"),
    ]
    assert (
        _me(web, sign_in(web, city, "alice"))["id"] == _me(web, sign_in(web, school, "alice"))["id"]
    )


def test_an_id_token_signed_with_another_key_is_refused(
    web, session, oidc_provider, configure_providers, person
):
    """The provider's keys are fetched once; a token signed by another key under the same key
    id (someone else answering at the issuer's address) is refused, nothing happens."""
    city = oidc_provider("city", [callback_uri("city")])
    configure_providers(city)
    first = sign_in(web, city, "alice")
    assert first.status_code == 200  # the key set is now known
    oidc_provider.restart(city, rsa_jwk(city.jwk["kid"]))
    r = sign_in(web, city, "alice")
    assert r.status_code == 400
    assert error_code(r) == "id-token-signature"
    assert "未通过校验" in r.text
    _nothing_signed_in(session)


def test_the_language_chosen_at_the_start_carries_through(web, session, city, person):
    page = sign_in(web, city, "alice", return_to="/verify", lang="en")
    assert '<html lang="en">' in page.text and "Confirm who you are" in page.text
    # The switch starts the sign-in again: the callback's own address cannot be reopened.
    assert 'href="/auth/oidc/city/login?lang=zh"' in page.text
    done = link(web, "city", page, person.id_number, person.name)
    assert done.status_code == 200
    assert "Signed in as learner" in done.text
    assert 'href="/auth/oidc/city/login?return_to=%2Fverify&amp;lang=zh"' in done.text


def test_the_link_step_shares_the_holder_check_rate_limit():
    from service.api.rate_limits import rule_for

    rule = rule_for("POST", "/auth/oidc/city/link")
    assert rule is not None and rule.group == "holder-check" and rule.page
    assert rule_for("GET", "/auth/oidc/city/callback") is None


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        ("/me/credentials?tab=1", "/me/credentials?tab=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_return_to_stays_on_this_site(asked, kept):
    assert safe_return_to(asked) == kept


def test_no_personal_data_or_secrets_in_logs(web, session, city, person, caplog):
    callback = to_callback(web, city, "alice")  # the test's own walk through the provider
    caplog.set_level(logging.DEBUG)
    page = web.get(callback)
    refused = link(web, "city", page, person.id_number, "别人")
    assert refused.status_code == 403
    done = link(web, "city", page, person.id_number, person.name)
    assert done.status_code == 200
    pair = tokens(done)
    query = parse_qs(urlsplit(callback).query)
    # What the service logged: not the test client's own request lines (httpx logs those).
    records = [r for r in caplog.records if not (r.name == "httpx" and BASE in r.getMessage())]
    assert any(r.name == "skills.access" for r in records)
    logged = "".join(f"{r.getMessage()} {r.__dict__}" for r in records)
    for secret in (
        person.id_number,
        person.name,
        "别人",
        pair["access_token"],
        pair["refresh_token"],
        query["code"][0],
        query["state"][0],
        handle(page),
        city.client_secret,
    ):
        assert secret not in logged
