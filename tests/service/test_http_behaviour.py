"""Problem details on every error, request ids, health, readiness, metrics and OpenAPI."""

import json
import logging
import uuid

from sqlmodel import select

from service.accounts.models import Organization


def test_unknown_route_is_problem_json(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == "urn:skills:problem:not-found" and body["status"] == 404
    assert body["request_id"] == r.headers["x-request-id"]


def test_missing_record_is_404_problem(client, make_user, login):
    headers = login(make_user("admin"))
    r = client.get(f"/api/v1/organizations/{uuid.uuid4()}", headers=headers)
    assert r.status_code == 404 and r.json()["code"] == "not-found"


def test_malformed_bodies_are_4xx_and_write_nothing(client, make_user, login, session):
    headers = login(make_user("admin"))
    bad_bodies = [
        b"{not json",
        json.dumps({"name": "x"}).encode(),
        json.dumps({"name": "x", "kind": "castle", "district_code": "330206"}).encode(),
        json.dumps({"name": "x", "kind": "enterprise", "district_code": "33"}).encode(),
        json.dumps(
            {
                "name": "x",
                "kind": "enterprise",
                "district_code": "330206",
                "credit_code": "91330200MA2AAAAAA1",
            }
        ).encode(),
        json.dumps(
            {"name": "x", "kind": "enterprise", "district_code": "330206", "surprise": 1}
        ).encode(),
        json.dumps([1, 2, 3]).encode(),
    ]
    for raw in bad_bodies:
        r = client.post(
            "/api/v1/organizations",
            content=raw,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert r.status_code == 422, raw
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "validation-error" and r.json()["errors"]
    assert session.exec(select(Organization)).all() == []
    bad_uuid = client.get("/api/v1/organizations/not-a-uuid", headers=headers)
    assert bad_uuid.status_code == 422
    bad_page = client.get("/api/v1/organizations?limit=100000", headers=headers)
    assert bad_page.status_code == 422


def test_credit_code_is_checked(client, make_user, login):
    headers = login(make_user("admin"))
    ok = client.post(
        "/api/v1/organizations",
        headers=headers,
        json={
            "name": "宁波某科技有限公司",
            "kind": "enterprise",
            "district_code": "330212",
            "credit_code": "91330200MA2AAAAAA0"[:17] + _check("91330200MA2AAAAAA"),
        },
    )
    assert ok.status_code == 201, ok.text
    dup = client.post(
        "/api/v1/organizations",
        headers=headers,
        json={
            "name": "重复",
            "kind": "enterprise",
            "district_code": "330212",
            "credit_code": ok.json()["credit_code"],
        },
    )
    assert dup.status_code == 409 and dup.json()["code"] == "credit-code-taken"


def _check(first17):
    from service.accounts.credit_code import check_character

    return check_character(first17)


def test_idempotent_create_replays_and_rejects_changed_body(client, make_user, login, session):
    headers = {**login(make_user("admin")), "Idempotency-Key": "org-create-1"}
    body = {"name": "镇海职教中心", "kind": "vocational_school", "district_code": "330211"}
    first = client.post("/api/v1/organizations", json=body, headers=headers)
    again = client.post("/api/v1/organizations", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(session.exec(select(Organization)).all()) == 1
    changed = client.post("/api/v1/organizations", json={**body, "name": "别的"}, headers=headers)
    assert changed.status_code == 409 and changed.json()["code"] == "idempotency-key-reused"


def test_pagination_is_bounded(client, make_user, login, make_org):
    headers = login(make_user("admin"))
    for i in range(5):
        make_org(name=f"机构{i}")
    page = client.get("/api/v1/organizations?limit=2&offset=2", headers=headers).json()
    assert page["total"] == 5 and len(page["items"]) == 2 and page["offset"] == 2


def test_request_id_is_echoed_or_made(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abc12345-trace"})
    assert r.headers["x-request-id"] == "abc12345-trace"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id\n"})
    assert made.headers["x-request-id"] != "bad id\n" and len(made.headers["x-request-id"]) == 32


def test_health_ready_metrics_docs(client, issuer_key):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]) == {"database", "storage", "broker", "signing_key"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "skills_http_requests_total" in metrics.text
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/auth/token" in spec["paths"]


def test_readyz_names_the_failed_check(client, issuer_key, monkeypatch):
    monkeypatch.setenv("SKILLS_BROKER_URL", "redis://127.0.0.1:1/0")
    from service.api.routes import health as routes_health

    def broken():
        raise ConnectionError("broker down")

    monkeypatch.setitem(routes_health.CHECKS, "broker", broken)
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["failed"] == ["broker"]
    assert r.json()["checks"]["database"]["status"] == "ok"


def test_logs_are_json_with_request_id_and_no_personal_data(client, make_user, login, caplog):
    from service.core.observability.logging import JsonFormatter

    caplog.set_level(logging.INFO)
    headers = login(make_user("admin"))
    client.get("/api/v1/organizations", headers={**headers, "X-Request-ID": "req-12345678"})
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "skills.access"]
    parsed = [json.loads(line) for line in lines]
    assert any(
        p["request_id"] == "req-12345678" and p["route"] == "/api/v1/organizations" for p in parsed
    )
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "id 33020319900307123X phone 13812345678", None, None
    )
    text = JsonFormatter().format(record)
    assert "33020319900307123X" not in text and "13812345678" not in text


def test_unexpected_errors_are_problems_with_the_request_id(app, caplog):
    from fastapi.testclient import TestClient

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom-for-test", headers={"X-Request-ID": "req-boom-1234"})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["request_id"] == "req-boom-1234" == r.headers["x-request-id"]
    assert "kaboom" not in r.text
    assert any(
        getattr(rec, "request_id", None) == "req-boom-1234" and rec.exc_info
        for rec in caplog.records
    )
