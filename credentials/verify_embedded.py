"""Verify an Open Badges 3.0 credential in JSON form secured by an embedded Data Integrity proof
(OB 3.0 §8.3; VCDM 2.0 §4.12), with the same checks and report as a VC-JWT (``verify``):

1. signature: ``credentials.data_integrity.verify_proof`` (eddsa-rdfc-2022 or
   Ed25519Signature2020, bundled contexts only). A key or context that cannot be read makes it
   ``inconclusive``; any other failure, ``invalid``.
2. key_provenance: the verification method's controller must be the issuer. A did:key issuer
   is its own key; a did:web issuer's DID document, or the issuer's own controller document,
   lists the key under assertionMethod (checked while resolving). A key named only by the
   method URL's fragment (how 1EdTech's vectors do it) proves nothing by itself: it counts only
   when the issuer publishes it (``key_provenance``), otherwise ``issuer_key_unconfirmed``.
3. shape, 4. validity: as for a VC-JWT, without the JWT claims.
5. status: Bitstring Status List entries; a list secured the same way must be proven by the
   credential's own key or by a key its issuer publishes.
"""

from __future__ import annotations

import json
from typing import Any

from credentials.data_integrity import ProofError, ProofResult, verify_proof
from credentials.documents import VCDM2_CONTEXT
from credentials.jwt_vc import issuer_id_of
from credentials.report import VerificationReport
from credentials.verify_checks import (
    Problem,
    Provenance,
    Run,
    VerifyContext,
    finish_with_window_and_status,
    key_fingerprint,
    key_provenance,
    public_jwk_of,
    shape_problems,
)

# Reasons that mean "could not be checked here", not "checked and wrong".
_UNCHECKABLE = frozenset({"key_unavailable", "unknown_context", "unsupported_cryptosuite"})
# Key sources whose resolution already tied the key to its controller (did_keys).
_BOUND_TO_CONTROLLER = frozenset({"did:key", "did:web", "resolved"})


def verify_embedded_proof(
    document: dict[str, Any], *, source: str, ctx: VerifyContext
) -> VerificationReport:
    run = Run(source)
    run.credential = document
    issuer = issuer_id_of(document)
    contexts = document.get("@context")
    version = "2.0" if isinstance(contexts, list) and contexts[:1] == [VCDM2_CONTEXT] else "1.1"

    # -- signature -----------------------------------------------------------------------------
    try:
        proof = verify_proof(document, fetch_json=ctx.fetch_json, now=ctx.now, leeway=ctx.leeway)
    except ProofError as exc:
        if exc.reason in _UNCHECKABLE:
            run.checks.add("signature", "inconclusive", exc.reason, exc.message)
            return run.finish("inconclusive", exc.reason, "signature_unchecked")
        return run.fail(
            "signature", Problem(exc.reason, exc.message), "invalid", "signature_failed"
        )
    run.checks.add("signature", "passed", "signature_valid", f"{proof.cryptosuite} proof verified")

    # -- provenance ----------------------------------------------------------------------------
    provenance = _provenance(issuer, proof, ctx)
    run.checks.add("key_provenance", provenance.outcome, provenance.reason, provenance.message)
    if provenance.outcome == "failed":
        return run.finish("invalid", provenance.reason, "provenance_failed")

    # -- shape ---------------------------------------------------------------------------------
    failures = shape_problems(document, {}, version, claims=False)
    for problem in failures:
        run.checks.add("shape", "failed", problem.reason, problem.message)
    if failures:
        return run.finish("invalid", failures[0].reason, "shape_failed")
    run.checks.add("shape", "passed", f"vcdm_{version}", "Open Badges credential shape")

    return finish_with_window_and_status(
        run,
        document,
        {},
        version,
        provenance,
        ctx,
        embedded_list=lambda text: _verified_list(text, issuer or "", proof, ctx),
    )


def _provenance(issuer: str | None, proof: ProofResult, ctx: VerifyContext) -> Provenance:
    if proof.controller != issuer:
        return Provenance(
            "failed",
            "kid_issuer_mismatch",
            "the proof's verification method is not the issuer's",
        )
    if issuer in ctx.own_issuer_ids:
        # We issue VC-JWTs only: a Data Integrity proof naming our issuer is not ours.
        return Provenance(
            "failed",
            "own_issuer_foreign_key",
            "the credential names our issuer but is not signed with one of our keys",
        )
    if proof.key_source in _BOUND_TO_CONTROLLER:
        return Provenance(
            "passed",
            "issuer_key_confirmed",
            f"the issuer's {proof.key_source} document lists this key"
            if proof.key_source != "did:key"
            else "the issuer is this did:key",
        )
    return key_provenance(
        issuer,
        proof.public_key,
        None,
        issuer_keys=ctx.issuer_keys,
        own_issuer_ids=ctx.own_issuer_ids,
    )


def _verified_list(
    text: str, issuer: str, credential_proof: ProofResult, ctx: VerifyContext
) -> dict[str, Any]:
    """A status list credential in JSON form whose proof verifies with the credential's own key,
    or with a key its issuer is confirmed to hold; raises Problem (the status is then
    inconclusive, Bitstring Status List v1.0 §3.2: the list's proofs must verify)."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise Problem("status_list_malformed", "the status list is not JSON") from exc
    if not isinstance(document, dict):
        raise Problem("status_list_malformed", "the status list is not a credential")
    try:
        proof = verify_proof(document, fetch_json=ctx.fetch_json, now=ctx.now, leeway=ctx.leeway)
    except ProofError as exc:
        raise Problem("status_list_signature", f"status list: {exc.message}") from exc
    if issuer_id_of(document) != issuer:
        raise Problem("status_list_issuer_mismatch", "the status list is not the issuer's own")
    same_key = key_fingerprint(public_jwk_of(proof.public_key)) == key_fingerprint(
        public_jwk_of(credential_proof.public_key)
    )
    if not same_key and _provenance(issuer, proof, ctx).outcome != "passed":
        raise Problem(
            "status_list_signature", "the status list is proven by a key the issuer does not hold"
        )
    return document
