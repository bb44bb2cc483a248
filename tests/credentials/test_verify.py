import base64
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from credentials import baking, images, keys
from credentials.issuance import revoke, suspend, unsuspend
from credentials.jwt_vc import split_token
from credentials.resolvers import HttpKeyResolver, chain_resolvers
from credentials.timefmt import to_xsd, utcnow
from credentials.verify import summarise
from tests.fixtures.credentials import BASE, make_issuer


def _resign(world, payload, *, key_row=None, header=None, alg=None):
    key_row = key_row or world.key
    private = keys.load_private_key(key_row, world.master_key)
    hdr = {"kid": key_row.kid, "typ": "JWT"}
    hdr.update(header or {})
    return jwt.encode(payload, private, algorithm=alg or key_row.alg, headers=hdr)


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_issued_credential_is_valid(world):
    row = world.issue(hours=72, score=90)
    report = world.verify(row.jwt, own_issuer_ids=[world.issuer["id"]])
    assert report.result == "valid", report.to_dict()
    assert [c.outcome for c in report.checks] == ["passed"] * 5
    summary = report.credential
    assert summary["occupation_code"] == "6-31-01-03" and summary["level"] == 4
    assert summary["hours"] == "72" and summary["score"] == "90"
    assert summary["issuer_name"] == world.issuer["name"] and summary["issued_here"]


def test_alg_none_is_rejected(world):
    _h, payload = split_token(world.issue().jwt)
    token = _b64({"alg": "none", "kid": world.key.kid, "typ": "JWT"}) + "." + _b64(payload) + "."
    report = world.verify(token)
    assert (report.result, report.reason) == ("invalid", "alg_not_allowed")


def _hours_rd(achievement):
    return achievement["resultDescription"][0]


@pytest.mark.parametrize(
    "malform",
    [
        pytest.param(lambda s, a: a.update(alignment=5), id="alignment-not-a-list"),
        pytest.param(lambda s, a: a.update(resultDescription=5), id="resultDescription-number"),
        pytest.param(lambda s, a: s.update(result=5), id="result-number"),
        pytest.param(
            lambda s, a: _hours_rd(a).update(id=[_hours_rd(a)["id"]]),
            id="resultDescription-id-list",
        ),
        pytest.param(
            lambda s, a: s["result"][0].update(resultDescription=[_hours_rd(a)["id"]]),
            id="result-resultDescription-list",
        ),
    ],
)
def test_summary_of_malformed_credential_is_reported_not_raised(world, malform):
    """The summary describes untrusted input, also on reports that fail: any JSON shape is
    summarised (malformed members ignored) and the report stays "invalid"."""
    _h, payload = split_token(world.issue().jwt)
    subject = payload["credentialSubject"]
    malform(subject, subject["achievement"])
    token = _b64({"alg": "none", "kid": world.key.kid, "typ": "JWT"}) + "." + _b64(payload) + "."
    report = world.verify(token)
    assert (report.result, report.reason) == ("invalid", "alg_not_allowed")
    assert report.check("signature").outcome == "failed"
    assert report.credential["achievement_name"] == world.achievement["name"]


def test_summary_of_a_level_code_beyond_integers(world):
    # Tokens cannot carry Infinity (see test_payload_that_is_not_json_is_a_malformed_token);
    # summarise() still refuses it quietly for credentials read from elsewhere.
    achievement = dict(world.achievement)
    achievement["alignment"] = [{"targetType": "ext:SkillLevel", "targetCode": float("inf")}]
    summary = summarise({"credentialSubject": {"achievement": achievement}})
    assert summary["level"] is None and summary["achievement_name"] == achievement["name"]


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_hmac_keyed_with_public_key_is_rejected(world, alg):
    if alg == "RS256":
        world.key = keys.create_key(
            world.session,
            master_key=world.master_key,
            public_base_url=BASE,
            issuer_id=world.issuer["id"],
            alg="RS256",
        )
        world.session.commit()
    _h, payload = split_token(world.issue().jwt)
    public = keys.load_private_key(world.key, world.master_key).public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64({"alg": "HS256", "kid": world.key.kid, "typ": "JWT"})
    body = _b64(payload)
    import hashlib
    import hmac

    sig = hmac.new(pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    token = f"{header}.{body}." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()
    report = world.verify(token)
    assert (report.result, report.reason) == ("invalid", "alg_not_allowed")


def test_alg_must_match_key_type(world):
    rsa_key = keys.create_key(
        world.session,
        master_key=world.master_key,
        public_base_url=BASE,
        issuer_id=world.issuer["id"],
        alg="RS256",
    )
    _h, payload = split_token(world.issue().jwt)
    # Signed by the RSA key but claiming the EC kid.
    token = _resign(world, payload, key_row=rsa_key, header={"kid": world.key.kid})
    report = world.verify(token)
    assert (report.result, report.reason) == ("invalid", "alg_mismatch")


def test_unknown_and_missing_kid(world):
    _h, payload = split_token(world.issue().jwt)
    token = _resign(world, payload, header={"kid": f"{BASE}/keys/nope"})
    assert world.verify(token).reason == "unknown_kid"
    private = keys.load_private_key(world.key, world.master_key)
    token = jwt.encode(payload, private, algorithm="ES256")
    report = world.verify(token)
    assert (report.result, report.reason) == ("invalid", "missing_kid")


def test_kid_of_another_issuer(world):
    other = make_issuer("other-school", "其他学校")
    other_key = keys.create_key(
        world.session, master_key=world.master_key, public_base_url=BASE, issuer_id=other["id"]
    )
    _h, payload = split_token(world.issue().jwt)
    report = world.verify(_resign(world, payload, key_row=other_key))
    assert (report.result, report.reason) == ("invalid", "kid_issuer_mismatch")


def _flip(segment: str, at: int) -> str:
    ch = segment[at]
    return segment[:at] + ("A" if ch != "A" else "B") + segment[at + 1 :]


def test_any_altered_byte_fails(world):
    token = world.issue().jwt
    h, p, s = token.split(".")
    for altered in (f"{h}.{_flip(p, len(p) // 2)}.{s}", f"{h}.{p}.{_flip(s, 10)}"):
        report = world.verify(altered)
        assert report.result == "invalid"
        assert report.reason in ("bad_signature", "malformed_token")
    # A semantic change, re-encoded: the old signature no longer matches.
    _h, payload = split_token(token)
    payload["credentialSubject"]["result"][0]["value"] = "999"
    report = world.verify(f"{h}.{_b64(payload)}.{s}")
    assert (report.result, report.reason) == ("invalid", "bad_signature")


@pytest.mark.parametrize(
    "claim,value,reason",
    [
        ("iss", "https://evil.example/issuers/x", "iss_mismatch"),
        ("sub", "urn:uuid:00000000-0000-0000-0000-000000000000", "sub_mismatch"),
        ("jti", "urn:uuid:00000000-0000-0000-0000-000000000001", "jti_mismatch"),
        ("nbf", 1, "nbf_mismatch"),
    ],
)
def test_claims_must_agree_with_credential(world, claim, value, reason):
    _h, payload = split_token(world.issue().jwt)
    payload[claim] = value
    report = world.verify(_resign(world, payload))
    assert (report.result, report.reason) == ("invalid", reason)
    assert report.check("shape").outcome == "failed"


def test_iss_missing(world):
    _h, payload = split_token(world.issue().jwt)
    del payload["iss"]
    assert world.verify(_resign(world, payload)).reason == "iss_missing"


def test_expired_and_not_yet_valid(world):
    now = utcnow()
    expired = world.issue(now=now - timedelta(days=10), valid_until=now - timedelta(days=1))
    report = world.verify(expired.jwt)
    assert (report.result, report.reason) == ("expired", "expired")
    future = world.issue(now=now + timedelta(days=2))
    report = world.verify(future.jwt)
    assert (report.result, report.reason) == ("not_yet_valid", "not_yet_valid")
    # Within the leeway it is fine.
    soon = world.issue(now=now + timedelta(seconds=30))
    assert world.verify(soon.jwt, leeway=60).result == "valid"


def test_revoked_and_suspended_through_status_list(world):
    row = world.issue()
    suspend(world.session, row, "under review", "admin@bureau")
    world.session.commit()
    report = world.verify(row.jwt)
    assert (report.result, report.reason) == ("suspended", "suspended")
    unsuspend(world.session, row, "cleared", "admin@bureau")
    world.session.commit()
    assert world.verify(row.jwt).result == "valid"
    revoke(world.session, row, "fraud", "admin@bureau")
    world.session.commit()
    report = world.verify(row.jwt)
    assert (report.result, report.reason) == ("revoked", "revoked")
    # Expired AND revoked reports revoked.
    old = world.issue(now=utcnow() - timedelta(days=3), valid_until=utcnow() - timedelta(days=1))
    revoke(world.session, old, "fraud", "admin")
    world.session.commit()
    assert world.verify(old.jwt).result == "revoked"


def test_compromised_key(world):
    row = world.issue()
    keys.mark_compromised(world.session, world.key.kid, "leaked")
    world.session.commit()
    report = world.verify(row.jwt)
    assert (report.result, report.reason) == ("invalid", "key_compromised")
    assert report.check("key_provenance").reason == "key_compromised"


def test_rotation_keeps_old_credentials_verifiable(world):
    old = world.issue()
    new_key = keys.rotate_key(
        world.session,
        master_key=world.master_key,
        public_base_url=BASE,
        issuer_id=world.issuer["id"],
    )
    world.session.commit()
    new = world.issue()
    assert jwt.get_unverified_header(new.jwt)["kid"] == new_key.kid != world.key.kid
    assert world.verify(old.jwt).result == "valid"
    assert world.verify(new.jwt).result == "valid"


def test_unreachable_status_list_is_inconclusive(world):
    row = world.issue()

    def down(url):
        raise ConnectionError("no route to host")

    report = world.verify(row.jwt, status_fetcher=down)
    assert (report.result, report.reason) == ("inconclusive", "status_list_unreachable")


def test_tampered_status_list_is_inconclusive(world):
    row = world.issue()
    real = world.fetcher()

    def tampered(url):
        h, p, s = real(url).split(".")
        _hh, payload = split_token(f"{h}.{p}.{s}")
        payload["credentialSubject"]["encodedList"] = "u" + "A" * 20
        return f"{h}.{_b64(payload)}.{s}"

    report = world.verify(row.jwt, status_fetcher=tampered)
    assert (report.result, report.reason) == ("inconclusive", "status_list_signature")


def test_status_list_signed_by_other_issuer_is_inconclusive(world):
    row = world.issue()
    other = make_issuer("other", "Other")
    other_key = keys.create_key(
        world.session, master_key=world.master_key, public_base_url=BASE, issuer_id=other["id"]
    )
    real = world.fetcher()

    def foreign_signed(url):
        _h, payload = split_token(real(url))
        payload["iss"] = payload["issuer"] = other["id"]
        return _resign(world, payload, key_row=other_key)

    report = world.verify(row.jwt, status_fetcher=foreign_signed)
    assert (report.result, report.reason) == ("inconclusive", "status_list_issuer_mismatch")


def test_stale_status_list_is_inconclusive(world):
    row = world.issue()
    real = world.fetcher()

    def stale(url):
        _h, payload = split_token(real(url))
        payload["validUntil"] = to_xsd(utcnow() - timedelta(hours=1))
        del payload["nbf"]
        return _resign(world, payload)

    report = world.verify(row.jwt, status_fetcher=stale)
    assert (report.result, report.reason) == ("inconclusive", "status_list_expired")


def _with_status_size(world, size):
    _h, payload = split_token(world.issue().jwt)
    entries = payload["credentialStatus"]
    for entry in entries if isinstance(entries, list) else [entries]:
        entry["statusSize"] = size
    return _resign(world, payload)


@pytest.mark.parametrize(
    "size",
    ["one", "1", 0, -1, 1.5, True, None, [1], {"bits": 1}],
    ids=["word", "digit-string", "zero", "negative", "fraction", "true", "null", "list", "object"],
)
def test_malformed_status_size_is_a_malformed_status_entry(world, size):
    # Bitstring Status List v1.0 §2.1: if present, statusSize MUST be an integer greater than 0.
    report = world.verify(_with_status_size(world, size))
    assert (report.result, report.reason) == ("inconclusive", "status_entry_malformed")
    status = report.check("status")
    assert (status.outcome, status.reason) == ("inconclusive", "status_entry_malformed")
    assert report.check("signature").outcome == "passed"


def test_status_size_one_is_checked_and_larger_sizes_unsupported(world):
    assert world.verify(_with_status_size(world, 1)).result == "valid"
    report = world.verify(_with_status_size(world, 2))
    assert (report.result, report.reason) == ("inconclusive", "unsupported_status_size")


@pytest.mark.parametrize(
    "header,claims",
    [
        pytest.param({"kid": 123}, {}, id="kid-number"),
        pytest.param({"kid": ["urn:x"]}, {}, id="kid-list"),
        pytest.param({"kid": "urn:x:unknown"}, {"iss": 123}, id="iss-number"),
        pytest.param({"kid": "urn:x:unknown"}, {"iss": {"id": BASE}}, id="iss-object"),
    ],
)
def test_status_list_with_non_string_kid_or_iss_is_inconclusive(world, header, claims):
    """A status list whose kid / iss is not a string is unusable key material for every
    resolver (our own and other issuers'), reported like any status list it cannot verify."""
    row = world.issue()
    real = world.fetcher()

    def odd(url):
        hdr, payload = split_token(real(url))
        hdr.update(header)
        payload.update(claims)
        # The signature is irrelevant: the list is refused before any signature is checked.
        return _b64(hdr) + "." + _b64(payload) + "." + _b64("sig")

    resolver = chain_resolvers(world.resolver(), HttpKeyResolver())
    report = world.verify(row.jwt, key_resolver=resolver, status_fetcher=odd)
    assert (report.result, report.reason) == ("inconclusive", "status_list_signature")
    assert report.check("status").outcome == "inconclusive"


def test_baked_png_and_svg_verify(world):
    row = world.issue()
    png = baking.bake_png(images.default_png(), row.jwt)
    svg = baking.bake_svg(images.default_svg("电工"), row.jwt)
    assert world.verify(png).result == "valid"
    assert world.verify(png).source == "png"
    assert world.verify(svg).result == "valid"
    assert world.verify(svg.encode()).source == "svg"
    report = world.verify(images.default_png())
    assert (report.result, report.reason) == ("invalid", "no_credential")


def _segment(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param('{"name": NaN}', id="NaN"),
        pytest.param('{"credentialSubject": {"result": [{"value": Infinity}]}}', id="Infinity"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="deeply-nested"),
    ],
)
def test_payload_that_is_not_json_is_a_malformed_token(world, payload):
    """RFC 8259 §6 has no NaN/Infinity (Python's json reads them, and a report holding them
    cannot be sent as JSON); nesting too deep to parse is no readable token either."""
    token = _b64({"alg": "ES256", "kid": world.key.kid}) + "." + _segment(payload) + ".c2ln"
    report = world.verify(token)
    assert (report.result, report.reason) == ("invalid", "malformed_token")
    json.dumps(report.to_dict(), allow_nan=False)  # what the public API sends


def test_garbage_input(world):
    for bad in ("", "abc", "a.b.c", b"\x00\x01\x02\xff"):
        report = world.verify(bad)
        assert report.result == "invalid", bad


# ---- OB 3.0 §8.2 / VC-JOSE-COSE rules, each its own report entry ------------------------------


def _shape_reasons(report) -> list[str]:
    return [c.reason for c in report.entries("shape") if c.outcome == "failed"]


@pytest.mark.parametrize("claim", ["jti", "sub", "nbf"])
def test_required_claim_missing_is_named(world, claim):
    _h, payload = split_token(world.issue().jwt)
    del payload[claim]
    report = world.verify(_resign(world, payload), own_issuer_ids=[world.issuer["id"]])
    assert (report.result, report.reason) == ("invalid", f"{claim}_missing")
    assert _shape_reasons(report) == [f"{claim}_missing"]


def test_every_broken_rule_is_its_own_entry(world):
    _h, payload = split_token(world.issue().jwt)
    del payload["jti"], payload["sub"]
    report = world.verify(_resign(world, payload, header={"typ": "JOSE"}))
    assert report.result == "invalid"
    assert _shape_reasons(report) == ["typ_invalid", "jti_missing", "sub_missing"]
    assert [c.name for c in report.checks].count("shape") == 3
    assert report.check("validity").outcome == "skipped"


def test_nbf_must_be_whole_seconds_of_valid_from(world):
    _h, payload = split_token(world.issue().jwt)
    payload["nbf"] = payload["nbf"] + 0.5
    assert world.verify(_resign(world, payload)).reason == "nbf_mismatch"


@pytest.mark.parametrize("typ", ["JWT", "jwt", "vc+jwt", "application/vc+jwt"])
def test_jwt_types_are_accepted(world, typ):
    _h, payload = split_token(world.issue().jwt)
    assert world.verify(_resign(world, payload, header={"typ": typ})).result == "valid"


def test_absent_typ_is_accepted(world):
    _h, payload = split_token(world.issue().jwt)
    private = keys.load_private_key(world.key, world.master_key)
    token = jwt.encode(
        payload, private, algorithm="ES256", headers={"kid": world.key.kid, "typ": None}
    )
    assert "typ" not in split_token(token)[0]
    assert world.verify(token).result == "valid"


def test_crit_header_is_refused(world):
    _h, payload = split_token(world.issue().jwt)
    token = _resign(world, payload, header={"crit": ["exp"], "exp": 1})
    report = world.verify(token)
    assert (report.result, report.reason) == ("invalid", "crit_unsupported")
    assert report.check("signature").outcome == "failed"


def test_extra_header_on_a_token_naming_us_is_not_ours(world):
    _h, payload = split_token(world.issue().jwt)
    token = _resign(world, payload, header={"x-note": "hello"})
    report = world.verify(token, own_issuer_ids=[world.issuer["id"]])
    assert (report.result, report.reason) == ("invalid", "unexpected_header")
    assert report.check("signature").outcome == "passed"


def test_tampered_token_naming_us_is_not_issued_here(world):
    token = world.issue().jwt
    h, p, s = token.split(".")
    report = world.verify(f"{h}.{p}.{_flip(s, 10)}", own_issuer_ids=[world.issuer["id"]])
    assert report.result == "invalid"
    assert report.credential["issuer_id"] == world.issuer["id"]
    assert report.credential["issued_here"] is False


def _jwk_token(payload, private, alg="ES256", **header):
    from tests.fixtures.foreign_issuer import public_jwk

    jwk = public_jwk(private, "x")
    jwk.pop("kid")
    return jwt.encode(payload, private, algorithm=alg, headers={"jwk": jwk, "typ": "JWT"} | header)


def test_token_naming_us_with_its_own_key_is_forged(world):
    from cryptography.hazmat.primitives.asymmetric import ec

    _h, payload = split_token(world.issue().jwt)
    token = _jwk_token(payload, ec.generate_private_key(ec.SECP256R1()))
    report = world.verify(token, own_issuer_ids=[world.issuer["id"]])
    assert (report.result, report.reason) == ("invalid", "own_issuer_foreign_key")
    assert report.check("key_provenance").outcome == "failed"
    assert report.credential["issued_here"] is False


def test_header_jwk_with_private_members_is_refused(world):
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    _h, payload = split_token(world.issue().jwt)
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private))  # includes "d"
    token = jwt.encode(payload, private, algorithm="ES256", headers={"jwk": jwk})
    report = world.verify(token)
    assert (report.result, report.reason) == ("invalid", "jwk_private_key")


def test_header_jwk_alg_is_pinned_to_its_key_type(world):
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _h, payload = split_token(world.issue().jwt)
    payload["iss"] = payload["issuer"]["id"] = "https://elsewhere.example/issuers/1"
    report = world.verify(_jwk_token(payload, private, alg="RS256"))
    assert report.check("signature").outcome == "passed"
    # RSA key, EC algorithm claimed: refused before any signature is computed.
    h, p, s = _jwk_token(payload, private, alg="RS256").split(".")
    header = split_token(f"{h}.{p}.{s}")[0] | {"alg": "ES256"}
    assert world.verify(f"{_b64(header)}.{p}.{s}").reason == "alg_mismatch"


def test_key_provenance_decision(world):
    from cryptography.hazmat.primitives.asymmetric import ec

    from credentials.verify import key_provenance

    own_jwk = keys.public_jwk(world.key)
    mine = key_provenance(world.issuer["id"], own_jwk, world.key.kid, key_resolver=world.resolver())
    assert (mine.outcome, mine.own) == ("passed", True)
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()
    forged = key_provenance(
        world.issuer["id"],
        stranger,
        world.key.kid,
        key_resolver=world.resolver(),
        own_issuer_ids=[world.issuer["id"]],
    )
    assert (forged.outcome, forged.reason) == ("failed", "key_mismatch")
    other = "https://elsewhere.example/issuers/1"
    published = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(stranger))
    confirmed = key_provenance(other, stranger, issuer_keys=lambda issuer: [published])
    assert (confirmed.outcome, confirmed.reason, confirmed.own) == (
        "passed",
        "issuer_key_confirmed",
        False,
    )
    unconfirmed = key_provenance(other, stranger, issuer_keys=lambda issuer: [own_jwk])
    assert (unconfirmed.outcome, unconfirmed.reason) == ("inconclusive", "issuer_key_unconfirmed")


def test_json_without_a_proof_is_invalid_and_broken_json_is_malformed(world):
    report = world.verify('{"@context": [], "id": "urn:uuid:x", "name": "A badge"}')
    assert (report.result, report.reason) == ("invalid", "malformed_proof")
    assert report.source == "json" and report.credential["name"] == "A badge"
    assert report.credential["issued_here"] is False
    broken = world.verify("{not json")
    assert (broken.result, broken.reason) == ("invalid", "malformed_credential")


def test_compromise_takes_effect_at_once_after_a_verification(world):
    """Our keys' public parts are kept per process; their status is read on every check."""
    row = world.issue()
    assert world.verify(row.jwt).result == "valid"
    keys.mark_compromised(world.session, world.key.kid, "leaked")
    world.session.commit()
    assert world.verify(row.jwt).reason == "key_compromised"
