"""Checks for xAPI's special data types (xAPI 1.0.3 Data §4 / 9274.1.1 §4.2.7).

Each ``check_*`` takes the value and the JSON path it sits at, and raises
``BadRequest("xapi-statement-invalid", "<path>: <message>")``. Messages name the property and
the rule, never the value (it may be personal: an mbox, a name).
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from service.core.errors import BadRequest

CODE = "xapi-statement-invalid"


def invalid(path: str, message: str) -> BadRequest:
    return BadRequest(CODE, f"{path}: {message}")


# RFC 3987 absolute IRI: a scheme, ":", then no whitespace, controls or the characters RFC 3987
# excludes from every IRI component.
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f<>\"{}|\\^`]+$")


# Identifiers are index keys: PostgreSQL's btree takes at most about 2,700 bytes per entry, so
# an IRI or identifier longer than this is refused (400) rather than failing the insert (500).
MAX_KEY_BYTES = 2000


def fits_key(value: str) -> bool:
    return len(value) <= MAX_KEY_BYTES and len(value.encode("utf-8", "surrogatepass")) <= (
        MAX_KEY_BYTES
    )


def is_iri(value: Any) -> bool:
    """An absolute IRI (RFC 3987 ``scheme:...``); xAPI Data §4.1.3 requires the scheme."""
    return isinstance(value, str) and fits_key(value) and bool(_IRI.fullmatch(value))


def check_storable_text(value: Any, path: str = "statement") -> None:
    """No NUL and no lone surrogate in any string, key or value: JSON allows them, but they
    cannot be stored as text (PostgreSQL refuses NUL in text and JSONB) or encoded as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts = [item]
        elif isinstance(item, dict):
            texts = list(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            texts = []
            stack.extend(item)
        else:
            continue
        for text in texts:
            if "\x00" in text:
                raise invalid(path, "a string holds a NUL character")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise invalid(path, "a string holds an unpaired surrogate") from None


def finite_float(text: str) -> float:
    """For ``json.loads(parse_float=...)``: 1e999 is not a number JSON storage can hold."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number out of range")
    return value


def no_constant(name: str) -> Any:
    """For ``json.loads(parse_constant=...)``: NaN and Infinity are not JSON (RFC 8259 §6)."""
    raise ValueError(f"{name} is not JSON")


def check_iri(value: Any, path: str) -> None:
    if not is_iri(value):
        raise invalid(path, "must be an absolute IRI with a scheme")


def check_string(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise invalid(path, "must be a string")


def check_bool(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise invalid(path, "must be a boolean")


def is_number(value: Any) -> bool:
    # JSON true/false arrive as Python bool, a subclass of int: not a number in xAPI. NaN and
    # Infinity are not JSON numbers (Python's json module lets them through).
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def check_number(value: Any, path: str) -> None:
    if not is_number(value):
        raise invalid(path, "must be a number")


def join(path: str, key: str) -> str:
    """``context`` + ``registration`` -> ``context.registration``; "" is the statement itself."""
    return f"{path}.{key}" if path else key


def check_object(value: Any, path: str, allowed: frozenset[str] | set[str]) -> dict[str, Any]:
    """A JSON object with only ``allowed`` properties and no null values (xAPI Data §2.2: the
    names are case sensitive, and an LRS rejects a statement with a null where a value goes)."""
    if not isinstance(value, dict):
        raise invalid(path or "statement", "must be a JSON object")
    for key, member in value.items():
        if key not in allowed:
            raise invalid(join(path, key), "is not an allowed property")
        if member is None:
            raise invalid(join(path, key), "must not be null")
    return value


def require(obj: dict[str, Any], key: str, path: str) -> Any:
    if key not in obj:
        raise invalid(join(path, key), "is required")
    return obj[key]


# --- UUIDs (xAPI Data §4.1.5, RFC 4122 standard string form) -----------------------------------

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(value: Any) -> bool:
    return isinstance(value, str) and bool(_UUID.fullmatch(value))


def check_uuid(value: Any, path: str) -> None:
    if not is_uuid(value):
        raise invalid(path, "must be a UUID in standard string form")


def parse_registration(raw: str) -> uuid.UUID:
    """A ``registration`` query parameter: BadRequest unless a UUID in standard form."""
    if not is_uuid(raw):
        raise invalid("registration", "must be a UUID in standard string form")
    return uuid.UUID(raw)


# --- Language tags and maps (xAPI Data §4.2, RFC 5646) ------------------------------------------

_ALNUM = "[a-z0-9]"
_LANGTAG = (
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"  # language (+ extlang)
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"  # region
    rf"(?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*"  # variants
    rf"(?:-[0-9a-wyz](?:-{_ALNUM}{{2,8}})+)*"  # extensions
    rf"(?:-x(?:-{_ALNUM}{{1,8}})+)?"  # private use
)
_PRIVATEUSE = rf"x(?:-{_ALNUM}{{1,8}})+"
_GRANDFATHERED = (
    "en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn|"
    "i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de|art-lojban|cel-gaulish|no-bok|no-nyn|"
    "zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang"
)
_LANGUAGE_TAG = re.compile(rf"^(?:{_LANGTAG}|{_PRIVATEUSE}|{_GRANDFATHERED})$", re.IGNORECASE)


def is_language_tag(value: Any) -> bool:
    """Well-formed per RFC 5646 §2.1 (syntax only; no registry lookup)."""
    return isinstance(value, str) and bool(_LANGUAGE_TAG.fullmatch(value))


def check_language_tag(value: Any, path: str) -> None:
    if not is_language_tag(value):
        raise invalid(path, "must be an RFC 5646 language tag")


def check_language_map(value: Any, path: str) -> None:
    """An object whose keys are RFC 5646 tags and whose values are strings."""
    if not isinstance(value, dict):
        raise invalid(path, "must be a language map (JSON object)")
    for tag, text in value.items():
        if not is_language_tag(tag):
            raise invalid(path, "has a key that is not an RFC 5646 language tag")
        if not isinstance(text, str):
            raise invalid(f"{path}.{tag}", "must be a string")


def check_extensions(value: Any, path: str) -> None:
    """Keys are IRIs; values are any JSON, null included (xAPI Data §4.1)."""
    if not isinstance(value, dict):
        raise invalid(path, "must be a JSON object")
    for key in value:
        if not is_iri(key):
            raise invalid(path, "has a key that is not an absolute IRI")


# --- Timestamps (xAPI Data §4.5) ----------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"^(?P<year>[0-9]{4})(?P<dash>-?)(?P<month>[0-9]{2})(?P=dash)(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2})(?P<colon>:?)(?P<minute>[0-9]{2})"
    r"(?:(?P=colon)(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]+))?)?"
    r"(?P<tz>Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
_NEGATIVE_ZERO = re.compile(r"^-00(?::?00)?$")


def parse_timestamp(value: Any, path: str = "timestamp") -> datetime:
    """An ISO 8601 date-time (extended or basic) returned as aware UTC.

    The time zone is optional (ISO 8601 allows local time; xAPI only says SHOULD include one), a
    missing zone is read as UTC. The RFC 3339 "unknown offset" forms -00, -0000, -00:00 are
    rejected (xAPI Data §4.5 / 9274.1.1 §4.2.7).
    """
    if not isinstance(value, str):
        raise invalid(path, "must be an ISO 8601 timestamp string")
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        raise invalid(path, "is not an ISO 8601 timestamp")
    tz_text = match["tz"]
    if tz_text and _NEGATIVE_ZERO.fullmatch(tz_text):
        raise invalid(path, "must not use a negative zero UTC offset")
    tz: timezone = UTC
    if tz_text and tz_text not in ("Z", "z"):
        digits = tz_text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if hours > 23 or minutes > 59:
            raise invalid(path, "has an invalid UTC offset")
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if tz_text[0] == "-" else offset)
    fraction = match["fraction"] or ""
    microsecond = int((fraction + "000000")[:6])
    try:
        parsed = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            microsecond,
            tzinfo=tz,
        )
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted out of range
        raise invalid(path, "is not a valid date and time") from None


# --- Durations (xAPI Data §4.6, ISO 8601:2004 §4.4.3.2) -----------------------------------------

_NUM = r"[0-9]+(?:[.,][0-9]+)?"
_DURATION = re.compile(
    rf"^P(?!$)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?(?:T(?=[0-9])(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?$"
)
_WEEKS = re.compile(rf"^P{_NUM}W$")
# xAPI Data §4.6.s2 lists "P16559.14S" (seconds without the T designator) as an example; accept it.
_SECONDS_ONLY = re.compile(rf"P{_NUM}S")


def is_duration(value: Any) -> bool:
    forms = (_DURATION, _WEEKS, _SECONDS_ONLY)
    return isinstance(value, str) and any(form.fullmatch(value) for form in forms)


def check_duration(value: Any, path: str) -> None:
    if not is_duration(value):
        raise invalid(path, "must be an ISO 8601 duration (e.g. PT1H30M)")


# --- Agent identifiers (xAPI Data §2.4.2.3) -----------------------------------------------------

_MBOX = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_SHA2 = re.compile(r"^[0-9a-fA-F]{56}$|^[0-9a-fA-F]{64}$|^[0-9a-fA-F]{96}$|^[0-9a-fA-F]{128}$")


def check_mbox(value: Any, path: str) -> None:
    if not isinstance(value, str) or not fits_key(value) or not _MBOX.fullmatch(value):
        raise invalid(path, "must be a mailto IRI with an email address")


def check_sha1(value: Any, path: str) -> None:
    if not isinstance(value, str) or not _SHA1.fullmatch(value):
        raise invalid(path, "must be a hex-encoded SHA-1 hash")


def check_sha2(value: Any, path: str) -> None:
    if not isinstance(value, str) or not _SHA2.fullmatch(value):
        raise invalid(path, "must be a hex-encoded SHA-2 hash")


_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+(?:\s*;.*)?$", re.DOTALL)


def check_media_type(value: Any, path: str) -> None:
    if not isinstance(value, str) or not _MEDIA_TYPE.fullmatch(value):
        raise invalid(path, "must be an Internet media type")
