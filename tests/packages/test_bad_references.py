"""Bad references and nulls in package requests are 4xx problems that write nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlmodel import select

from content.models import Package
from service.accounts.models import AuditEvent, IdempotencyRecord


def _count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_unknown_organization_is_refused_and_writes_nothing(client, make_user, login, session):
    headers = login(make_user("admin")) | {"Idempotency-Key": "pkg-unknown-org"}
    body = {"title": "焊工入门", "organization_id": str(uuid.uuid4())}
    r = client.post("/api/v1/packages", json=body, headers=headers)  # was a 500 (FK violation)
    assert r.status_code in (404, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "INSERT" not in r.text and "constraint" not in r.text  # no database text leaks out
    assert _count(session, Package) == 0
    assert _count(session, AuditEvent) == 0
    assert _count(session, IdempotencyRecord) == 0


def test_null_tags_are_refused_and_the_package_stays_readable(client, make_user, login, make_org):
    headers = login(make_user("admin"))
    body = {"title": "焊工入门", "organization_id": str(make_org().id), "tags": ["焊接"]}
    package = client.post("/api/v1/packages", json=body, headers=headers).json()
    url = f"/api/v1/packages/{package['id']}"
    for field in ("tags", "title", "description"):
        r = client.patch(url, json={field: None}, headers=headers)  # tags: null was a 500
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    again = client.get(url, headers=headers)
    assert again.status_code == 200 and again.json()["tags"] == ["焊接"]
