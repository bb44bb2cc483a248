"""Securing credentials as VC-JWTs (OB 3.0 §8.2 JSON Web Token Proof Format, VC-JOSE-COSE §3).

The JWT payload IS the credential (VCDM 2.0) plus the registered claims that mirror it:
``iss`` = issuer.id, ``jti`` = id, ``sub`` = credentialSubject.id, ``nbf`` = validFrom and
``exp`` = validUntil (whole seconds). The JOSE header has only ``alg``, ``kid`` and ``typ``
("JWT", which the 1EdTech validator expects); never ``jwk``/``jku``/``x5c`` or key material.

``decode_unverified`` also reads VCDM 1.1-style tokens, where the credential sits in a ``vc``
claim, so the verifier can treat both the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256

from credentials.keys import load_private_key
from credentials.models import KEY_ACTIVE, KEY_RETIRED, SigningKey
from credentials.timefmt import epoch_seconds, parse_xsd

REGISTERED_CLAIMS = ("iss", "jti", "sub", "nbf", "exp", "iat", "aud")


class MalformedToken(ValueError):
    """Not a compact JWS with a JSON header and a JSON object payload."""


def issuer_id_of(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer_id := issuer.get("id"), str):
        return issuer_id
    return None


def subject_id_of(credential: dict[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and subject:
        subject = subject[0]
    if isinstance(subject, dict) and isinstance(subject_id := subject.get("id"), str):
        return subject_id
    return None


def jwt_claims_for(credential: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = {"iss": issuer_id_of(credential), "jti": credential["id"]}
    sub = subject_id_of(credential)
    if sub:
        claims["sub"] = sub
    claims["nbf"] = epoch_seconds(parse_xsd(credential["validFrom"]))
    if credential.get("validUntil"):
        claims["exp"] = epoch_seconds(parse_xsd(credential["validUntil"]))
    return claims


def sign_credential(
    credential: dict[str, Any],
    key_row: SigningKey,
    master_key: bytes,
    *,
    allow_retired: bool = False,
    private_key: Any = None,
) -> str:
    """Compact JWS of credential + claims, header exactly {alg, kid, typ}.

    Only an active key signs new credentials. ``allow_retired`` lets a retired (rotated-out,
    not compromised) key re-sign the status lists its own credentials point at, so a verifier
    checking a list with the key of the credential still succeeds (Bitstring Status List v1.0
    §2.2: the list is the issuer's VC). ``private_key``: the already opened key, for batches.
    """
    overlap = set(REGISTERED_CLAIMS) & set(credential)
    if overlap:
        raise ValueError(f"credential must not carry JWT claims: {sorted(overlap)}")
    allowed = (KEY_ACTIVE, KEY_RETIRED) if allow_retired else (KEY_ACTIVE,)
    if key_row.status not in allowed:
        raise ValueError("only an active key signs" if not allow_retired else "key is compromised")
    payload = dict(credential)
    payload.update(jwt_claims_for(credential))
    if private_key is None:
        private_key = load_private_key(key_row, master_key)
    return compact_jws({"alg": key_row.alg, "kid": key_row.kid, "typ": "JWT"}, payload, private_key)


def _b64u(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def compact_jws(header: dict[str, Any], payload: dict[str, Any], private_key: Any) -> str:
    """RFC 7515 §7.1 compact serialisation, signed with ``private_key`` per ``header["alg"]``.

    The bytes are what PyJWT's ``jwt.encode`` writes (sorted header, compact JSON); signing
    here directly spends the time on the signature: PyJWT's encode took about three times the
    ECDSA operation itself, most of it turning the DER signature into JWS's r || s.
    """
    alg = header["alg"]
    signing_input = b".".join(
        (
            _b64u(json.dumps(header, separators=(",", ":"), sort_keys=True).encode()),
            _b64u(json.dumps(payload, separators=(",", ":")).encode()),
        )
    )
    if alg == "ES256":  # RFC 7518 §3.4: r and s, each as 32 big-endian bytes
        r, s = decode_dss_signature(private_key.sign(signing_input, ECDSA(SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif alg == "RS256":  # RFC 7518 §3.3
        signature = private_key.sign(signing_input, PKCS1v15(), SHA256())
    else:
        raise ValueError(f"cannot sign with alg {alg}")
    return (signing_input + b"." + _b64u(signature)).decode("ascii")


def _no_constant(name: str) -> Any:
    # RFC 8259 §6: NaN and Infinity are not JSON numbers (Python's json reads them by default).
    raise ValueError(f"{name} is not JSON")


def _b64u_json(segment: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return json.loads(raw, parse_constant=_no_constant)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        # RecursionError: nesting deeper than the parser goes.
        raise MalformedToken("segment is not base64url JSON") from exc


def split_token(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, payload) without verifying anything."""
    if not isinstance(token, str):
        raise MalformedToken("token must be text")
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise MalformedToken("not a compact JWS (three base64url parts)")
    header = _b64u_json(parts[0])
    payload = _b64u_json(parts[1])
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise MalformedToken("header and payload must be JSON objects")
    return header, payload


def credential_from_payload(payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(credential, "2.0" | "1.1"): VCDM 1.1 tokens wrap the credential in ``vc``."""
    if isinstance(payload.get("vc"), dict):
        return dict(payload["vc"]), "1.1"
    return {k: v for k, v in payload.items() if k not in REGISTERED_CLAIMS}, "2.0"


def decode_unverified(token: str) -> dict[str, Any]:
    """The credential inside a token, no signature check (display and routing only)."""
    _header, payload = split_token(token)
    return credential_from_payload(payload)[0]
