"""Public verification: JSON token, credential id, PNG/SVG uploads, raw bodies, bad input as
4xx problems, and other issuers' credentials behind the trusted-hosts switch."""

import csv
import io
import json

import pytest

from credentials import baking, images
from tests.fixtures.foreign_issuer import public_jwk, vc11_token


@pytest.fixture
def issued(issue, token_of):
    cred = issue()["credential"]
    return cred, token_of(cred["id"])


def test_verify_json_token_and_id_without_an_account(client, issued):
    cred, token = issued
    report = client.post("/api/v1/verify", json={"token": token})
    assert report.status_code == 200
    body = report.json()
    assert body["result"] == "valid" and body["source"] == "jwt"
    assert [c["name"] for c in body["checks"]] == [
        "signature",
        "key_provenance",
        "shape",
        "validity",
        "status",
    ]
    assert body["credential"]["occupation_code"] == "6-31-01-03"
    assert body["credential"]["issued_here"] is True
    assert body["credential"]["hours"] == "72.5"
    by_id = client.post("/api/v1/verify", json={"credential_id": cred["id"]}).json()
    assert by_id["result"] == "valid"
    bare = cred["id"].removeprefix("urn:uuid:")
    for ident in (cred["id"], bare):
        r = client.get(f"/api/v1/credentials/{ident}/verification")
        assert r.status_code == 200 and r.json()["result"] == "valid"
    assert client.get("/api/v1/credentials/nope/verification").status_code == 404
    missing = client.get("/api/v1/credentials/00000000-0000-0000-0000-000000000000/verification")
    assert missing.status_code == 404


def test_verify_uploads_png_svg_and_raw(client, issued):
    _cred, token = issued
    png = baking.bake_png(images.default_png(), token)
    svg = baking.bake_svg(images.default_svg("电工"), token)
    # The declared names and types are ignored: the content decides.
    for name, data, ctype, source in (
        ("badge.png", png, "image/png", "png"),
        ("badge.svg", svg.encode(), "image/svg+xml", "svg"),
        ("x.jwt", token.encode(), "application/octet-stream", "jwt"),
        ("misnamed.jwt", png, "text/plain", "png"),
    ):
        r = client.post("/api/v1/verify", files={"file": (name, data, ctype)})
        assert r.status_code == 200, r.text
        assert (r.json()["result"], r.json()["source"]) == ("valid", source)
    raw = client.post("/api/v1/verify", content=png, headers={"Content-Type": "image/png"})
    assert raw.json()["result"] == "valid"
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    bad = client.post("/api/v1/verify", json={"token": tampered}).json()
    assert bad["result"] == "invalid"


def _problem(r, status, reason=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    if reason:
        assert r.json()["reason"] == reason
    return r.json()


def test_bad_input_is_a_4xx_problem(client, issued, settings):
    _cred, token = issued
    png = baking.bake_png(images.default_png(), token)
    post = client.post
    _problem(post("/api/v1/verify", json={"token": "not a jwt"}), 422, "malformed_token")
    _problem(
        post("/api/v1/verify", files={"file": ("a.png", images.default_png())}),
        422,
        "no_credential",
    )
    double = png[:-12] + png[-12 - (len(png) - len(images.default_png())) : -12] + png[-12:]
    _problem(post("/api/v1/verify", files={"file": ("b.png", double)}), 422, "multiple_credentials")
    _problem(post("/api/v1/verify", files={"file": ("c.png", png[:60])}), 422, "corrupt")
    _problem(post("/api/v1/verify", files={"file": ("d.svg", b"<svg><g/>")}), 422, "not_an_svg")
    _problem(
        post("/api/v1/verify", files={"file": ("e.bin", b"\xff\xfe\x00garbage")}), 422, "corrupt"
    )
    _problem(post("/api/v1/verify", json={"token": token, "credential_id": "x"}), 422)
    _problem(post("/api/v1/verify", json=["x"]), 422)
    _problem(post("/api/v1/verify", json={"credential_id": "urn:uuid:nope"}), 422)
    _problem(
        post("/api/v1/verify", content=b"{", headers={"Content-Type": "application/json"}), 400
    )
    _problem(post("/api/v1/verify", files={"other": ("a.png", b"x")}), 422)
    _problem(post("/api/v1/verify", data={"token": "x"}), 415)
    _problem(post("/api/v1/verify", content=b"x", headers={"Content-Type": "text/html"}), 415)
    _problem(
        post(
            "/api/v1/verify",
            json={"credential_id": "urn:uuid:" + "0" * 8 + "-0000-0000-0000-000000000000"},
        ),
        404,
    )
    huge = b"\x89PNG\r\n\x1a\n" + b"\0" * (settings.verify_max_upload_bytes + 70 * 1024)
    _problem(post("/api/v1/verify", files={"file": ("big.png", huge)}), 413)
    _problem(post("/api/v1/verify", content=huge, headers={"Content-Type": "image/png"}), 413)


def test_foreign_issuer_needs_a_public_or_trusted_host(client, settings, foreign):
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/1"
    kid = f"{foreign.base}/keys/1"
    foreign.serve("/keys/1", public_jwk(private, kid, iss=issuer_id))
    token = vc11_token(private, kid, issuer_id)
    blocked = client.post("/api/v1/verify", json={"token": token}).json()
    assert blocked["result"] == "inconclusive" and blocked["reason"] == "key_unreachable"
    settings.trusted_http_hosts = ["127.0.0.1"]
    trusted = client.post("/api/v1/verify", json={"token": token}).json()
    assert trusted["result"] == "valid" and trusted["credential"]["issued_here"] is False


# ---- batch: POST /api/v1/verify/batch ---------------------------------------------------------


def test_batch_answers_json_lines_in_input_order(client, issue, token_of):
    first, second = (issue()["credential"]["id"] for _ in range(2))
    token = token_of(first)
    h, p, s = token.split(".")
    items = [
        token,
        {"credential_id": second},
        {"token": f"{h}.{p}.{s[:-4]}AAAA"},
        "not a token",
        {"credential_id": "urn:uuid:00000000-0000-4000-8000-000000000000"},
    ]
    r = client.post("/api/v1/verify/batch", json={"items": items})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [line["index"] for line in lines] == [0, 1, 2, 3, 4]
    assert [line["result"] for line in lines] == [
        "valid",
        "valid",
        "invalid",
        "unreadable",
        "not_found",
    ]
    assert lines[1]["credential"]["id"] == second and lines[1]["credential"]["issued_here"]
    assert lines[3]["reason"] == "malformed_token"
    # Each line is the same report the single route gives.
    single = client.post("/api/v1/verify", json={"token": token}).json()
    assert {k: v for k, v in lines[0].items() if k != "index"} == single


def test_batch_csv_never_hands_a_spreadsheet_a_formula(client):
    """Names in the CSV come from whatever credential was submitted: one named like a formula
    opens as text (OWASP "CSV Injection")."""
    import base64

    def b64(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    payload = {
        "iss": "https://forger.example",
        "name": '=HYPERLINK("https://forger.example")',
        "issuer": {"id": "https://forger.example", "name": "@SUM(A1)"},
    }
    token = f"{b64({'alg': 'none'})}.{b64(payload)}.sig"
    r = client.post("/api/v1/verify/batch", json={"items": [token]}, headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    row = list(csv.reader(io.StringIO(r.text)))[1]
    assert row[1] == "invalid"
    assert row[4] == '\'=HYPERLINK("https://forger.example")'
    assert row[5] == "'@SUM(A1)"


def test_batch_as_csv(client, issue, token_of):
    cred = issue()["credential"]
    r = client.post(
        "/api/v1/verify/batch",
        json={"items": [token_of(cred["id"]), "junk"]},
        headers={"Accept": "text/csv"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == [
        "index",
        "result",
        "reason",
        "credential_id",
        "achievement",
        "issuer",
        "issued_here",
    ]
    assert rows[1][:4] == ["0", "valid", "valid", cred["id"]] and rows[1][6] == "true"
    assert rows[2][:3] == ["1", "unreadable", "malformed_token"] and rows[2][6] == "false"


def test_batch_bad_shapes_are_problems(client):
    post = client.post
    _problem(post("/api/v1/verify/batch", json={"items": ["x"] * 1001}), 413)
    _problem(post("/api/v1/verify/batch", json={"items": "x"}), 422)
    _problem(post("/api/v1/verify/batch", json=["x"]), 422)
    bad = _problem(post("/api/v1/verify/batch", json={"items": ["ok", 5]}), 422)
    assert bad["index"] == 1
    _problem(post("/api/v1/verify/batch", json={"items": [{"credential_id": "nope"}]}), 422)
    _problem(post("/api/v1/verify/batch", json={"items": [{"token": "a", "x": 1}]}), 422)
    _problem(
        post("/api/v1/verify/batch", content=b"{", headers={"Content-Type": "application/json"}),
        400,
    )
    _problem(post("/api/v1/verify/batch", content=b"x", headers={"Content-Type": "text/csv"}), 415)


def test_batch_fetches_a_foreign_key_once_and_counts_once(client, settings, foreign, monkeypatch):
    from cryptography.hazmat.primitives.asymmetric import ec

    from credentials.resolvers import HttpKeyResolver

    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/1"
    kid = f"{foreign.base}/keys/1"
    foreign.serve("/keys/1", public_jwk(private, kid, iss=issuer_id))
    settings.trusted_http_hosts = ["127.0.0.1"]
    fetched = []
    real = HttpKeyResolver._fetch_json
    monkeypatch.setattr(
        HttpKeyResolver, "_fetch_json", lambda self, url: fetched.append(url) or real(self, url)
    )
    token = vc11_token(private, kid, issuer_id)
    r = client.post("/api/v1/verify/batch", json={"items": [token] * 20})
    assert {json.loads(line)["result"] for line in r.text.splitlines()} == {"valid"}
    assert fetched == [kid]
    # The batch is one request of the verify budget (shared with the single route).
    settings.rate_limit_verify = "2/minute"
    assert client.post("/api/v1/verify/batch", json={"items": [token]}).status_code == 200
    assert client.post("/api/v1/verify", json={"token": token}).status_code == 200
    _problem(client.post("/api/v1/verify/batch", json={"items": [token]}), 429)


def test_json_credential_in_every_form_gets_its_proof_checked(client):
    """A did:key credential with a Data Integrity proof, sent as JSON, a file and a raw body:
    valid every time; the same without its proof is invalid every time."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tests.support.di_signing import badge, did_key, method_of, sign

    key = Ed25519PrivateKey.generate()
    signed = sign(badge(did_key(key)), key, method_of(did_key(key)))
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    for credential, expected in (
        (signed, ("valid", "valid")),
        (unsigned, ("invalid", "malformed_proof")),
    ):
        text = json.dumps(credential).encode()
        for r in (
            client.post("/api/v1/verify", json={"credential": credential}),
            client.post("/api/v1/verify", files={"file": ("c.json", text, "application/json")}),
            client.post("/api/v1/verify", content=text, headers={"Content-Type": "application/vc"}),
        ):
            assert r.status_code == 200, r.text
            assert (r.json()["result"], r.json()["reason"]) == expected
            assert r.json()["source"] == "json"
    _problem(client.post("/api/v1/verify", json={"credential": "text"}), 422)


def test_json_credential_that_is_not_plain_json_is_a_problem(client):
    body = b'{"credential": {"@context": [], "x": NaN}}'
    r = client.post("/api/v1/verify", content=body, headers={"Content-Type": "application/json"})
    _problem(r, 422)
    deep = b'{"credential": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}"
    r = client.post("/api/v1/verify", content=deep, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500
