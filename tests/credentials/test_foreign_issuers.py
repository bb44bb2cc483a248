"""Credentials of other issuers, whose keys are served over HTTP (locally, on 127.0.0.1)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from credentials.resolvers import HttpKeyResolver, HttpStatusFetcher, chain_resolvers
from credentials.verify import verify


class _Issuer:
    def __init__(self):
        self.docs: dict[str, tuple[int, bytes]] = {}
        docs = self.docs

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                status, body = docs.get(self.path, (404, b"{}"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, path, obj, status=200):
        self.docs[path] = (status, json.dumps(obj).encode())


@pytest.fixture
def foreign():
    issuer = _Issuer()
    yield issuer
    issuer.server.shutdown()
    issuer.server.server_close()


def _public_jwk(private, kid, **extra):
    if isinstance(private, rsa.RSAPrivateKey):
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    else:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid=kid, **extra)
    return jwk


def _vc11_token(private, kid, issuer_id, alg="ES256"):
    vc = {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "http://example.edu/credentials/3732",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": "Example University"},
        "issuanceDate": "2010-01-01T00:00:00Z",
        "name": "Example Degree",
        "credentialSubject": {"id": "did:example:abc", "type": ["AchievementSubject"]},
    }
    claims = {
        "vc": vc,
        "iss": issuer_id,
        "nbf": 1262304000,
        "jti": vc["id"],
        "sub": "did:example:abc",
    }
    return jwt.encode(claims, private, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def _no_status(url):
    raise AssertionError("no status list expected")


def test_vcdm11_token_with_key_at_kid_url(foreign):
    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/565049"
    kid = f"{foreign.base}/keys/1"
    foreign.serve("/keys/1", _public_jwk(private, kid, iss=issuer_id))
    resolver = HttpKeyResolver(allow_http_hosts={"127.0.0.1"})
    report = verify(
        _vc11_token(private, kid, issuer_id), key_resolver=resolver, status_fetcher=_no_status
    )
    assert report.result == "valid", report.to_dict()
    assert report.check("shape").reason == "vcdm_1.1"
    assert report.check("status").outcome == "skipped"


def test_rsa_key_found_through_issuer_jwks(foreign):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer_id = f"{foreign.base}/issuers/9"
    foreign.serve("/.well-known/jwks.json", {"keys": [_public_jwk(private, "key-1")]})
    resolver = chain_resolvers(HttpKeyResolver(allow_http_hosts={"127.0.0.1"}))
    token = _vc11_token(private, "key-1", issuer_id, alg="RS256")
    report = verify(token, key_resolver=resolver, status_fetcher=_no_status)
    assert report.result == "valid", report.to_dict()


def test_key_hosted_elsewhere_cannot_claim_an_issuer(foreign):
    private = ec.generate_private_key(ec.SECP256R1())
    victim = "https://victim.example.edu/issuers/1"
    kid = f"{foreign.base}/keys/evil"
    foreign.serve("/keys/evil", _public_jwk(private, kid, iss=victim))
    resolver = HttpKeyResolver(allow_http_hosts={"127.0.0.1"})
    report = verify(
        _vc11_token(private, kid, victim), key_resolver=resolver, status_fetcher=_no_status
    )
    assert (report.result, report.reason) == ("invalid", "kid_issuer_mismatch")


def test_plain_http_is_refused_without_allow_list(foreign):
    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/1"
    kid = f"{foreign.base}/keys/1"
    foreign.serve("/keys/1", _public_jwk(private, kid, iss=issuer_id))
    report = verify(
        _vc11_token(private, kid, issuer_id),
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
        _vc11_token(private, f"{base}/keys/1", f"{base}/issuers/1"),
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
