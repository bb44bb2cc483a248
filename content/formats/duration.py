"""Declared durations: ISO 8601 durations (LOM typicalLearningTime, SCORM 2004 CAM 4.x
metadata, IEEE 1484.12.1 7.1.1 Duration) and SCORM 1.2 CMITimespan ``HHHH:MM:SS.SS``."""

from __future__ import annotations

import re

_ISO = re.compile(
    r"^P(?!$)(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_TIMESPAN = re.compile(r"^(?P<h>\d{1,4}):(?P<m>[0-5]?\d):(?P<s>[0-5]?\d(?:\.\d{1,2})?)$")
_MINUTES = {"y": 365 * 1440, "mo": 30 * 1440, "w": 7 * 1440, "d": 1440, "h": 60, "mi": 1}


def parse_duration_minutes(value: str | None) -> int | None:
    """Minutes (rounded) for an ISO 8601 duration or CMITimespan; None if unreadable."""
    if not value:
        return None
    value = value.strip().upper()
    m = _ISO.match(value)
    if m:
        minutes = sum(float(m[k]) * f for k, f in _MINUTES.items() if m[k])
        if m["s"]:
            minutes += float(m["s"]) / 60
        return round(minutes)
    m = _TIMESPAN.match(value)
    if m:
        return round(int(m["h"]) * 60 + int(m["m"]) + float(m["s"]) / 60)
    return None
