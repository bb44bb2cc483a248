"""The VC-JWT branch of verification (OB 3.0 §8.2; VC-JOSE-COSE §3): the JOSE header, the key
(by ``kid`` or the header ``jwk``), the signature, and the JWT claims against the credential.
The checks every proof format shares are in ``credentials.verify_checks``."""

from __future__ import annotations

from typing import Any

from credentials.jwt_vc import MalformedToken, credential_from_payload, issuer_id_of, split_token
from credentials.report import VerificationReport
from credentials.verify_checks import (
    ALLOWED_ALGS,
    KeyNotFound,
    KeyUnavailable,
    Problem,
    ResolvedKey,
    Run,
    VerifyContext,
    finish_with_window_and_status,
    key_fingerprint,
    key_provenance,
    public_jwk_of,
    shape_problems,
    verify_signature,
)

# RFC 7517 §6.2.2, §6.3.2, §6.4 and RFC 8037 §2: members that only a private or symmetric key has.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# Header parameters this verifier understands (RFC 7515 §4.1, OB 3.0 §8.2.4.1, VC-JOSE-COSE §3).
UNDERSTOOD_HEADERS = frozenset({"alg", "kid", "typ", "jwk", "cty", "crit"})
# What we ourselves put in a header (DESIGN "Credentials": only alg, kid, typ).
OWN_HEADERS = frozenset({"alg", "kid", "typ"})
# RFC 7515 §4.1.9: "JWT" and "application/jwt" are the same type, compared case-insensitively.
# OB 3.0 §8.2.4.1 says "JWT"; VC-JOSE-COSE §3.1.1 secures VCDM 2.0 credentials with "vc+jwt":
# both name a JWT whose payload is the credential, so both are accepted.
ACCEPTED_TYPS = frozenset({"jwt", "vc+jwt"})


def _header_problems(header: dict[str, Any], own: bool) -> tuple[list[Problem], list[Problem]]:
    """(failures, warnings) about the JOSE header beyond alg/crit/key.

    ``typ``: absent, or a JWT type (see ``ACCEPTED_TYPS``); anything else is ``typ_invalid``
    (RFC 7519 §5.1 and OB 3.0 §8.2.4.1 give it no other meaning).
    Unknown members: RFC 7515 §4 says a parameter that is not understood and not listed in
    ``crit`` MUST be ignored, so for other issuers they cannot make a token invalid; they are
    reported as a ``warning`` entry (``unknown_header``) so a reader sees them. A token naming
    our issuer is held to what we issue (only alg, kid, typ): anything more is not ours
    (``unexpected_header``, a failure).
    """
    failures: list[Problem] = []
    warnings: list[Problem] = []
    typ = header.get("typ")
    if typ is not None:
        normal = typ.lower().removeprefix("application/") if isinstance(typ, str) else None
        if normal not in ACCEPTED_TYPS:
            failures.append(Problem("typ_invalid", "typ must be JWT (or vc+jwt) when present"))
    allowed = OWN_HEADERS if own else UNDERSTOOD_HEADERS
    extra = sorted(k for k in header if k not in allowed)
    if extra and own:
        failures.append(Problem("unexpected_header", f"header members we never issue: {extra}"))
    elif extra:
        warnings.append(Problem("unknown_header", f"ignored header members: {extra}"))
    return failures, warnings


def _select_key(
    header: dict[str, Any], issuer: str | None, ctx: VerifyContext
) -> tuple[dict[str, Any], ResolvedKey | None]:
    """(public JWK to verify with, what the resolver said about the kid); raises
    (check name, Problem, result)."""
    jwk = header.get("jwk")
    kid = header.get("kid")
    if jwk is not None:
        if not isinstance(jwk, dict) or key_fingerprint(jwk) is None:
            raise _Stop("signature", Problem("jwk_invalid", "the header jwk is not a public key"))
        if PRIVATE_MEMBERS & set(jwk):
            # RFC 7517 §9.2 and OB 3.0 §8.2.4.1: the header carries the PUBLIC key only.
            raise _Stop(
                "signature",
                Problem("jwk_private_key", "the header jwk holds private key material"),
            )
        if issuer in ctx.own_issuer_ids:
            raise _Stop(
                "key_provenance",
                Problem(
                    "own_issuer_foreign_key",
                    "the credential names our issuer but carries its own key, not our kid",
                ),
            )
        return public_jwk_of(jwk) | ({"alg": jwk["alg"]} if "alg" in jwk else {}), None
    if not isinstance(kid, str) or not kid:
        raise _Stop("key_provenance", Problem("missing_kid", "the JOSE header has no kid"))
    try:
        key = ctx.key_resolver(kid, issuer)
    except KeyNotFound as exc:
        raise _Stop(
            "key_provenance", Problem("unknown_kid", "no published key has this kid")
        ) from exc
    except KeyUnavailable as exc:
        raise _Stop(
            "key_provenance", Problem("key_unreachable", str(exc)), "inconclusive", "inconclusive"
        ) from exc
    if key.status == "compromised":
        raise _Stop(
            "key_provenance",
            Problem("key_compromised", "the issuer withdrew this signing key"),
            skipped="key_compromised",
        )
    return key.jwk, key


class _Stop(Exception):
    def __init__(
        self,
        name: str,
        problem: Problem,
        result: str = "invalid",
        outcome: str = "failed",
        skipped: str = "",
    ):
        super().__init__(problem.message)
        self.name, self.problem, self.result, self.outcome = name, problem, result, outcome
        self.skipped = skipped or ("signature_failed" if name == "signature" else "no_key")


def verify_jwt(token: str, *, source: str, ctx: VerifyContext) -> VerificationReport:
    run = Run(source)
    try:
        header, payload = split_token(token)
    except MalformedToken as exc:
        return run.fail("shape", Problem("malformed_token", str(exc)), "invalid", "malformed_token")
    credential, version = credential_from_payload(payload)
    run.credential = credential
    issuer = issuer_id_of(credential)
    own_issuer = issuer in ctx.own_issuer_ids

    # -- algorithm, critical headers, key (OB 3.0 §8.2.4.1, RFC 7515 §4.1.11) -----------------
    alg = header.get("alg")
    if alg not in ALLOWED_ALGS:
        problem = Problem("alg_not_allowed", f"alg {alg!r} is not one of {ALLOWED_ALGS}")
        return run.fail("signature", problem, "invalid", "signature_failed")
    if "crit" in header:
        problem = Problem(
            "crit_unsupported", "critical header extensions are listed; none is understood here"
        )
        return run.fail("signature", problem, "invalid", "signature_failed")
    try:
        jwk, resolved = _select_key(header, issuer, ctx)
    except _Stop as stop:
        run.checks.add(stop.name, stop.outcome, stop.problem.reason, stop.problem.message)
        return run.finish(stop.result, stop.problem.reason, stop.skipped)

    # -- signature -----------------------------------------------------------------------------
    try:
        verified_alg = verify_signature(token, header, jwk)
    except Problem as exc:
        return run.fail("signature", exc, "invalid", "signature_failed")
    run.checks.add("signature", "passed", "signature_valid", f"{verified_alg} signature verified")

    # -- provenance ----------------------------------------------------------------------------
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    provenance = key_provenance(
        issuer,
        jwk,
        kid,
        key_resolver=ctx.key_resolver if resolved is None else None,
        issuer_keys=ctx.issuer_keys,
        own_issuer_ids=ctx.own_issuer_ids,
        resolved=resolved,
    )
    run.checks.add("key_provenance", provenance.outcome, provenance.reason, provenance.message)
    if provenance.outcome == "failed":
        return run.finish("invalid", provenance.reason, "provenance_failed")
    run.issued_here = provenance.own and provenance.outcome == "passed"

    # -- shape: header, credential and claims; one entry per broken rule -----------------------
    failures, warnings = _header_problems(header, own=own_issuer)
    failures += shape_problems(credential, payload, version)
    for problem in failures:
        run.checks.add("shape", "failed", problem.reason, problem.message)
    if not failures:
        run.checks.add(
            "shape", "passed", f"vcdm_{version}", "Open Badges credential shape and claims"
        )
    for problem in warnings:
        run.checks.add("shape", "warning", problem.reason, problem.message)
    if failures:
        return run.finish("invalid", failures[0].reason, "shape_failed")

    return finish_with_window_and_status(run, credential, payload, version, provenance, ctx)
