"""Deliveries across the life of an endpoint and its owner: a delivery left ``sending`` can be
redelivered, events without an enrolment still reach administrators, a replayed create does not
hand out the secret for ever, an owner who lost the right to an event gets no retry of it, and
concurrent sends and deletes neither lose counts nor fail."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

from sqlmodel import Session, select

from service.core.timeutil import utcnow
from service.jobs.models import JobStatus, OutboxJob
from service.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)


def _enrol(world) -> None:
    r = world.enroll(world.learner()["id"], world.offering()["id"])
    assert r.status_code == 201, r.text


def _deliveries(client, endpoint_id, headers) -> list[dict]:
    r = client.get(f"/api/v1/webhooks/endpoints/{endpoint_id}/deliveries", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _left_sending(session, delivery_id: str, *, started_ago: timedelta) -> None:
    """The state a send job that gave up (or a worker gone for good) leaves behind."""
    delivery = session.get(WebhookDelivery, uuid.UUID(delivery_id))
    delivery.status = DeliveryStatus.sending
    delivery.attempts += 1
    session.add(delivery)
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id, number=delivery.attempts, started_at=utcnow() - started_ago
        )
    )
    session.commit()


def test_a_delivery_left_sending_past_the_job_lease_can_be_redelivered(
    world, client, session, receivers, subscribe, drain, settings
):
    receiver = receivers()
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    _enrol(world)
    drain()
    [first] = _deliveries(client, endpoint["id"], world.admin)
    _left_sending(session, first["id"], started_ago=timedelta(seconds=5))
    url = f"/api/v1/webhooks/deliveries/{first['id']}/redeliver"
    r = client.post(url, headers=world.admin)  # it may still be on the wire
    assert r.status_code == 409 and r.json()["code"] == "webhook-delivery-in-progress"
    _left_sending(session, first["id"], started_ago=timedelta(seconds=settings.job_lease_seconds))
    r = client.post(url, headers=world.admin)
    assert r.status_code == 202, r.text
    drain()
    assert len(receiver.received) == 2 and len(set(receiver.ids)) == 1
    newest, oldest = _deliveries(client, endpoint["id"], world.admin)
    assert newest["status"] == "succeeded"
    assert oldest["status"] == "failed" and oldest["last_error"] == "interrupted"
    assert oldest["attempt_log"][-1]["error"] == "interrupted"


def test_a_delivery_whose_send_job_failed_can_be_redelivered(
    world, client, session, receivers, subscribe, drain
):
    receiver = receivers()
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    _enrol(world)
    drain()
    [first] = _deliveries(client, endpoint["id"], world.admin)
    _left_sending(session, first["id"], started_ago=timedelta(seconds=5))
    delivery = session.get(WebhookDelivery, uuid.UUID(first["id"]))
    session.add(
        OutboxJob(
            kind="webhooks.send",
            payload={"delivery_id": first["id"]},
            dedupe_key=f"webhook-send:{delivery.id}:{delivery.attempts}",
            status=JobStatus.failed,
        )
    )
    session.commit()
    r = client.post(f"/api/v1/webhooks/deliveries/{first['id']}/redeliver", headers=world.admin)
    assert r.status_code == 202, r.text


def test_the_last_attempt_interrupted_ends_the_delivery_instead_of_sending_for_ever(
    world, client, session, receivers, subscribe, drain, settings
):
    settings.webhook_retry_schedule = []
    receiver = receivers()
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    _enrol(world)
    drain(max_rounds=1)  # the fan-out only
    [pending] = _deliveries(client, endpoint["id"], world.admin)
    _left_sending(session, pending["id"], started_ago=timedelta(seconds=5))
    drain()  # the send job runs again after the worker that claimed it died
    assert receiver.received == []
    [delivery] = _deliveries(client, endpoint["id"], world.admin)
    assert delivery["status"] == "failed" and delivery["last_error"] == "interrupted"


def test_a_hand_issued_credentials_event_reaches_administrators(
    world, session, receivers, subscribe, drain
):
    from service.jobs.events import publish

    receiver = receivers()
    subscribe(receiver, world.admin, ["credential.revoked"])
    data = {"credential_id": "urn:uuid:" + str(uuid.uuid4()), "enrollment_id": "enrollment:CASE-1"}
    publish(session, "credential.revoked", data)
    session.commit()
    drain()
    [event] = receiver.verified()
    assert event["data"] == data


def test_a_replayed_create_shows_the_secret_only_until_rotated_or_a_day_old(
    world, client, session, receivers
):
    receiver = receivers()
    body = {"url": receiver.url, "event_types": ["enrollment.created"]}
    for key in ("rotated", "old"):
        headers = {**world.admin, "Idempotency-Key": key}
        first = client.post("/api/v1/webhooks/endpoints", json=body, headers=headers)
        assert first.status_code == 201 and first.json()["secret"].startswith("whsec_")
        endpoint_id = first.json()["id"]
        if key == "rotated":
            r = client.post(
                f"/api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret", headers=world.admin
            )
            assert r.status_code == 200
        else:
            endpoint = session.get(WebhookEndpoint, uuid.UUID(endpoint_id))
            endpoint.created_at = utcnow() - timedelta(hours=25)
            session.add(endpoint)
            session.commit()
        again = client.post("/api/v1/webhooks/endpoints", json=body, headers=headers)
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == endpoint_id and "secret" not in again.json(), key
        assert "whsec_" not in again.text


def test_a_retry_to_an_owner_whose_organization_was_deactivated_is_not_sent(
    world, client, session, receivers, subscribe, drain
):
    receiver = receivers(answers=[500])
    endpoint = subscribe(receiver, world.org_admin, ["enrollment.created"])
    _enrol(world)
    drain(max_rounds=2)  # the fan-out, the first attempt (refused by the receiver)
    world.org.is_active = False
    session.add(world.org)
    session.commit()
    drain()
    assert len(receiver.received) == 1
    session.expire_all()
    [delivery] = session.exec(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == uuid.UUID(endpoint["id"]))
    ).all()
    assert delivery.status == "failed" and delivery.last_error == "not-visible"
    assert delivery.attempts == 1


def test_a_retry_to_a_deactivated_owner_is_not_sent(
    world, client, session, receivers, subscribe, drain
):
    from service.accounts.models import User

    receiver = receivers(answers=[500])
    owner = world.make_user("admin")
    endpoint = subscribe(receiver, world.login(owner), ["enrollment.created"])
    _enrol(world)
    drain(max_rounds=2)
    user = session.get(User, owner.id)
    user.is_active = False
    session.add(user)
    session.commit()
    drain()
    assert len(receiver.received) == 1
    session.expire_all()
    delivery = session.exec(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == uuid.UUID(endpoint["id"]))
    ).one()
    assert delivery.status == "failed" and delivery.last_error == "not-visible"


def _final_attempts(session, endpoint_id: uuid.UUID, n: int) -> list[tuple]:
    """``n`` deliveries to the endpoint, each with its last attempt of the schedule open."""
    message = WebhookMessage(id=f"msg_{uuid.uuid4().hex}", event_type="enrollment.created")
    session.add(message)
    session.flush()
    out = []
    for _ in range(n):
        delivery = WebhookDelivery(
            message_id=message.id, endpoint_id=endpoint_id, status="sending", attempts=1
        )
        session.add(delivery)
        session.flush()
        attempt = WebhookAttempt(delivery_id=delivery.id, number=1)
        session.add(attempt)
        out.append((delivery.id, attempt.id))
    session.commit()
    return out


def test_concurrent_final_failures_are_each_counted(
    world, engine, session, receivers, subscribe, settings
):
    from service.webhooks.sending import Outcome, _record

    settings.webhook_retry_schedule = []
    settings.webhook_disable_after_failed_deliveries = 10
    endpoint = subscribe(receivers(), world.admin, ["enrollment.created"])
    endpoint_id = uuid.UUID(endpoint["id"])
    (d1, a1), (d2, a2) = _final_attempts(session, endpoint_id, 2)
    failed = Outcome(False, 500, 3, None, "http-status")
    errors: list[BaseException] = []
    with Session(engine) as first:
        _record(first, settings, d1, a1, failed)
        first.flush()  # its count is written, not yet committed

        def second_worker():
            try:
                with Session(engine) as second:
                    _record(second, settings, d2, a2, failed)
                    second.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        other = threading.Thread(target=second_worker)
        other.start()
        time.sleep(0.5)  # the second worker reads and waits meanwhile
        first.commit()
    other.join(30)
    assert errors == []
    session.expire_all()
    assert session.get(WebhookEndpoint, endpoint_id).failed_deliveries_in_a_row == 2


def test_deleting_an_endpoint_while_a_redelivery_is_added_is_no_server_error(
    world, engine, client, session, receivers, subscribe, drain
):
    from service.accounts.access import Principal
    from service.webhooks.deliveries import redeliver

    owner = world.make_user("admin")
    headers = world.login(owner)
    endpoint = subscribe(receivers(), headers, ["enrollment.created"])
    _enrol(world)
    drain()
    [first] = _deliveries(client, endpoint["id"], headers)
    answers: list[int] = []
    with Session(engine) as request:
        principal = Principal(owner.id, "admin", None)
        redeliver(request, world.settings, principal, uuid.UUID(first["id"]))
        request.flush()  # the new delivery is written, not yet committed

        def delete():
            answers.append(
                client.delete(
                    f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=headers
                ).status_code
            )

        other = threading.Thread(target=delete)
        other.start()
        time.sleep(0.5)
        request.commit()
    other.join(30)
    assert answers == [204]
    session.expire_all()
    assert session.get(WebhookEndpoint, uuid.UUID(endpoint["id"])) is None
    assert session.exec(select(WebhookDelivery)).all() == []


def test_a_retry_to_an_employer_whose_share_was_withdrawn_is_not_sent(
    world, client, session, receivers, subscribe, drain, make_org
):
    from service.issuing.models import CredentialShare

    hired = make_org(name="甬江机械", kind="enterprise")
    hr = world.login(world.make_user("employer", org=hired))
    receiver = receivers(answers=[500])
    endpoint = subscribe(receiver, hr, ["credential.revoked"])
    learner = world.add_learner()
    credential = world.credential(world.completion(learner, world.add_offering(), world.today))
    share = CredentialShare(
        credential_pk=credential.id, learner_id=learner.id, employer_organization_id=hired.id
    )
    session.add(share)
    session.commit()
    r = client.post(
        f"/api/v1/credentials/{credential.credential_id}/revoke",
        json={"reason": "issued in error"},
        headers=world.admin,
    )
    assert r.status_code == 200, r.text
    drain(max_rounds=2)  # the fan-out, the first attempt (refused by the receiver)
    assert len(receiver.received) == 1
    share.revoked_at = utcnow()  # the learner withdraws the share
    session.add(share)
    session.commit()
    drain()
    assert len(receiver.received) == 1
    session.expire_all()
    delivery = session.exec(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == uuid.UUID(endpoint["id"]))
    ).one()
    assert delivery.status == "failed" and delivery.last_error == "not-visible"
