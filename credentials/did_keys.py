"""From a Data Integrity proof's ``verificationMethod`` to the Ed25519 public key it names, and
who vouches for it.

- ``did:key:z6Mk...#z6Mk...`` (the did:key Method): the DID *is* the key, so nothing is
  fetched and the key controls itself.
- ``did:web:host[:path]#frag`` (did:web Method "Read (Resolve)"): the DID document is fetched from
  ``https://host/.well-known/did.json`` (``https://host/path/did.json`` with a path); the method
  must be in it and listed under the proof's purpose (``assertionMethod``; DID Core §5.3).
- ``https://issuer.example/x#z6Mk...``: the fragment is itself a Multikey, how 1EdTech's OB 3.0
  examples name keys. The key is read from the URL and nobody confirms it (``fragment``); the
  caller decides what that is worth, e.g. by comparing the URL with the credential's issuer.
- any other https URL: its controller document (Controlled Identifiers 1.0 "Retrieve
  Verification Method") is fetched; its ``id`` must be that URL, the method's ``controller``
  that document, and the method listed under the proof's purpose.

Documents are fetched only through the caller's ``fetch_json`` (the project's guarded fetcher);
without one, keys that need fetching are ``key_unavailable``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urldefrag, urljoin, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from credentials.multikey import MultikeyError, decode_ed25519_multikey, encode_ed25519_multikey

FetchJson = Callable[[str], dict[str, Any]]

# Verification method types that carry an Ed25519 key as publicKeyMultibase (Data Integrity
# EdDSA "Multikey" and "Ed25519VerificationKey2020") or as an OKP JWK (CID 1.0 "JsonWebKey").
MULTIBASE_TYPES = frozenset({"Multikey", "Ed25519VerificationKey2020"})
JWK_TYPES = frozenset({"JsonWebKey", "JsonWebKey2020"})

# did:web "Method-specific identifier": a domain name, an optional percent-encoded port,
# then ":"-separated path segments. Kept to plain characters so the DID can only ever become
# an https URL on that host.
_DID_WEB = re.compile(
    r"did:web:(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?:%3[Aa](?P<port>[0-9]{1,5}))?"
    r"(?P<path>(?::[A-Za-z0-9_~.-]+)*)"
)


class KeyResolutionError(Exception):
    """The method's key could not be had or trusted; ``reason`` is a snake_case code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class ResolvedMethod(NamedTuple):
    controller: str | None
    public_key: Ed25519PublicKey
    public_key_multibase: str
    key_source: str  # 'did:key' | 'did:web' | 'fragment' | 'resolved'


def resolve_method(
    method_id: str, *, fetch_json: FetchJson | None, relationship: str
) -> ResolvedMethod:
    """The key behind ``method_id``, checked to be usable for ``relationship``."""
    if method_id.startswith("did:key:"):
        return _did_key(method_id)
    if method_id.startswith("did:web:"):
        return _did_web(method_id, fetch_json, relationship)
    scheme = urlsplit(method_id).scheme.lower()
    if scheme not in ("https", "http"):
        raise KeyResolutionError(
            "unsupported_key", "verification methods must be did:key, did:web or https URLs"
        )
    base, fragment = urldefrag(method_id)
    if fragment.startswith("z"):
        try:
            key = decode_ed25519_multikey(fragment)
        except MultikeyError:
            pass  # an ordinary fragment that happens to start with "z": resolve it below
        else:
            return ResolvedMethod(base, key, fragment, "fragment")
    if scheme != "https":
        raise KeyResolutionError("key_unavailable", "key documents are only fetched over https")
    return _controller_document(method_id, base, fetch_json, relationship)


def method_public_key(method: dict[str, Any]) -> tuple[Ed25519PublicKey, str]:
    """The Ed25519 key of a verification method object, and its Multikey form."""
    if "revoked" in method:
        # CID 1.0 "Verification Methods": a revoked method verifies nothing, not even old
        # signatures.
        raise KeyResolutionError("key_unavailable", "the verification method has been revoked")
    kind = method.get("type")
    multibase = method.get("publicKeyMultibase")
    jwk = method.get("publicKeyJwk")
    if kind in MULTIBASE_TYPES and isinstance(multibase, str):
        try:
            return decode_ed25519_multikey(multibase), multibase
        except MultikeyError as exc:
            raise KeyResolutionError("unsupported_key", f"publicKeyMultibase: {exc}") from None
    if kind in JWK_TYPES and isinstance(jwk, dict):
        key = _ed25519_jwk(jwk)
        return key, encode_ed25519_multikey(key)
    raise KeyResolutionError(
        "unsupported_key",
        "the verification method is not an Ed25519 Multikey, Ed25519VerificationKey2020 "
        "or OKP/Ed25519 JsonWebKey",
    )


def did_web_url(did: str) -> str:
    """The https URL of a did:web DID document (did:web Method "Read (Resolve)")."""
    match = _DID_WEB.fullmatch(did)
    if match is None:
        raise KeyResolutionError("key_unavailable", "not a well-formed did:web DID")
    host = match["host"].lower()
    if match["port"]:
        host = f"{host}:{int(match['port'])}"
    segments = [part for part in match["path"].split(":") if part]
    if any(part in (".", "..") for part in segments):
        raise KeyResolutionError("key_unavailable", "not a well-formed did:web DID")
    path = "/".join(segments) if segments else ".well-known"
    return f"https://{host}/{path}/did.json"


def _did_key(method_id: str) -> ResolvedMethod:
    did, fragment = urldefrag(method_id)
    multibase = did.removeprefix("did:key:")
    # did:key Method: the document has exactly one key, whose id is did#<the same multibase>.
    if fragment != multibase:
        raise KeyResolutionError(
            "key_unavailable", "a did:key method must be did:key:<key>#<the same key>"
        )
    try:
        key = decode_ed25519_multikey(multibase)
    except MultikeyError as exc:
        raise KeyResolutionError("unsupported_key", f"did:key: {exc}") from None
    return ResolvedMethod(did, key, multibase, "did:key")


def _did_web(method_id: str, fetch_json: FetchJson | None, relationship: str) -> ResolvedMethod:
    did, fragment = urldefrag(method_id)
    url = did_web_url(did)
    if not fragment:
        raise KeyResolutionError("key_unavailable", "a did:web method needs a #fragment")
    document = _fetch(fetch_json, url)
    # did:web Method "Read (Resolve)": the document's id must be the DID it was fetched for.
    if document.get("id") != did:
        raise KeyResolutionError("key_unavailable", "the DID document is for another DID")
    method = _find_method(document, method_id, did)
    if method is None:
        raise KeyResolutionError("key_unavailable", "the DID document has no such method")
    _check_controller(method, did)
    _check_relationship(document, method_id, did, relationship)
    key, multibase = method_public_key(method)
    return ResolvedMethod(did, key, multibase, "did:web")


def _controller_document(
    method_id: str, base: str, fetch_json: FetchJson | None, relationship: str
) -> ResolvedMethod:
    document = _fetch(fetch_json, base)
    if document.get("id") != base:
        raise KeyResolutionError("key_unavailable", "the key document is for another URL")
    method = _find_method(document, method_id, base)
    if method is None:
        raise KeyResolutionError("key_unavailable", "the key document has no such method")
    controller_doc, controller = document, base
    if method is document:
        # The URL named the method itself; its controller document must list it.
        named = method.get("controller")
        if not isinstance(named, str) or urlsplit(named).scheme.lower() != "https":
            raise KeyResolutionError("key_unavailable", "the key names no https controller")
        controller_doc = _fetch(fetch_json, named)
        if controller_doc.get("id") != named:
            raise KeyResolutionError(
                "key_unavailable", "the controller document is for another URL"
            )
        controller = named
    _check_controller(method, controller)
    _check_relationship(controller_doc, method_id, controller, relationship)
    key, multibase = method_public_key(method)
    return ResolvedMethod(base, key, multibase, "resolved")


def _fetch(fetch_json: FetchJson | None, url: str) -> dict[str, Any]:
    if fetch_json is None:
        raise KeyResolutionError("key_unavailable", "the key must be fetched, and fetching is off")
    try:
        document = fetch_json(url)
    except Exception:  # whatever the fetcher raises, the key is simply not available
        raise KeyResolutionError(
            "key_unavailable", "the key document could not be fetched"
        ) from None
    if not isinstance(document, dict):
        raise KeyResolutionError("key_unavailable", "the key document is not a JSON object")
    return document


def _absolute(ref: Any, base: str) -> str | None:
    # DID Core §3.2.2: method ids may be relative ("#key-1") to the document's id.
    if not isinstance(ref, str):
        return None
    return base + ref if ref.startswith("#") else urljoin(base, ref)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _find_method(document: dict[str, Any], method_id: str, base: str) -> dict[str, Any] | None:
    if _absolute(document.get("id"), base) == method_id and "controller" in document:
        return document
    candidates = _as_list(document.get("verificationMethod"))
    for name in (
        "assertionMethod",
        "authentication",
        "capabilityInvocation",
        "capabilityDelegation",
        "keyAgreement",
    ):
        candidates += [item for item in _as_list(document.get(name)) if isinstance(item, dict)]
    for item in candidates:
        if isinstance(item, dict) and _absolute(item.get("id"), base) == method_id:
            return item
    return None


def _check_controller(method: dict[str, Any], controller: str) -> None:
    named = method.get("controller")
    if named is not None and named != controller:
        raise KeyResolutionError(
            "key_unavailable", "the verification method names another controller"
        )


def _check_relationship(
    document: dict[str, Any], method_id: str, base: str, relationship: str
) -> None:
    for item in _as_list(document.get(relationship)):
        ref = item.get("id") if isinstance(item, dict) else item
        if _absolute(ref, base) == method_id:
            return
    raise KeyResolutionError(
        "proof_purpose_mismatch",
        f"the key's controller does not authorise it for {relationship}",
    )


def _ed25519_jwk(jwk: dict[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise KeyResolutionError("unsupported_key", "the JWK is not an OKP Ed25519 key")
    if "d" in jwk:
        raise KeyResolutionError("unsupported_key", "the published JWK holds a private key")
    x = jwk.get("x")
    if not isinstance(x, str):
        raise KeyResolutionError("unsupported_key", "the JWK has no x")
    try:
        raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
    except (binascii.Error, ValueError):
        raise KeyResolutionError("unsupported_key", "the JWK x is not base64url") from None
    if len(raw) != 32:
        raise KeyResolutionError("unsupported_key", "an Ed25519 key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)
