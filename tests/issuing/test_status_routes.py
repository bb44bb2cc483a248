"""Status lists: signed VC-JWT with ETag / Cache-Control / 304, cached per version, and a
revocation seen by a verifier through the status list alone."""

import jwt
from sqlmodel import select

from credentials.models import Credential, CredentialStatusEvent
from credentials.status_bits import decode_list, get_bit
from service.issuing.status_cache import status_list_cache


def _entries(token):
    status = jwt.decode(token, options={"verify_signature": False})["credentialStatus"]
    return {e["statusPurpose"]: e for e in (status if isinstance(status, list) else [status])}


def _list_path(entry):
    return entry["statusListCredential"].removeprefix("https://skills.test")


def test_status_list_headers_etag_and_304(client, issue, token_of):
    token = token_of(issue()["credential"]["id"])
    path = _list_path(_entries(token)["revocation"])
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/vc+jwt"
    assert first.headers["cache-control"] == "public, max-age=300"
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    claims = jwt.decode(first.text, options={"verify_signature": False})
    assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert claims["credentialSubject"]["statusPurpose"] == "revocation"
    not_modified = client.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.headers["etag"] == etag
    assert not not_modified.content
    plain = client.get(path, headers={"Accept": "application/jwt"})
    assert plain.headers["content-type"] == "application/jwt"
    assert client.get("/status-lists/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/status-lists/nope").status_code == 404


def test_signed_list_is_cached_until_the_list_changes(client, issue, token_of, admin):
    status_list_cache.clear()
    issued = issue()
    path = _list_path(_entries(token_of(issued["credential"]["id"]))["revocation"])
    client.post("/api/v1/verify", json={"credential_id": issued["credential"]["id"]})
    signatures = status_list_cache.signatures  # the revocation list, signed once
    bodies = {client.get(path).text for _ in range(3)}
    for _ in range(3):
        client.post("/api/v1/verify", json={"credential_id": issued["credential"]["id"]})
    assert len(bodies) == 1 and status_list_cache.signatures == signatures
    before = client.get(path).headers["etag"]
    r = client.post(
        f"/api/v1/credentials/{issued['credential']['id']}/revoke",
        json={"reason": "issued in error"},
        headers=admin,
    )
    assert r.status_code == 200
    changed = client.get(path, headers={"If-None-Match": before})
    assert changed.status_code == 200 and changed.headers["etag"] != before


def test_revocation_seen_through_the_status_list(client, issue, token_of, admin):
    issued = issue()
    cid = issued["credential"]["id"]
    token = token_of(cid)
    assert client.post("/api/v1/verify", json={"token": token}).json()["result"] == "valid"
    r = client.post(f"/api/v1/credentials/{cid}/revoke", json={"reason": "fraud"}, headers=admin)
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    entry = _entries(token)["revocation"]
    jwks = client.get("/.well-known/jwks.json").json()
    served = client.get(_list_path(entry)).text
    kid = jwt.get_unverified_header(served)["kid"]
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
    status_vc = jwt.decode(served, key.key, algorithms=["ES256"])
    bits = decode_list(status_vc["credentialSubject"]["encodedList"])
    assert get_bit(bits, int(entry["statusListIndex"])) is True
    report = client.post("/api/v1/verify", json={"token": token}).json()
    assert report["result"] == "revoked"
    again = client.post(f"/api/v1/credentials/{cid}/revoke", json={"reason": "x"}, headers=admin)
    assert again.status_code == 409 and again.json()["state"] == "revoked"


def test_suspend_and_unsuspend(client, issue, token_of, admin, settings):
    settings.credential_suspension = True  # opt-in: adds the suspension entry
    cid = issue()["credential"]["id"]
    token = token_of(cid)
    base = f"/api/v1/credentials/{cid}"
    unsuspend_active = client.post(f"{base}/unsuspend", json={"reason": "x"}, headers=admin)
    assert unsuspend_active.status_code == 409 and unsuspend_active.json()["state"] == "active"
    assert (
        client.post(f"{base}/suspend", json={"reason": "under review"}, headers=admin).json()[
            "state"
        ]
        == "suspended"
    )
    assert client.post("/api/v1/verify", json={"token": token}).json()["result"] == "suspended"
    twice = client.post(f"{base}/suspend", json={"reason": "again"}, headers=admin)
    assert twice.status_code == 409 and twice.json()["state"] == "suspended"
    assert (
        client.post(f"{base}/unsuspend", json={"reason": "cleared"}, headers=admin).json()["state"]
        == "active"
    )
    assert client.post("/api/v1/verify", json={"token": token}).json()["result"] == "valid"
    blank = client.post(f"{base}/suspend", json={"reason": "   "}, headers=admin)
    assert blank.status_code == 422
    audit = client.get("/api/v1/admin/audit", headers=admin).json()["items"]
    actions = [a["action"] for a in audit]
    assert "credential.suspend" in actions and "credential.unsuspend" in actions


def test_suspending_without_a_suspension_entry_is_a_409_problem(client, issue, admin, session):
    cid = issue()["credential"]["id"]  # default: revocation entry only
    for action in ("suspend", "unsuspend"):
        r = client.post(f"/api/v1/credentials/{cid}/{action}", json={"reason": "x"}, headers=admin)
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith("no-suspension")
    assert client.get(f"/api/v1/credentials/{cid}", headers=admin).json()["state"] == "active"
    session.expire_all()
    events = session.exec(
        select(CredentialStatusEvent)
        .join(Credential, Credential.id == CredentialStatusEvent.credential_pk)
        .where(Credential.credential_id == cid)
    ).all()
    assert events == []  # a refused change leaves no audit row
