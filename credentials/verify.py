"""Verify an Open Badges 3.0 credential (OB 3.0 §9 Verification): a VC-JWT (§8.2), or a JSON
credential secured by an embedded Data Integrity proof (§8.3), given as text, a baked PNG or a
baked SVG (detected from the content). Every format gets the same checks and report:

1. signature: the proof itself (``verify_jwt``: JOSE rules, alg pinned to the key type;
   ``verify_embedded``: eddsa-rdfc-2022 / Ed25519Signature2020 over the bundled contexts).
2. key_provenance: the key belongs to the credential's issuer: one of our keys, a key the issuer
   publishes (kid URL on its origin, its Profile, JWKS, did:web, did:key), or else
   "inconclusive" (``issuer_key_unconfirmed``): a key nobody vouches for proves only that its
   holder signed. A credential naming our issuer must be signed with one of our keys.
3. shape: VCDM 2.0 / 1.1 context and types, OB types; for a VC-JWT also the header and the JWT
   claims against the credential, each broken rule its own entry.
4. validity: validFrom/validUntil (and nbf/exp) against ``now`` with ``leeway`` seconds.
5. status: each BitstringStatusListEntry (Bitstring Status List v1.0 §3.2): the list is fetched
   and its proof verified with a key of the same issuer; a list that cannot be fetched or
   verified gives ``inconclusive``, never ``valid``.

``key_resolver(kid, issuer_hint) -> ResolvedKey`` (raise KeyNotFound / KeyUnavailable),
``status_fetcher(url) -> list text`` (raise anything), ``issuer_keys(issuer_id) -> [JWK]``
(raise KeyUnavailable) and ``fetch_json(url) -> dict`` (DID / controller documents; raise
anything) are supplied by the caller; see ``resolvers`` and ``service.issuing.verification``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from credentials.baking import BakingError, extract_from_png, extract_from_svg
from credentials.images import PNG_SIGNATURE
from credentials.report import VerificationReport
from credentials.timefmt import utcnow
from credentials.verify_checks import (
    ALLOWED_ALGS,
    IssuerKeys,
    KeyNotFound,
    KeyResolver,
    KeyUnavailable,
    Problem,
    Provenance,
    ResolvedKey,
    Run,
    StatusFetcher,
    VerifyContext,
    key_fingerprint,
    key_provenance,
    public_jwk_of,
    summarise,
)
from credentials.verify_embedded import verify_embedded_proof
from credentials.verify_jwt import verify_jwt

__all__ = [
    "ALLOWED_ALGS",
    "IssuerKeys",
    "KeyNotFound",
    "KeyResolver",
    "KeyUnavailable",
    "Provenance",
    "ResolvedKey",
    "StatusFetcher",
    "key_fingerprint",
    "key_provenance",
    "public_jwk_of",
    "summarise",
    "verify",
]


def _extract(data: str | bytes) -> tuple[str, str]:
    """(embedded text, source). Raises BakingError for unreadable images."""
    if isinstance(data, bytes | bytearray):
        raw = bytes(data)
        if raw.startswith(PNG_SIGNATURE):
            return extract_from_png(raw), "png"
        try:
            data = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BakingError("corrupt", "input is neither a PNG, an SVG nor a token") from exc
    text = data.lstrip("\ufeff").strip()
    if text.startswith("<"):
        return extract_from_svg(text).strip(), "svg"
    return text, "json" if text.startswith("{") else "jwt"


def verify(
    token_or_bytes: str | bytes,
    *,
    key_resolver: KeyResolver,
    status_fetcher: StatusFetcher,
    issuer_keys: IssuerKeys | None = None,
    fetch_json: Callable[[str], dict[str, Any]] | None = None,
    now: datetime | None = None,
    leeway: int = 60,
    own_issuer_ids: Iterable[str] = (),
) -> VerificationReport:
    ctx = VerifyContext(
        key_resolver=key_resolver,
        status_fetcher=status_fetcher,
        issuer_keys=issuer_keys,
        now=now or utcnow(),
        leeway=leeway,
        own_issuer_ids=frozenset(own_issuer_ids),
        fetch_json=fetch_json,
    )
    try:
        text, source = _extract(token_or_bytes)
    except BakingError as exc:
        run = Run("jwt")
        return run.fail("shape", Problem(exc.code, exc.message), "invalid", "unreadable_input")
    if source == "json" or text.startswith("{"):
        try:
            document = json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            document = None
        if not isinstance(document, dict):
            problem = Problem("malformed_credential", "the input is not a JSON credential")
            return Run(source).fail("shape", problem, "invalid", "malformed_credential")
        return verify_embedded_proof(document, source=source, ctx=ctx)
    return verify_jwt(text, source=source, ctx=ctx)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # RFC 8259 §6: no NaN or Infinity
