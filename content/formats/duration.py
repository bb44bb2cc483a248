"""Durations, one grammar each: ISO 8601 durations and SCORM 1.2 CMITimespan.

Two uses read them, with different needs, chosen by explicit keyword options:

* declared metadata: LOM ``typicalLearningTime`` (IEEE 1484.12.1 5.9, SCORM 2004 CAM metadata)
  in a package manifest, an informational figure shown to administrators and never credited.
  :func:`parse_duration_minutes` reads it with ``lenient=True`` and ``calendar_units=True``.
* learning records: SCORM 2004 ``cmi.session_time``, xAPI ``result.duration`` and SCORM 1.2
  ``cmi.core.session_time``, which become minutes in the hours ledger. They are read strictly,
  without calendar units (``service.training.durations`` and ``service.training.scorm_runtime``).

Digits are ASCII ``0-9`` only: both grammars are defined on ASCII digits, and Python's ``\\d``
would also match other scripts' digits (e.g. Arabic-Indic), which no specification allows.
Malformed text raises :class:`DurationFormatError` and nothing else.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

from content.formats.model import MAX_DECLARED_HOURS, MINUTES_PER_CLASS_HOUR

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"

# ISO 8601 duration, format with designators: P[nY][nM][nW][nD][T[nH][nM][nS]], at least one
# component, and a "T" only before a time component. Every component may carry a decimal
# fraction here; the strict profile narrows this after matching (see iso8601_duration_seconds).
_ISO_DURATION = re.compile(
    rf"P(?:(?P<years>{_NUMBER})Y)?(?:(?P<months>{_NUMBER})M)?(?:(?P<weeks>{_NUMBER})W)?"
    rf"(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?=[0-9])(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?"
    rf"(?:(?P<seconds>{_NUMBER})S)?)?"
)
# Years and months have no fixed length; where they are allowed (declared metadata only) they
# count as 365 and 30 days.
_SECONDS_PER = {
    "years": 365 * 86400,
    "months": 30 * 86400,
    "weeks": 7 * 86400,
    "days": 86400,
    "hours": 3600,
    "minutes": 60,
    "seconds": 1,
}

# SCORM 1.2 RTE 3.4.2, data type CMITimespan: HHHH:MM:SS.SS, hours 2 to 4 digits, minutes and
# seconds exactly 2 digits (each below 60), an optional fraction of 1 or 2 digits. The pattern
# admits 1-digit hours, minutes and seconds; only the lenient (metadata) profile keeps them.
_CMI_TIMESPAN = re.compile(
    r"(?P<hours>[0-9]{1,4}):(?P<minutes>[0-5]?[0-9]):"
    r"(?P<seconds>(?P<whole_seconds>[0-5]?[0-9])(?:\.[0-9]{1,2})?)"
)

_ISO_EXAMPLE = "must be an ISO 8601 duration such as PT1H30M or PT45M10S"
_TIMESPAN_EXAMPLE = "must be HHHH:MM:SS.SS, e.g. 0001:30:05.25"


class DurationFormatError(ValueError):
    """The text is not a duration we can convert; the message says why."""


def iso8601_duration_seconds(text: object, *, calendar_units: bool, lenient: bool) -> Decimal:
    """Seconds, exactly, in an ISO 8601 duration such as ``PT1H30M5.25S``.

    ``calendar_units``: accept years and months (as 365 and 30 days). Otherwise they are refused,
    because no number of minutes can honestly be credited for a span of no fixed length.

    ``lenient`` (declared metadata, as authoring tools write it): surrounding blanks and lower
    case are accepted, any component may carry a decimal fraction, and weeks may be combined with
    other components. Strict (learning records): the grammar of SCORM 2004 RTE 4.1.1.7
    ``timeinterval (second,10,2)``, ``P[yY][mM][dD][T[hH][nM][s[.s]S]]``, where only the
    seconds carry a fraction, which also serves xAPI 1.0.3 §4.1.6 ``result.duration``; the ISO
    8601 week form ``PnW`` is accepted on its own.
    """
    if not isinstance(text, str):
        raise DurationFormatError("must be an ISO 8601 duration string such as PT1H30M")
    if lenient:
        text = text.strip().upper()
    match = _ISO_DURATION.fullmatch(text)
    parts = {k: v for k, v in match.groupdict().items() if v} if match else {}
    if not parts:  # no match, or "P" with no component
        raise DurationFormatError(_ISO_EXAMPLE)
    if not lenient:
        if any("." in v for k, v in parts.items() if k != "seconds"):
            raise DurationFormatError(_ISO_EXAMPLE)
        if "weeks" in parts and len(parts) > 1:
            raise DurationFormatError(_ISO_EXAMPLE)
    if not calendar_units and ("years" in parts or "months" in parts):
        raise DurationFormatError("years and months have no fixed length; use days or hours")
    try:
        return sum((Decimal(v) * _SECONDS_PER[k] for k, v in parts.items()), Decimal(0))
    except ArithmeticError:  # beyond the decimal context's exponent range: no real duration
        raise DurationFormatError("is too long to be a duration") from None


def cmi_timespan_seconds(text: object, *, lenient: bool) -> Decimal:
    """Seconds, exactly, in a SCORM 1.2 CMITimespan such as ``0001:30:05.25``.

    Strict (learning records, ``cmi.core.session_time``): SCORM 1.2 RTE 3.4.2 to the letter.

    ``lenient`` (declared metadata): surrounding blanks, and 1-digit hours, minutes or seconds
    (``1:30:00``, ``0:5:0``), as some authoring tools write ``typicalLearningTime``. A deliberate
    choice: the figure is informational and never credited, so refusing it would only lose it
    to a warning. The bounds stay the same for both profiles: at most 4 hour digits, minutes and
    seconds below 60, at most 2 decimal digits.
    """
    if not isinstance(text, str):
        raise DurationFormatError(_TIMESPAN_EXAMPLE)
    if lenient:
        text = text.strip()
    match = _CMI_TIMESPAN.fullmatch(text)
    if not match:
        raise DurationFormatError(_TIMESPAN_EXAMPLE)
    if not lenient and (
        len(match["hours"]) < 2 or len(match["minutes"]) != 2 or len(match["whole_seconds"]) != 2
    ):
        raise DurationFormatError(_TIMESPAN_EXAMPLE)
    return int(match["hours"]) * 3600 + int(match["minutes"]) * 60 + Decimal(match["seconds"])


def parse_duration_minutes(value: str | None) -> int | None:
    """Minutes in a declared duration (ISO 8601 or CMITimespan, lenient); None if unreadable.

    Rounded to the nearest minute, a half to even (``PT90S`` is 2, ``PT150S`` is 2). More than
    ``MAX_DECLARED_HOURS`` 学时 is a mistake, as in a native package, and also gives None.
    """
    if not value:
        return None
    try:
        seconds = iso8601_duration_seconds(value, calendar_units=True, lenient=True)
    except DurationFormatError:
        try:
            seconds = cmi_timespan_seconds(value, lenient=True)
        except DurationFormatError:
            return None
    minutes = (seconds / 60).to_integral_value(rounding=ROUND_HALF_EVEN)
    # compared before int(): a huge declared number would otherwise cost a huge integer
    if minutes > MAX_DECLARED_HOURS * MINUTES_PER_CLASS_HOUR:
        return None
    return int(minutes)
