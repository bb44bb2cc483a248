"""Signed webhook deliveries end to end: subscribe through the API, make something happen,
run the jobs, and check what a real receiver verified with ``standardwebhooks``."""

from __future__ import annotations

import uuid

from sqlmodel import select

from service.accounts.models import AuditEvent
from service.core.timeutil import as_utc, utcnow
from service.jobs.events import EVENT_JOB
from service.jobs.models import OutboxJob
from service.training.completion import complete_if_due
from service.webhooks.models import WebhookEndpoint, WebhookMessage
from tests.fixtures.builder import count, make_id_number


def _enrol(world, id_number: str | None = None) -> tuple[dict, dict, dict]:
    offering = world.offering()
    person = world.learner(id_number=id_number or make_id_number())
    r = world.enroll(person["id"], offering["id"])
    assert r.status_code == 201, r.text
    return offering, person, r.json()


def _deliveries(client, endpoint_id, headers) -> list[dict]:
    r = client.get(f"/api/v1/webhooks/endpoints/{endpoint_id}/deliveries", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_an_enrolment_reaches_the_receiver_signed_with_ids_and_no_id_number(
    world, client, receivers, subscribe, drain
):
    receiver = receivers()
    endpoint = subscribe(receiver, world.org_admin, ["enrollment.created"])
    assert endpoint["secret"].startswith("whsec_")
    number = make_id_number()
    offering, person, enrollment = _enrol(world, number)
    drain()
    [got] = receiver.received
    assert got.document is not None, "the signature must verify with the library's verifier"
    assert got.webhook_id.startswith("msg_")
    assert got.document["type"] == "enrollment.created"
    assert got.document["data"] == {
        "enrollment_id": enrollment["id"],
        "learner_id": person["id"],
        "offering_id": offering["id"],
        "organization_id": str(world.org.id),
        "state": "enrolled",
    }
    assert number not in got.body and number[-8:] not in got.body and "张三" not in got.body
    [delivery] = _deliveries(client, endpoint["id"], world.org_admin)
    assert delivery["status"] == "succeeded" and delivery["webhook_id"] == got.webhook_id
    assert [a["status_code"] for a in delivery["attempt_log"]] == [200]
    # the secret is shown once: reading the endpoint does not show it
    again = client.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=world.org_admin)
    assert again.status_code == 200 and "secret" not in again.json()


def test_a_receiver_that_fails_twice_gets_three_attempts_and_one_success(
    world, client, receivers, subscribe, drain
):
    receiver = receivers(answers=[500, 503])
    endpoint = subscribe(receiver, world.org_admin, ["enrollment.created"])
    _enrol(world)
    drain()
    assert len(receiver.received) == 3 and len(set(receiver.ids)) == 1  # one webhook-id
    assert len(receiver.verified()) == 3
    [delivery] = _deliveries(client, endpoint["id"], world.org_admin)
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 3
    log = delivery["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 503, 200]
    assert [a["succeeded"] for a in log] == [False, False, True]
    assert log[0]["error"] == "http-status" and log[0]["duration_ms"] is not None


def test_redelivery_by_hand_sends_the_same_webhook_id_again(
    world, client, receivers, subscribe, drain
):
    receiver = receivers()
    endpoint = subscribe(receiver, world.org_admin, ["enrollment.created"])
    _enrol(world)
    drain()
    [first] = _deliveries(client, endpoint["id"], world.org_admin)
    r = client.post(f"/api/v1/webhooks/deliveries/{first['id']}/redeliver", headers=world.org_admin)
    assert r.status_code == 202, r.text
    drain()
    assert len(receiver.received) == 2 and receiver.ids[0] == receiver.ids[1]
    newest, oldest = _deliveries(client, endpoint["id"], world.org_admin)
    assert newest["redelivery_of"] == first["id"] and newest["status"] == "succeeded"
    assert oldest["id"] == first["id"]
    # someone else's delivery is not theirs to redeliver
    other = world.login(world.make_user("org_admin", org=world.other_org))
    r = client.post(f"/api/v1/webhooks/deliveries/{first['id']}/redeliver", headers=other)
    assert r.status_code == 404


def test_a_rolled_back_change_sends_nothing(world, session, receivers, subscribe, drain):
    receiver = receivers()
    subscribe(receiver, world.admin, ["enrollment.completed"])
    enrollment = world.add_enrollment(world.add_learner(), world.add_offering())
    assert complete_if_due(session, enrollment, utcnow())
    session.rollback()
    drain()
    assert receiver.received == [] and count(session, WebhookMessage) == 0
    # committed, the same completion is delivered
    assert world.complete(enrollment, world.today)
    drain()
    [got] = receiver.received
    assert got.document["type"] == "enrollment.completed"
    assert got.document["data"]["state"] == "completed"


def test_no_subscriber_records_no_event_job(world, session):
    world.add_enrollment(world.add_learner(), world.add_offering())
    _ = world.complete(world.add_enrollment(world.add_learner(), world.add_offering()), world.today)
    jobs = session.exec(select(OutboxJob).where(OutboxJob.kind == EVENT_JOB)).all()
    assert jobs == []


def test_persistent_failure_disables_the_endpoint_with_a_notice_and_patch_reenables(
    world, client, session, receivers, subscribe, drain, settings
):
    settings.webhook_retry_schedule = [0.01]
    settings.webhook_disable_after_failed_deliveries = 2
    receiver = receivers(answers=[500] * 4)
    endpoint = subscribe(receiver, world.org_admin, ["enrollment.created"])
    _enrol(world)
    drain()
    shown = client.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=world.org_admin)
    assert shown.json()["active"] is True and shown.json()["failed_deliveries_in_a_row"] == 1
    _enrol(world)
    drain()
    assert len(receiver.received) == 4  # two deliveries, two attempts each
    shown = client.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=world.org_admin)
    body = shown.json()
    assert body["active"] is False and "failed" in body["disabled_reason"]
    assert all(
        d["status"] == "failed" for d in _deliveries(client, endpoint["id"], world.org_admin)
    )
    session.expire_all()
    notice = session.exec(
        select(AuditEvent).where(AuditEvent.action == "webhook.endpoint.disabled")
    ).all()
    assert [n.subject_id for n in notice] == [endpoint["id"]]
    # disabled: new events are not even recorded for it, redelivery is refused
    _enrol(world)
    drain()
    assert len(receiver.received) == 4
    some = _deliveries(client, endpoint["id"], world.org_admin)[0]
    r = client.post(f"/api/v1/webhooks/deliveries/{some['id']}/redeliver", headers=world.org_admin)
    assert r.status_code == 409 and r.json()["code"] == "webhook-endpoint-disabled"
    # re-enabled by PATCH: the next event is delivered
    r = client.patch(
        f"/api/v1/webhooks/endpoints/{endpoint['id']}",
        json={"active": True},
        headers=world.org_admin,
    )
    assert r.status_code == 200 and r.json()["active"] is True and r.json()["disabled_at"] is None
    _enrol(world)
    drain()
    assert len(receiver.received) == 5 and receiver.received[-1].document is not None


def test_rotation_signs_with_both_secrets_for_a_while(world, client, receivers, subscribe, drain):
    receiver = receivers()
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    old = receiver.secret
    r = client.post(
        f"/api/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret", headers=world.admin
    )
    assert r.status_code == 200 and r.json()["secret"] != old
    _enrol(world)
    drain()
    [got] = receiver.received
    assert got.document is not None  # verifies with the old secret
    from standardwebhooks.webhooks import Webhook

    Webhook(r.json()["secret"]).verify(got.body, got.headers)  # and with the new one


def test_delivery_time_guard_refuses_a_target_that_production_forbids(
    world, client, session, receivers, subscribe, drain, settings
):
    receiver = receivers()
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    _enrol(world)
    settings.env = "production"  # from now on 127.0.0.1 over http is no target
    drain(max_rounds=2)
    settings.env = "test"
    assert receiver.received == []
    [delivery] = _deliveries(client, endpoint["id"], world.admin)
    assert delivery["attempt_log"][0]["error"] == "target-not-allowed"
    assert session.get(WebhookEndpoint, uuid.UUID(endpoint["id"])) is not None


def test_redirects_are_refused_and_timeouts_are_failed_attempts(
    world, client, receivers, subscribe, drain, settings
):
    settings.webhook_timeout_seconds = 0.5
    receiver = receivers(hang_first=True, answers=[307])  # the hung one answers last
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    _enrol(world)
    drain()
    receiver.release.set()
    [delivery] = _deliveries(client, endpoint["id"], world.admin)
    log = delivery["attempt_log"]
    assert [a["error"] for a in log] == ["timeout", "redirect-refused", None]
    assert log[1]["status_code"] == 307 and delivery["status"] == "succeeded"


def test_a_failed_attempt_waits_for_its_turn_in_the_schedule(
    world, client, session, receivers, subscribe, drain, settings
):
    from service.jobs.relay import relay_pending
    from service.webhooks.fanout import SEND_JOB

    settings.webhook_retry_schedule = [300]
    receiver = receivers(answers=[500])
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    _enrol(world)
    drain(max_rounds=2)  # the fan-out, then the first attempt
    [delivery] = _deliveries(client, endpoint["id"], world.admin)
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    session.expire_all()
    [retry] = session.exec(
        select(OutboxJob).where(OutboxJob.kind == SEND_JOB, OutboxJob.status == "pending")
    ).all()
    wait = (as_utc(retry.available_at) - utcnow()).total_seconds()
    assert 290 < wait <= 300

    class Broker:
        class conf:  # noqa: N801 - mirrors Celery's attribute
            task_default_queue = "skills"

        def __init__(self):
            self.sent = []

        def send_task(self, name, args, queue):
            self.sent.append(args[0])

    broker = Broker()
    relay_pending(broker)
    assert str(retry.id) not in broker.sent  # not before its time
