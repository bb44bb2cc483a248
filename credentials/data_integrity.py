"""Verifying W3C Data Integrity proofs on Open Badges 3.0 credentials in JSON form (OB 3.0
§8.3 "Linked Data Proof Format"), for the two Ed25519 suites wallets meet:

- ``DataIntegrityProof`` with ``cryptosuite`` ``eddsa-rdfc-2022`` (Data Integrity EdDSA
  Cryptosuites v1.0), what 1EdTech's examples and conformance vectors use;
- ``Ed25519Signature2020`` (the W3C CCG suite of that name), which Digital Credentials
  Consortium issuers still produce. Its verify data is built the same way; the credential's
  ``@context`` must include the suite context (DCC's verifier requires it too), since the VC
  contexts do not define the proof type.

What is signed is the RDF the JSON means, not the JSON: both the credential without ``proof``
and the proof options without ``proofValue`` (given the credential's ``@context``) are
canonicalised with RDFC-1.0, each hashed with SHA-256, and the proof-options hash followed by
the document hash is the Ed25519 message (EdDSA "Hashing (eddsa-rdfc-2022)").

Two gaps a verifier must close:
- Contexts decide meaning, so they come only from the bundled files
  (``credentials.contexts.document_loader``); any other context URL is ``unknown_context``.
- RDFC covers only what JSON-LD turns into RDF. Expansion silently *drops* properties no
  context defines, and RDF drops relative IRIs (an ``id`` or ``type`` that is not a URL), so
  such content is NOT signed and anyone could add it to a signed credential. Data Integrity
  1.0 wants processors to fail on content that would go unsigned, with a null base URL
  (jsonld.js "safe mode"); pyld 3.3 has no safe mode, so expansion here reports each dropped
  property, the expanded output is scanned for relative IRIs, and either fails the proof
  with ``undefined_terms``.

Nothing here is cached across documents except what pyld caches of the parsed contexts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from credentials.contexts import UnknownContext, document_loader
from credentials.did_keys import KeyResolutionError, resolve_method
from credentials.multikey import MultikeyError, decode_multibase

EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
ED25519_SIGNATURE_2020 = "Ed25519Signature2020"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"

# XML Schema 1.1 dateTimeStamp (Data Integrity 1.0 "Proofs": ``created``, ``expires``); the 2020
# suite used xsd:dateTime, where the offset is optional.
_DATETIME = re.compile(
    r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"(?P<tz>Z|[+-][0-9]{2}:[0-9]{2})?"
)
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S*")
_MAX_LISTED = 5


class ProofError(Exception):
    """A proof that does not verify; ``reason`` is a snake_case code, ``message`` says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class ProofResult(NamedTuple):
    verification_method: str
    controller: str | None
    public_key: Ed25519PublicKey
    public_key_multibase: str
    key_source: str  # 'did:key' | 'did:web' | 'fragment' | 'resolved'
    cryptosuite: str  # 'eddsa-rdfc-2022' | 'Ed25519Signature2020'


def verify_proof(
    document: dict[str, Any],
    *,
    fetch_json: Callable[[str], dict[str, Any]] | None = None,
    expected_purpose: str = "assertionMethod",
    now: datetime | None = None,
    leeway: int = 0,
) -> ProofResult:
    """Verify the credential's Data Integrity proof (Data Integrity 1.0 §4.4 "Verify Proof").

    With ``now``, a proof whose ``expires`` lies more than ``leeway`` seconds before it is
    refused (Data Integrity 1.0 §2.1: the proof is not valid after that moment).

    Of several proofs, those of a supported suite made for ``expected_purpose`` are tried in
    order and the first that verifies wins; if none does, the first one's failure is raised.
    """
    if not isinstance(document, dict):
        raise ProofError("malformed_proof", "the credential is not a JSON object")
    raw = document.get("proof")
    proofs = raw if isinstance(raw, list) else [raw] if raw is not None else []
    if not proofs:
        raise ProofError("malformed_proof", "the credential has no proof")
    if not all(isinstance(proof, dict) for proof in proofs):
        raise ProofError("malformed_proof", "each proof must be a JSON object")
    if "@context" not in document:
        raise ProofError("malformed_proof", "the credential has no @context")

    supported = [proof for proof in proofs if _suite(proof) is not None]
    if not supported:
        names = sorted({str(proof.get("cryptosuite") or proof.get("type")) for proof in proofs})
        raise ProofError(
            "unsupported_cryptosuite",
            f"no proof uses a supported suite ({EDDSA_RDFC_2022} or {ED25519_SIGNATURE_2020});"
            f" found {', '.join(name[:60] for name in names[:_MAX_LISTED])}",
        )
    candidates = [proof for proof in supported if proof.get("proofPurpose") == expected_purpose]
    if not candidates:
        raise ProofError(
            "proof_purpose_mismatch", f"no supported proof was made for {expected_purpose}"
        )

    unsecured = {key: value for key, value in document.items() if key != "proof"}
    first_error: ProofError | None = None
    for proof in candidates:
        try:
            return _verify_one(unsecured, proof, fetch_json, expected_purpose, now, leeway)
        except ProofError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def _suite(proof: dict[str, Any]) -> str | None:
    if proof.get("type") == "DataIntegrityProof" and proof.get("cryptosuite") == EDDSA_RDFC_2022:
        return EDDSA_RDFC_2022
    if proof.get("type") == ED25519_SIGNATURE_2020:
        return ED25519_SIGNATURE_2020
    return None


def _verify_one(
    unsecured: dict[str, Any],
    proof: dict[str, Any],
    fetch_json: Callable[[str], dict[str, Any]] | None,
    purpose: str,
    now: datetime | None = None,
    leeway: int = 0,
) -> ProofResult:
    suite = _suite(proof)
    assert suite is not None
    method = proof.get("verificationMethod")
    if isinstance(method, dict):
        method = method.get("id")
    if not isinstance(method, str) or not method:
        raise ProofError("malformed_proof", "the proof has no verificationMethod URL")
    _check_dates(proof, need_offset=suite == EDDSA_RDFC_2022)
    if now is not None and _expired(proof.get("expires"), now, leeway):
        raise ProofError("proof_expired", f"the proof expired at {proof['expires']}")
    signature = _signature(proof.get("proofValue"))

    options = {
        key: value
        for key, value in proof.items()
        if key not in ("proofValue", "jws", "signatureValue")
    }
    if suite == EDDSA_RDFC_2022:
        if "@context" in options:
            # EdDSA "Verify Proof (eddsa-rdfc-2022)": a proof's own @context must begin the
            # document's, and then replaces it for both hashes.
            own = _as_list(options["@context"])
            if _as_list(unsecured["@context"])[: len(own)] != own:
                raise ProofError(
                    "malformed_proof", "the proof's @context does not begin the credential's"
                )
            unsecured = {**unsecured, "@context": options["@context"]}
        # EdDSA "Proof Configuration (eddsa-rdfc-2022)": the options take the document's @context.
        options["@context"] = unsecured["@context"]
    else:
        if ED25519_2020_CONTEXT not in _as_list(unsecured["@context"]):
            raise ProofError(
                "malformed_proof",
                f"an {ED25519_SIGNATURE_2020} proof needs {ED25519_2020_CONTEXT} in the"
                " credential's @context",
            )
        # jsonld-signatures (DCC's verifier) gives the proof the document's @context unless
        # the proof carries its own.
        options.setdefault("@context", unsecured["@context"])

    document_hash = hashlib.sha256(_canonical(unsecured, "credential").encode()).digest()
    options_hash = hashlib.sha256(_canonical(options, "proof").encode()).digest()

    try:
        resolved = resolve_method(method, fetch_json=fetch_json, relationship=purpose)
    except KeyResolutionError as exc:
        raise ProofError(exc.reason, exc.message) from None
    try:
        resolved.public_key.verify(signature, options_hash + document_hash)
    except InvalidSignature:
        raise ProofError(
            "bad_signature",
            "the signature does not match: the credential or its proof was changed after "
            "signing, or was signed by another key",
        ) from None
    return ProofResult(
        verification_method=method,
        controller=resolved.controller,
        public_key=resolved.public_key,
        public_key_multibase=resolved.public_key_multibase,
        key_source=resolved.key_source,
        cryptosuite=suite,
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_dates(proof: dict[str, Any], *, need_offset: bool) -> None:
    for name in ("created", "expires"):
        value = proof.get(name)
        if value is None:
            continue
        match = _DATETIME.fullmatch(value) if isinstance(value, str) else None
        if match is None or (need_offset and match["tz"] is None) or not _real_date(value):
            raise ProofError("malformed_proof", f"the proof's {name} is not an XML Schema date")


def _expired(expires: Any, now: datetime, leeway: int) -> bool:
    """Whether a well-formed ``expires`` (``_check_dates`` ran) lies before ``now - leeway``."""
    if not isinstance(expires, str):
        return False
    try:
        moment = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    except ValueError:  # a year beyond Python's dates: before 1 has passed, after 9999 not
        return expires.startswith("-")
    if moment.tzinfo is None:  # xsd:dateTime without offset (the 2020 suite): read as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() < now.timestamp() - leeway


def _real_date(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        # years beyond 9999 or before 1 are valid XML Schema but not Python dates
        return not value[:4].isdigit() or len(value.split("-")[0]) != 4
    return True


def _signature(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ProofError("bad_proof_value", "the proof has no proofValue")
    try:
        signature = decode_multibase(value)
    except MultikeyError as exc:
        raise ProofError("bad_proof_value", f"proofValue: {exc}") from None
    if len(signature) != 64:
        raise ProofError("bad_proof_value", "proofValue is not a 64-byte Ed25519 signature")
    return signature


def _canonical(data: dict[str, Any], what: str) -> str:
    """RDFC-1.0 N-Quads of ``data``, after making sure nothing in it is left unsigned."""
    # Imported on first use: pyld and lxml add ~130 ms to every start-up (API, CLI, worker),
    # and only JSON credentials need them.
    from pyld import jsonld  # type: ignore[import-untyped]

    dropped: list[str | None] = []
    # base None keeps relative IRIs relative (pyld would otherwise resolve them against a
    # made-up http://example.org/base/), so they can be found below, as jsonld.js leaves them.
    options: dict[str, Any] = {"documentLoader": document_loader, "base": None}
    try:
        expanded = jsonld.expand(data, options, on_property_dropped=dropped.append)
        problems = [_describe_dropped(name) for name in dropped]
        problems += _relative_iris(expanded, "")
        if problems:
            listed = "; ".join(sorted(set(problems))[:_MAX_LISTED])
            raise ProofError(
                "undefined_terms",
                f"the {what} has content no context defines, which the signature does not "
                f"cover: {listed}",
            )
        # Expanded input needs no contexts, so this second pass does not re-process them.
        return str(
            jsonld.normalize(
                expanded,
                {
                    "algorithm": "URDNA2015",
                    "format": "application/n-quads",
                    "documentLoader": document_loader,
                    "base": None,
                },
            )
        )
    except jsonld.JsonLdError as exc:
        unknown = _unknown_context(exc)
        if unknown is not None:
            raise ProofError(
                "unknown_context", f"the {what} names a context not known here: {unknown[:200]}"
            ) from None
        raise ProofError(
            "malformed_proof", f"the {what} is not valid JSON-LD ({_code(exc)})"
        ) from None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError):
        # pyld raises plain Python errors for some invalid input (e.g. a relative context
        # URL); it is still input that is not JSON-LD, never a server fault.
        raise ProofError("malformed_proof", f"the {what} is not valid JSON-LD") from None


def _describe_dropped(name: str | None) -> str:
    if not name:
        return "a property its context maps to nothing"
    return f"property {name[:60]!r}"


def _relative_iris(node: Any, holder: str) -> list[str]:
    """Where an ``@id`` or ``@type`` is not an absolute IRI (RDF 1.1 drops those triples).

    Values are not quoted: an id may be personal data (e.g. an ID number given as ``id``)."""
    found: list[str] = []
    if isinstance(node, list):
        for item in node:
            found += _relative_iris(item, holder)
        return found
    if not isinstance(node, dict):
        return found
    where = f" under {holder[:80]!r}" if holder else " at the top level"
    node_id = node.get("@id")
    if isinstance(node_id, str) and not _is_iri(node_id):
        found.append(f"an id that is not a URL{where}")
    types = node.get("@type")
    for kind in types if isinstance(types, list) else [types]:
        if isinstance(kind, str) and not _is_iri(kind) and not kind.startswith("@"):
            found.append(f"an undefined type{where}")
    if "@value" in node:
        return found  # a literal: its content is signed as it is
    for key, value in node.items():
        if key.startswith("_:"):
            found.append(f"a blank-node property{where}")
        elif key not in ("@id", "@type"):
            found += _relative_iris(value, key if not key.startswith("@") else holder)
    return found


def _is_iri(value: str) -> bool:
    return value.startswith("_:") or _ABSOLUTE_IRI.fullmatch(value) is not None


def _unknown_context(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, UnknownContext):
            return str(seen.args[0]) if seen.args else "?"
        seen = seen.__cause__ or seen.__context__
    return None


def _code(exc: Any) -> str:
    return str(getattr(exc, "code", None) or getattr(exc, "type", None) or "invalid")[:80]
