"""Timestamps as VCDM 2.0 wants them (§4.9 validity period: XML Schema dateTimeStamp).

Credentials carry whole-second UTC instants with a ``Z`` suffix so that ``nbf``/``exp`` (whole
seconds, RFC 7519) and ``validFrom``/``validUntil`` always agree exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def whole_seconds(value: datetime) -> datetime:
    return as_utc(value).replace(microsecond=0)


def to_xsd(value: datetime) -> str:
    """``2025-01-02T03:04:05Z``."""
    return whole_seconds(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_xsd(text: object) -> datetime:
    """Parse a dateTimeStamp; raises ValueError when it is not a string, has no time zone or is
    malformed (so any JSON value may be passed)."""
    if not isinstance(text, str):
        raise ValueError("not a string")
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("timestamp without a time zone")
    return parsed.astimezone(UTC)


def epoch_seconds(value: datetime) -> int:
    return int(whole_seconds(value).timestamp())
