"""What a receiver (or its name) can do to an attempt: compress its answer, drip it, sit behind
an unreachable address or an internationalised name. Every attempt ends, within the timeout,
recorded; a delivery is never left ``sending``."""

from __future__ import annotations

import time

from service.webhooks import targets


def _enrol(world) -> None:
    r = world.enroll(world.learner()["id"], world.offering()["id"])
    assert r.status_code == 201, r.text


def _deliveries(client, endpoint_id, headers) -> list[dict]:
    r = client.get(f"/api/v1/webhooks/endpoints/{endpoint_id}/deliveries", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _resolve(monkeypatch, names: dict[str, list[str]]) -> None:
    """A test's DNS: ``names`` resolve (to the receivers on loopback), nothing else does."""
    monkeypatch.setattr(targets, "public_addresses", lambda host, timeout=None: names.get(host))


def _port(receiver) -> str:
    return receiver.url.split(":")[2].split("/")[0]


def test_a_gzip_answer_is_stored_as_readable_text_without_control_characters(
    world, client, receivers, subscribe, drain
):
    receiver = receivers(answers=[502], gzipped=True, reply=b"bad\x00gateway\x07 \xe7\xbd\x91\n")
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    _enrol(world)
    drain()
    sent = {k.lower(): v for k, v in receiver.received[0].headers.items()}
    assert sent["accept-encoding"] == "identity"
    [delivery] = _deliveries(client, endpoint["id"], world.admin)
    assert delivery["status"] == "succeeded"  # not stuck in "sending" (PostgreSQL refused NUL)
    first, second = delivery["attempt_log"]
    assert first["status_code"] == 502 and first["response_excerpt"] == "badgateway 网\n"
    assert second["succeeded"] is True


def test_connection_failures_fail_over_to_the_next_checked_address(
    world, client, receivers, subscribe, drain, monkeypatch
):
    receiver = receivers()
    port = _port(receiver)
    # first an address nothing listens on (as IPv6 on a host without IPv6), then the receiver
    _resolve(monkeypatch, {"hooks.test": ["::1", "127.0.0.1"]})
    receiver.url = f"http://hooks.test:{port}/hooks"
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    _enrol(world)
    drain()
    assert len(receiver.verified()) == 1
    [delivery] = _deliveries(client, endpoint["id"], world.admin)
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 1


def test_an_internationalised_host_is_sent_idna_encoded(
    world, client, receivers, subscribe, drain, monkeypatch
):
    receiver = receivers()
    port = _port(receiver)
    _resolve(monkeypatch, {"bücher.test": ["127.0.0.1"]})
    receiver.url = f"http://bücher.test:{port}/hooks"
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    _enrol(world)
    drain()
    [got] = receiver.received
    assert got.document is not None
    assert {k.lower(): v for k, v in got.headers.items()}["host"] == f"xn--bcher-kva.test:{port}"
    [delivery] = _deliveries(client, endpoint["id"], world.admin)
    assert delivery["status"] == "succeeded"


def test_a_failure_inside_the_sender_is_a_failed_attempt_not_a_stuck_delivery(
    world, client, receivers, subscribe, drain, monkeypatch, settings, caplog
):
    settings.webhook_retry_schedule = [0.01]
    receiver = receivers()
    port = _port(receiver)
    host = "ü" * 70 + ".test"  # a label IDNA cannot encode (over 63 octets)
    _resolve(monkeypatch, {host: ["127.0.0.1"]})
    receiver.url = f"http://{host}:{port}/hooks?token=s3cret"
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    _enrol(world)
    drain()
    assert receiver.received == []
    [delivery] = _deliveries(client, endpoint["id"], world.admin)
    assert delivery["status"] == "failed" and delivery["last_error"] == "internal-error"
    assert [a["error"] for a in delivery["attempt_log"]] == ["internal-error"] * 2
    assert "s3cret" not in caplog.text and host not in caplog.text


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_timeout(
    world, client, receivers, subscribe, drain, settings
):
    settings.webhook_retry_schedule = []
    receiver = receivers(drip=0.05)  # a byte every 50 ms: no single read ever times out
    settings.webhook_timeout_seconds = 1.0
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    _enrol(world)
    started = time.monotonic()
    drain()
    assert time.monotonic() - started < 4
    [delivery] = _deliveries(client, endpoint["id"], world.admin)
    [attempt] = delivery["attempt_log"]
    assert attempt["error"] == "timeout" and attempt["duration_ms"] < 2000
    assert delivery["status"] == "failed"


def test_a_slow_name_lookup_counts_against_the_timeout(
    world, client, receivers, subscribe, drain, settings, monkeypatch
):
    from service.core import public_hosts

    settings.webhook_retry_schedule = []
    receiver = receivers()
    port = _port(receiver)
    _resolve(monkeypatch, {"slow.test": ["127.0.0.1"]})
    receiver.url = f"http://slow.test:{port}/hooks"
    endpoint = subscribe(receiver, world.admin, ["enrollment.created"])
    # from now on the real guard, with a resolver that hangs
    monkeypatch.setattr(targets, "public_addresses", public_hosts.public_addresses)

    def hanging(*args, **kw):
        time.sleep(5)
        raise OSError("no answer")

    monkeypatch.setattr(public_hosts.socket, "getaddrinfo", hanging)
    settings.webhook_timeout_seconds = 0.5
    _enrol(world)
    started = time.monotonic()
    drain()
    assert time.monotonic() - started < 3
    [delivery] = _deliveries(client, endpoint["id"], world.admin)
    assert [a["error"] for a in delivery["attempt_log"]] == ["timeout"]
