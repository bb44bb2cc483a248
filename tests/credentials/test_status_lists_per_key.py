"""Status lists belong to the key that signed their credentials (Bitstring Status List v1.0
§2.2 with VC-JOSE-COSE §3.1): a verifier that checks a credential's status list with the
credential's own key succeeds, also after the key was rotated out."""

from __future__ import annotations

import jwt
import pytest
from sqlmodel import select

from credentials import keys
from credentials.issuance import revoke
from credentials.jwt_vc import split_token
from credentials.models import StatusList
from credentials.status_bits import decode_list, get_bit
from tests.fixtures.credentials import BASE


def _entry(row):
    status = split_token(row.jwt)[1]["credentialStatus"]
    return status[0] if isinstance(status, list) else status


def _served_list(world, row):
    """The list as our fetcher serves it, checked with the CREDENTIAL's key (by its kid)."""
    token = world.fetcher()(_entry(row)["statusListCredential"])
    credential_key = keys.get_key(world.session, row.kid)
    claims = jwt.decode(token, jwt.PyJWK(keys.public_jwk(credential_key)).key, algorithms=["ES256"])
    return jwt.get_unverified_header(token)["kid"], claims


def _rotate(world):
    new = keys.rotate_key(
        world.session,
        master_key=world.master_key,
        public_base_url=BASE,
        issuer_id=world.issuer["id"],
    )
    world.session.commit()
    return new


def test_each_key_gets_its_own_lists(world):
    old = world.issue()
    new_key = _rotate(world)
    new = world.issue()
    assert (old.kid, new.kid) == (world.key.kid, new_key.kid)
    assert old.revocation_list_id != new.revocation_list_id
    assert old.suspension_list_id != new.suspension_list_id
    lists = {row.id: row.kid for row in world.session.exec(select(StatusList)).all()}
    assert lists[old.revocation_list_id] == old.kid and lists[new.revocation_list_id] == new.kid


def test_a_retired_key_keeps_signing_its_lists(world):
    old = world.issue()
    _rotate(world)
    kid, _claims = _served_list(world, old)
    assert kid == old.kid  # not the new active key
    revoke(world.session, old, "issued in error", "admin")
    world.session.commit()
    kid, claims = _served_list(world, old)  # re-signed after the bit flipped
    assert kid == old.kid
    bits = decode_list(claims["credentialSubject"]["encodedList"])
    assert get_bit(bits, int(_entry(old)["statusListIndex"])) is True
    assert old.kid in [k["kid"] for k in keys.jwks(world.session)["keys"]]
    assert world.verify(old.jwt).result == "revoked"
    assert world.verify(world.issue().jwt).result == "valid"


def test_a_compromised_keys_lists_are_signed_by_the_active_key(world):
    old = world.issue()
    new_key = _rotate(world)
    keys.mark_compromised(world.session, old.kid, "leaked")
    world.session.commit()
    token = world.fetcher()(_entry(old)["statusListCredential"])
    assert jwt.get_unverified_header(token)["kid"] == new_key.kid  # never the leaked key again
    report = world.verify(old.jwt)
    assert report.result == "invalid"


def test_no_new_indexes_in_a_retired_keys_lists(world):
    old = world.issue()
    _rotate(world)
    for _ in range(3):
        assert world.issue().revocation_list_id != old.revocation_list_id
    assert world.session.get(StatusList, old.revocation_list_id).allocated == 1


def test_only_a_retired_key_may_sign_its_list_not_a_credential(world):
    from credentials.jwt_vc import sign_credential

    old_key = world.key
    _rotate(world)
    world.session.refresh(old_key)
    with pytest.raises(ValueError):
        sign_credential(
            {"id": "urn:uuid:x", "validFrom": "2026-01-01T00:00:00Z"}, old_key, world.master_key
        )
