"""The checks every proof format shares (see ``credentials.verify`` for the whole procedure):
keys and their provenance, the credential's shape, its validity window, its status lists, and
the report a verification builds. ``verify_jwt`` and ``verify_embedded`` assemble them."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jwt.exceptions import PyJWTError

from credentials import status_bits
from credentials.documents import (
    HOURS_RESULT_TYPE,
    LEVEL_NAMES,
    OB3_CONTEXT,
    SCORE_RESULT_TYPE,
    VCDM1_CONTEXT,
    VCDM2_CONTEXT,
)
from credentials.jwt_vc import (
    MalformedToken,
    credential_from_payload,
    issuer_id_of,
    split_token,
    subject_id_of,
)
from credentials.report import Checks, VerificationReport
from credentials.timefmt import epoch_seconds, parse_xsd, to_xsd, utcnow

ALLOWED_ALGS = ("ES256", "RS256", "RS384", "RS512")
MIN_RSA_BITS = 2048  # RFC 7518 §3.3
_PUBLIC_MEMBERS = ("kty", "crv", "x", "y", "n", "e")


class KeyNotFound(LookupError):
    """The kid is unknown to the resolver (definitive: the credential is invalid)."""


class KeyUnavailable(RuntimeError):
    """The key could not be fetched right now (network): the result is inconclusive."""


class ResolvedKey(NamedTuple):
    jwk: dict[str, Any]
    issuer_id: str | None
    status: str = "active"  # active | retired | compromised
    own: bool = False  # one of OUR keys (from our database), not fetched from elsewhere


KeyResolver = Callable[[str, "str | None"], ResolvedKey]
StatusFetcher = Callable[[str], str]
IssuerKeys = Callable[[str], list[dict[str, Any]]]


class Provenance(NamedTuple):
    """The key-provenance decision: whose key signed, as far as we can tell."""

    outcome: str  # passed | failed | inconclusive
    reason: str
    message: str
    own: bool = False  # passed with one of OUR keys: the credential is issued here


@dataclass
class VerifyContext:
    """What every verification branch (VC-JWT, embedded proof) may use."""

    key_resolver: KeyResolver
    status_fetcher: StatusFetcher
    issuer_keys: IssuerKeys | None = None
    now: datetime = field(default_factory=utcnow)
    leeway: int = 60
    own_issuer_ids: frozenset[str] = frozenset()
    # Reads a DID or controller document (did:web, an https verification method) for embedded
    # proofs; raises anything when it cannot.
    fetch_json: Callable[[str], dict[str, Any]] | None = None


class Problem(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def public_jwk_of(key: Any) -> dict[str, Any]:
    """The public members of a JWK (dict) or of a ``cryptography`` public key, as a JWK."""
    if isinstance(key, dict):
        return {k: key[k] for k in _PUBLIC_MEMBERS if k in key}
    algorithms: tuple[Any, ...] = (
        jwt.algorithms.ECAlgorithm,
        jwt.algorithms.RSAAlgorithm,
        jwt.algorithms.OKPAlgorithm,
    )
    for algorithm in algorithms:
        try:
            jwk: dict[str, Any] = json.loads(algorithm.to_jwk(key))
            return jwk
        except (TypeError, ValueError, AttributeError, jwt.exceptions.InvalidKeyError):
            continue
    raise ValueError("not a supported public key")


def key_fingerprint(jwk: dict[str, Any]) -> tuple[str, ...] | None:
    """The RFC 7638 §3.2 required members, in order: equal for the same public key."""
    kty = jwk.get("kty")
    names = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}
    wanted = names.get(kty) if isinstance(kty, str) else None
    if wanted is None or not all(isinstance(jwk.get(n), str) for n in wanted):
        return None
    return tuple(jwk[n] for n in wanted)


def _algs_for(jwk: dict[str, Any]) -> tuple[str, ...]:
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        return ("ES256",)
    if jwk.get("kty") == "RSA":
        return ("RS256", "RS384", "RS512")
    return ()


_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_KEY_CACHE_SIZE = 256
_key_cache: OrderedDict[tuple[str, ...], Any] = OrderedDict()
_key_cache_lock = threading.Lock()


def _public_key(jwk: dict[str, Any], alg: str) -> Any:
    """The ``cryptography`` key of a public JWK, parsed once per process (keys are few; a
    verification per request should not rebuild the same key each time)."""
    fingerprint = key_fingerprint(jwk)
    if fingerprint is None:
        raise Problem("unsupported_key", "the key is not a usable public key")
    with _key_cache_lock:
        key = _key_cache.get(fingerprint)
        if key is not None:
            _key_cache.move_to_end(fingerprint)
            return key
    try:
        key = jwt.PyJWK(public_jwk_of(jwk), algorithm=alg).key
    except PyJWTError as exc:
        raise Problem("unsupported_key", f"the key cannot be read: {exc}") from exc
    with _key_cache_lock:
        _key_cache[fingerprint] = key
        while len(_key_cache) > _KEY_CACHE_SIZE:
            _key_cache.popitem(last=False)
    return key


def verify_signature(token: str, header: dict[str, Any], jwk: dict[str, Any]) -> str:
    """Returns the verified alg; raises Problem.

    RFC 7515 §5.2: the signature is over the ASCII of ``header.payload`` as sent. Checked with
    ``cryptography`` directly: ES256 as raw r||s (RFC 7518 §3.4), RS* as RSASSA-PKCS1-v1_5
    (§3.3). The alg is pinned to the key's type before any signature is computed.
    """
    algs = _algs_for(jwk)
    if not algs:
        raise Problem("unsupported_key", "the key is neither EC P-256 nor RSA")
    alg = header.get("alg")
    if alg not in algs or jwk.get("alg", alg) != alg:
        raise Problem("alg_mismatch", f"the key only verifies {'/'.join(algs)}")
    key = _public_key(jwk, alg)
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise Problem("weak_key", f"RSA keys must have at least {MIN_RSA_BITS} bits")
    signing_input, _dot, encoded = token.strip().rpartition(".")
    if signing_input.count(".") != 1 or not all(
        _SEGMENT.fullmatch(part) for part in (*signing_input.split("."), encoded)
    ):
        raise Problem("bad_signature", "the token is not base64url")
    try:
        signature = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError as exc:  # binascii.Error: a length no base64 has
        raise Problem("bad_signature", "the signature is not base64url") from exc
    digest = _HASHES[str(alg)[2:]]()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            if len(signature) != 64:
                raise InvalidSignature
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), signing_input.encode(), ec.ECDSA(digest))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signing_input.encode(), padding.PKCS1v15(), digest)
        else:
            raise Problem("unsupported_key", "the key is neither EC P-256 nor RSA")
    except InvalidSignature as exc:
        raise Problem("bad_signature", "the signature does not match the content") from exc
    return str(alg)


def key_provenance(
    issuer_id: str | None,
    key: Any,
    kid: str | None = None,
    *,
    key_resolver: KeyResolver | None = None,
    issuer_keys: IssuerKeys | None = None,
    own_issuer_ids: Iterable[str] = (),
    resolved: ResolvedKey | None = None,
) -> Provenance:
    """Does the (already signature-checked) public ``key`` belong to ``issuer_id``?

    Shared by every proof format (VC-JWT here; Data Integrity's verificationMethod too):
    - ``kid`` known to ``key_resolver`` (or ``resolved`` given): the resolver says whose key it
      is. It must be this very key, not compromised, and the issuer's (OB 3.0 §9 step 3:
      the issuer's key). ``own`` when it is one of our keys.
    - otherwise, a credential naming one of our issuers fails (``own_issuer_foreign_key``): we
      know all our keys, and this is none of them.
    - otherwise the issuer's published keys (``issuer_keys``: Profile, JWKS, did:web, did:key)
      must list it; when they do not, or cannot be read, the result is ``inconclusive``
      (``issuer_key_unconfirmed``): a valid signature by an unattributed key proves nothing
      about the issuer.
    ``key`` is a JWK (dict, private members ignored) or a ``cryptography`` public key.
    """
    try:
        fingerprint = key_fingerprint(public_jwk_of(key))
    except ValueError:
        fingerprint = None
    if fingerprint is None:
        return Provenance("failed", "unsupported_key", "the key is not a usable public key")
    if resolved is None and kid and key_resolver is not None:
        try:
            resolved = key_resolver(kid, issuer_id)
        except KeyNotFound:
            resolved = None
        except KeyUnavailable as exc:
            if issuer_keys is None:
                return Provenance("inconclusive", "key_unreachable", str(exc))
    if resolved is not None:
        if key_fingerprint(resolved.jwk) != fingerprint:
            return Provenance("failed", "key_mismatch", "the key id names a different key")
        if resolved.status == "compromised":
            return Provenance("failed", "key_compromised", "the issuer withdrew this signing key")
        if not resolved.issuer_id or resolved.issuer_id != issuer_id:
            return Provenance(
                "failed",
                "kid_issuer_mismatch",
                "the signing key does not belong to the credential's issuer",
            )
        return Provenance(
            "passed",
            f"key_{resolved.status}",
            "the key is one of ours" if resolved.own else "the key belongs to the issuer",
            own=resolved.own,
        )
    if issuer_id in set(own_issuer_ids):
        return Provenance(
            "failed",
            "own_issuer_foreign_key",
            "the credential names our issuer but is not signed with one of our keys",
        )
    if not issuer_id or issuer_keys is None:
        return Provenance(
            "inconclusive", "issuer_key_unconfirmed", "the issuer's published keys were not read"
        )
    try:
        published = issuer_keys(issuer_id)
    except KeyUnavailable as exc:
        return Provenance(
            "inconclusive",
            "issuer_key_unconfirmed",
            f"the issuer's published keys could not be read: {exc}",
        )
    if any(key_fingerprint(k) == fingerprint for k in published if isinstance(k, dict)):
        return Provenance("passed", "issuer_key_confirmed", "the issuer publishes this key")
    return Provenance(
        "inconclusive", "issuer_key_unconfirmed", "the issuer does not publish this key"
    )


# ---- shape ---------------------------------------------------------------------------------------


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _claim_problems(
    credential: dict[str, Any], payload: dict[str, Any], version: str, start: datetime | None
) -> list[Problem]:
    """The registered JWT claims against the credential.

    VCDM 2.0 payloads: OB 3.0 §8.2.4.2 requires ``iss``, ``jti``, ``sub`` and ``nbf``
    (``exp`` when validUntil is set), equal to issuer.id, id, credentialSubject.id and validFrom
    in whole seconds (VC-JOSE-COSE §3.1.1 forbids claims that contradict the credential).
    VCDM 1.1 payloads (``vc`` claim): VC Data Model 1.1 §6.3.1 makes the claims stand for the
    properties, so a claim may replace a missing property but must agree with a present one;
    only ``iss`` is required (the issuer attribution the key check relies on).
    """
    problems: list[Problem] = []
    strict = version == "2.0"
    start_field = "validFrom" if strict else "issuanceDate"
    expected = {
        "jti": (credential.get("id"), "the credential id"),
        "sub": (subject_id_of(credential), "credentialSubject.id"),
    }
    issuer = issuer_id_of(credential)
    if payload.get("iss") is None:
        problems.append(Problem("iss_missing", "the JWT has no iss claim"))
    elif payload.get("iss") != issuer:
        problems.append(Problem("iss_mismatch", "iss differs from issuer.id"))
    for claim, (value, what) in expected.items():
        if claim not in payload:
            if strict:
                problems.append(Problem(f"{claim}_missing", f"the JWT has no {claim} ({what})"))
        elif payload[claim] != value and (strict or value is not None):
            problems.append(Problem(f"{claim}_mismatch", f"{claim} differs from {what}"))
    nbf = payload.get("nbf")
    if nbf is None:
        if strict:
            problems.append(Problem("nbf_missing", f"the JWT has no nbf ({start_field})"))
    elif not isinstance(nbf, int) or isinstance(nbf, bool):
        problems.append(Problem("nbf_mismatch", "nbf must be whole seconds"))
    elif start is not None and nbf != epoch_seconds(start):
        problems.append(Problem("nbf_mismatch", f"nbf differs from {start_field}"))
    return problems


def shape_problems(
    credential: dict[str, Any], payload: dict[str, Any], version: str, *, claims: bool = True
) -> list[Problem]:
    """The credential's shape; with ``claims``, also the JWT claims of ``payload`` against it
    (an embedded proof has no claims)."""
    problems: list[Problem] = []
    contexts = credential.get("@context")
    first = VCDM2_CONTEXT if version == "2.0" else VCDM1_CONTEXT
    if not isinstance(contexts, list) or not contexts or contexts[0] != first:
        problems.append(Problem("bad_context", f"@context must start with {first}"))
    elif (
        version == "2.0"
        and OB3_CONTEXT not in contexts
        and not any(
            isinstance(c, str) and "purl.imsglobal.org/spec/ob/v3p0/context" in c for c in contexts
        )
    ):
        problems.append(Problem("bad_context", "@context lacks the Open Badges 3.0 context"))
    types = _types(credential.get("type"))
    if "VerifiableCredential" not in types or not (
        {"AchievementCredential", "OpenBadgeCredential"} & set(types)
    ):
        problems.append(
            Problem("bad_type", "type must include VerifiableCredential and an OB type")
        )
    if not issuer_id_of(credential):
        problems.append(Problem("missing_issuer", "the credential names no issuer id"))
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        problems.append(Problem("bad_subject", "credentialSubject must be an object"))
    elif version == "2.0" and not isinstance(subject.get("achievement"), dict):
        problems.append(Problem("missing_achievement", "credentialSubject.achievement is missing"))
    start_field = "validFrom" if version == "2.0" else "issuanceDate"
    end_field = "validUntil" if version == "2.0" else "expirationDate"
    start = end = None
    try:
        if credential.get(start_field) is not None or version == "2.0" or "nbf" not in payload:
            start = parse_xsd(credential.get(start_field))
        if credential.get(end_field) is not None:
            end = parse_xsd(credential[end_field])
    except (ValueError, TypeError):
        problems.append(
            Problem("bad_dates", f"{start_field}/{end_field} must be timestamps with a zone")
        )
    if not claims:
        return problems
    problems.extend(_claim_problems(credential, payload, version, start))
    exp = payload.get("exp")
    if exp is not None:
        if end is None or not isinstance(exp, int) or exp != epoch_seconds(end):
            problems.append(Problem("exp_mismatch", f"exp differs from {end_field}"))
    elif end is not None and version == "2.0":
        problems.append(Problem("exp_mismatch", f"{end_field} is set but the JWT has no exp"))
    return problems


def validity_window(
    credential: dict[str, Any], payload: dict[str, Any], version: str
) -> tuple[float | None, float | None]:
    """(earliest, latest) instant as epoch seconds, from the dates and the nbf/exp claims."""
    start_field = "validFrom" if version == "2.0" else "issuanceDate"
    end_field = "validUntil" if version == "2.0" else "expirationDate"
    starts = [parse_xsd(credential[start_field]).timestamp()] if credential.get(start_field) else []
    ends = [parse_xsd(credential[end_field]).timestamp()] if credential.get(end_field) else []
    if isinstance(payload.get("nbf"), int | float):
        starts.append(payload["nbf"])
    if isinstance(payload.get("exp"), int | float):
        ends.append(payload["exp"])
    return (max(starts) if starts else None), (min(ends) if ends else None)


def _status_entries(credential: dict[str, Any]) -> list[Any]:
    status = credential.get("credentialStatus")
    if status is None:
        return []
    return status if isinstance(status, list) else [status]


class _VerifiedList(NamedTuple):
    header: dict[str, Any]
    payload: dict[str, Any]
    fingerprint: tuple[str, ...]  # the key its signature verified with
    bits: bytes


class _VerifiedListCache:
    """Status list tokens whose signature already verified, by their exact text.

    The same bytes verified with the same key verify again, so a list every employer's request
    cites (ours, re-signed only when it changes) is parsed, checked and inflated once per
    process, not once per request. Everything else (the key's status and owner, the issuer,
    the validity window) is still checked on every use.
    """

    def __init__(self, size: int = 64):
        self._entries: OrderedDict[str, _VerifiedList] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def get(self, token: str) -> _VerifiedList | None:
        with self._lock:
            hit = self._entries.get(token)
            if hit is not None:
                self._entries.move_to_end(token)
            return hit

    def put(self, token: str, entry: _VerifiedList) -> None:
        with self._lock:
            self._entries[token] = entry
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


_verified_lists = _VerifiedListCache()


def _load_status_list(
    url: str,
    *,
    issuer: str,
    key_resolver: KeyResolver,
    status_fetcher: StatusFetcher,
    now: datetime,
    leeway: int,
    embedded_list: Callable[[str], dict[str, Any]] | None = None,
) -> tuple[bytes, str]:
    """(bitstring, purpose) of a verified BitstringStatusListCredential; raises Problem.

    A VC-JWT list is verified here; a JSON list with an embedded proof only when the credential
    itself was (``embedded_list`` verifies it and returns the document)."""
    try:
        token = status_fetcher(url)
    except Exception as exc:  # noqa: BLE001 - any failure to fetch is "inconclusive"
        raise Problem(
            "status_list_unreachable", f"the status list could not be fetched: {exc}"
        ) from exc
    try:
        if isinstance(token, bytes):
            token = token.decode("utf-8")
        token = token.strip()
    except (UnicodeDecodeError, AttributeError) as exc:
        raise Problem("status_list_malformed", "the status list is not text") from exc
    seen: _VerifiedList | None = None
    payload: dict[str, Any] = {}
    if token.startswith("{") and embedded_list is not None:
        # Bitstring Status List v1.0 §3.2 asks only that the list's proofs verify; 1EdTech's
        # reference list is not published at its own id, so the id is not compared here.
        doc = embedded_list(token)
    else:
        doc, payload, seen = _verified_jwt_list(token, url, issuer, key_resolver)
    if "BitstringStatusListCredential" not in _types(doc.get("type")):
        raise Problem("status_list_malformed", "not a BitstringStatusListCredential")
    try:
        start, end = validity_window(doc, payload, "2.0" if "validFrom" in doc else "1.1")
    except (ValueError, TypeError) as exc:
        raise Problem("status_list_malformed", "bad status list dates") from exc
    ts = now.timestamp()
    if (start is not None and ts < start - leeway) or (end is not None and ts > end + leeway):
        raise Problem("status_list_expired", "the status list is outside its validity period")
    subject = doc.get("credentialSubject") or {}
    if not isinstance(subject, dict):
        raise Problem("status_list_malformed", "bad status list subject")
    try:
        bits = seen.bits if seen else status_bits.decode_list(subject.get("encodedList"))
    except status_bits.StatusListDecodeError as exc:
        raise Problem("status_list_malformed", str(exc)) from exc
    if len(bits) * 8 < status_bits.MIN_BITS:
        raise Problem("status_list_too_short", "the status list is below 131,072 entries")
    purpose = subject.get("statusPurpose")
    return bits, purpose if isinstance(purpose, str) else ""


def _verified_jwt_list(
    token: str, url: str, issuer: str, key_resolver: KeyResolver
) -> tuple[dict[str, Any], dict[str, Any], _VerifiedList | None]:
    """(list credential, JWT payload, cache entry when it was verified before) of a VC-JWT
    status list signed by a key of ``issuer``; raises Problem. A list verified for the first
    time is remembered by its text, with its inflated bits."""
    try:
        seen = _verified_lists.get(token)
        header, payload = (seen.header, seen.payload) if seen else split_token(token)
    except MalformedToken as exc:
        raise Problem("status_list_malformed", "the status list is not a VC-JWT") from exc
    kid = header.get("kid")
    if header.get("alg") not in ALLOWED_ALGS or not isinstance(kid, str) or not kid:
        raise Problem("status_list_signature", "the status list has no acceptable signature")
    iss = payload.get("iss")
    try:
        # Resolvers take text only; a non-string iss gives no hint (and later fails the
        # issuer match below).
        key = key_resolver(kid, iss if isinstance(iss, str) else None)
    except (KeyNotFound, KeyUnavailable) as exc:
        raise Problem(
            "status_list_signature", f"the status list key is unavailable: {exc}"
        ) from exc
    if key.status == "compromised":
        raise Problem("status_list_signature", "the status list is signed by a compromised key")
    fingerprint = key_fingerprint(key.jwk)
    if seen is None or seen.fingerprint != fingerprint:
        try:
            verify_signature(token, header, key.jwk)
        except Problem as exc:
            raise Problem("status_list_signature", "status list: " + exc.message) from exc
    doc, _version = credential_from_payload(payload)
    list_issuer = issuer_id_of(doc)
    if key.issuer_id != issuer or list_issuer != issuer or payload.get("iss", issuer) != issuer:
        raise Problem("status_list_issuer_mismatch", "the status list is not the issuer's own")
    if doc.get("id") not in (None, url):
        # A list of the same issuer replayed at another list's URL.
        raise Problem("status_list_malformed", "the status list id is not its URL")
    if seen is None and fingerprint is not None:
        subject = doc.get("credentialSubject")
        try:
            bits = status_bits.decode_list(
                subject.get("encodedList") if isinstance(subject, dict) else None
            )
        except status_bits.StatusListDecodeError:
            return doc, payload, None  # reported by the caller
        seen = _VerifiedList(header, payload, fingerprint, bits)
        _verified_lists.put(token, seen)
    return doc, payload, seen


def check_status(
    credential: dict[str, Any],
    *,
    issuer: str,
    key_resolver: KeyResolver,
    status_fetcher: StatusFetcher,
    now: datetime,
    leeway: int,
    embedded_list: Callable[[str], dict[str, Any]] | None = None,
) -> tuple[str, str, str]:
    """(outcome, reason, message) for the status check."""
    entries = _status_entries(credential)
    if not entries:
        return "skipped", "no_status", "the credential declares no status entry"
    lists: dict[str, tuple[bytes, str] | Problem] = {}
    flags: list[str] = []
    problems: list[Problem] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            problems.append(Problem("unsupported_status_type", "unknown credentialStatus type"))
            continue
        url = entry.get("statusListCredential")
        purpose = entry.get("statusPurpose")
        try:
            index = int(str(entry.get("statusListIndex")))
        except ValueError:
            index = -1
        if not isinstance(url, str) or index < 0 or not isinstance(purpose, str):
            problems.append(Problem("status_entry_malformed", "bad BitstringStatusListEntry"))
            continue
        # Bitstring Status List v1.0 §2.1: statusSize defaults to 1 and, if present, MUST be an
        # integer greater than zero (a JSON number: not a string, a boolean or a fraction).
        size = entry.get("statusSize", 1)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            problems.append(
                Problem("status_entry_malformed", "statusSize must be a positive integer")
            )
            continue
        if size != 1:
            problems.append(Problem("unsupported_status_size", "only statusSize 1 is supported"))
            continue
        if url not in lists:
            try:
                lists[url] = _load_status_list(
                    url,
                    issuer=issuer,
                    key_resolver=key_resolver,
                    status_fetcher=status_fetcher,
                    now=now,
                    leeway=leeway,
                    embedded_list=embedded_list,
                )
            except Problem as exc:
                lists[url] = exc
        loaded = lists[url]
        if isinstance(loaded, Problem):
            problems.append(loaded)
            continue
        bits, list_purpose = loaded
        if list_purpose != purpose:
            problems.append(Problem("status_purpose_mismatch", "list purpose differs"))
            continue
        if index >= len(bits) * 8:
            problems.append(Problem("status_index_out_of_range", "index beyond the list"))
            continue
        if status_bits.get_bit(bits, index):
            flags.append(purpose)
    if "revocation" in flags:
        return "failed", "revoked", "the issuer has revoked this credential"
    if "suspension" in flags:
        return "failed", "suspended", "the issuer has suspended this credential"
    if problems:
        return "inconclusive", problems[0].reason, "; ".join(p.message for p in problems)
    return "passed", "not_revoked", "no revocation or suspension is set"


def _objects(value: Any) -> list[dict[str, Any]]:
    """The object members of a JSON array; any other value (or member) gives nothing."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def summarise(credential: dict[str, Any], issued_here: bool = False) -> dict[str, Any]:
    """What an employer reads: achievement, occupation code, level, issuer, dates, hours.

    ``issued_here`` is decided by the caller, only once the signature verified with one of our
    keys: what the credential claims about its issuer proves nothing before that.

    Also runs for credentials that failed verification, so it reads any JSON shape: members of
    the wrong type are ignored, never raised on.
    """
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    ach: dict[str, Any] = achievement if isinstance(achievement, dict) else {}
    issuer = credential.get("issuer")
    out: dict[str, Any] = {
        "id": credential.get("id"),
        "name": credential.get("name"),
        "issuer_id": issuer_id_of(credential),
        "issuer_name": issuer.get("name") if isinstance(issuer, dict) else None,
        "valid_from": credential.get("validFrom") or credential.get("issuanceDate"),
        "valid_until": credential.get("validUntil") or credential.get("expirationDate"),
        "subject_id": subject.get("id"),
        "achievement_id": ach.get("id"),
        "achievement_name": ach.get("name"),
        "achievement_type": ach.get("achievementType"),
        "occupation_code": None,
        "occupation_name": None,
        "level": None,
        "level_name": None,
        "hours": None,
        "score": None,
    }
    out["issued_here"] = issued_here
    for align in _objects(ach.get("alignment")):
        if align.get("targetType") == "ext:Occupation" and out["occupation_code"] is None:
            out["occupation_code"] = align.get("targetCode")
            out["occupation_name"] = align.get("targetName")
        if align.get("targetType") == "ext:SkillLevel":
            level_code: Any = align.get("targetCode")  # any JSON value: int() refusals caught
            try:
                out["level"] = int(level_code)
                out["level_name"] = LEVEL_NAMES.get(out["level"], align.get("targetName"))
            except (TypeError, ValueError, OverflowError):  # OverflowError: int(Infinity)
                out["level_name"] = align.get("targetName")
    # OB 3.0 Appendix B.1: ResultDescription.id and Result.resultDescription are URIs (strings).
    kinds = {
        rd_id: rd.get("resultType")
        for rd in _objects(ach.get("resultDescription"))
        if isinstance(rd_id := rd.get("id"), str)
    }
    for result in _objects(subject.get("result")):
        rd_ref = result.get("resultDescription")
        kind = kinds.get(rd_ref) if isinstance(rd_ref, str) else None
        if kind == HOURS_RESULT_TYPE:
            out["hours"] = result.get("value")
        elif kind == SCORE_RESULT_TYPE:
            out["score"] = result.get("value")
    return out


class Run:
    """One verification's checks and how its report is finished."""

    def __init__(self, source: str):
        self.checks = Checks()
        self.source = source
        self.credential: dict[str, Any] | None = None
        self.issued_here = False

    def fail(self, name: str, problem: Problem, result: str, skipped: str) -> VerificationReport:
        self.checks.add(name, "failed", problem.reason, problem.message)
        return self.finish(result, problem.reason, skipped)

    def finish(self, result: str, reason: str, skipped: str = "") -> VerificationReport:
        return VerificationReport(
            result=result,
            reason=reason,
            checks=self.checks.ordered(skipped),
            credential=summarise(self.credential, self.issued_here) if self.credential else {},
            source=self.source,
        )


def finish_with_window_and_status(
    run: Run,
    credential: dict[str, Any],
    payload: dict[str, Any],
    version: str,
    provenance: Provenance,
    ctx: VerifyContext,
    embedded_list: Callable[[str], dict[str, Any]] | None = None,
) -> VerificationReport:
    """The checks after the shape passed, and the overall result: the validity window, then the
    status lists; a revocation or suspension outranks everything, then the window, then what
    could not be confirmed (the key, then the status)."""
    start, end = validity_window(credential, payload, version)
    ts = ctx.now.timestamp()
    window_result = None
    if start is not None and ts < start - ctx.leeway:
        window_result = "not_yet_valid"
        run.checks.add("validity", "failed", "not_yet_valid", f"valid from {to_xsd_ts(start)}")
    elif end is not None and ts > end + ctx.leeway:
        window_result = "expired"
        run.checks.add("validity", "failed", "expired", f"expired at {to_xsd_ts(end)}")
    else:
        run.checks.add("validity", "passed", "in_window", f"checked with {ctx.leeway}s leeway")
    outcome, reason, message = check_status(
        credential,
        issuer=issuer_id_of(credential) or "",  # shape passed, so there is one
        key_resolver=ctx.key_resolver,
        status_fetcher=ctx.status_fetcher,
        now=ctx.now,
        leeway=ctx.leeway,
        embedded_list=embedded_list,
    )
    run.checks.add("status", outcome, reason, message)
    if outcome == "failed":
        return run.finish(reason, reason)
    if window_result:
        return run.finish(window_result, window_result)
    if provenance.outcome == "inconclusive":
        return run.finish("inconclusive", provenance.reason)
    if outcome == "inconclusive":
        return run.finish("inconclusive", reason)
    return run.finish("valid", "valid")


def to_xsd_ts(epoch: float) -> str:
    from datetime import UTC

    return to_xsd(datetime.fromtimestamp(epoch, UTC))
