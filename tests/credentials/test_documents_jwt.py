import hashlib
import json

import jwt

from credentials import documents, keys
from credentials.jwt_vc import decode_unverified, split_token
from credentials.timefmt import parse_xsd
from tests.fixtures.credentials import BASE

ID_NUMBER = "33020319900101123X"


def test_independent_pyjwt_check_against_published_jwks(world):
    row = world.issue()
    published = keys.jwks(world.session)["keys"]
    header = jwt.get_unverified_header(row.jwt)
    jwk = next(k for k in published if k["kid"] == header["kid"])
    payload = jwt.decode(
        row.jwt,
        jwt.PyJWK(jwk).key,
        algorithms=["ES256"],
        options={"verify_exp": True, "verify_nbf": True},
    )
    assert header == {"alg": "ES256", "kid": world.key.kid, "typ": "JWT"}
    assert payload["iss"] == payload["issuer"]["id"] == world.issuer["id"]
    assert payload["jti"] == payload["id"] == row.credential_id
    assert payload["id"].startswith("urn:uuid:")
    assert payload["sub"] == payload["credentialSubject"]["id"] == f"urn:uuid:{row.learner_uuid}"
    assert payload["nbf"] == int(parse_xsd(payload["validFrom"]).timestamp())
    assert "exp" not in payload


def test_credential_shape_ob3(world):
    row = world.issue(hours=72, score=86.5)
    cred = decode_unverified(row.jwt)
    assert cred["@context"] == [
        documents.VCDM2_CONTEXT,
        documents.OB3_CONTEXT,
        documents.OB3_EXTENSIONS_CONTEXT,  # defines the credentialSchema type
    ]
    assert cred["type"] == ["VerifiableCredential", "AchievementCredential"]
    assert cred["issuer"]["type"] == ["Profile"] and cred["issuer"]["name"]
    subject = cred["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    ach = subject["achievement"]
    assert ach["type"] == ["Achievement"] and ach["criteria"]["narrative"]
    assert ach["image"]["type"] == "Image"
    occupation = ach["alignment"][0]
    assert occupation["targetCode"] == "6-31-01-03" and occupation["type"] == ["Alignment"]
    kinds = {rd["id"]: rd["resultType"] for rd in ach["resultDescription"]}
    values = {kinds[r["resultDescription"]]: r["value"] for r in subject["result"]}
    assert values == {"ext:TrainingHours": "72", "RawScore": "86.5"}
    [ident] = subject["identifier"]
    assert ident["type"] == "IdentityObject" and ident["hashed"] is True
    assert ident["identityType"] == "nationalIdentityNumber"
    expected = hashlib.sha256((ID_NUMBER + ident["salt"]).encode()).hexdigest()
    assert ident["identityHash"] == f"sha256${expected}"
    statuses = cred["credentialStatus"]
    assert [s["statusPurpose"] for s in statuses] == ["revocation", "suspension"]
    for s in statuses:
        assert s["type"] == "BitstringStatusListEntry"
        assert s["id"] == f"{s['statusListCredential']}#{s['statusListIndex']}"
        assert s["statusListCredential"].startswith(f"{BASE}/status-lists/")


def test_no_personal_data_or_internal_ids_in_token(world):
    row = world.issue(id_number=ID_NUMBER)
    _header, payload = split_token(row.jwt)
    text = json.dumps(payload, ensure_ascii=False)
    assert ID_NUMBER not in text and ID_NUMBER.lower() not in text
    assert str(row.id) not in text  # the DB primary key
    assert row.enrollment_ref not in text


def test_holder_matches(world):
    cred = decode_unverified(world.issue(id_number=ID_NUMBER).jwt)
    assert documents.holder_matches(cred, ID_NUMBER)
    assert documents.holder_matches(cred, ID_NUMBER.lower())
    assert not documents.holder_matches(cred, "330203199001011234")


def test_identity_hash_is_ob3_identity_hash():
    # OB 3.0 IdentityHash: "sha256$" + hex SHA-256 over the identifier with the salt appended.
    assert documents.identity_hash("330203", "s") == (
        "sha256$" + hashlib.sha256(b"330203s").hexdigest()
    )
    # The ID check digit is normalised to upper case before hashing.
    assert documents.identity_hash("33020319900101123x", "s") == documents.identity_hash(
        "33020319900101123X", "s"
    )


def test_valid_until_becomes_exp(world):
    from datetime import timedelta

    from credentials.timefmt import utcnow

    until = utcnow() + timedelta(days=365)
    row = world.issue(valid_until=until)
    _h, payload = split_token(row.jwt)
    assert payload["exp"] == int(parse_xsd(payload["validUntil"]).timestamp())


def test_decode_unverified_reads_vc_claim():
    token = jwt.encode(
        {"vc": {"id": "x", "type": ["VerifiableCredential"]}, "iss": "i"},
        "k" * 32,
        algorithm="HS256",
    )
    assert decode_unverified(token) == {"id": "x", "type": ["VerifiableCredential"]}


def test_profile_and_achievement_documents():
    profile = documents.issuer_profile(
        public_base_url=BASE + "/", slug="org-1", name="Org", social_credit_code="91330200X"
    )
    assert profile["id"] == f"{BASE}/issuers/org-1" and profile["type"] == ["Profile"]
    assert profile["otherIdentifier"][0]["identifierType"].startswith("ext:")
    ach = documents.achievement_document(
        public_base_url=BASE,
        slug="s",
        name="n",
        description="d",
        criteria_narrative="c",
        occupation_code="4-01-02-01",
        occupation_name="o",
        level=5,
    )
    assert ach["id"] == f"{BASE}/achievements/s"
    assert all(a["targetUrl"].startswith("https://") for a in ach["alignment"])
