"""Who may exchange, and how long an exchanged token lives: only the platform's API key, and
the learner token it gets ends with that key, cannot be refreshed, and acts for no one else."""

from __future__ import annotations

import base64

from service.accounts.sessions import create_api_key
from service.federation.exchange import EXCHANGED, LEARNER_ID_TYPE, REFUSED
from tests.federation import issuer_fixture as support
from tests.federation.issuer_fixture import TOKEN, audit, bearer, exchange, refused
from tests.fixtures.accounts import TEST_PASSWORD

platform_client = support.platform_client  # fixture


def _basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_a_learner_token_cannot_exchange(world, client, session):
    learner, own_headers = world.learner_with_login()
    other = world.learner()
    answer = client.post(
        TOKEN,
        data={
            "grant_type": support.GRANT_TYPE,
            "subject_token": other["id"],
            "subject_token_type": LEARNER_ID_TYPE,
        },
        headers=own_headers,
    )
    body = refused(answer, 401, "invalid_client")
    assert answer.headers["www-authenticate"].startswith("Basic")
    assert body["code"] == "invalid-client"
    assert audit(session, EXCHANGED) == []


def test_staff_credentials_cannot_exchange(world, client, session):
    learner = world.learner()
    staff = world.make_user("org_admin", org=world.org)
    # a password is not a client credential
    as_password = {"client_id": staff.email, "client_secret": TEST_PASSWORD}
    refused(exchange(client, as_password, learner["id"], LEARNER_ID_TYPE), 401, "invalid_client")
    # an API key of an account that is not the platform's (say its role was changed)
    key, secret = create_api_key(session, staff, "left over")
    session.commit()
    credentials = {"client_id": key.client_id, "client_secret": secret}
    refused(
        exchange(client, credentials, learner["id"], LEARNER_ID_TYPE), 400, "unauthorized_client"
    )
    assert audit(session, EXCHANGED) == []


def test_a_wrong_secret_or_a_missing_client_is_invalid_client(world, client, platform_client):
    learner = world.learner()
    wrong = {"client_id": platform_client.client_id, "client_secret": "not-the-secret"}
    for credentials in (wrong, {}):
        answer = exchange(client, credentials, learner["id"], LEARNER_ID_TYPE)
        refused(answer, 401, "invalid_client", "not-the-secret")
    basic = _basic(platform_client.client_id, "not-the-secret")
    answer = client.post(
        TOKEN,
        data={
            "grant_type": support.GRANT_TYPE,
            "subject_token": learner["id"],
            "subject_token_type": LEARNER_ID_TYPE,
        },
        headers=basic,
    )
    refused(answer, 401, "invalid_client")


def test_basic_and_form_credentials_together_are_refused(world, client, platform_client):
    learner = world.learner()
    answer = client.post(
        TOKEN,
        data={
            "grant_type": support.GRANT_TYPE,
            "subject_token": learner["id"],
            "subject_token_type": LEARNER_ID_TYPE,
            **platform_client.form,
        },
        headers=_basic(platform_client.client_id, platform_client.client_secret),
    )
    refused(answer, 400, "invalid_request", platform_client.client_secret)


def test_revoking_the_platform_key_ends_the_exchanged_tokens(world, client, platform_client):
    learner = world.learner()
    headers = bearer(exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE))
    assert client.get("/api/v1/me/learner", headers=headers).status_code == 200
    platform_client.revoke()
    answer = client.get("/api/v1/me/learner", headers=headers)
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
    refused(
        exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE),
        401,
        "invalid_client",
    )


def test_disabling_the_platform_account_ends_the_exchanged_tokens(world, client, platform_client):
    learner = world.learner()
    headers = bearer(exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE))
    off = client.patch(
        f"/api/v1/users/{platform_client.user.id}", json={"is_active": False}, headers=world.admin
    )
    assert off.status_code == 200, off.text
    assert client.get("/api/v1/me/learner", headers=headers).status_code == 401


def test_an_exchanged_token_cannot_be_refreshed_or_exchanged_again(world, client, platform_client):
    learner = world.learner()
    answer = exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE)
    access = answer.json()["access_token"]
    assert "refresh_token" not in answer.json()
    again = client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": access})
    refused(again, 400, "invalid_grant", access)
    # nor does it stand in for the platform's credentials
    headers = {"Authorization": f"Bearer {access}"}
    answer = client.post(
        TOKEN,
        data={
            "grant_type": support.GRANT_TYPE,
            "subject_token": learner["id"],
            "subject_token_type": LEARNER_ID_TYPE,
        },
        headers=headers,
    )
    refused(answer, 401, "invalid_client")


def test_a_disabled_learner_account_gets_no_token(world, client, session, platform_client):
    learner, own_headers = world.learner_with_login()
    me = client.get("/api/v1/auth/me", headers=own_headers).json()
    off = client.patch(f"/api/v1/users/{me['id']}", json={"is_active": False}, headers=world.admin)
    assert off.status_code == 200, off.text
    answer = exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE)
    refused(answer, 400, "invalid_grant")
    assert audit(session, EXCHANGED) == []


def test_a_refused_exchange_of_the_platform_is_audited_without_the_token(
    world, client, session, platform_client
):
    token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzb21lb25lIn0."
    answer = exchange(client, platform_client.form, token, support.ID_TOKEN_TYPE)
    refused(answer, 400, "invalid_grant", token)
    events = audit(session, REFUSED)
    assert len(events) == 1
    assert events[0].actor_id == platform_client.user.id
    assert "error=invalid_grant" in events[0].detail
    assert token not in events[0].detail and "someone" not in events[0].detail


def test_exchanges_with_form_credentials_count_against_the_token_endpoint_rate_limit(
    world, client, settings, monkeypatch, platform_client
):
    """Credentials in the body are not seen before the limit is counted (the body is not read
    then): per address, like every sign-in. HTTP Basic ones have the client's own budget
    (test_exchange_delegation)."""
    learner = world.learner()
    monkeypatch.setattr(settings, "rate_limit_token", "3/minute")
    statuses = [
        exchange(client, platform_client.form, learner["id"], LEARNER_ID_TYPE).status_code
        for _ in range(5)
    ]
    assert statuses[-1] == 429, statuses


def test_two_exchanges_for_a_new_learner_at_once_share_one_account(world, session, engine):
    """The second request read the learner before the first one linked an account."""
    import uuid

    from sqlmodel import Session, select

    from service.accounts.models import User
    from service.federation.learner_accounts import learner_account
    from service.training.models import Learner

    learner_id = uuid.UUID(world.learner()["id"])
    with Session(engine) as first, Session(engine) as second:
        stale = second.get(Learner, learner_id)
        assert stale is not None and stale.user_id is None
        winner = learner_account(first, first.get(Learner, learner_id))
        first.commit()
        assert learner_account(second, stale).id == winner.id
        second.commit()
    session.expire_all()
    made = session.exec(select(User).where(User.email.contains("federated.invalid"))).all()
    assert [u.id for u in made] == [winner.id]
