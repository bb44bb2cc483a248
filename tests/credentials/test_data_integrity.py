"""Data Integrity proofs on JSON Open Badges 3.0 credentials (credentials.data_integrity):
1EdTech's own signed examples (../shared/vectors/openbadges, read at run time) verify, and any
change to what they say, or content the signature cannot cover, is refused with its reason.
Credentials signed here (did:key, did:web, https controller documents, the older
Ed25519Signature2020) use a small signer in this module that follows the EdDSA
eddsa-rdfc-2022 algorithms directly."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from credentials.baking import extract_from_png, extract_from_svg
from credentials.data_integrity import ProofError, verify_proof
from credentials.did_keys import did_web_url
from credentials.multikey import (
    MultikeyError,
    b58decode,
    b58encode,
    decode_ed25519_multikey,
    encode_ed25519_multikey,
    encode_multibase,
)
from tests.support.di_signing import OB, VC1, VC2, badge, did_key, method_of, sign

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "openbadges"
ED2020 = "https://w3id.org/security/suites/ed25519-2020/v1"


def vector(name: str) -> dict:
    if name.endswith(".png"):
        return json.loads(extract_from_png((VECTORS / name).read_bytes()))
    if name.endswith(".svg"):
        return json.loads(extract_from_svg((VECTORS / name).read_bytes()))
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def reason(document: dict, **kwargs) -> str:
    with pytest.raises(ProofError) as caught:
        verify_proof(document, **kwargs)
    assert caught.value.message
    return caught.value.reason


# --- 1EdTech's signed examples --------------------------------------------------------------

VECTOR_FILES = [
    "simple.json",
    "complete.json",
    "bitstring-credential-status-revoked.json",
    "bitstring-testlist",
    "simple-json.png",
    "simple-json.svg",
]


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_1edtech_examples_verify_with_the_key_named_in_the_method_url(name):
    document = vector(name)
    proof = document["proof"][0] if isinstance(document["proof"], list) else document["proof"]
    result = verify_proof(document)
    issuer_url, fragment = proof["verificationMethod"].split("#")
    assert result.key_source == "fragment"
    assert result.cryptosuite == "eddsa-rdfc-2022"
    assert result.verification_method == proof["verificationMethod"]
    assert result.controller == issuer_url
    assert result.public_key_multibase == fragment
    assert encode_ed25519_multikey(result.public_key) == fragment


def _set(path, value):
    def change(document):
        node = document
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


def _flip_proof_value(document):
    value = document["proof"][0]["proofValue"]
    swapped = "2" if value[20] != "2" else "3"
    document["proof"][0]["proofValue"] = value[:20] + swapped + value[21:]


CHANGES = {
    "credential name": (_set(["name"], "Leadership Badge"), "bad_signature"),
    "validFrom": (_set(["validFrom"], "2009-01-01T00:00:00Z"), "bad_signature"),
    "subject": (_set(["credentialSubject", "id"], "did:example:someone-else"), "bad_signature"),
    "achievement name": (
        _set(["credentialSubject", "achievement", "name"], "Leadership"),
        "bad_signature",
    ),
    "issuer name": (_set(["issuer", "name"], "Other Corp"), "bad_signature"),
    "undefined top-level property": (_set(["grade"], "A+"), "undefined_terms"),
    "undefined nested property": (
        _set(["credentialSubject", "achievement", "level"], "expert"),
        "undefined_terms",
    ),
    "undefined type": (
        _set(["type"], ["VerifiableCredential", "OpenBadgeCredential", "Gold"]),
        "undefined_terms",
    ),
    "subject id that is not a URL": (
        _set(["credentialSubject", "id"], "19870412"),
        "undefined_terms",
    ),
    "unknown context": (
        _set(["@context"], [VC2, OB, "https://evil.example/context.json"]),
        "unknown_context",
    ),
    "proof created": (_set(["proof", 0, "created"], "2010-01-02T19:23:24Z"), "bad_signature"),
    "proof created not a date": (_set(["proof", 0, "created"], "yesterday"), "malformed_proof"),
    "verificationMethod host": (
        _set(
            ["proof", 0, "verificationMethod"],
            "https://evil.example/issuers/876543#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        ),
        "bad_signature",
    ),
    "verificationMethod key": (
        _set(
            ["proof", 0, "verificationMethod"],
            "https://example.com/issuers/876543#z6Mknyb2Gb4NxzW3xSr9ChTtdQZ1zs77piQ3r9SaJ9vMzmrs",
        ),
        "bad_signature",
    ),
    "proofValue character": (_flip_proof_value, "bad_signature"),
    "proofValue not base58btc": (_set(["proof", 0, "proofValue"], "u3q2+7w=="), "bad_proof_value"),
    "proofValue too short": (
        _set(["proof", 0, "proofValue"], "z3yMApqCuCjXDWPrbjfR5mjCPTHqFG8Pux1TxQrEM35jj"),
        "bad_proof_value",
    ),
    "undefined proof property": (_set(["proof", 0, "note"], "approved"), "undefined_terms"),
    "proof purpose": (
        _set(["proof", 0, "proofPurpose"], "authentication"),
        "proof_purpose_mismatch",
    ),
    "cryptosuite": (
        _set(["proof", 0, "cryptosuite"], "ecdsa-rdfc-2019"),
        "unsupported_cryptosuite",
    ),
    "no proof": (lambda document: document.pop("proof"), "malformed_proof"),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_any_change_to_a_signed_example_fails_with_its_reason(change):
    mutate, expected = CHANGES[change]
    document = vector("simple.json")
    mutate(document)
    assert reason(document) == expected


def test_an_id_that_is_not_a_url_is_refused_without_repeating_it():
    document = vector("simple.json")
    document["credentialSubject"]["id"] = "19870412"  # e.g. an ID number put where a URL goes
    with pytest.raises(ProofError) as caught:
        verify_proof(document)
    assert caught.value.reason == "undefined_terms"
    assert "19870412" not in caught.value.message


def test_the_undefined_property_is_named_in_the_message():
    document = vector("complete.json")
    document["credentialSubject"]["grade"] = "A+"
    with pytest.raises(ProofError) as caught:
        verify_proof(document)
    assert caught.value.reason == "undefined_terms"
    assert "grade" in caught.value.message


def test_one_valid_proof_among_several_suffices():
    document = vector("simple.json")
    valid = document["proof"][0]
    other_suite = {**valid, "cryptosuite": "ecdsa-rdfc-2019"}
    broken = {**valid, "created": "2011-01-01T00:00:00Z"}
    document["proof"] = [other_suite, broken, valid]
    assert verify_proof(document).key_source == "fragment"

    document["proof"] = [other_suite, broken]
    assert reason(document) == "bad_signature"


def test_a_single_proof_object_is_accepted_as_well_as_a_list():
    document = vector("simple.json")
    document["proof"] = document["proof"][0]
    assert verify_proof(document).cryptosuite == "eddsa-rdfc-2022"


# --- did:key ---------------------------------------------------------------------------------


def test_a_did_key_credential_verifies_with_the_key_in_the_did():
    key = Ed25519PrivateKey.generate()
    did = did_key(key)
    document = sign(badge(did), key, method_of(did))

    result = verify_proof(document)

    assert result.key_source == "did:key"
    assert result.controller == did
    assert result.verification_method == method_of(did)
    assert result.public_key_multibase == did.removeprefix("did:key:")
    assert result.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw) == (
        key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def test_a_did_key_credential_changed_after_signing_fails():
    key = Ed25519PrivateKey.generate()
    did = did_key(key)
    document = sign(badge(did), key, method_of(did))
    document["credentialSubject"]["achievement"]["name"] = "Crane operation"
    assert reason(document) == "bad_signature"


def test_a_did_key_naming_someone_elses_key_fails():
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    did = did_key(other)
    document = sign(badge(did), key, method_of(did))
    assert reason(document) == "bad_signature"


def test_a_did_key_whose_fragment_is_another_key_is_refused():
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    did = did_key(key)
    method = f"{did}#{did_key(other).removeprefix('did:key:')}"
    document = sign(badge(did), key, method)
    assert reason(document) == "key_unavailable"


def test_a_did_key_that_is_not_ed25519_is_unsupported():
    p256_header = b"\x80\x24"  # multicodec p256-pub
    did = "did:key:" + encode_multibase(p256_header + b"\x02" + bytes(32))
    document = sign(badge(did), Ed25519PrivateKey.generate(), method_of(did))
    assert reason(document) == "unsupported_key"


def test_a_proof_for_another_purpose_is_not_taken_for_an_assertion():
    key = Ed25519PrivateKey.generate()
    did = did_key(key)
    document = sign(badge(did), key, method_of(did), purpose="authentication")
    assert reason(document) == "proof_purpose_mismatch"
    assert verify_proof(document, expected_purpose="authentication").key_source == "did:key"


def test_a_proof_with_its_own_context_must_begin_the_credentials():
    key = Ed25519PrivateKey.generate()
    did = did_key(key)
    document = sign(badge(did), key, method_of(did), proof_context=[VC2, OB])
    assert verify_proof(document).key_source == "did:key"

    document["proof"]["@context"] = [OB]
    assert reason(document) == "malformed_proof"


# --- did:web ---------------------------------------------------------------------------------

WEB_DID = "did:web:skills.example"


def did_document(key: Ed25519PrivateKey, *, listed_for=("assertionMethod",), jwk=False) -> dict:
    method = {"id": f"{WEB_DID}#key-1", "controller": WEB_DID}
    if jwk:
        raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        method |= {"type": "JsonWebKey", "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": x}}
    else:
        method |= {
            "type": "Multikey",
            "publicKeyMultibase": encode_ed25519_multikey(key.public_key()),
        }
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": WEB_DID,
        "verificationMethod": [method],
    }
    for relationship in listed_for:
        document[relationship] = ["#key-1"]
    return document


class Fetcher:
    def __init__(self, documents: dict[str, dict]):
        self.documents = documents
        self.urls: list[str] = []

    def __call__(self, url: str) -> dict:
        self.urls.append(url)
        if url not in self.documents:
            raise OSError("404")
        return self.documents[url]


@pytest.mark.parametrize("jwk", [False, True], ids=["multikey", "jwk"])
def test_a_did_web_credential_verifies_with_the_key_its_did_document_lists(jwk):
    key = Ed25519PrivateKey.generate()
    fetch = Fetcher({"https://skills.example/.well-known/did.json": did_document(key, jwk=jwk)})
    document = sign(badge(WEB_DID), key, f"{WEB_DID}#key-1")

    result = verify_proof(document, fetch_json=fetch)

    assert result.key_source == "did:web"
    assert result.controller == WEB_DID
    assert result.public_key_multibase == encode_ed25519_multikey(key.public_key())
    assert fetch.urls == ["https://skills.example/.well-known/did.json"]


def test_a_did_web_key_not_listed_for_assertions_is_refused():
    key = Ed25519PrivateKey.generate()
    listed = did_document(key, listed_for=("authentication",))
    fetch = Fetcher({"https://skills.example/.well-known/did.json": listed})
    document = sign(badge(WEB_DID), key, f"{WEB_DID}#key-1")
    assert reason(document, fetch_json=fetch) == "proof_purpose_mismatch"


def test_a_did_web_document_with_another_key_fails_the_signature():
    key = Ed25519PrivateKey.generate()
    published = did_document(Ed25519PrivateKey.generate())
    fetch = Fetcher({"https://skills.example/.well-known/did.json": published})
    document = sign(badge(WEB_DID), key, f"{WEB_DID}#key-1")
    assert reason(document, fetch_json=fetch) == "bad_signature"


def test_a_did_web_key_cannot_be_had_without_fetching_or_when_the_fetch_fails():
    key = Ed25519PrivateKey.generate()
    document = sign(badge(WEB_DID), key, f"{WEB_DID}#key-1")
    assert reason(document) == "key_unavailable"
    assert reason(document, fetch_json=Fetcher({})) == "key_unavailable"


def test_a_did_web_document_for_another_did_is_refused():
    key = Ed25519PrivateKey.generate()
    published = did_document(key) | {"id": "did:web:evil.example"}
    fetch = Fetcher({"https://skills.example/.well-known/did.json": published})
    document = sign(badge(WEB_DID), key, f"{WEB_DID}#key-1")
    assert reason(document, fetch_json=fetch) == "key_unavailable"


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:skills.example", "https://skills.example/.well-known/did.json"),
        ("did:web:skills.example:orgs:city", "https://skills.example/orgs/city/did.json"),
        ("did:web:skills.example%3A8443", "https://skills.example:8443/.well-known/did.json"),
    ],
)
def test_did_web_documents_are_fetched_where_the_did_web_spec_says(did, url):
    assert did_web_url(did) == url


@pytest.mark.parametrize(
    "did", ["did:web:evil.example@skills.example", "did:web:skills.example:..:x", "did:web:"]
)
def test_did_web_dids_that_could_point_elsewhere_are_refused(did):
    key = Ed25519PrivateKey.generate()
    document = sign(badge(did), key, f"{did}#key-1")
    assert reason(document, fetch_json=Fetcher({})) == "key_unavailable"


# --- https controller documents ----------------------------------------------------------


def test_an_https_method_is_resolved_from_its_controller_document():
    key = Ed25519PrivateKey.generate()
    issuer = "https://skills.example/issuers/1"
    controller_document = {
        "@context": ["https://www.w3.org/ns/cid/v1"],
        "id": issuer,
        "verificationMethod": [
            {
                "id": f"{issuer}#key-1",
                "type": "Multikey",
                "controller": issuer,
                "publicKeyMultibase": encode_ed25519_multikey(key.public_key()),
            }
        ],
        "assertionMethod": [f"{issuer}#key-1"],
    }
    document = sign(badge(issuer), key, f"{issuer}#key-1")

    result = verify_proof(document, fetch_json=Fetcher({issuer: controller_document}))

    assert (result.key_source, result.controller) == ("resolved", issuer)
    assert reason(document) == "key_unavailable"
    controller_document["assertionMethod"] = []
    assert reason(document, fetch_json=Fetcher({issuer: controller_document})) == (
        "proof_purpose_mismatch"
    )


# --- Ed25519Signature2020 ----------------------------------------------------------------


@pytest.mark.parametrize("context", [[VC1, OB, ED2020], [VC2, OB, ED2020]], ids=["vc1", "vc2"])
def test_an_ed25519signature2020_credential_verifies(context):
    key = Ed25519PrivateKey.generate()
    did = did_key(key)
    document = sign(badge(did, context), key, method_of(did), suite="Ed25519Signature2020")

    result = verify_proof(document)

    assert (result.cryptosuite, result.key_source) == ("Ed25519Signature2020", "did:key")
    document["name"] = "Crane operation"
    assert reason(document) == "bad_signature"


# Made with Digital Bazaar's own signer (@digitalbazaar/vc 7.3.0 issue() with
# @digitalbazaar/ed25519-signature-2020, the stack DCC issuers run), key seed 32 bytes of 0x07,
# created 2026-03-01T10:00:00Z, over badge(did, context, DCC_CREDENTIAL_ID): an independent
# check that this verifier rebuilds the 2020 suite's signed data as they do.
DCC_CREDENTIAL_ID = "urn:uuid:2f1c1d7a-3b9e-4c8e-9a55-0e6a7f0b9c11"
DCC_PROOF_VALUES = {
    "vc1": "z56eAHCpTBykUuhswXDneR3JhSynXNaNjvcG7mTzHwGe9yn"
    "aYx1nCKpmfv37iAuHQV4HKEy5TxDY48GZHXWmBsFgG",
    "vc2": "zZkYdnQJzG8n1SpdtLPKyUo2gTWnC46bqo3LdDzThhXfK"
    "BhD5Zj3JJU39B9LNDFHUGW7TDZQfmUHrPyanGuHdP3W",
}


@pytest.mark.parametrize("version", ["vc1", "vc2"])
def test_an_ed25519signature2020_credential_from_dccs_signer_verifies(version):
    did = did_key(Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32))
    assert did == "did:key:z6MkvDqGT54cXesYGvABpF1UapVNwjCqRcafi4Px6Thv5T3Z"
    context = [VC1 if version == "vc1" else VC2, OB, ED2020]
    document = badge(did, context, DCC_CREDENTIAL_ID) | {
        "proof": {
            "type": "Ed25519Signature2020",
            "created": "2026-03-01T10:00:00Z",
            "verificationMethod": method_of(did),
            "proofPurpose": "assertionMethod",
            "proofValue": DCC_PROOF_VALUES[version],
        }
    }

    result = verify_proof(document)

    assert (result.cryptosuite, result.key_source, result.controller) == (
        "Ed25519Signature2020",
        "did:key",
        did,
    )
    document["credentialSubject"]["id"] = "did:example:learner-43"
    assert reason(document) == "bad_signature"


def test_an_ed25519signature2020_proof_needs_its_suite_context():
    key = Ed25519PrivateKey.generate()
    did = did_key(key)
    document = sign(badge(did), key, method_of(did), suite="Ed25519Signature2020")
    assert reason(document) == "malformed_proof"


# --- Multibase / Multikey ----------------------------------------------------------------


def test_base58btc_matches_the_bitcoin_alphabet_and_keeps_leading_zeros():
    assert b58encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert b58encode(b"\0\0\x01") == "112"
    for data in [b"", b"\0", b"\0\0abc", bytes(range(64))]:
        assert b58decode(b58encode(data)) == data
    with pytest.raises(MultikeyError):
        b58decode("0OIl")


def test_an_ed25519_multikey_round_trips_and_other_codecs_are_refused():
    value = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"  # did:key spec example
    assert encode_ed25519_multikey(decode_ed25519_multikey(value)) == value
    with pytest.raises(MultikeyError):
        decode_ed25519_multikey(encode_multibase(b"\x80\x24" + bytes(33)))
    with pytest.raises(MultikeyError):
        decode_ed25519_multikey("u" + value[1:])


# --- input that is not JSON-LD at all ----------------------------------------------------


def _deep(levels: int) -> dict:
    node: dict = {"name": "x"}
    for _ in range(levels):
        node = {"name": node}
    return node


NOT_JSON_LD = {
    "relative context URL": _set(["@context"], [VC2, OB, "context.json"]),
    "context not a URL": _set(["@context"], [VC2, 5]),
    "protected term redefined": _set(["@context"], [VC2, OB, {"name": "https://evil.example/n"}]),
    "type not a string": _set(["type"], 5),
    "nesting deeper than any badge": _set(["credentialSubject", "achievement"], _deep(3000)),
}


@pytest.mark.parametrize("change", NOT_JSON_LD, ids=list(NOT_JSON_LD))
def test_input_that_is_not_json_ld_is_refused_as_malformed(change):
    document = vector("simple.json")
    NOT_JSON_LD[change](document)
    assert reason(document) == "malformed_proof"


# --- expires (Data Integrity 1.0 §2.1) ------------------------------------------------------


def test_a_proof_past_its_expires_is_refused_and_one_still_in_force_verifies():
    key = Ed25519PrivateKey.generate()
    did = did_key(key)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    lapsed = sign(badge(did), key, method_of(did), expires="2026-05-31T23:58:00Z")
    with pytest.raises(ProofError) as caught:
        verify_proof(lapsed, now=now, leeway=60)
    assert caught.value.reason == "proof_expired"
    assert "2026-05-31T23:58:00Z" in caught.value.message

    within_leeway = sign(badge(did), key, method_of(did), expires="2026-05-31T23:59:30Z")
    assert verify_proof(within_leeway, now=now, leeway=60).controller == did
    in_force = sign(badge(did), key, method_of(did), expires="2027-01-01T00:00:00Z")
    assert verify_proof(in_force, now=now).controller == did
