"""What an exchanged token owes to the platform that got it: it ends with the platform's
sessions or role, what it does is attributed to the platform, links are the issuer's (not the
provider slug's), and the platform has its own rate-limit budget."""

from __future__ import annotations

import base64
import uuid

from sqlalchemy import update
from sqlmodel import select

from service.accounts.models import AuditEvent, User
from service.core.settings import OidcProviderConfig
from service.federation.exchange import LEARNER_ID_TYPE
from service.training.models import Enrollment
from tests.federation import issuer_fixture as support
from tests.federation.issuer_fixture import (
    PLATFORM_CLIENT_ID,
    TOKEN,
    TestIdentityProvider,
    bearer,
    exchange,
    link,
    refused,
)
from tests.fixtures.accounts import TEST_PASSWORD

zlb_idp = support.zlb_idp  # fixtures
platform_client = support.platform_client


def _basic(platform) -> dict:
    pair = f"{platform.client_id}:{platform.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


# ---- the platform's sessions and role (act.gen) -----------------------------------------------


def test_ending_the_platforms_sessions_ends_its_exchanged_tokens(world, client, platform_client):
    learner = world.learner()
    headers = bearer(exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE))
    assert client.get("/api/v1/me/learner", headers=headers).status_code == 200
    # a new password for the platform account ends its sessions (generation + 1)
    changed = client.patch(
        f"/api/v1/users/{platform_client.user.id}",
        json={"password": TEST_PASSWORD + "-new"},
        headers=world.admin,
    )
    assert changed.status_code == 200, changed.text
    answer = client.get("/api/v1/me/learner", headers=headers)
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
    # the key still works: a new exchange gives a token that works
    again = bearer(exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE))
    assert client.get("/api/v1/me/learner", headers=again).status_code == 200


def test_an_exchanged_token_ends_when_its_actor_is_no_longer_the_platform(
    world, client, session, platform_client
):
    learner = world.learner()
    headers = bearer(exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE))
    # the role alone (as if changed without ending sessions) is enough
    session.execute(update(User).where(User.id == platform_client.user.id).values(role="org_admin"))
    session.commit()
    assert client.get("/api/v1/me/learner", headers=headers).status_code == 401


# ---- attribution ------------------------------------------------------------------------------


def test_an_enrolment_with_an_exchanged_token_names_the_platform(
    world, client, session, platform_client
):
    learner, own_headers = world.learner_with_login()
    offering = world.offering()
    headers = bearer(exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE))
    made = client.post("/api/v1/enrollments", json={"offering_id": offering["id"]}, headers=headers)
    assert made.status_code == 201, made.text
    session.expire_all()
    enrollment = session.get(Enrollment, uuid.UUID(made.json()["id"]))
    assert enrollment.consent_proof == "platform"  # not "self": the learner did not do it
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "enrollment.create", AuditEvent.subject_id == str(enrollment.id)
        )
    ).one()
    assert event.detail.endswith(f" via={platform_client.user.id}")
    assert "proof=platform" in event.detail
    # what an administrator reads
    listed = client.get(
        "/api/v1/admin/audit",
        params={"action": "enrollment.create", "subject_id": str(enrollment.id)},
        headers=world.admin,
    ).json()
    assert f"via={platform_client.user.id}" in str(listed)

    # the learner's own enrolment stays "self", with no via
    other = world.offering()
    own = client.post("/api/v1/enrollments", json={"offering_id": other["id"]}, headers=own_headers)
    assert own.status_code == 201, own.text
    session.expire_all()
    assert session.get(Enrollment, uuid.UUID(own.json()["id"])).consent_proof == "self"
    own_event = session.exec(
        select(AuditEvent).where(AuditEvent.subject_id == own.json()["id"])
    ).one()
    assert "via=" not in own_event.detail


def test_an_exchanged_token_still_cannot_enrol_another_learner(world, client, platform_client):
    learner, other = world.learner(), world.learner()
    offering = world.offering()
    headers = bearer(exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE))
    answer = client.post(
        "/api/v1/enrollments",
        json={"offering_id": offering["id"], "learner_id": other["id"]},
        headers=headers,
    )
    assert answer.status_code in (403, 422), answer.text


# ---- (iss, sub), not the slug --------------------------------------------------------------


def test_a_slug_repointed_to_another_issuer_does_not_inherit_its_links(
    world, client, session, settings, zlb_idp, platform_client
):
    learner = world.learner()
    link(session, learner, "same-sub", zlb_idp.issuer)
    assert exchange(client, platform_client.form, zlb_idp.id_token(sub="same-sub")).is_success
    newcomer = TestIdentityProvider()
    try:
        settings.oidc_providers = [
            OidcProviderConfig(
                name="zlb",  # the same slug, another issuer
                issuer=newcomer.issuer,
                client_id="skills-at-zlb",
                client_secret="a-client-secret",  # noqa: S106
                exchange_audiences=[PLATFORM_CLIENT_ID],
            )
        ]
        token = newcomer.id_token(sub="same-sub")
        body = refused(exchange(client, platform_client.form, token), 400, "invalid_grant")
        assert "not linked" in body["detail"]
    finally:
        newcomer.close()


# ---- the platform's own budget ------------------------------------------------------------


def test_exchanges_with_basic_credentials_have_the_clients_budget(
    world, client, settings, monkeypatch, platform_client
):
    learner = world.learner()
    monkeypatch.setattr(settings, "rate_limit_token", "2/minute")
    monkeypatch.setattr(settings, "rate_limit_client", "4/minute")
    data = {
        "grant_type": support.GRANT_TYPE,
        "subject_token": learner["id"],
        "subject_token_type": LEARNER_ID_TYPE,
    }
    statuses = [
        client.post(TOKEN, data=data, headers=_basic(platform_client)).status_code for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429], statuses  # past the token budget of 2
    # made-up client ids buy nothing more from the same address
    fake = {"Authorization": "Basic " + base64.b64encode(b"sk_made_up:x").decode()}
    assert client.post(TOKEN, data=data, headers=fake).status_code == 429


def test_basic_credentials_with_a_password_grant_are_refused(world, client, platform_client):
    """Else a made-up Basic header would move password guesses to the larger budget."""
    user = world.make_user("learner")
    answer = client.post(
        TOKEN,
        data={"grant_type": "password", "username": user.email, "password": TEST_PASSWORD},
        headers=_basic(platform_client),
    )
    refused(answer, 400, "invalid_request")
