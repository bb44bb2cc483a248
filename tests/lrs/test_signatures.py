"""Signed statements (xAPI 1.0.3 Data §2.6): the JWS attachment is checked, not trusted."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from functools import cache

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from service.core.errors import BadRequest
from service.lrs.attachments import check_attachments
from service.lrs.multipart import Part
from service.lrs.signatures import SIGNATURE_USAGE, verify_signed_statement

STATEMENT = {
    "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
    "actor": {"mbox": "mailto:signer@example.com", "objectType": "Agent"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
    "object": {"id": "http://www.example.com/meetings/34534", "objectType": "Activity"},
    "timestamp": "2013-05-18T05:32:34.804+00:00",
}


@cache
def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _certificate(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signer")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def sign(payload, algorithm="RS256", x5c=False, key=None) -> bytes:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signing_key = "a-shared-secret" * 3 if algorithm.startswith("HS") else _key()
    headers = {"x5c": [_certificate(key or _key())]} if x5c else None
    return jwt.PyJWS().encode(raw, signing_key, algorithm=algorithm, headers=headers).encode()


def signed(statement: dict, jws: bytes, content_type="application/octet-stream"):
    attachment = {
        "usageType": SIGNATURE_USAGE,
        "display": {"en-US": "Signature"},
        "contentType": content_type,
        "length": len(jws),
        "sha2": hashlib.sha256(jws).hexdigest(),
    }
    part = Part("application/octet-stream", jws, attachment["sha2"])
    return {**statement, "attachments": [attachment]}, {part.sha2: part}


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
def test_rsa_signatures_are_accepted(algorithm):
    statement, parts = signed(STATEMENT, sign(STATEMENT, algorithm))
    check_attachments([statement], parts, "1.0.3")


def test_received_statement_may_carry_what_the_lrs_assigns():
    unsigned = {k: v for k, v in STATEMENT.items() if k not in ("id", "timestamp")}
    received = {**STATEMENT, "version": "1.0.0", "authority": {"mbox": "mailto:lrs@x.org"}}
    statement, parts = signed(received, sign(unsigned))
    check_attachments([statement], parts, "2.0.0")


def test_timestamps_compare_as_instants_and_group_members_unordered():
    group = {
        "objectType": "Group",
        "member": [{"mbox": "mailto:a@x.org"}, {"mbox": "mailto:b@x.org"}],
    }
    original = {**STATEMENT, "actor": group}
    received = {
        **original,
        "timestamp": "2013-05-18T07:32:34.804+02:00",
        "actor": {**group, "member": group["member"][::-1]},
    }
    verify_signed_statement(received, sign(original))


def test_x5c_certificate_verifies_the_signature():
    verify_signed_statement(STATEMENT, sign(STATEMENT, x5c=True))


def test_x5c_of_another_key_is_refused():
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(BadRequest):
        verify_signed_statement(STATEMENT, sign(STATEMENT, x5c=True, key=other))


@pytest.mark.parametrize(
    "jws",
    [
        pytest.param(lambda: sign(STATEMENT, "HS256"), id="HS256"),
        pytest.param(lambda: sign(json.dumps(STATEMENT).replace('"', "'", 1).encode()), id="json"),
        pytest.param(lambda: sign(b"[1, 2]"), id="payload not an object"),
        pytest.param(lambda: sign({**STATEMENT, "verb": {"id": "http://x/other"}}), id="differs"),
        pytest.param(lambda: sign({k: v for k, v in STATEMENT.items() if k != "verb"}), id="less"),
        pytest.param(lambda: b"not a jws", id="not compact"),
        pytest.param(lambda: b"a.b.c", id="not base64 json"),
        pytest.param(lambda: "é.é.é".encode(), id="not ascii"),
    ],
)
def test_malformed_signatures_are_refused(jws):
    statement, parts = signed(STATEMENT, jws())
    with pytest.raises(BadRequest):
        check_attachments([statement], parts, "1.0.3")


def test_signature_attachment_must_be_octet_stream():
    statement, parts = signed(STATEMENT, sign(STATEMENT), content_type="text/plain; charset=ascii")
    with pytest.raises(BadRequest):
        check_attachments([statement], parts, "1.0.3")


def test_signature_attachment_must_be_sent_as_a_part():
    statement, _ = signed(STATEMENT, sign(STATEMENT))
    statement["attachments"][0]["fileUrl"] = "http://example.com/sig"
    with pytest.raises(BadRequest):
        check_attachments([statement], {}, "1.0.3")


def test_xapi_2_compares_durations_to_hundredths_of_a_second():
    original = {**STATEMENT, "result": {"duration": "P1DT12H36M0.12S"}}
    received = {**STATEMENT, "result": {"duration": "P1DT12H36M0.1237S"}}
    jws = sign(original)
    verify_signed_statement(received, jws, "2.0.0")
    with pytest.raises(BadRequest):
        verify_signed_statement(received, jws, "1.0.3")
    with pytest.raises(BadRequest):
        verify_signed_statement({**STATEMENT, "result": {"duration": "PT0.13S"}}, jws, "2.0.0")
