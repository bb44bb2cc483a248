"""Time helpers: stored instants are timezone-aware UTC; the city's calendar is Asia/Shanghai."""

from datetime import UTC, datetime, timedelta, timezone

# The city's calendar days (daily caps, offering dates, completion years, birth dates) are
# Asia/Shanghai days. China has observed no daylight saving time since 1991, so the fixed UTC+08:00
# offset is exact for every date the service handles, and it needs no time-zone database: the
# PyPI ``tzdata`` package is locked only for Windows, and a slim container image may lack the
# system one, where ``ZoneInfo("Asia/Shanghai")`` would fail at import.
CITY_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
