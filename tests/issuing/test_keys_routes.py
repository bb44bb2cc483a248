"""Published keys: the JWKS, the kid URL, compromise; an independent JOSE check with PyJWT."""

import json
from urllib.parse import urlsplit

import jwt
from typer.testing import CliRunner

from service.issuing.cli import keys_app


def test_jwks_and_kid_url(client, issuer_key, settings):
    r = client.get("/.well-known/jwks.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/jwk-set+json"
    assert "max-age" in r.headers["cache-control"]
    keys = r.json()["keys"]
    assert [k["kid"] for k in keys] == [issuer_key.kid]
    assert keys[0]["iss"] == settings.issuer_id() and "d" not in keys[0]
    one = client.get(urlsplit(issuer_key.kid).path)
    assert one.status_code == 200 and one.headers["content-type"] == "application/jwk+json"
    assert one.json() == keys[0]
    assert client.get("/keys/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/keys/not-a-key").status_code == 404


def test_issued_jwt_checks_out_with_plain_pyjwt_against_served_jwks(client, issue, token_of):
    issued = issue()
    token = token_of(issued["credential"]["id"])
    header = jwt.get_unverified_header(token)
    assert set(header) == {"alg", "kid", "typ"} and header["alg"] == "ES256"
    jwks = client.get("/.well-known/jwks.json").json()
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    key = jwt.PyJWK(jwk)
    claims = jwt.decode(token, key.key, algorithms=["ES256"], options={"verify_aud": False})
    assert claims["iss"] == claims["issuer"]["id"] == jwk["iss"]
    assert claims["jti"] == issued["credential"]["id"]
    assert claims["sub"] == f"urn:uuid:{issued['credential']['learner_subject_id']}"


def test_compromised_key(client, issue, token_of, session):
    issued = issue()
    token = token_of(issued["credential"]["id"])
    kid = jwt.get_unverified_header(token)["kid"]
    runner = CliRunner()
    out = runner.invoke(keys_app, ["compromise", kid, "--reason", "laptop stolen"])
    assert out.exit_code == 0, out.output
    assert "no active key left" in out.output
    gone = client.get(urlsplit(kid).path)
    assert gone.status_code == 410 and gone.json()["code"] == "key-compromised"
    assert client.get("/.well-known/jwks.json").json()["keys"] == []
    report = client.post("/api/v1/verify", json={"token": token}).json()
    assert report["result"] == "invalid" and report["reason"] == "key_compromised"
    # Issuing now needs an operator: a clear 503, nothing minted.
    refused = issue(expect=(503,))
    assert refused["code"] == "issuer-key-missing" and "skills keys create" in refused["detail"]
    listed = json.loads(runner.invoke(keys_app, ["list"]).output)
    assert [k["status"] for k in listed] == ["compromised"]
    created = runner.invoke(keys_app, ["create"])
    assert created.exit_code == 0 and json.loads(created.output)["iss"].endswith("/issuers/city")
    assert issue()["outcome"] == "issued"


def test_compromise_unknown_key_exits_2(settings):
    out = CliRunner().invoke(keys_app, ["compromise", "nope", "--reason", "x"])
    assert out.exit_code == 2
