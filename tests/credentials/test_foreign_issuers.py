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
