"""JSON credentials with Data Integrity proofs through the verifier (credentials.verify): the
proof is checked, the key must be the issuer's, and the status list is read, with the same
report as a VC-JWT. 1EdTech's vectors are read from ../shared at run time."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.verify import public_jwk_of
from tests.support.di_signing import badge, did_key, method_of, sign

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "openbadges"
REVOKED = "bitstring-credential-status-revoked.json"


def vector(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def checks(report) -> dict[str, tuple[str, str]]:
    return {c.name: (c.outcome, c.reason) for c in report.checks}


def no_lists(url: str) -> str:
    raise LookupError(url)


def test_a_1edtech_example_verifies_but_its_key_stays_unconfirmed(world):
    """The proof holds, but the key is only named in the method URL: nobody vouches for it."""
    report = world.verify(json.dumps(vector("simple.json")), status_fetcher=no_lists)
    assert checks(report)["signature"] == ("passed", "signature_valid")
    assert checks(report)["key_provenance"] == ("inconclusive", "issuer_key_unconfirmed")
    assert checks(report)["shape"] == ("passed", "vcdm_2.0")
    assert (report.result, report.reason) == ("inconclusive", "issuer_key_unconfirmed")
    assert report.source == "json"
    assert report.credential["issuer_id"] == "https://example.com/issuers/876543"
    assert report.credential["issued_here"] is False


def test_the_same_example_is_valid_once_its_issuer_publishes_the_key(world):
    document = vector("simple.json")
    from credentials.multikey import decode_ed25519_multikey

    fragment = document["proof"][0]["verificationMethod"].split("#")[1]
    published = public_jwk_of(decode_ed25519_multikey(fragment))
    asked = []

    def issuer_keys(issuer_id: str) -> list[dict]:
        asked.append(issuer_id)
        return [published]

    report = world.verify(json.dumps(document), issuer_keys=issuer_keys, status_fetcher=no_lists)
    assert asked == ["https://example.com/issuers/876543"]
    assert checks(report)["key_provenance"] == ("passed", "issuer_key_confirmed")
    assert (report.result, report.reason) == ("valid", "valid")


def test_a_changed_example_is_invalid(world):
    document = vector("simple.json")
    document["name"] = "A badge nobody earned"
    report = world.verify(json.dumps(document), status_fetcher=no_lists)
    assert (report.result, report.reason) == ("invalid", "bad_signature")
    assert checks(report)["signature"] == ("failed", "bad_signature")


def test_the_revoked_example_is_reported_revoked_from_its_status_list(world):
    """bitstring-testlist (bit 23 set), served as its URL would serve it; it is proven by the
    same key as the credential, so its word counts even though nobody vouches for the key."""
    credential = vector(REVOKED)
    list_url = credential["credentialStatus"]["statusListCredential"]
    served = (VECTORS / "bitstring-testlist").read_text(encoding="utf-8")
    fetched = []

    def fetcher(url: str) -> str:
        fetched.append(url)
        if url != list_url:
            raise LookupError(url)
        return served

    report = world.verify(json.dumps(credential), status_fetcher=fetcher)
    assert fetched == [list_url]
    assert checks(report)["status"] == ("failed", "revoked")
    assert (report.result, report.reason) == ("revoked", "revoked")


def test_a_status_list_changed_after_signing_makes_the_status_inconclusive(world):
    credential = vector(REVOKED)
    listed = json.loads((VECTORS / "bitstring-testlist").read_text(encoding="utf-8"))
    listed["credentialSubject"]["encodedList"] = (
        "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    )
    report = world.verify(json.dumps(credential), status_fetcher=lambda url: json.dumps(listed))
    outcome, reason = checks(report)["status"]
    assert (outcome, reason) == ("inconclusive", "status_list_signature")
    assert report.result == "inconclusive"


def test_an_unreachable_status_list_is_never_valid(world):
    report = world.verify(json.dumps(vector(REVOKED)), status_fetcher=no_lists)
    assert checks(report)["status"] == ("inconclusive", "status_list_unreachable")
    assert report.result == "inconclusive"


def test_a_did_key_issuer_is_its_own_key_so_its_credential_is_valid(world):
    key = Ed25519PrivateKey.generate()
    issuer = did_key(key)
    signed = sign(badge(issuer), key, method_of(issuer))
    report = world.verify(json.dumps(signed), status_fetcher=no_lists)
    assert checks(report)["key_provenance"] == ("passed", "issuer_key_confirmed")
    assert (report.result, report.reason) == ("valid", "valid")
    # The same proof presented for another issuer is not that issuer's.
    other = did_key(Ed25519PrivateKey.generate())
    moved = copy.deepcopy(signed)
    moved["issuer"]["id"] = other
    assert world.verify(json.dumps(moved), status_fetcher=no_lists).result == "invalid"


def test_a_proof_past_its_expires_makes_the_credential_invalid(world):
    key = Ed25519PrivateKey.generate()
    issuer = did_key(key)
    lapsed = sign(badge(issuer), key, method_of(issuer), expires="2020-01-01T00:00:00Z")
    report = world.verify(json.dumps(lapsed), status_fetcher=no_lists)
    assert (report.result, report.reason) == ("invalid", "proof_expired")
    assert checks(report)["signature"] == ("failed", "proof_expired")


def test_a_proof_by_someone_elses_key_is_not_the_issuers(world):
    """Signed by a did:key that is not the issuer named in the credential."""
    key = Ed25519PrivateKey.generate()
    signer = did_key(key)
    signed = sign(badge("https://issuer.example/profile"), key, method_of(signer))
    report = world.verify(json.dumps(signed), status_fetcher=no_lists)
    assert checks(report)["signature"] == ("passed", "signature_valid")
    assert (report.result, report.reason) == ("invalid", "kid_issuer_mismatch")


def test_a_json_credential_claiming_our_issuer_is_not_ours(world):
    """We issue VC-JWTs only: a Data Integrity credential naming our issuer is a forgery, however
    well it is signed."""
    key = Ed25519PrivateKey.generate()
    ours = world.issuer["id"]
    signed = sign(badge(ours), key, f"{ours}#{did_key(key).removeprefix('did:key:')}")
    report = world.verify(json.dumps(signed), status_fetcher=no_lists, own_issuer_ids=[ours])
    assert (report.result, report.reason) == ("invalid", "own_issuer_foreign_key")
    assert report.credential["issued_here"] is False


def test_a_context_we_do_not_bundle_cannot_be_checked(world):
    document = vector("simple.json")
    document["@context"] = [*document["@context"], "https://contexts.example/extra.json"]
    report = world.verify(json.dumps(document), status_fetcher=no_lists)
    assert checks(report)["signature"] == ("inconclusive", "unknown_context")
    assert (report.result, report.reason) == ("inconclusive", "unknown_context")


@pytest.mark.parametrize(
    "text", ['{"@context": [], "id": "urn:uuid:x", "name": "A badge"}', '{"proof": {}}']
)
def test_json_without_a_usable_proof_is_invalid(world, text):
    report = world.verify(text)
    assert (report.result, report.reason) == ("invalid", "malformed_proof")
    assert report.source == "json"
