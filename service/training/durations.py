"""Time-span parsing shared by SCORM 2004 and xAPI: ISO 8601 durations, and seconds to minutes.

Both SCORM 2004 ``cmi.session_time`` (RTE, ``timeinterval (second,10,2)``) and xAPI
``result.duration`` use the ISO 8601 duration format ``P[nD][T[nH][nM][n[.n]S]]``. Weeks
(``PnW``) are accepted. Years and months are rejected: they have no fixed length, so no number
of minutes can honestly be credited for them. Only the seconds may carry a fraction.
"""

from __future__ import annotations

import re
from decimal import ROUND_FLOOR, Decimal

_ISO_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W|"
    r"(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?)"
)


class DurationFormatError(ValueError):
    """The text is not a duration we can convert; the message says why."""


def parse_iso8601_duration(text: str) -> Decimal:
    """Seconds in an ISO 8601 duration such as ``PT1H30M5.25S``; ``DurationFormatError`` if not."""
    if not isinstance(text, str):
        raise DurationFormatError("must be an ISO 8601 duration string such as PT1H30M")
    match = _ISO_DURATION.fullmatch(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise DurationFormatError("must be an ISO 8601 duration such as PT1H30M or PT45M10S")
    parts = match.groupdict()
    if parts["years"] or parts["months"]:
        raise DurationFormatError("years and months have no fixed length; use days or hours")
    seconds = Decimal(parts["seconds"] or 0)
    seconds += int(parts["minutes"] or 0) * 60
    seconds += int(parts["hours"] or 0) * 3600
    seconds += int(parts["days"] or 0) * 86400
    seconds += int(parts["weeks"] or 0) * 7 * 86400
    return seconds


def seconds_to_whole_minutes(seconds: Decimal | int) -> int:
    """Whole minutes in a span, rounding *down*: no learner is credited time not spent.

    The ledger stores integer minutes; the lost fraction of a minute per session is accepted.
    """
    value = Decimal(seconds)
    if value < 0:
        raise ValueError("a duration cannot be negative")
    return int((value / 60).to_integral_value(rounding=ROUND_FLOOR))
