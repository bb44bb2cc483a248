"""Signed statements (xAPI 1.0.3 Data §2.6; 9274.1.1 keeps the same rules).

A signature is a JWS (compact serialization) carried as an attachment whose payload is the
statement as the signer serialized it. The LRS checks that the JWS is well formed, uses RS256,
RS384 or RS512, that its payload is logically the received statement (Data §2.3.1 comparison:
the properties the LRS may assign and the attachments are ignored), and, when the header carries
an X.509 chain (``x5c``), that the signature verifies against the first certificate. Without
``x5c`` there is no key to verify with: the spec makes that check conditional (Data §2.6.s5.b3.b3).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Any

import jwt
from cryptography import x509

from service.core.errors import BadRequest

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_CONTENT_TYPE = "application/octet-stream"
ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
# Assigned by the LRS, or not part of the statement (Data §2.3.1 "exceptions to immutability").
_IGNORED = ("authority", "stored", "version", "attachments")
_SECONDS = re.compile(r"(\d+)(?:[.,](\d+))?S$")


def _bad(detail: str) -> BadRequest:
    return BadRequest("xapi-bad-request", f"Malformed statement signature: {detail}")


def _b64(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise _bad("a JWS segment is not base64url.") from None


def verify_signed_statement(statement: dict[str, Any], jws: bytes, version: str = "1.0.3") -> None:
    """Raise BadRequest unless ``jws`` is a well-formed signature of ``statement``."""
    try:
        token = jws.decode("ascii").strip()
    except UnicodeDecodeError:
        raise _bad("the JWS is not compact serialization.") from None
    segments = token.split(".")
    if len(segments) != 3 or not all(segments):
        raise _bad("the JWS is not compact serialization (header.payload.signature).")
    try:
        header = json.loads(_b64(segments[0]))
    except (ValueError, RecursionError):
        raise _bad("the JWS header is not JSON.") from None
    if not isinstance(header, dict):
        raise _bad("the JWS header is not a JSON object.")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise _bad("the algorithm must be RS256, RS384 or RS512.")
    try:
        payload = json.loads(_b64(segments[1]))
    except (ValueError, RecursionError):
        raise _bad("the JWS payload is not a JSON serialization of the statement.") from None
    if not isinstance(payload, dict):
        raise _bad("the JWS payload is not a statement.")
    if "x5c" in header:
        _verify_with_certificate(token, header["x5c"], algorithm)
    try:
        equivalent = statements_equivalent(payload, statement, version)
    except RecursionError:
        raise _bad("the JWS payload is nested too deeply.") from None
    if not equivalent:
        raise _bad("the signed statement differs from the statement sent.")


def _verify_with_certificate(token: str, chain: Any, algorithm: str) -> None:
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise _bad("x5c must be a non-empty array of certificates.")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
    except (binascii.Error, ValueError):
        raise _bad("the first x5c certificate cannot be read.") from None
    try:
        jwt.PyJWS().decode(token, key=certificate.public_key(), algorithms=[algorithm])  # type: ignore[arg-type]
    except jwt.InvalidTokenError:
        raise _bad("the signature does not verify against the x5c certificate.") from None


def statements_equivalent(
    original: dict[str, Any], received: dict[str, Any], version: str = "1.0.3"
) -> bool:
    """Data §2.3.1 comparison of the signed statement with the one received: LRS-assigned
    properties missing from the original are ignored; timestamps compare as instants. In 2.0
    durations compare to 0.01 s (9274.1.1 §4.2.7: finer precision is not compared)."""
    left = {k: v for k, v in original.items() if k not in _IGNORED}
    right = {k: v for k, v in received.items() if k not in _IGNORED}
    for assigned in ("id", "timestamp"):
        if assigned not in left:
            right.pop(assigned, None)
    if "timestamp" in left and "timestamp" in right:
        left["timestamp"] = _instant(left["timestamp"])
        right["timestamp"] = _instant(right["timestamp"])
    hundredths = version.startswith("2.")
    return _canonical(left, hundredths) == _canonical(right, hundredths)


def _instant(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except (ValueError, RecursionError):
            return value
    return value


def _canonical(value: Any, hundredths: bool) -> Any:
    """Groups' member lists are unordered (Data §2.3.1); everything else compares as JSON."""
    if isinstance(value, dict):
        out = {k: _canonical(v, hundredths) for k, v in value.items()}
        if isinstance(out.get("member"), list):
            out["member"] = sorted(out["member"], key=lambda m: json.dumps(m, sort_keys=True))
        result = out.get("result")
        if hundredths and isinstance(result, dict) and isinstance(result.get("duration"), str):
            out["result"] = {**result, "duration": _SECONDS.sub(_to_hundredths, result["duration"])}
        return out
    if isinstance(value, list):
        return [_canonical(v, hundredths) for v in value]
    return value


def _to_hundredths(match: re.Match[str]) -> str:
    return f"{match.group(1)}.{(match.group(2) or '')[:2].ljust(2, '0')}S"
