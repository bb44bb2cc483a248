"""Subscribing: who may, to what, to which targets (SSRF guard), and who sees whose events."""

from __future__ import annotations

import pytest

from service.webhooks.models import WebhookEndpoint, WebhookSubscription
from tests.fixtures.builder import count


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hooks",  # not https
        "https://10.0.0.5/hooks",  # private address
        "https://localhost/hooks",  # loopback by name
        "https://127.0.0.1:8443/hooks",  # loopback
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://user:pw@example.com/hooks",  # credentials in the URL
    ],
)
def test_production_refuses_non_https_and_non_public_targets(world, client, session, settings, url):
    headers = world.admin
    settings.env = "production"
    try:
        r = client.post(
            "/api/v1/webhooks/endpoints",
            json={"url": url, "event_types": ["enrollment.created"]},
            headers=headers,
        )
    finally:
        settings.env = "test"
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "webhook-url-not-allowed"
    assert count(session, WebhookEndpoint) == 0 and count(session, WebhookSubscription) == 0


def test_outside_production_untrusted_loopback_is_refused_too(world, client, settings):
    settings.trusted_http_hosts = []
    r = client.post(
        "/api/v1/webhooks/endpoints",
        json={"url": "http://127.0.0.1:9/hooks", "event_types": ["enrollment.created"]},
        headers=world.admin,
    )
    assert r.status_code == 422 and r.json()["code"] == "webhook-url-not-allowed"


def test_patching_to_a_forbidden_url_is_refused(world, client, receivers, subscribe, settings):
    endpoint = subscribe(receivers(), world.admin, ["enrollment.created"])
    settings.trusted_http_hosts = []
    r = client.patch(
        f"/api/v1/webhooks/endpoints/{endpoint['id']}",
        json={"url": "http://192.168.1.1/x"},
        headers=world.admin,
    )
    assert r.status_code == 422 and r.json()["code"] == "webhook-url-not-allowed"


def test_who_may_subscribe_to_what(world, client, receivers):
    receiver = receivers()
    body = {"url": receiver.url, "event_types": ["import.finished"]}
    r = client.post("/api/v1/webhooks/endpoints", json=body, headers=world.platform)
    assert r.status_code == 422 and r.json()["code"] == "event-type-not-visible"
    r = client.post("/api/v1/webhooks/endpoints", json=body, headers=world.trainer)
    assert r.status_code == 403
    body["event_types"] = ["enrollment.exploded"]
    r = client.post("/api/v1/webhooks/endpoints", json=body, headers=world.admin)
    assert r.status_code == 422 and r.json()["code"] == "unknown-event-type"
    types = client.get("/api/v1/webhooks/event-types", headers=world.platform).json()
    assert {t["type"] for t in types} == {
        "enrollment.created",
        "enrollment.completed",
        "credential.issued",
        "credential.revoked",
        "credential.suspended",
        "credential.reinstated",
    }


def test_idempotency_key_replays_the_same_endpoint_and_secret(world, client, session, receivers):
    receiver = receivers()
    headers = {**world.admin, "Idempotency-Key": "hook-1"}
    body = {"url": receiver.url, "event_types": ["enrollment.created"]}
    first = client.post("/api/v1/webhooks/endpoints", json=body, headers=headers)
    again = client.post("/api/v1/webhooks/endpoints", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert count(session, WebhookEndpoint) == 1
    from sqlmodel import select

    from service.accounts.models import IdempotencyRecord

    [record] = session.exec(select(IdempotencyRecord)).all()
    assert first.json()["secret"] not in record.response_body  # the replay store holds no secret


def test_an_org_admin_gets_only_its_organizations_events(
    world, client, receivers, subscribe, drain
):
    ours, theirs, platform = receivers(), receivers(), receivers()
    mine = subscribe(ours, world.org_admin, ["enrollment.created"])
    other_admin = world.login(world.make_user("org_admin", org=world.other_org))
    subscribe(theirs, other_admin, ["enrollment.created"])
    subscribe(platform, world.platform, ["enrollment.created"])
    offering = world.offering()
    r = world.enroll(world.learner()["id"], offering["id"])
    assert r.status_code == 201
    drain()
    assert len(ours.verified()) == 1 and theirs.received == []
    assert len(platform.verified()) == 1  # the platform acts for learners everywhere
    # nor may the other organization read or change our endpoint
    url = f"/api/v1/webhooks/endpoints/{mine['id']}"
    assert client.get(url, headers=other_admin).status_code == 404
    assert client.delete(url, headers=other_admin).status_code == 404
    listed = client.get("/api/v1/webhooks/endpoints", headers=other_admin).json()
    assert mine["id"] not in {e["id"] for e in listed["items"]}
    assert client.delete(url, headers=world.org_admin).status_code == 204
    assert client.get(url, headers=world.org_admin).status_code == 404


def test_patch_refuses_nulls_and_new_event_types_take_effect(
    world, client, receivers, subscribe, drain
):
    receiver = receivers()
    endpoint = subscribe(receiver, world.admin, ["enrollment.completed"])
    url = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
    for field in ("url", "active", "event_types"):
        r = client.patch(url, json={field: None}, headers=world.admin)
        assert r.status_code == 422, (field, r.text)
    r = client.patch(url, json={"event_types": ["enrollment.created"]}, headers=world.admin)
    assert r.status_code == 200 and r.json()["event_types"] == ["enrollment.created"]
    assert r.json()["active"] is True
    assert world.enroll(world.learner()["id"], world.offering()["id"]).status_code == 201
    drain()
    assert [d["type"] for d in receiver.verified()] == ["enrollment.created"]


def test_a_public_host_is_connected_to_at_the_address_that_was_checked(
    world, client, receivers, subscribe, drain, settings, monkeypatch
):
    """DNS answers once per attempt: the request goes to the address the guard approved (here
    a name that does not exist, "resolved" by the test), with the name in Host."""
    from service.webhooks import targets

    receiver = receivers()
    port = receiver.url.split(":")[2].split("/")[0]
    monkeypatch.setattr(
        targets,
        "public_addresses",
        lambda host, timeout=None: ["127.0.0.1"] if host == "hooks.test" else None,
    )
    receiver.url = f"http://hooks.test:{port}/hooks"
    subscribe(receiver, world.admin, ["enrollment.created"])
    assert world.enroll(world.learner()["id"], world.offering()["id"]).status_code == 201
    drain()
    [got] = receiver.received
    assert (
        got.document is not None
        and {k.lower(): v for k, v in got.headers.items()}["host"] == f"hooks.test:{port}"
    )
