"""Issuer signing keys: creation, sealed storage, rotation, compromise, and the public JWKS.

OB 3.0 §8.2.4 (VC-JWT proof) and VC-JOSE-COSE §3.1: the verifier finds the public key from the
JOSE header ``kid``; here every ``kid`` is the https URL ``{public_base_url}/keys/{uuid}`` that
serves that one public JWK, and ``/.well-known/jwks.json`` lists the keys whose credentials may
still be verified, each JWK carrying an ``iss`` member naming its issuer Profile.

Decisions:
- ES256 (P-256) by default; RS256 (2048-bit) available, the OB 3.0 minimum.
- The private key (PKCS#8 DER) is sealed with AES-256-GCM under a key derived from the master
  key with HKDF-SHA256; a fresh 96-bit nonce per key; the ``kid`` is the AAD, so a sealed blob
  copied onto another key row does not open. No function returns a private JWK or PEM.
- Rotation retires the old key: it stays in the JWKS (its credentials stay verifiable) but
  never signs again. A compromised key leaves the JWKS; ``key_document`` still reports it so
  the kid URL can answer 410 Gone, and our own verifier fails its credentials with
  ``key_compromised``.
"""

from __future__ import annotations

import base64
import os
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session, col, select

from credentials import freshness
from credentials.models import KEY_ACTIVE, KEY_COMPROMISED, KEY_RETIRED, SigningKey
from credentials.timefmt import utcnow

ALGORITHMS = ("ES256", "RS256")
_HKDF_INFO = b"lifelong-skills/credentials/signing-key-seal/v1"


class SigningKeyLookupError(LookupError):
    """Base for signing-key lookup problems."""


class NoActiveKey(SigningKeyLookupError):
    """The issuer has no active signing key: run ``skills keys create``."""


class UnknownKey(SigningKeyLookupError):
    """No key with that kid."""


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64u(value: int, length: int | None = None) -> str:
    length = length or max(1, (value.bit_length() + 7) // 8)
    return _b64u(value.to_bytes(length, "big"))


def _seal_key(master_key: bytes) -> AESGCM:
    if not isinstance(master_key, bytes | bytearray) or len(master_key) < 16:
        raise ValueError("master key must be at least 16 bytes")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        bytes(master_key)
    )
    return AESGCM(derived)


def kid_for(public_base_url: str, key_uuid: uuid.UUID) -> str:
    return f"{public_base_url.rstrip('/')}/keys/{key_uuid}"


def _jwk_from_public(public_key: Any) -> dict[str, str]:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        numbers = public_key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _int_b64u(numbers.x, 32),
            "y": _int_b64u(numbers.y, 32),
        }
    if isinstance(public_key, rsa.RSAPublicKey):
        rsa_numbers = public_key.public_numbers()
        return {"kty": "RSA", "n": _int_b64u(rsa_numbers.n), "e": _int_b64u(rsa_numbers.e)}
    raise TypeError("unsupported key type")


def create_key(
    session: Session,
    *,
    master_key: bytes,
    public_base_url: str,
    issuer_id: str,
    alg: str = "ES256",
) -> SigningKey:
    """Make a new active key for ``issuer_id`` (other active keys are left as they are)."""
    if alg not in ALGORITHMS:
        raise ValueError(f"alg must be one of {', '.join(ALGORITHMS)}")
    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_uuid = uuid.uuid4()
    kid = kid_for(public_base_url, key_uuid)
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    nonce = os.urandom(12)
    sealed = nonce + _seal_key(master_key).encrypt(nonce, der, kid.encode())
    jwk = _jwk_from_public(private.public_key())
    row = SigningKey(
        id=key_uuid,
        kid=kid,
        alg=alg,
        issuer_id=issuer_id,
        public_jwk=jwk,
        private_key_enc=sealed,
        status=KEY_ACTIVE,
    )
    session.add(row)
    session.flush()
    return row


def rotate_key(
    session: Session,
    *,
    master_key: bytes,
    public_base_url: str,
    issuer_id: str,
    alg: str | None = None,
) -> SigningKey:
    """New active key; the issuer's previous active keys become retired (still published)."""
    now = utcnow()
    previous = session.exec(
        select(SigningKey).where(SigningKey.issuer_id == issuer_id, SigningKey.status == KEY_ACTIVE)
    ).all()
    new_alg = alg or (previous[-1].alg if previous else "ES256")
    for old in previous:
        old.status = KEY_RETIRED
        old.retired_at = now
        session.add(old)
    freshness.changed(session)
    return create_key(
        session,
        master_key=master_key,
        public_base_url=public_base_url,
        issuer_id=issuer_id,
        alg=new_alg,
    )


def get_key(session: Session, kid: str) -> SigningKey:
    row = session.exec(select(SigningKey).where(SigningKey.kid == kid)).first()
    if row is None:
        raise UnknownKey(kid)
    return row


def mark_compromised(session: Session, kid: str, reason: str) -> SigningKey:
    """Withdraw a key: it leaves the JWKS and every credential it signed fails verification."""
    row = get_key(session, kid)
    row.status = KEY_COMPROMISED
    row.compromised_at = utcnow()
    row.compromised_reason = reason[:500]
    session.add(row)
    session.flush()
    freshness.changed(session)
    return row


def active_key(session: Session, issuer_id: str) -> SigningKey:
    """The newest active key of the issuer; raises NoActiveKey."""
    row = session.exec(
        select(SigningKey)
        .where(SigningKey.issuer_id == issuer_id, SigningKey.status == KEY_ACTIVE)
        .order_by(col(SigningKey.created_at).desc())
    ).first()
    if row is None:
        raise NoActiveKey(issuer_id)
    return row


def load_private_key(key_row: SigningKey, master_key: bytes) -> Any:
    """Open the sealed private key (only the signer calls this; never serialise the result)."""
    blob = bytes(key_row.private_key_enc)
    der = _seal_key(master_key).decrypt(blob[:12], blob[12:], key_row.kid.encode())
    return serialization.load_der_private_key(der, password=None)


def public_jwk(key_row: SigningKey) -> dict[str, str]:
    """The public JWK (RFC 7517) with kid, alg, use=sig and ``iss`` = the issuer Profile id."""
    jwk = {k: v for k, v in key_row.public_jwk.items() if k in ("kty", "crv", "x", "y", "n", "e")}
    jwk.update({"kid": key_row.kid, "alg": key_row.alg, "use": "sig", "iss": key_row.issuer_id})
    return jwk


def jwks(session: Session, issuer_id: str | None = None) -> dict[str, list[dict[str, str]]]:
    """``{"keys": [...]}``: active and retired keys (compromised ones are withdrawn)."""
    query = select(SigningKey).where(col(SigningKey.status).in_([KEY_ACTIVE, KEY_RETIRED]))
    if issuer_id is not None:
        query = query.where(SigningKey.issuer_id == issuer_id)
    rows = session.exec(query.order_by(col(SigningKey.created_at))).all()
    return {"keys": [public_jwk(row) for row in rows]}


def key_document(session: Session, key_uuid_or_kid: str) -> tuple[dict[str, str], str]:
    """What the kid URL serves: (public JWK, status). A route answers 410 when compromised."""
    try:
        row = session.get(SigningKey, uuid.UUID(str(key_uuid_or_kid)))
    except ValueError:
        row = None
    if row is None:
        row = get_key(session, key_uuid_or_kid)
    return public_jwk(row), row.status
