"""Statements with attachments and signatures through ``/xAPI/statements``, as a client sees
them (xAPI 1.0.3 Communication §1.5.2, §2.1.3; Data §2.4.11, §2.6)."""

from __future__ import annotations

import hashlib
import json
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import func, select

from service.lrs.models import LrsAttachment, LrsStatement
from service.lrs.multipart import parse_statement_request
from service.lrs.signatures import SIGNATURE_USAGE

URL = "/xAPI/statements"
BOUNDARY = "abcABC0123'()+_,-./:=?"
TEXT = b"here is a simple attachment\r\n\x00\xff"
SHA = hashlib.sha256(TEXT).hexdigest()


@pytest.fixture
def h(world) -> dict:
    return {**world.platform, "X-Experience-API-Version": "1.0.3"}


def statement(**extra) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
        "object": {"id": "http://example.com/activities/welding", "objectType": "Activity"},
        **extra,
    }


def attachment(data: bytes, usage="http://example.com/usage", content_type="text/plain") -> dict:
    return {
        "usageType": usage,
        "display": {"en-US": "file"},
        "contentType": content_type,
        "length": len(data),
        "sha2": hashlib.sha256(data).hexdigest(),
    }


def multipart(statements, *parts: tuple[bytes, str]) -> tuple[bytes, dict]:
    dash = b"--" + BOUNDARY.encode()
    out = dash + b"\r\nContent-Type: application/json\r\n\r\n" + json.dumps(statements).encode()
    for data, content_type in parts:
        out += b"\r\n" + dash + b"\r\n"
        out += f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n".encode()
        out += f"X-Experience-API-Hash: {hashlib.sha256(data).hexdigest()}\r\n\r\n".encode()
        out += data
    out += b"\r\n" + dash + b"--\r\n"
    return out, {"Content-Type": f'multipart/mixed; boundary="{BOUNDARY}"'}


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_post_with_attachment_and_get_it_back(client, h, session):
    sent = statement(attachments=[attachment(TEXT)])
    body, ct = multipart([sent], (TEXT, "text/plain"))
    r = client.post(URL, content=body, headers={**h, **ct})
    assert r.status_code == 200, r.text
    assert r.json() == [sent["id"]]

    plain = client.get(URL, params={"statementId": sent["id"]}, headers=h)
    assert plain.headers["content-type"].startswith("application/json")
    assert plain.json()["attachments"][0]["sha2"] == SHA

    got = client.get(URL, params={"statementId": sent["id"], "attachments": "true"}, headers=h)
    assert got.status_code == 200
    first, parts = parse_statement_request(got.headers["content-type"], got.content)
    assert first["id"] == sent["id"]
    assert parts[SHA].data == TEXT and parts[SHA].content_type == "text/plain"

    query = client.get(URL, params={"attachments": "true"}, headers=h)
    first, parts = parse_statement_request(query.headers["content-type"], query.content)
    assert [s["id"] for s in first["statements"]] == [sent["id"]] and list(parts) == [SHA]

    # The same body again, for another statement: stored once.
    again = statement(attachments=[attachment(TEXT)])
    body, ct = multipart([again], (TEXT, "text/plain"))
    assert client.post(URL, content=body, headers={**h, **ct}).status_code == 200
    assert count(session, LrsAttachment) == 1


def test_put_with_attachment(client, h):
    sent = statement(attachments=[attachment(TEXT)])
    body, ct = multipart(sent, (TEXT, "text/plain"))
    r = client.put(URL, params={"statementId": sent["id"]}, content=body, headers={**h, **ct})
    assert r.status_code == 204, r.text


@pytest.mark.parametrize(
    "case",
    ["missing part", "extra part", "json without the part", "form-data"],
)
def test_mismatched_attachments_are_refused_and_nothing_is_stored(client, h, session, case):
    other = b"another file"
    sent = statement(attachments=[attachment(TEXT)])
    body, ct = {
        "missing part": lambda: multipart([sent]),
        "extra part": lambda: multipart([sent], (TEXT, "text/plain"), (other, "text/plain")),
        "json without the part": lambda: (
            json.dumps(sent).encode(),
            {"Content-Type": "application/json"},
        ),
        "form-data": lambda: (
            multipart([sent], (TEXT, "text/plain"))[0],
            {"Content-Type": f'multipart/form-data; boundary="{BOUNDARY}"'},
        ),
    }[case]()
    r = client.post(URL, content=body, headers={**h, **ct})
    assert r.status_code == 400, r.text
    assert count(session, LrsStatement) == 0 and count(session, LrsAttachment) == 0


def _signed(original: dict, received: dict, algorithm: str = "RS256") -> tuple[bytes, dict]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jws = jwt.PyJWS().encode(json.dumps(original).encode(), key, algorithm=algorithm).encode()
    full = {
        **received,
        "attachments": [attachment(jws, SIGNATURE_USAGE, "application/octet-stream")],
    }
    return multipart([full], (jws, "application/octet-stream"))


def test_signed_statement_is_stored_with_its_signature(client, h):
    sent = statement()
    body, ct = _signed(sent, sent, "RS384")
    r = client.post(URL, content=body, headers={**h, **ct})
    assert r.status_code == 200, r.text
    got = client.get(URL, params={"statementId": sent["id"], "attachments": "true"}, headers=h)
    stored, parts = parse_statement_request(got.headers["content-type"], got.content)
    assert stored["attachments"][0]["usageType"] == SIGNATURE_USAGE
    assert list(parts) == [stored["attachments"][0]["sha2"]]


def test_signature_of_another_statement_is_refused(client, h, session):
    sent = statement()
    body, ct = _signed({**sent, "verb": {"id": "http://example.com/other"}}, sent)
    r = client.post(URL, content=body, headers={**h, **ct})
    assert r.status_code == 400
    assert "signature" in r.json()["detail"]
    assert count(session, LrsStatement) == 0
