"""Share links through the learner API: create, list, withdraw; who may; what the page reveals."""

from __future__ import annotations

import io
import logging

import zxingcpp
from PIL import Image
from sqlalchemy import func
from sqlmodel import select

from credentials import baking
from service.issuing.models import CredentialShare
from tests.fixtures.builder import make_id_number


def _count(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(CredentialShare)).one()


def test_create_list_withdraw(client, holder, holder_credential, make_share, settings):
    created = make_share(holder_credential["id"], show_name=True)
    assert created["url"] == f"{settings.public_base_url}/c/{created['code']}"
    assert created["qr_png"] == created["url"] + "/qr.png"
    assert created["credential_id"] == holder_credential["id"]
    assert (created["show_name"], created["active"]) == (True, True)
    assert len(created["code"]) >= 22  # 128 random bits

    second = make_share(holder_credential["id"])
    listed = client.get("/api/v1/me/shares", headers=holder.headers).json()
    assert listed["total"] == 2 and {s["code"] for s in listed["items"]} == {
        created["code"],
        second["code"],
    }
    gone = client.delete(f"/api/v1/me/shares/{created['code']}", headers=holder.headers)
    assert gone.status_code == 204
    again = client.delete(f"/api/v1/me/shares/{created['code']}", headers=holder.headers)
    assert again.status_code == 204  # withdrawing twice is harmless
    active = client.get("/api/v1/me/shares?active=true", headers=holder.headers).json()
    assert [s["code"] for s in active["items"]] == [second["code"]]
    assert client.get(f"/c/{created['code']}").status_code == 410
    assert client.get(f"/c/{second['code']}").status_code == 200


def test_idempotent_create(client, holder, holder_credential, session):
    path = f"/api/v1/me/credentials/{holder_credential['id']}/shares"
    headers = {**holder.headers, "Idempotency-Key": "share-1"}
    first = client.post(path, json={"show_name": False}, headers=headers)
    retry = client.post(path, json={"show_name": False}, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert first.json()["code"] == retry.json()["code"]
    assert _count(session) == 1
    other = client.post(path, json={"show_name": True}, headers=headers)
    assert other.status_code == 409 and _count(session) == 1


def test_only_the_holder_shares_and_withdraws(
    client, holder, holder_credential, make_share, make_user, login, issue, revoke, session
):
    stranger = login(make_user("learner"))
    path = f"/api/v1/me/credentials/{holder_credential['id']}/shares"
    # A learner account without a learner record, another learner's credential, staff: refused.
    assert client.post(path, json={}, headers=stranger).status_code == 404
    assert client.post(path, json={}, headers=login(make_user("admin"))).status_code == 403
    someone_elses = issue()["credential"]
    r = client.post(
        f"/api/v1/me/credentials/{someone_elses['id']}/shares", json={}, headers=holder.headers
    )
    assert r.status_code == 404 and r.json()["code"] == "not-found"
    assert (
        client.post(
            "/api/v1/me/credentials/not-an-id/shares", json={}, headers=holder.headers
        ).status_code
        == 404
    )
    share = make_share(holder_credential["id"])
    assert client.delete(f"/api/v1/me/shares/{share['code']}", headers=stranger).status_code == 404
    assert client.get(f"/c/{share['code']}").status_code == 200
    # A revoked credential cannot be shared (existing links show the revocation instead).
    revoke(holder_credential["id"])
    before = _count(session)
    r = client.post(path, json={}, headers=holder.headers)
    assert r.status_code == 409 and r.json()["code"] == "credential-revoked"
    assert _count(session) == before
    page = client.get(f"/c/{share['code']}")
    assert 'data-result="revoked"' in page.text


def test_platform_acts_for_the_learner(client, holder, holder_credential, world):
    platform = world.as_learner(holder.learner_id)
    r = client.post(
        f"/api/v1/me/credentials/{holder_credential['id']}/shares", json={}, headers=platform
    )
    assert r.status_code == 201, r.text
    assert client.get("/api/v1/me/shares", headers=platform).json()["total"] == 1


def test_share_page_reveals_no_personal_data(
    client, holder, holder_credential, make_share, session
):
    from service.training.models import Learner

    learner = session.get(Learner, __import__("uuid").UUID(holder.learner_id))
    hidden = make_share(holder_credential["id"])
    page = client.get(f"/c/{hidden['code']}")
    assert page.status_code == 200
    for secret in (holder.id_number, learner.id_masked, holder.name, holder.subject_id):
        assert secret not in page.text
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    named = make_share(holder_credential["id"], show_name=True)
    assert holder.name in client.get(f"/c/{named['code']}").text


def test_share_qr_and_downloads(client, holder_credential, make_share, token_of):
    share = make_share(holder_credential["id"])
    qr = client.get(f"/c/{share['code']}/qr.png")
    assert qr.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.content)))
    assert [d.text for d in decoded] == [share["url"]]
    token = token_of(holder_credential["id"])
    jwt_file = client.get(f"/c/{share['code']}/credential.jwt")
    assert jwt_file.text == token
    assert "attachment" in jwt_file.headers["content-disposition"]
    assert baking.extract_from_png(client.get(f"/c/{share['code']}/badge.png").content) == token
    assert baking.extract_from_svg(client.get(f"/c/{share['code']}/badge.svg").text) == token
    assert client.get("/c/no-such-code/badge.png").status_code == 404
    assert client.get("/c/no-such-code").status_code == 404


def test_holder_check_never_echoes_or_logs_the_number(
    client, holder, holder_credential, make_share, caplog
):
    share = make_share(holder_credential["id"])
    url = f"/c/{share['code']}"
    other = make_id_number()
    with caplog.at_level(logging.DEBUG):
        right = client.post(url, data={"id_number": holder.id_number.lower()})
        wrong = client.post(url, data={"id_number": other})
        junk = client.post(url, data={"id_number": "12345"})
        empty = client.post(url, data={})
    assert 'data-holder="match"' in right.text
    assert 'data-holder="no_match"' in wrong.text
    assert 'data-holder="invalid"' in junk.text and 'data-holder="invalid"' in empty.text
    for response in (right, wrong, junk):
        assert holder.id_number not in response.text
        assert holder.id_number.lower() not in response.text
        assert other not in response.text
        assert response.headers["cache-control"] == "no-store"
    assert holder.id_number not in caplog.text and other not in caplog.text
    assert 'autocomplete="off"' in right.text
