import base64

import jwt
import pytest
from cryptography.exceptions import InvalidTag

from credentials import keys
from credentials.models import SigningKey
from tests.fixtures.credentials import BASE

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_created_key_publishes_only_public_members(session, master_key, alg):
    row = keys.create_key(
        session, master_key=master_key, public_base_url=BASE, issuer_id=f"{BASE}/issuers/x", alg=alg
    )
    assert row.kid == f"{BASE}/keys/{row.id}"
    jwk = keys.public_jwk(row)
    assert jwk["kid"] == row.kid and jwk["alg"] == alg and jwk["use"] == "sig"
    assert jwk["iss"] == f"{BASE}/issuers/x"
    assert jwk["kty"] == ("EC" if alg == "ES256" else "RSA")
    assert not PRIVATE_MEMBERS & set(jwk)
    jwks = keys.jwks(session)["keys"]
    assert [k["kid"] for k in jwks] == [row.kid]
    for published in jwks:
        assert not PRIVATE_MEMBERS & set(published)
    # The sealed blob does not contain the DER key in clear.
    der_pub = base64.urlsafe_b64decode(jwk.get("x", jwk.get("n")) + "==")
    assert der_pub not in row.private_key_enc


def test_sealed_key_needs_the_master_key_and_its_own_kid(session, master_key):
    row = keys.create_key(session, master_key=master_key, public_base_url=BASE, issuer_id="i")
    other = keys.create_key(session, master_key=master_key, public_base_url=BASE, issuer_id="i")
    assert keys.load_private_key(row, master_key) is not None
    with pytest.raises(InvalidTag):
        keys.load_private_key(row, b"\x00" * 32)
    # A blob copied onto another key row does not open (the kid is the AAD).
    swapped = SigningKey(**{**other.model_dump(), "private_key_enc": row.private_key_enc})
    with pytest.raises(InvalidTag):
        keys.load_private_key(swapped, master_key)


def test_private_key_matches_published_jwk(session, master_key):
    row = keys.create_key(session, master_key=master_key, public_base_url=BASE, issuer_id="i")
    token = jwt.encode({"a": 1}, keys.load_private_key(row, master_key), algorithm="ES256")
    public = jwt.PyJWK(keys.public_jwk(row)).key
    assert jwt.decode(token, public, algorithms=["ES256"]) == {"a": 1}


def test_rotation_retires_but_keeps_publishing(session, master_key):
    issuer = f"{BASE}/issuers/a"
    first = keys.create_key(session, master_key=master_key, public_base_url=BASE, issuer_id=issuer)
    second = keys.rotate_key(session, master_key=master_key, public_base_url=BASE, issuer_id=issuer)
    assert keys.active_key(session, issuer).kid == second.kid
    assert first.status == "retired" and first.retired_at is not None
    kids = [k["kid"] for k in keys.jwks(session)["keys"]]
    assert kids == [first.kid, second.kid]


def test_compromised_key_leaves_jwks(session, master_key):
    issuer = f"{BASE}/issuers/a"
    row = keys.create_key(session, master_key=master_key, public_base_url=BASE, issuer_id=issuer)
    keys.mark_compromised(session, row.kid, "laptop stolen")
    assert keys.jwks(session) == {"keys": []}
    jwk, status = keys.key_document(session, str(row.id))
    assert status == "compromised" and jwk["kid"] == row.kid
    with pytest.raises(keys.NoActiveKey):
        keys.active_key(session, issuer)


def test_rejects_unknown_alg(session, master_key):
    with pytest.raises(ValueError):
        keys.create_key(
            session, master_key=master_key, public_base_url=BASE, issuer_id="i", alg="HS256"
        )
