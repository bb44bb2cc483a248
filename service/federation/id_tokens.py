"""Checking an OpenID Connect ID token (OpenID Connect Core 1.0 section 3.1.3.7).

Used by browser sign-in (the token comes from the IdP's token endpoint) and by token exchange
(the platform presents a learner's ID token, RFC 8693). Signature first, with a key from the
provider's JWK Set only (never a key or key URL named in the token's header), an asymmetric
algorithm the provider advertises and the key's type supports (no ``none``, no HMAC: an HS256
token "signed" with a public key must not pass), then the claims. Refusal messages say which
check failed and never echo the token or its claims.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt

from service.core.errors import BadRequest
from service.federation.providers import OidcProvider, ProviderUnavailable, jwks, metadata

LEEWAY_SECONDS = 60
MAX_TOKEN_CHARS = 16 * 1024
# Asymmetric JWS algorithms (RFC 7518 section 3.1, RFC 8037) and the JWK key type each needs.
_KEY_TYPES = {
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "EdDSA": "OKP",
}
_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


class IdTokenRefused(BadRequest):
    """The ID token failed a check; ``code`` names which (``id-token-<check>``)."""


@dataclass
class IdTokenClaims:
    issuer: str
    subject: str
    audience: tuple[str, ...]
    expires_at: datetime
    nonce: str | None
    claims: dict[str, Any] = field(repr=False)  # all of them, as signed (personal data)


def verify_id_token(
    provider: OidcProvider,
    token: str,
    *,
    audiences: Iterable[str],
    nonce: str | None = None,
    leeway: int = LEEWAY_SECONDS,
) -> IdTokenClaims:
    """The token's claims once every check of Core 1.0 section 3.1.3.7 passed.

    ``audiences``: the client ids this token may be for (``aud`` must hold one, ``azp`` must be
    one when present and is required when ``aud`` holds several). ``nonce``: when given, the
    token's nonce must equal it (the authorization request's); when None the nonce is not
    checked (token exchange: the nonce belonged to another client's request).
    """
    allowed_audiences = set(audiences)
    if not allowed_audiences:
        raise IdTokenRefused(
            "id-token-audience", "ID tokens of this provider are not accepted here."
        )
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise IdTokenRefused("id-token-malformed", "The ID token is not a compact JWS.")
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, RecursionError):  # RecursionError: absurdly nested JSON
        raise IdTokenRefused("id-token-malformed", "The ID token is not a compact JWS.") from None
    alg = header.get("alg")
    if "crit" in header:  # RFC 7515 section 4.1.11: we understand no extension
        raise IdTokenRefused("id-token-malformed", "The ID token's header has critical members.")
    advertised = metadata(provider).get("id_token_signing_alg_values_supported") or ["RS256"]
    if not isinstance(advertised, list) or not all(isinstance(a, str) for a in advertised):
        raise ProviderUnavailable(
            "The sign-in provider's discovery document lists its signing algorithms wrongly."
        )
    if not isinstance(alg, str) or alg not in _KEY_TYPES or alg not in advertised:
        raise IdTokenRefused(
            "id-token-alg", "The ID token's signing algorithm is not one this provider may use."
        )
    key = _signing_key(provider, header, alg)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[alg],
            leeway=leeway,
            options={
                "require": ["iss", "sub", "aud", "exp", "iat"],
                "verify_aud": False,  # checked below with azp (section 3.1.3.7 items 3-5)
                "verify_iss": False,  # checked below, exactly
            },
        )
    except jwt.ExpiredSignatureError:
        raise IdTokenRefused("id-token-expired", "The ID token has expired.") from None
    except jwt.ImmatureSignatureError:
        raise IdTokenRefused("id-token-iat", "The ID token is not valid yet.") from None
    except jwt.MissingRequiredClaimError as exc:
        raise IdTokenRefused(
            "id-token-claims", f"The ID token lacks the {exc.claim!r} claim."
        ) from None
    except jwt.InvalidSignatureError:
        raise IdTokenRefused(
            "id-token-signature", "The ID token's signature does not verify."
        ) from None
    except (jwt.PyJWTError, RecursionError, OverflowError, TypeError):
        # a hostile provider's token: absurd nesting, ``exp: 1e999`` and the like
        raise IdTokenRefused("id-token-claims", "The ID token's claims are not valid.") from None
    return _check_claims(provider, claims, allowed_audiences, nonce)


def _signing_key(provider: OidcProvider, header: dict[str, Any], alg: str) -> Any:
    """The provider's key for the token: by ``kid`` (one refetch when unknown: rotation)."""
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise IdTokenRefused("id-token-malformed", "The ID token's key id is not a string.")
    for refresh in (False, True):
        candidates = [
            k
            for k in jwks(provider, refresh=refresh).get("keys", [])
            if _usable(k, alg) and (kid is None or k.get("kid") == kid)
        ]
        if len(candidates) == 1:
            try:
                return jwt.PyJWK(candidates[0], algorithm=alg).key
            except jwt.PyJWTError:
                raise IdTokenRefused(
                    "id-token-kid", "The provider's key for this ID token is not usable."
                ) from None
        if len(candidates) > 1:  # Core 1.0 section 10.1: several keys need a kid
            raise IdTokenRefused("id-token-kid", "The ID token names no key id.")
    raise IdTokenRefused("id-token-kid", "The ID token's key is not one of the provider's keys.")


def _usable(jwk: dict[str, Any], alg: str) -> bool:
    """Whether a JWK may verify ``alg``: key type, curve, ``use`` and ``alg`` members agree."""
    if jwk.get("kty") != _KEY_TYPES[alg]:
        return False
    if alg in _EC_CURVES and jwk.get("crv") != _EC_CURVES[alg]:
        return False
    if jwk.get("use", "sig") != "sig":
        return False
    if "alg" in jwk and jwk["alg"] != alg:
        return False
    return not any(member in jwk for member in ("d", "k"))  # a private or secret key: refuse


def _check_claims(
    provider: OidcProvider,
    claims: dict[str, Any],
    audiences: set[str],
    nonce: str | None,
) -> IdTokenClaims:
    if claims.get("iss") != provider.issuer:  # item 2: exact match
        raise IdTokenRefused("id-token-issuer", "The ID token is from another issuer.")
    aud = claims.get("aud")
    aud_values = (aud,) if isinstance(aud, str) else tuple(aud) if isinstance(aud, list) else ()
    if not aud_values or not all(isinstance(a, str) for a in aud_values):
        raise IdTokenRefused("id-token-audience", "The ID token's audience is not valid.")
    if not audiences.intersection(aud_values):  # item 3
        raise IdTokenRefused("id-token-audience", "The ID token is meant for another client.")
    if not audiences.issuperset(aud_values):  # item 3: audiences not trusted -> reject
        raise IdTokenRefused(
            "id-token-audience", "The ID token is also meant for clients not trusted here."
        )
    azp = claims.get("azp")
    if (len(aud_values) > 1 or azp is not None) and (  # items 4-5
        not isinstance(azp, str) or azp not in audiences
    ):
        raise IdTokenRefused(
            "id-token-audience", "The ID token's authorized party is another client."
        )
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:  # Core 1.0 section 2
        raise IdTokenRefused("id-token-claims", "The ID token's subject is not valid.")
    token_nonce = claims.get("nonce")
    if nonce is not None and token_nonce != nonce:  # item 11
        raise IdTokenRefused("id-token-nonce", "The ID token's nonce does not match.")
    try:
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (OverflowError, ValueError, OSError, TypeError):  # a year past 9999, say
        raise IdTokenRefused("id-token-claims", "The ID token's expiry is not valid.") from None
    return IdTokenClaims(
        issuer=provider.issuer,
        subject=subject,
        audience=aud_values,
        expires_at=expires_at,
        nonce=token_nonce if isinstance(token_nonce, str) else None,
        claims=claims,
    )
