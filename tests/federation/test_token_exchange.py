"""Token exchange (RFC 8693) at POST /api/v1/auth/token: the platform's API key plus a learner's
ID token (from a real test IdP over HTTP) or learner id -> a token of that one learner."""

from __future__ import annotations

import base64
import time

import jwt
from sqlmodel import select

from service.accounts.models import User
from service.federation.exchange import (
    ACCESS_TOKEN_TYPE,
    EXCHANGED,
    GRANT_TYPE,
    LEARNER_ID_TYPE,
    REFUSED,
)
from service.federation.learner_accounts import ACCOUNT_CREATED
from tests.federation import issuer_fixture as support
from tests.federation.issuer_fixture import (
    TOKEN,
    audit,
    bearer,
    exchange,
    hmac_confused_token,
    link,
    refused,
    unsigned_token,
)

zlb_idp = support.zlb_idp  # fixtures
platform_client = support.platform_client


# ---- the way it should go ---------------------------------------------------------------------


def test_an_id_token_gives_a_token_of_that_learner_and_no_other(
    world, client, session, zlb_idp, platform_client
):
    learner, other = world.learner(), world.learner()
    link(session, learner, "zlb-person-1", zlb_idp.issuer)
    answer = exchange(client, platform_client.form, zlb_idp.id_token(sub="zlb-person-1"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 900
    assert "refresh_token" not in body
    assert answer.headers["cache-control"] == "no-store"

    headers = bearer(answer)
    assert client.get("/api/v1/me/learner", headers=headers).json()["id"] == learner["id"]
    assert (
        client.get(f"/api/v1/learners/{learner['id']}/record", headers=headers).status_code == 200
    )
    mine = client.get("/api/v1/auth/me", headers=headers).json()
    assert mine["role"] == "learner"
    assert "federated.invalid" in mine["email"]  # no personal data in the made account
    # another learner's records are not this token's
    assert client.get(f"/api/v1/learners/{other['id']}/record", headers=headers).status_code == 403
    # nor can it act for another learner the way the platform's own token can
    acting = {**headers, "X-Learner-Id": other["id"]}
    assert client.get("/api/v1/me/learner", headers=acting).status_code == 403


def test_the_token_names_the_platform_as_its_actor(
    world, client, session, zlb_idp, platform_client
):
    learner = world.learner()
    link(session, learner, "zlb-person-2", zlb_idp.issuer)
    token = exchange(client, platform_client.form, zlb_idp.id_token(sub="zlb-person-2")).json()
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["act"] == {
        "sub": str(platform_client.user.id),
        "client_id": platform_client.client_id,
        "gen": 0,  # the platform account's token generation
    }
    assert claims["role"] == "learner"
    assert "zlb-person-2" not in token["access_token"]


def test_a_learner_id_gives_a_token_by_http_basic_and_one_account_only(
    world, client, session, platform_client
):
    learner = world.learner()
    basic = base64.b64encode(
        f"{platform_client.client_id}:{platform_client.client_secret}".encode()
    ).decode()
    seen = set()
    for _ in range(2):
        answer = client.post(
            TOKEN,
            data={
                "grant_type": GRANT_TYPE,
                "subject_token": learner["id"],
                "subject_token_type": LEARNER_ID_TYPE,
            },
            headers={"Authorization": f"Basic {basic}"},
        )
        headers = bearer(answer)
        assert client.get("/api/v1/me/learner", headers=headers).json()["id"] == learner["id"]
        seen.add(client.get("/api/v1/auth/me", headers=headers).json()["id"])
    assert len(seen) == 1  # the second exchange uses the account the first one made
    assert [e.subject_id for e in audit(session, ACCOUNT_CREATED)] == [learner["id"]]


def test_a_learner_with_an_account_gets_a_token_of_that_account(world, client, platform_client):
    learner, own_headers = world.learner_with_login()
    answer = exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE)
    exchanged = client.get("/api/v1/auth/me", headers=bearer(answer)).json()
    assert exchanged["id"] == client.get("/api/v1/auth/me", headers=own_headers).json()["id"]


def test_the_exchanged_token_works_where_the_acting_header_is_switched_off(
    world, client, settings, monkeypatch, platform_client
):
    learner = world.learner()
    monkeypatch.setattr(settings, "platform_acts_by_header", False)
    headers = bearer(exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE))
    assert client.get("/api/v1/me/learner", headers=headers).json()["id"] == learner["id"]


def test_the_nonce_of_the_id_token_does_not_matter_to_the_exchange(
    world, client, session, zlb_idp, platform_client
):
    learner = world.learner()
    link(session, learner, "zlb-person-3", zlb_idp.issuer)
    for nonce in ("whatever-the-app-sent", None):
        assert (
            exchange(
                client, platform_client.form, zlb_idp.id_token(sub="zlb-person-3", nonce=nonce)
            ).status_code
            == 200
        )


def test_each_exchange_is_audited_without_the_token(
    world, client, session, zlb_idp, platform_client
):
    learner = world.learner()
    link(session, learner, "zlb-person-4", zlb_idp.issuer)
    id_token = zlb_idp.id_token(sub="zlb-person-4")
    access = exchange(client, platform_client.form, id_token).json()["access_token"]
    exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE)
    events = audit(session, EXCHANGED)
    assert [e.subject_id for e in events] == [learner["id"], learner["id"]]
    assert {e.actor_id for e in events} == {platform_client.user.id}
    assert {e.actor_role for e in events} == {"platform"}
    by_token = next(e for e in events if "subject_token_type=id_token" in e.detail)
    assert "provider=zlb" in by_token.detail
    assert any("subject_token_type=learner-id" in e.detail for e in events)
    for event in events:
        for secret in (id_token, access, "zlb-person-4", platform_client.client_secret):
            assert secret not in event.detail


# ---- the ID token is not good enough ------------------------------------------------------


def test_an_expired_id_token_is_refused(world, client, session, zlb_idp, platform_client):
    learner = world.learner()
    link(session, learner, "zlb-old", zlb_idp.issuer)
    now = int(time.time())
    token = zlb_idp.id_token(sub="zlb-old", iat=now - 3600, exp=now - 600)
    body = refused(
        exchange(client, platform_client.form, token), 400, "invalid_grant", token, "zlb-old"
    )
    assert "expired" in body["detail"]
    assert audit(session, EXCHANGED) == []


def test_an_id_token_for_another_audience_is_refused(
    world, client, session, zlb_idp, platform_client
):
    learner = world.learner()
    link(session, learner, "zlb-aud", zlb_idp.issuer)
    # a token the IdP gave our own sign-in client, or another app, is not the platform's
    for aud in ("skills-at-zlb", "some-other-app"):
        token = zlb_idp.id_token(sub="zlb-aud", aud=aud)
        refused(exchange(client, platform_client.form, token), 400, "invalid_grant", token)
    assert audit(session, EXCHANGED) == []
    refusals = audit(session, REFUSED)
    assert [e.detail for e in refusals] == [
        "subject_token_type=id_token provider=zlb error=invalid_grant"
    ] * 2


def test_an_id_token_of_an_unconfigured_issuer_is_refused(
    world, client, session, zlb_idp, platform_client
):
    learner = world.learner()
    link(session, learner, "zlb-iss", zlb_idp.issuer)
    token = zlb_idp.id_token(sub="zlb-iss", iss="https://other-idp.example")
    refused(exchange(client, platform_client.form, token), 400, "invalid_grant", token)


def test_an_id_token_signed_by_another_key_is_refused(
    world, client, session, zlb_idp, platform_client
):
    from cryptography.hazmat.primitives.asymmetric import rsa

    learner = world.learner()
    link(session, learner, "zlb-key", zlb_idp.issuer)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for kid in ("rsa-1", "not-a-kid-of-the-idp"):
        token = zlb_idp.id_token(sub="zlb-key", key=stranger, kid=kid)
        refused(exchange(client, platform_client.form, token), 400, "invalid_grant", token)
    assert audit(session, EXCHANGED) == []


def test_unsigned_and_hmac_confused_id_tokens_are_refused(
    world, client, session, zlb_idp, platform_client
):
    learner = world.learner()
    link(session, learner, "zlb-alg", zlb_idp.issuer)
    for token in (
        unsigned_token(zlb_idp.claims(sub="zlb-alg")),
        hmac_confused_token(zlb_idp, zlb_idp.claims(sub="zlb-alg")),
    ):
        refused(exchange(client, platform_client.form, token), 400, "invalid_grant", token)
    assert audit(session, EXCHANGED) == []


def test_an_unlinked_subject_is_refused(world, client, session, zlb_idp, platform_client):
    world.learner()
    token = zlb_idp.id_token(sub="zlb-nobody")
    body = refused(
        exchange(client, platform_client.form, token), 400, "invalid_grant", "zlb-nobody"
    )
    assert "not linked" in body["detail"]
    assert session.exec(select(User).where(User.email.contains("federated.invalid"))).all() == []


def test_a_provider_that_allows_no_exchange_is_refused(
    world, client, session, zlb_idp, settings, platform_client
):
    settings.oidc_providers[0] = settings.oidc_providers[0].model_copy(
        update={"exchange_audiences": []}
    )
    learner = world.learner()
    link(session, learner, "zlb-closed", zlb_idp.issuer)
    refused(
        exchange(client, platform_client.form, zlb_idp.id_token(sub="zlb-closed")),
        400,
        "invalid_grant",
    )


def test_an_unreachable_idp_is_a_503_not_a_crash(world, client, session, zlb_idp, platform_client):
    learner = world.learner()
    link(session, learner, "zlb-down", zlb_idp.issuer)
    token = zlb_idp.id_token(sub="zlb-down")
    zlb_idp.close()
    answer = exchange(client, platform_client.form, token)
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "provider-unavailable"


def test_an_unknown_learner_id_is_refused(world, client, platform_client):
    for value in ("00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        refused(
            exchange(client, platform_client.form, value, LEARNER_ID_TYPE), 400, "invalid_grant"
        )


# ---- the request itself -----------------------------------------------------------------------


def test_malformed_exchange_requests_are_refused_with_their_oauth_error(
    world, client, platform_client
):
    learner = world.learner()
    ok = {"subject_token": learner["id"], "token_type": LEARNER_ID_TYPE}

    def ask(**extra):
        token_type = extra.pop("token_type", ok["token_type"])
        subject = extra.pop("subject_token", ok["subject_token"])
        return exchange(client, platform_client.form, subject, token_type, **extra)

    refused(ask(token_type=ACCESS_TOKEN_TYPE), 400, "invalid_request")
    refused(ask(token_type="urn:example:unknown"), 400, "invalid_request")
    refused(ask(subject_token=""), 400, "invalid_request")
    refused(
        ask(requested_token_type="urn:ietf:params:oauth:token-type:refresh_token"),
        400,
        "invalid_request",
    )
    refused(ask(actor_token="something"), 400, "invalid_request")
    refused(ask(audience="https://other-service.example"), 400, "invalid_target")
    refused(ask(resource="https://other-service.example/api"), 400, "invalid_target")
    for fine in (
        {"requested_token_type": ACCESS_TOKEN_TYPE},
        {"audience": "skills-api"},
        {"resource": "https://skills.test"},
    ):
        assert ask(**fine).status_code == 200, fine
