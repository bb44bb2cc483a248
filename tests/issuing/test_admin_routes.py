"""Admin issuance (single, idempotent, bulk), listing, downloads, roles and no ID numbers out."""

import json
import logging
import uuid

import pytest
from sqlmodel import func, select

from credentials import baking
from credentials.documents import holder_matches
from credentials.jwt_vc import decode_unverified
from credentials.models import Credential
from tests.fixtures.builder import id_number


def _count(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Credential)).one()


def test_issue_is_idempotent_by_key_and_by_basis(client, admin, issue, session):
    learner = uuid.uuid4()
    headers = {**admin, "Idempotency-Key": "rpl-42"}
    first = client.post(
        "/api/v1/credentials/issue",
        headers=headers,
        json={
            "learner_subject_id": str(learner),
            "id_number": id_number(),
            "occupation_code": "6-31-01-03",
            "level": 4,
            "hours": 40,
            "score": 75,
            "basis": "rpl:case-42",
        },
    )
    assert first.status_code == 201 and first.json()["outcome"] == "issued"
    replay = client.post(
        "/api/v1/credentials/issue",
        headers=headers,
        json={
            "learner_subject_id": str(learner),
            "id_number": id_number(),
            "occupation_code": "6-31-01-03",
            "level": 4,
            "hours": 40,
            "score": 75,
            "basis": "rpl:case-42",
        },
    )
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    other_body = client.post(
        "/api/v1/credentials/issue",
        headers=headers,
        json={
            "learner_subject_id": str(learner),
            "id_number": id_number(7),
            "occupation_code": "6-31-01-03",
            "level": 4,
            "hours": 40,
            "score": 75,
            "basis": "rpl:case-42",
        },
    )
    assert other_body.status_code == 409
    again = issue("rpl:case-42", learner=learner)  # no key: the basis decides
    assert again["outcome"] == "existing"
    assert again["credential"]["id"] == first.json()["credential"]["id"]
    assert _count(session) == 1
    stolen = issue("rpl:case-42", expect=(409,))  # same basis, another learner
    assert stolen["code"] == "basis-used-for-another-learner"
    other_level = issue("rpl:case-42", learner=learner, level=3)
    assert other_level["outcome"] == "issued" and _count(session) == 2


def test_issue_refusals_write_nothing(client, admin, issue, session, issuer_key):
    assert issue(occupation_code="6-99-99-99", expect=(422,))["code"] == "unknown-achievement"
    assert issue(level=9, expect=(422,))["code"] == "validation-error"
    bad_id = issue(id_number="330203199001011230", expect=(422,))
    assert bad_id["code"] == "invalid-id-number" and "330203" not in json.dumps(bad_id)
    assert issue(basis="no prefix", expect=(422,))["code"] == "validation-error"
    assert _count(session) == 0


def test_credential_content_and_no_id_number_anywhere(client, admin, issue, token_of, caplog):
    caplog.set_level(logging.DEBUG)
    number = id_number(456)
    issued = issue(id_number=number)
    cid = issued["credential"]["id"]
    token = token_of(cid)
    credential = decode_unverified(token)
    assert holder_matches(credential, number) and not holder_matches(credential, id_number(457))
    results = {
        r["resultDescription"].rsplit("-", 1)[-1]: r["value"]
        for r in credential["credentialSubject"]["result"]
    }
    assert results == {"hours": "72.5", "score": "88"}
    # default: one revocation entry, as one object (the 1EdTech schema's shape)
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"
    seen = [json.dumps(issued), token, credential and json.dumps(credential, ensure_ascii=False)]
    seen.append(client.get(f"/api/v1/credentials/{cid}", headers=admin).text)
    seen.append(client.get("/api/v1/credentials", headers=admin).text)
    for suffix in ("credential.jwt", "credential.json", "badge.svg"):
        seen.append(client.get(f"/api/v1/credentials/{cid}/{suffix}", headers=admin).text)
    seen.append(client.post("/api/v1/verify", json={"credential_id": cid}).text)
    seen.append(client.get("/api/v1/admin/audit", headers=admin).text)
    seen.append(caplog.text)
    for text in seen:
        assert number not in text and number[:17] not in text


def test_with_suspension_the_status_is_an_array(settings, issue, token_of):
    settings.credential_suspension = True
    credential = decode_unverified(token_of(issue()["credential"]["id"]))
    assert [e["statusPurpose"] for e in credential["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]


def test_validity_days_sets_valid_until(settings, issue, token_of):
    settings.credential_validity_days = 365
    credential = decode_unverified(token_of(issue()["credential"]["id"]))
    assert credential["validUntil"] > credential["validFrom"]


def test_bulk_issue(client, admin, issue, issuer_key, session):
    learner = uuid.uuid4()
    existing = issue("rpl:bulk-0", learner=learner)
    item = {
        "learner_subject_id": str(learner),
        "id_number": id_number(),
        "occupation_code": "6-31-01-03",
        "level": 4,
        "hours": 10,
        "score": 60,
    }
    items = [
        {**item, "basis": "rpl:bulk-0"},
        {**item, "basis": "rpl:bulk-1"},
        {**item, "basis": "rpl:bulk-1"},
        {**item, "basis": "rpl:bulk-2", "occupation_code": "6-99-99-99"},
        {**item, "basis": "rpl:bulk-3", "id_number": "123"},
    ]
    r = client.post("/api/v1/credentials/bulk-issue", json={"items": items}, headers=admin)
    assert r.status_code == 200, r.text
    out = r.json()
    assert [i["outcome"] for i in out["items"]] == [
        "existing",
        "issued",
        "existing",
        "error",
        "error",
    ]
    assert out["items"][0]["credential_id"] == existing["credential"]["id"]
    assert out["items"][3]["error"]["code"] == "unknown-achievement"
    assert out["items"][4]["error"]["code"] == "invalid-id-number"
    assert out["counts"] == {"issued": 1, "existing": 2, "error": 2}
    assert _count(session) == 2
    too_many = client.post(
        "/api/v1/credentials/bulk-issue",
        headers=admin,
        json={"items": [{**item, "basis": f"rpl:m{i}"} for i in range(101)]},
    )
    assert too_many.status_code == 422


def test_list_filters_and_downloads(client, admin, issue):
    a = issue(level=4)["credential"]
    b = issue(level=3)["credential"]
    client.post(f"/api/v1/credentials/{b['id']}/revoke", json={"reason": "x"}, headers=admin)
    page = client.get("/api/v1/credentials?limit=1", headers=admin).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    revoked = client.get("/api/v1/credentials?state=revoked", headers=admin).json()
    assert [c["id"] for c in revoked["items"]] == [b["id"]]
    by_ach = client.get("/api/v1/credentials?achievement=6-31-01-03-l4", headers=admin).json()
    assert [c["id"] for c in by_ach["items"]] == [a["id"]]
    assert client.get("/api/v1/credentials?state=bogus", headers=admin).status_code == 422
    bare = a["id"].removeprefix("urn:uuid:")
    got = client.get(f"/api/v1/credentials/{bare}", headers=admin).json()
    assert got["id"] == a["id"] and got["state"] == "active"
    jwt_file = client.get(f"/api/v1/credentials/{bare}/credential.jwt", headers=admin)
    assert jwt_file.headers["content-type"].startswith("text/plain")
    assert "attachment" in jwt_file.headers["content-disposition"]
    png = client.get(f"/api/v1/credentials/{bare}/badge.png", headers=admin)
    assert png.headers["content-type"] == "image/png"
    assert baking.extract_from_png(png.content) == jwt_file.text
    svg = client.get(f"/api/v1/credentials/{bare}/badge.svg", headers=admin)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert baking.extract_from_svg(svg.text) == jwt_file.text
    doc = client.get(f"/api/v1/credentials/{bare}/credential.json", headers=admin).json()
    assert doc["id"] == a["id"]
    assert client.get("/api/v1/credentials/nope", headers=admin).status_code == 404


@pytest.mark.parametrize("role", ["trainer", "learner"])
def test_admin_routes_need_admin(client, role, make_user, make_org, login, issue):
    cid = issue()["credential"]["id"]
    org = make_org() if role == "trainer" else None
    headers = login(make_user(role, org=org))
    body = {
        "learner_subject_id": str(uuid.uuid4()),
        "occupation_code": "6-31-01-03",
        "level": 4,
        "hours": 1,
        "basis": "rpl:x1",
    }
    calls = [
        ("POST", "/api/v1/credentials/issue", body),
        ("POST", "/api/v1/credentials/bulk-issue", {"items": [body]}),
        ("GET", "/api/v1/credentials", None),
        ("GET", f"/api/v1/credentials/{cid}", None),
        ("GET", f"/api/v1/credentials/{cid}/badge.png", None),
        ("POST", f"/api/v1/credentials/{cid}/revoke", {"reason": "x"}),
        ("POST", f"/api/v1/credentials/{cid}/suspend", {"reason": "x"}),
    ]
    for method, path, payload in calls:
        assert client.request(method, path, json=payload, headers=headers).status_code == 403
        assert client.request(method, path, json=payload).status_code == 401
    assert client.get(f"/api/v1/credentials/{cid}/verification").status_code == 200
