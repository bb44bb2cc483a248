"""HTTP responses for stored objects: validators, conditional requests and byte ranges.

The same rules whatever the storage backend, because the bytes are always streamed through this
service (a ranged read of the backend when a range is asked):

- ``ETag`` (strong, from the backend's validator) and ``Last-Modified`` on every answer
  (RFC 9110 sections 8.8.2 and 8.8.3);
- preconditions in the order of RFC 9110 section 13.2.2: ``If-Match`` /
  ``If-Unmodified-Since`` (412), then ``If-None-Match`` / ``If-Modified-Since`` (304);
- ``Accept-Ranges: bytes`` and one byte range per request (``a-b``, ``a-``, ``-n``) answered
  with 206 and ``Content-Range``; a range past the end is 416 with ``Content-Range: bytes */size``
  (RFC 9110 section 14). Several ranges in one request are answered with the whole object (200),
  which section 14.2 allows; ``If-Range`` (section 13.1.5) keeps a range only while the object is
  the one the client holds. Range handling is defined for GET only (section 14.2): HEAD answers
  with the headers of the whole object.

The ``Content-Type`` header is set as given: Starlette would append ``; charset=utf-8`` to a
``text/*`` media type, which would override what the file itself declares.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi.responses import Response, StreamingResponse

from content.storage.base import ObjectInfo, ObjectNotFound, ObjectStorage
from service.api.problems import problem_response

CHUNK = 256 * 1024
_ETAG = re.compile(r'(W/)?"([^"]*)"')
_RANGE_SPEC = re.compile(r"^(\d{0,19})-(\d{0,19})$")  # at most 19 digits: int() stays cheap


class Unsatisfiable(Exception):  # noqa: N818 - a result, not a fault
    """The byte range lies wholly outside the object (RFC 9110 section 15.5.17)."""


@dataclass(frozen=True)
class Validators:
    etag: str | None  # quoted strong entity-tag, e.g. '"3a-17f2"'
    last_modified: datetime | None  # whole seconds, UTC

    @classmethod
    def of(cls, info: ObjectInfo) -> Validators:
        etag = f'"{info.etag}"' if info.etag and '"' not in info.etag else None
        modified = info.modified
        if modified is not None:
            if modified.tzinfo is None:
                modified = modified.replace(tzinfo=UTC)
            modified = modified.astimezone(UTC).replace(microsecond=0)
        return cls(etag, modified)

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["ETag"] = self.etag
        if self.last_modified:
            out["Last-Modified"] = format_datetime(self.last_modified, usegmt=True)
        return out


def _entity_tags(value: str) -> list[tuple[bool, str]]:
    """(weak, opaque-tag) for each entity-tag of a list header (RFC 9110 section 8.8.3)."""
    return [(bool(m.group(1)), m.group(2)) for m in _ETAG.finditer(value)]


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _matches(header: str, etag: str | None, *, weak: bool) -> bool:
    """``If-Match`` (strong comparison) / ``If-None-Match`` (weak comparison) against ``etag``."""
    if header.strip() == "*":
        return True
    if etag is None:
        return False
    current = etag.strip('"')
    return any(tag == current and (weak or not is_weak) for is_weak, tag in _entity_tags(header))


def precondition(headers: Mapping[str, str], v: Validators) -> int | None:
    """412 or 304 when a precondition decides the answer (RFC 9110 section 13.2.2), else None.

    Only GET and HEAD reach here, so a true If-None-Match / false If-Modified-Since is a 304.
    """
    if_match = headers.get("if-match")
    if if_match is not None:
        if not _matches(if_match, v.etag, weak=False):
            return 412
    elif (since := headers.get("if-unmodified-since")) is not None:
        date = _http_date(since)
        if date is not None and v.last_modified is not None and v.last_modified > date:
            return 412
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if _matches(if_none_match, v.etag, weak=True):
            return 304
    elif (since := headers.get("if-modified-since")) is not None:
        date = _http_date(since)
        if date is not None and v.last_modified is not None and v.last_modified <= date:
            return 304
    return None


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range ``(start, end_exclusive)`` a ``Range`` header asks of ``size`` bytes.

    None means "send the whole object": no header, another unit, a syntax error, or several
    ranges (RFC 9110 section 14.2 lets a server ignore the header). Raises Unsatisfiable.
    """
    if not header:
        return None
    unit, _, ranges = header.partition("=")
    if unit.strip().lower() != "bytes" or not ranges:
        return None
    specs = [s.strip() for s in ranges.split(",")]
    if len(specs) != 1:
        return None
    match = _RANGE_SPEC.match(specs[0])
    if match is None or match.group(0) == "-":
        return None
    first, last = match.groups()
    if first == "":  # suffix-range: the last n bytes
        length = int(last)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - length), size
    start = int(first)
    if last != "" and int(last) < start:
        return None  # an invalid range-spec: the header is ignored
    if start >= size:
        raise Unsatisfiable
    end = size if last == "" else min(int(last) + 1, size)
    return start, end


def _range_still_valid(if_range: str | None, v: Validators) -> bool:
    """RFC 9110 section 13.1.5: a range is sent only if the client's validator is current."""
    if if_range is None:
        return True
    if_range = if_range.strip()
    if if_range.startswith(('"', "W/")):
        tags = _entity_tags(if_range)
        return (
            len(tags) == 1 and not tags[0][0] and v.etag is not None and f'"{tags[0][1]}"' == v.etag
        )
    date = _http_date(if_range)
    return date is not None and v.last_modified is not None and date == v.last_modified


def object_response(
    storage: ObjectStorage,
    info: ObjectInfo,
    *,
    method: str,
    request_headers: Mapping[str, str],
    content_type: str,
    headers: Mapping[str, str],
) -> Response:
    """The answer to a GET or HEAD of the object ``info`` describes, streamed from storage."""
    v = Validators.of(info)
    common = {**headers, **v.headers(), "Accept-Ranges": "bytes"}
    decided = precondition(request_headers, v)
    if decided == 304:
        # RFC 9110 section 15.4.5: the validators and caching headers, no content headers.
        return Response(status_code=304, headers=common)
    if decided == 412:
        return problem_response(
            412,
            "precondition-failed",
            "The file has changed since the version this request names.",
            headers=common,
        )
    full = {**common, "Content-Type": content_type}
    size = info.size
    span: tuple[int, int] | None = None
    if method == "GET" and _range_still_valid(request_headers.get("if-range"), v):
        try:
            span = byte_range(request_headers.get("range"), size)
        except Unsatisfiable:
            return problem_response(
                416,
                "range-not-satisfiable",
                f"The requested range lies outside the file ({size} bytes).",
                headers={**common, "Content-Range": f"bytes */{size}"},
            )
    if method == "HEAD":
        return Response(status_code=200, headers={**full, "Content-Length": str(size)})
    if span is None:
        body = _chunks(storage, info.key, 0, None)
        return StreamingResponse(body, headers={**full, "Content-Length": str(size)})
    start, end = span
    return StreamingResponse(
        _chunks(storage, info.key, start, end),
        status_code=206,
        headers={
            **full,
            "Content-Length": str(end - start),
            "Content-Range": f"bytes {start}-{end - 1}/{size}",
        },
    )


def _chunks(storage: ObjectStorage, key: str, start: int, end: int | None) -> Iterator[bytes]:
    try:
        yield from storage.iter(key, CHUNK, start=start, end=end)
    except ObjectNotFound:
        return  # removed while being sent: the client sees a short body
