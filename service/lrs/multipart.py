"""Statement request bodies: ``application/json``, or ``multipart/mixed`` carrying the
statements and then the attachment bodies (xAPI 1.0.3 Communication §1.5.2, Data §2.4.11;
9274.1.1 keeps the same format).

The multipart reader follows RFC 2046 §5.1.1 as clients send it: CRLF line breaks (a body
written with bare LF throughout is read too), an optional preamble, the close delimiter
required. Each part after the first must carry ``X-Experience-API-Hash`` equal to the SHA-2 of
its bytes, and no Content-Transfer-Encoding but ``binary``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from service.core.errors import BadRequest
from service.lrs.validation_values import finite_float, no_constant

JSON_TYPE = "application/json"
MULTIPART_TYPE = "multipart/mixed"
HASH_HEADER = "x-experience-api-hash"
# SHA-2 family by hex length: the attachment's sha2 names which one (Data §2.4.11).
_SHA2_BY_LENGTH = {56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}
_HEX = re.compile(r"[0-9a-fA-F]+")
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,./:=? -]{1,70}")  # RFC 2046 bchars


@dataclass(frozen=True)
class Part:
    """One attachment body of a multipart request, keyed by its ``sha2`` (lowercase hex)."""

    content_type: str
    data: bytes
    sha2: str


def _bad(detail: str) -> BadRequest:
    return BadRequest("xapi-bad-request", detail)


def split_content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """``"multipart/mixed; boundary=x"`` -> ``("multipart/mixed", {"boundary": "x"})``."""
    if not value:
        return "", {}
    media, *rest = value.split(";")
    params: dict[str, str] = {}
    for item in rest:
        name, sep, param = item.partition("=")
        if sep:
            param = param.strip()
            if len(param) >= 2 and param[0] == param[-1] == '"':
                param = param[1:-1]
            params[name.strip().lower()] = param
    return media.strip().lower(), params


def sha2_hex(data: bytes, length: int = 64) -> str | None:
    """The SHA-2 digest of ``data`` in the variant whose hex digest has ``length`` characters."""
    name = _SHA2_BY_LENGTH.get(length)
    return hashlib.new(name, data).hexdigest() if name else None


def parse_statement_request(content_type: str | None, body: bytes) -> tuple[Any, dict[str, Part]]:
    """The statement JSON of a POST/PUT body, and the attachment parts by sha2.

    400 for a content type other than JSON or multipart/mixed, JSON that does not parse, and
    any multipart rule broken (Communication §1.5.2)."""
    media, params = split_content_type(content_type)
    if media == JSON_TYPE:
        return _json(body), {}
    if media != MULTIPART_TYPE:
        raise _bad("Send statements as application/json or multipart/mixed.")
    boundary = params.get("boundary", "")
    if not _BOUNDARY.fullmatch(boundary) or boundary.endswith(" "):
        raise _bad("multipart/mixed needs a valid boundary parameter.")
    raw_parts = _split(body, boundary.encode("ascii"))
    if not raw_parts:
        raise _bad("The multipart body has no parts.")
    first_headers, first_body = _read_part(raw_parts[0])
    if split_content_type(first_headers.get("content-type"))[0] != JSON_TYPE:
        raise _bad("The first part of a multipart request must be application/json.")
    statements = _json(first_body)
    parts: dict[str, Part] = {}
    for raw in raw_parts[1:]:
        part = _attachment_part(*_read_part(raw))
        parts[part.sha2] = part
    return statements, parts


def _json(body: bytes) -> Any:
    try:
        return json.loads(body, parse_float=finite_float, parse_constant=no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _bad("The statements are not valid JSON.") from None


def _split(body: bytes, boundary: bytes) -> list[bytes]:
    """The parts' raw bytes (headers and body) between the delimiters (RFC 2046 §5.1.1)."""
    dash = b"--" + boundary
    if body.startswith(dash):
        start = 0
    else:
        found = [i for i in (body.find(b"\r\n" + dash), body.find(b"\n" + dash)) if i >= 0]
        if not found:
            raise _bad("The multipart body does not contain its boundary.")
        start = body.index(dash, min(found))
    position = start + len(dash)
    line_end = _line_end(body, position)
    newline = b"\r\n" if body[line_end - 2 : line_end] == b"\r\n" else b"\n"
    delimiter = newline + dash
    parts: list[bytes] = []
    while True:
        if body.startswith(b"--", position):
            return parts  # close delimiter; anything after it is the epilogue
        position = _line_end(body, position)
        end = body.find(delimiter, position)
        if end < 0:
            raise _bad("The multipart body has no closing boundary.")
        parts.append(body[position:end])
        position = end + len(delimiter)


def _line_end(body: bytes, position: int) -> int:
    """The index after the line break that ends a delimiter line (transport padding allowed)."""
    newline = body.find(b"\n", position)
    if newline < 0 or body[position:newline].rstrip(b"\r").strip(b" \t"):
        raise _bad("A multipart boundary line is malformed.")
    return newline + 1


def _read_part(raw: bytes) -> tuple[dict[str, str], bytes]:
    headers: dict[str, str] = {}
    position = 0
    while True:
        newline = raw.find(b"\n", position)
        if newline < 0:
            raise _bad("A multipart part has no blank line after its headers.")
        line = raw[position:newline].rstrip(b"\r")
        position = newline + 1
        if not line:
            return headers, raw[position:]
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            raise _bad("A multipart part header is not ASCII.") from None
        name, sep, value = text.partition(":")
        if not sep or not name.strip():
            raise _bad("A multipart part header is malformed.")
        headers[name.strip().lower()] = value.strip()


def _attachment_part(headers: dict[str, str], data: bytes) -> Part:
    sha2 = headers.get(HASH_HEADER, "").lower()
    if not sha2:
        raise _bad("Every attachment part needs an X-Experience-API-Hash header.")
    # Absent, binary is assumed (Communication §1.5.2.s3.b6); any other encoding is refused.
    if headers.get("content-transfer-encoding", "binary").lower() != "binary":
        raise _bad("Attachment parts are sent with Content-Transfer-Encoding: binary.")
    if not _HEX.fullmatch(sha2) or sha2_hex(data, len(sha2)) != sha2:
        raise _bad("An attachment part's X-Experience-API-Hash does not match its content.")
    content_type = headers.get("content-type") or "application/octet-stream"
    return Part(content_type=content_type, data=data, sha2=sha2)
