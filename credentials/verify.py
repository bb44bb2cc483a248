"""Verify an Open Badges 3.0 credential secured as a VC-JWT (OB 3.0 §8.2.4-8.2.6, §9 Verification).

Input: a compact JWS (text), a baked PNG (bytes) or a baked SVG (text or bytes): detected
automatically. Checks, each reported (see ``report``):

1. signature: the JOSE ``alg`` must be ES256 or RS256, pinned to the resolved key's type
   (EC P-256 -> ES256, RSA -> RS256) so ``none`` and HMAC-with-the-public-key are refused; the
   key is found only by ``kid`` through ``key_resolver`` (header ``jwk``/``jku``/``x5c`` are
   never trusted).
2. key_provenance: the kid resolves, is not compromised, and belongs to the credential's issuer.
3. shape: VCDM 2.0 / 1.1 context and types, AchievementCredential / OpenBadgeCredential, and the
   JWT claims agree with the credential (VC-JOSE-COSE §3.1.1: iss=issuer.id, jti=id,
   sub=credentialSubject.id, nbf=validFrom, exp=validUntil).
4. validity: validFrom/validUntil and nbf/exp against ``now`` with ``leeway`` seconds.
5. status: each BitstringStatusListEntry (Bitstring Status List v1.0 §3.2 validate algorithm):
   the list credential is fetched, its signature verified with a key of the same issuer, its
   purpose and validity checked; a list that cannot be fetched or verified gives
   ``inconclusive``, never ``valid``.

``key_resolver(kid, issuer_hint) -> ResolvedKey`` (raise KeyNotFound / KeyUnavailable) and
``status_fetcher(url) -> compact JWT`` (raise anything) are supplied by the caller; see
``resolvers``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

import jwt
from jwt.exceptions import InvalidSignatureError, PyJWTError

from credentials import status_bits
from credentials.baking import BakingError, extract_from_png, extract_from_svg
from credentials.documents import (
    HOURS_RESULT_TYPE,
    LEVEL_NAMES,
    OB3_CONTEXT,
    SCORE_RESULT_TYPE,
    VCDM1_CONTEXT,
    VCDM2_CONTEXT,
)
from credentials.images import PNG_SIGNATURE
from credentials.jwt_vc import (
    MalformedToken,
    credential_from_payload,
    issuer_id_of,
    split_token,
    subject_id_of,
)
from credentials.report import Checks, VerificationReport
from credentials.timefmt import epoch_seconds, parse_xsd, to_xsd, utcnow

ALLOWED_ALGS = ("ES256", "RS256")
_PUBLIC_MEMBERS = ("kty", "crv", "x", "y", "n", "e")


class KeyNotFound(LookupError):
    """The kid is unknown to the resolver (definitive: the credential is invalid)."""


class KeyUnavailable(RuntimeError):
    """The key could not be fetched right now (network): the result is inconclusive."""


class ResolvedKey(NamedTuple):
    jwk: dict[str, Any]
    issuer_id: str | None
    status: str = "active"  # active | retired | compromised


KeyResolver = Callable[[str, "str | None"], ResolvedKey]
StatusFetcher = Callable[[str], str]


class _Problem(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


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
        return extract_from_svg(text), "svg"
    return text, "jwt"


def _expected_alg(jwk: dict[str, Any]) -> str | None:
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        return "ES256"
    if jwk.get("kty") == "RSA":
        return "RS256"
    return None


def _verify_signature(token: str, header: dict[str, Any], key: ResolvedKey) -> str:
    """Returns the pinned alg; raises _Problem."""
    expected = _expected_alg(key.jwk)
    if expected is None:
        raise _Problem("unsupported_key", "the key is neither EC P-256 nor RSA")
    if header.get("alg") != expected or key.jwk.get("alg", expected) != expected:
        raise _Problem("alg_mismatch", f"the key only verifies {expected}")
    public = {k: key.jwk[k] for k in _PUBLIC_MEMBERS if k in key.jwk}
    try:
        verifying_key = jwt.PyJWK(public, algorithm=expected).key
        jwt.api_jws.decode_complete(token, verifying_key, algorithms=[expected])
    except InvalidSignatureError as exc:
        raise _Problem("bad_signature", "the signature does not match the content") from exc
    except PyJWTError as exc:
        raise _Problem("bad_signature", f"the token cannot be verified: {exc}") from exc
    return expected


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _shape_problems(
    credential: dict[str, Any], payload: dict[str, Any], version: str
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    contexts = credential.get("@context")
    first = VCDM2_CONTEXT if version == "2.0" else VCDM1_CONTEXT
    if not isinstance(contexts, list) or not contexts or contexts[0] != first:
        problems.append(("bad_context", f"@context must start with {first}"))
    elif (
        version == "2.0"
        and OB3_CONTEXT not in contexts
        and not any(
            isinstance(c, str) and "purl.imsglobal.org/spec/ob/v3p0/context" in c for c in contexts
        )
    ):
        problems.append(("bad_context", "@context lacks the Open Badges 3.0 context"))
    types = _types(credential.get("type"))
    if "VerifiableCredential" not in types or not (
        {"AchievementCredential", "OpenBadgeCredential"} & set(types)
    ):
        problems.append(("bad_type", "type must include VerifiableCredential and an OB type"))
    issuer = issuer_id_of(credential)
    if not issuer:
        problems.append(("missing_issuer", "the credential names no issuer id"))
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        problems.append(("bad_subject", "credentialSubject must be an object"))
    elif version == "2.0" and not isinstance(subject.get("achievement"), dict):
        problems.append(("missing_achievement", "credentialSubject.achievement is missing"))
    start_field = "validFrom" if version == "2.0" else "issuanceDate"
    end_field = "validUntil" if version == "2.0" else "expirationDate"
    start = end = None
    try:
        start = parse_xsd(credential.get(start_field))
        if credential.get(end_field) is not None:
            end = parse_xsd(credential[end_field])
    except (ValueError, TypeError):
        problems.append(("bad_dates", f"{start_field}/{end_field} must be timestamps with a zone"))
    # VC-JOSE-COSE §3.1.1 / VC-JWT 1.1 §6.3.1: registered claims must agree with the credential.
    if payload.get("iss") is None:
        problems.append(("iss_missing", "the JWT has no iss claim"))
    elif payload.get("iss") != issuer:
        problems.append(("iss_mismatch", "iss differs from issuer.id"))
    if "jti" in payload and payload.get("jti") != credential.get("id"):
        problems.append(("jti_mismatch", "jti differs from the credential id"))
    if "sub" in payload and payload.get("sub") != subject_id_of(credential):
        problems.append(("sub_mismatch", "sub differs from credentialSubject.id"))
    if (
        "nbf" in payload
        and start is not None
        and (not isinstance(payload["nbf"], int) or payload["nbf"] != epoch_seconds(start))
    ):
        problems.append(("nbf_mismatch", f"nbf differs from {start_field}"))
    if "exp" in payload:
        if (
            end is None
            or not isinstance(payload["exp"], int)
            or payload["exp"] != epoch_seconds(end)
        ):
            problems.append(("exp_mismatch", f"exp differs from {end_field}"))
    elif end is not None and version == "2.0":
        problems.append(("exp_mismatch", f"{end_field} is set but the JWT has no exp"))
    return problems


def _window(
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


def _load_status_list(
    url: str,
    *,
    issuer: str,
    key_resolver: KeyResolver,
    status_fetcher: StatusFetcher,
    now: datetime,
    leeway: int,
) -> tuple[bytes, str]:
    """(bitstring, purpose) of a verified BitstringStatusListCredential; raises _Problem."""
    try:
        token = status_fetcher(url)
    except Exception as exc:  # noqa: BLE001 - any failure to fetch is "inconclusive"
        raise _Problem(
            "status_list_unreachable", f"the status list could not be fetched: {exc}"
        ) from exc
    try:
        if isinstance(token, bytes):
            token = token.decode("utf-8")
        header, payload = split_token(token.strip())
    except (MalformedToken, UnicodeDecodeError, AttributeError) as exc:
        raise _Problem("status_list_malformed", "the status list is not a VC-JWT") from exc
    kid = header.get("kid")
    if header.get("alg") not in ALLOWED_ALGS or not isinstance(kid, str) or not kid:
        raise _Problem("status_list_signature", "the status list has no acceptable signature")
    iss = payload.get("iss")
    try:
        # Resolvers take text only; a non-string iss gives no hint (and later fails the
        # issuer match below).
        key = key_resolver(kid, iss if isinstance(iss, str) else None)
    except (KeyNotFound, KeyUnavailable) as exc:
        raise _Problem(
            "status_list_signature", f"the status list key is unavailable: {exc}"
        ) from exc
    if key.status == "compromised":
        raise _Problem("status_list_signature", "the status list is signed by a compromised key")
    try:
        _verify_signature(token.strip(), header, key)
    except _Problem as exc:
        raise _Problem("status_list_signature", "status list: " + exc.message) from exc
    doc, _version = credential_from_payload(payload)
    list_issuer = issuer_id_of(doc)
    if key.issuer_id != issuer or list_issuer != issuer or payload.get("iss", issuer) != issuer:
        raise _Problem("status_list_issuer_mismatch", "the status list is not the issuer's own")
    if "BitstringStatusListCredential" not in _types(doc.get("type")):
        raise _Problem("status_list_malformed", "not a BitstringStatusListCredential")
    if doc.get("id") not in (None, url):
        raise _Problem("status_list_malformed", "the status list id is not its URL")
    try:
        start, end = _window(doc, payload, "2.0" if "validFrom" in doc else "1.1")
    except (ValueError, TypeError) as exc:
        raise _Problem("status_list_malformed", "bad status list dates") from exc
    ts = now.timestamp()
    if (start is not None and ts < start - leeway) or (end is not None and ts > end + leeway):
        raise _Problem("status_list_expired", "the status list is outside its validity period")
    subject = doc.get("credentialSubject") or {}
    if not isinstance(subject, dict):
        raise _Problem("status_list_malformed", "bad status list subject")
    try:
        bits = status_bits.decode_list(subject.get("encodedList"))
    except status_bits.StatusListDecodeError as exc:
        raise _Problem("status_list_malformed", str(exc)) from exc
    if len(bits) * 8 < status_bits.MIN_BITS:
        raise _Problem("status_list_too_short", "the status list is below 131,072 entries")
    purpose = subject.get("statusPurpose")
    return bits, purpose if isinstance(purpose, str) else ""


def _check_status(
    credential: dict[str, Any],
    *,
    issuer: str,
    key_resolver: KeyResolver,
    status_fetcher: StatusFetcher,
    now: datetime,
    leeway: int,
) -> tuple[str, str, str]:
    """(outcome, reason, message) for the status check."""
    entries = _status_entries(credential)
    if not entries:
        return "skipped", "no_status", "the credential declares no status entry"
    lists: dict[str, tuple[bytes, str] | _Problem] = {}
    flags: list[str] = []
    problems: list[_Problem] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            problems.append(_Problem("unsupported_status_type", "unknown credentialStatus type"))
            continue
        url = entry.get("statusListCredential")
        purpose = entry.get("statusPurpose")
        try:
            index = int(str(entry.get("statusListIndex")))
        except ValueError:
            index = -1
        if not isinstance(url, str) or index < 0 or not isinstance(purpose, str):
            problems.append(_Problem("status_entry_malformed", "bad BitstringStatusListEntry"))
            continue
        # Bitstring Status List v1.0 §2.1: statusSize defaults to 1 and, if present, MUST be an
        # integer greater than zero (a JSON number: not a string, a boolean or a fraction).
        size = entry.get("statusSize", 1)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            problems.append(
                _Problem("status_entry_malformed", "statusSize must be a positive integer")
            )
            continue
        if size != 1:
            problems.append(_Problem("unsupported_status_size", "only statusSize 1 is supported"))
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
                )
            except _Problem as exc:
                lists[url] = exc
        loaded = lists[url]
        if isinstance(loaded, _Problem):
            problems.append(loaded)
            continue
        bits, list_purpose = loaded
        if list_purpose != purpose:
            problems.append(_Problem("status_purpose_mismatch", "list purpose differs"))
            continue
        if index >= len(bits) * 8:
            problems.append(_Problem("status_index_out_of_range", "index beyond the list"))
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


def summarise(credential: dict[str, Any], own_issuer_ids: Iterable[str] = ()) -> dict[str, Any]:
    """What an employer reads: achievement, occupation code, level, issuer, dates, hours.

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
    out["issued_here"] = out["issuer_id"] in set(own_issuer_ids)
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


def verify(
    token_or_bytes: str | bytes,
    *,
    key_resolver: KeyResolver,
    status_fetcher: StatusFetcher,
    now: datetime | None = None,
    leeway: int = 60,
    own_issuer_ids: Iterable[str] = (),
) -> VerificationReport:
    now = now or utcnow()
    checks = Checks()

    def finish(
        result: str,
        reason: str,
        skipped: str,
        credential: dict[str, Any] | None = None,
        source: str = "jwt",
    ) -> VerificationReport:
        return VerificationReport(
            result=result,
            reason=reason,
            checks=checks.ordered(skipped),
            credential=summarise(credential, own_issuer_ids) if credential else {},
            source=source,
        )

    # -- input ---------------------------------------------------------------------------------
    try:
        token, source = _extract(token_or_bytes)
    except BakingError as exc:
        checks.add("shape", "failed", exc.code, exc.message)
        return finish("invalid", exc.code, "unreadable_input")
    if token.startswith("{"):
        checks.add(
            "signature",
            "inconclusive",
            "unsupported_proof_format",
            "embedded JSON credentials (Data Integrity proofs) are not verified here",
        )
        return finish(
            "inconclusive", "unsupported_proof_format", "unsupported_proof_format", source=source
        )
    try:
        header, payload = split_token(token)
    except MalformedToken as exc:
        checks.add("shape", "failed", "malformed_token", str(exc))
        return finish("invalid", "malformed_token", "malformed_token", source=source)
    credential, version = credential_from_payload(payload)
    issuer = issuer_id_of(credential)

    # -- algorithm and key ---------------------------------------------------------------------
    alg = header.get("alg")
    if alg not in ALLOWED_ALGS:
        checks.add("signature", "failed", "alg_not_allowed", f"alg {alg!r} is not ES256/RS256")
        return finish("invalid", "alg_not_allowed", "signature_failed", credential, source)
    if "crit" in header:
        checks.add("signature", "failed", "unsupported_crit", "critical header parameters")
        return finish("invalid", "unsupported_crit", "signature_failed", credential, source)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        checks.add("key_provenance", "failed", "missing_kid", "the JOSE header has no kid")
        return finish("invalid", "missing_kid", "no_key", credential, source)
    try:
        key = key_resolver(
            kid, payload.get("iss") if isinstance(payload.get("iss"), str) else issuer
        )
    except KeyNotFound:
        checks.add("key_provenance", "failed", "unknown_kid", "no published key has this kid")
        return finish("invalid", "unknown_kid", "no_key", credential, source)
    except KeyUnavailable as exc:
        checks.add("key_provenance", "inconclusive", "key_unreachable", str(exc))
        return finish("inconclusive", "key_unreachable", "no_key", credential, source)
    if key.status == "compromised":
        checks.add(
            "key_provenance", "failed", "key_compromised", "the issuer withdrew this signing key"
        )
        return finish("invalid", "key_compromised", "key_compromised", credential, source)

    # -- signature -----------------------------------------------------------------------------
    try:
        pinned = _verify_signature(token, header, key)
    except _Problem as exc:
        checks.add("signature", "failed", exc.reason, exc.message)
        return finish("invalid", exc.reason, "signature_failed", credential, source)
    checks.add("signature", "passed", "signature_valid", f"{pinned} signature verified")

    # -- provenance ----------------------------------------------------------------------------
    if not key.issuer_id or key.issuer_id != issuer:
        checks.add(
            "key_provenance",
            "failed",
            "kid_issuer_mismatch",
            "the signing key does not belong to the credential's issuer",
        )
        return finish("invalid", "kid_issuer_mismatch", "provenance_failed", credential, source)
    checks.add("key_provenance", "passed", f"key_{key.status}", "the key belongs to the issuer")

    # -- shape and claims ----------------------------------------------------------------------
    problems = _shape_problems(credential, payload, version)
    if problems:
        reason = problems[0][0]
        checks.add("shape", "failed", reason, "; ".join(m for _r, m in problems))
        return finish("invalid", reason, "shape_failed", credential, source)
    checks.add("shape", "passed", f"vcdm_{version}", "Open Badges credential shape and claims")

    # -- validity window -----------------------------------------------------------------------
    start, end = _window(credential, payload, version)
    ts = now.timestamp()
    window_result = None
    if start is not None and ts < start - leeway:
        window_result = "not_yet_valid"
        checks.add("validity", "failed", "not_yet_valid", f"valid from {to_xsd_ts(start)}")
    elif end is not None and ts > end + leeway:
        window_result = "expired"
        checks.add("validity", "failed", "expired", f"expired at {to_xsd_ts(end)}")
    else:
        checks.add("validity", "passed", "in_window", f"checked with {leeway}s leeway")

    # -- status --------------------------------------------------------------------------------
    outcome, reason, message = _check_status(
        credential,
        issuer=issuer,
        key_resolver=key_resolver,
        status_fetcher=status_fetcher,
        now=now,
        leeway=leeway,
    )
    checks.add("status", outcome, reason, message)
    if outcome == "failed":
        return finish(reason, reason, "", credential, source)
    if window_result:
        return finish(window_result, window_result, "", credential, source)
    if outcome == "inconclusive":
        return finish("inconclusive", reason, "", credential, source)
    return finish("valid", "valid", "", credential, source)


def to_xsd_ts(epoch: float) -> str:
    from datetime import UTC

    return to_xsd(datetime.fromtimestamp(epoch, UTC))
