"""Typed, short-lived access tokens and rotating refresh tokens (PyJWT, HS256).

Every token carries ``typ`` (``access`` or ``refresh``) and is decoded with that type required,
so a refresh token can never be used as an access token or the other way round. The signing key
is derived from the master key; tokens carry no personal data (ids and roles only).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import jwt

from service.core.settings import Settings
from service.core.timeutil import utcnow

ALGORITHM = "HS256"
AUDIENCE = "skills-api"


class TokenError(Exception):
    """The token is missing, malformed, expired, of the wrong type, or not ours."""


@dataclass(frozen=True)
class TokenClaims:
    subject: uuid.UUID
    role: str
    org_id: uuid.UUID | None
    jti: str
    family: str | None = None
    #: claims beyond the standard set (e.g. ``reg``/``ses`` of an ``xapi-launch`` token)
    extra: dict = field(default_factory=dict)
    #: the account's token generation when issued; a later password, status or role change
    #: bumps the account's, which ends this token (tokens from before the claim count as 0)
    generation: int = 0
    #: the API key a client-credentials token was issued for; revoking the key ends the token
    api_key_id: uuid.UUID | None = None


def delegating_actor(claims: TokenClaims) -> uuid.UUID | None:
    """The account a delegated token acts for its subject on behalf of: the ``sub`` of its
    ``act`` claim (RFC 8693 section 4.1), set by token exchange; None for any other token."""
    act = claims.extra.get("act")
    if not isinstance(act, dict):
        return None
    try:
        return uuid.UUID(str(act.get("sub")))
    except ValueError:
        raise TokenError("The token is not valid.") from None


def delegating_generation(claims: TokenClaims) -> int | None:
    """The acting account's token generation when a delegated token was issued (``act.gen``,
    this service's member of the ``act`` claim); None when absent or not an integer."""
    act = claims.extra.get("act")
    gen = act.get("gen") if isinstance(act, dict) else None
    return gen if isinstance(gen, int) and not isinstance(gen, bool) else None


_STANDARD_CLAIMS = frozenset(
    {"iss", "aud", "sub", "typ", "role", "org", "iat", "nbf", "exp", "jti", "fam", "gen", "key"}
)


def _key(settings: Settings) -> bytes:
    return settings.derived_key("skills/api-token/v1")


def issue_token(
    settings: Settings,
    *,
    typ: str,
    user_id: uuid.UUID,
    role: str,
    org_id: uuid.UUID | None,
    ttl_seconds: int,
    family: str | None = None,
    generation: int = 0,
    api_key_id: uuid.UUID | None = None,
    extra: dict | None = None,
) -> tuple[str, str]:
    """Returns (token, jti)."""
    now = utcnow()
    jti = secrets.token_urlsafe(24)
    claims = {
        "iss": settings.public_base_url,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "typ": typ,
        "role": role,
        "org": str(org_id) if org_id else None,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
        "jti": jti,
    }
    if family:
        claims["fam"] = family
    if generation:
        claims["gen"] = generation
    if api_key_id:
        claims["key"] = str(api_key_id)
    for name, value in (extra or {}).items():
        if name in _STANDARD_CLAIMS:
            raise ValueError(f"extra claim {name!r} would replace a standard claim")
        claims[name] = value
    return jwt.encode(claims, _key(settings), algorithm=ALGORITHM), jti


def decode_token(settings: Settings, token: str, *, expected_typ: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            _key(settings),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=settings.public_base_url,
            options={"require": ["exp", "iat", "sub", "typ", "jti"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("The token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("The token is not valid.") from exc
    if claims.get("typ") != expected_typ:
        raise TokenError(f"A {expected_typ} token is required.")
    try:
        subject = uuid.UUID(claims["sub"])
        org = uuid.UUID(claims["org"]) if claims.get("org") else None
        generation = int(claims.get("gen", 0))
        api_key_id = uuid.UUID(claims["key"]) if claims.get("key") else None
    except (ValueError, TypeError) as exc:
        raise TokenError("The token is not valid.") from exc
    extra = {k: v for k, v in claims.items() if k not in _STANDARD_CLAIMS}
    return TokenClaims(
        subject,
        str(claims.get("role")),
        org,
        claims["jti"],
        claims.get("fam"),
        extra,
        generation,
        api_key_id,
    )
