"""Credentials of other issuers, whose keys are served over HTTP (locally, on 127.0.0.1)."""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from credentials.resolvers import HttpKeyResolver, HttpStatusFetcher, chain_resolvers
from credentials.verify import verify
from tests.fixtures.foreign_issuer import public_jwk, vc11_token


def _no_status(url):
    raise AssertionError("no status list expected")


def test_vcdm11_token_with_key_at_kid_url(foreign):
    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/565049"
    kid = f"{foreign.base}/keys/1"
    foreign.serve("/keys/1", public_jwk(private, kid, iss=issuer_id))
    resolver = HttpKeyResolver(allow_http_hosts={"127.0.0.1"})
    report = verify(
        vc11_token(private, kid, issuer_id), key_resolver=resolver, status_fetcher=_no_status
    )
    assert report.result == "valid", report.to_dict()
    assert report.check("shape").reason == "vcdm_1.1"
    assert report.check("status").outcome == "skipped"


def test_rsa_key_found_through_issuer_jwks(foreign):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer_id = f"{foreign.base}/issuers/9"
    foreign.serve("/.well-known/jwks.json", {"keys": [public_jwk(private, "key-1")]})
    resolver = chain_resolvers(HttpKeyResolver(allow_http_hosts={"127.0.0.1"}))
    token = vc11_token(private, "key-1", issuer_id, alg="RS256")
    report = verify(token, key_resolver=resolver, status_fetcher=_no_status)
    assert report.result == "valid", report.to_dict()


def test_key_hosted_elsewhere_cannot_claim_an_issuer(foreign):
    private = ec.generate_private_key(ec.SECP256R1())
    victim = "https://victim.example.edu/issuers/1"
    kid = f"{foreign.base}/keys/evil"
    foreign.serve("/keys/evil", public_jwk(private, kid, iss=victim))
    resolver = HttpKeyResolver(allow_http_hosts={"127.0.0.1"})
    report = verify(
        vc11_token(private, kid, victim), key_resolver=resolver, status_fetcher=_no_status
    )
    assert (report.result, report.reason) == ("invalid", "kid_issuer_mismatch")


@pytest.mark.parametrize(
    "claim",
    [lambda issuer: 123, lambda issuer: [issuer], lambda issuer: {"id": issuer}],
    ids=["number", "list", "object"],
)
def test_key_whose_iss_is_not_a_string_is_not_attributed(foreign, claim):
    """A JWK served at the kid URL whose ``iss`` is not a string names no issuer: the key is
    not attributed to the credential's issuer (as for any key that claims someone else)."""
    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/1"
    kid = f"{foreign.base}/keys/1"
    foreign.serve("/keys/1", public_jwk(private, kid, iss=claim(issuer_id)))
    resolver = HttpKeyResolver(allow_http_hosts={"127.0.0.1"})
    report = verify(
        vc11_token(private, kid, issuer_id), key_resolver=resolver, status_fetcher=_no_status
    )
    assert (report.result, report.reason) == ("invalid", "kid_issuer_mismatch")
    assert report.check("key_provenance").outcome == "failed"


def test_plain_http_is_refused_without_allow_list(foreign):
    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/1"
    kid = f"{foreign.base}/keys/1"
    foreign.serve("/keys/1", public_jwk(private, kid, iss=issuer_id))
    report = verify(
        vc11_token(private, kid, issuer_id),
        key_resolver=HttpKeyResolver(),
        status_fetcher=_no_status,
    )
    assert (report.result, report.reason) == ("invalid", "unknown_kid")


def test_unreachable_issuer_is_inconclusive():
    private = ec.generate_private_key(ec.SECP256R1())
    # A port nobody listens on.
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    base = f"http://127.0.0.1:{port}"
    report = verify(
        vc11_token(private, f"{base}/keys/1", f"{base}/issuers/1"),
        key_resolver=HttpKeyResolver(allow_http_hosts={"127.0.0.1"}, timeout=1),
        status_fetcher=_no_status,
    )
    assert (report.result, report.reason) == ("inconclusive", "key_unreachable")


def test_http_status_fetcher(foreign):
    foreign.docs["/status/1"] = (200, b"a.b.c")
    fetch = HttpStatusFetcher(allow_http_hosts={"127.0.0.1"})
    assert fetch(f"{foreign.base}/status/1") == "a.b.c"
    with pytest.raises(Exception):
        fetch(f"{foreign.base}/status/2")
    with pytest.raises(PermissionError):
        HttpStatusFetcher()(f"{foreign.base}/status/1")


# ---- tokens carrying their own key (header jwk, OB 3.0 §8.2.4.1) -------------------------------

import jwt  # noqa: E402

from credentials.resolvers import HttpIssuerKeys, did_web_url, multikey_jwk  # noqa: E402


def _vc2_token(private, issuer_id, *, alg="ES256", drop=(), header=None):
    """A VCDM 2.0 OB credential from another issuer, its public key in the header."""
    jwk = public_jwk(private, "x")
    jwk.pop("kid")
    credential = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:2b7a7b4e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": "Other School"},
        "validFrom": "2024-01-01T00:00:00Z",
        "name": "Teamwork",
        "credentialSubject": {
            "id": "did:example:holder",
            "type": ["AchievementSubject"],
            "achievement": {"id": "https://x.example/a/1", "type": ["Achievement"], "name": "T"},
        },
    }
    claims = credential | {
        "iss": issuer_id,
        "jti": credential["id"],
        "sub": "did:example:holder",
        "nbf": 1704067200,
    }
    for name in drop:
        claims.pop(name)
    headers = {"jwk": jwk, "typ": "JWT"} | (header or {})
    return jwt.encode(claims, private, algorithm=alg, headers=headers), jwk


def _issuer_keys():
    return HttpIssuerKeys(allow_http_hosts={"127.0.0.1"})


def _resolver():
    return HttpKeyResolver(allow_http_hosts={"127.0.0.1"})


def test_embedded_key_listed_in_the_issuer_profile_is_valid(foreign):
    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/1"
    token, jwk = _vc2_token(private, issuer_id)
    foreign.serve(
        "/issuers/1",
        {
            "id": issuer_id,
            "type": "Profile",
            "verificationMethod": [{"id": f"{issuer_id}#k", "publicKeyJwk": jwk}],
        },
    )
    report = verify(
        token, key_resolver=_resolver(), status_fetcher=_no_status, issuer_keys=_issuer_keys()
    )
    assert report.result == "valid", report.to_dict()
    assert report.check("key_provenance").reason == "issuer_key_confirmed"
    assert report.credential["issued_here"] is False


def test_embedded_rsa_key_in_the_issuer_jwks_is_valid(foreign):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer_id = f"{foreign.base}/issuers/2"
    token, jwk = _vc2_token(private, issuer_id, alg="RS256")
    foreign.serve("/.well-known/jwks.json", {"keys": [jwk]})
    report = verify(
        token, key_resolver=_resolver(), status_fetcher=_no_status, issuer_keys=_issuer_keys()
    )
    assert report.result == "valid", report.to_dict()


def test_embedded_key_the_issuer_does_not_publish_is_inconclusive(foreign):
    private = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/3"
    token, _jwk = _vc2_token(private, issuer_id)
    foreign.serve("/issuers/3", {"id": issuer_id, "publicKey": [public_jwk(other, "k")]})
    report = verify(
        token, key_resolver=_resolver(), status_fetcher=_no_status, issuer_keys=_issuer_keys()
    )
    assert (report.result, report.reason) == ("inconclusive", "issuer_key_unconfirmed")
    assert report.check("signature").outcome == "passed"
    # Nothing to ask at all (no issuer_keys): the same answer.
    alone = verify(token, key_resolver=_resolver(), status_fetcher=_no_status)
    assert (alone.result, alone.reason) == ("inconclusive", "issuer_key_unconfirmed")


def _did_key(private) -> str:
    from cryptography.hazmat.primitives import serialization

    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    raw = b"\x80\x24" + point
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number, out = int.from_bytes(raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        out = alphabet[digit] + out
    return "did:key:z" + out


def test_did_key_issuer_is_its_own_key():
    private = ec.generate_private_key(ec.SECP256R1())
    did = _did_key(private)
    token, jwk = _vc2_token(private, did)
    assert multikey_jwk(did.removeprefix("did:key:")) == {
        k: jwk[k] for k in ("kty", "crv", "x", "y")
    }
    report = verify(
        token, key_resolver=_resolver(), status_fetcher=_no_status, issuer_keys=_issuer_keys()
    )
    assert report.result == "valid", report.to_dict()
    someone_else = _did_key(ec.generate_private_key(ec.SECP256R1()))
    forged, _ = _vc2_token(private, someone_else)
    report = verify(
        forged, key_resolver=_resolver(), status_fetcher=_no_status, issuer_keys=_issuer_keys()
    )
    assert (report.result, report.reason) == ("inconclusive", "issuer_key_unconfirmed")


def test_did_web_document_location():
    assert did_web_url("did:web:example.com") == "https://example.com/.well-known/did.json"
    assert did_web_url("did:web:example.com%3A8443:u:alice") == (
        "https://example.com:8443/u/alice/did.json"
    )
    assert did_web_url("did:web:") is None


def test_did_web_keys_are_read_from_its_document(monkeypatch):
    private = ec.generate_private_key(ec.SECP256R1())
    token, jwk = _vc2_token(private, "did:web:school.example")
    asked = []

    def fake_json(self, url):
        asked.append(url)
        return {"verificationMethod": [{"type": "JsonWebKey", "publicKeyJwk": jwk}]}

    monkeypatch.setattr(HttpIssuerKeys, "_json", fake_json)
    report = verify(
        token, key_resolver=_resolver(), status_fetcher=_no_status, issuer_keys=_issuer_keys()
    )
    assert report.result == "valid", report.to_dict()
    assert asked == ["https://school.example/.well-known/did.json"]


def test_vcdm2_token_without_sub_is_invalid_with_its_reason(foreign):
    private = ec.generate_private_key(ec.SECP256R1())
    token, _jwk = _vc2_token(private, f"{foreign.base}/issuers/4", drop=("sub",))
    report = verify(
        token, key_resolver=_resolver(), status_fetcher=_no_status, issuer_keys=_issuer_keys()
    )
    assert (report.result, report.reason) == ("invalid", "sub_missing")


def test_unknown_header_of_another_issuer_is_a_warning(foreign):
    """RFC 7515 §4: a member neither understood nor critical is ignored; it is still shown."""
    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/5"
    token, jwk = _vc2_token(private, issuer_id, header={"x-trace": "1"})
    foreign.serve("/issuers/5", {"id": issuer_id, "publicKey": [{"publicKeyJwk": jwk}]})
    report = verify(
        token, key_resolver=_resolver(), status_fetcher=_no_status, issuer_keys=_issuer_keys()
    )
    assert report.result == "valid", report.to_dict()
    warnings = [c for c in report.entries("shape") if c.outcome == "warning"]
    assert [c.reason for c in warnings] == ["unknown_header"] and "x-trace" in warnings[0].message
