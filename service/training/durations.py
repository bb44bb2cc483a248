"""Durations of learning records, which become minutes in the hours ledger.

SCORM 2004 ``cmi.session_time`` (RTE 4.1.1.7, ``timeinterval (second,10,2)``) and xAPI 1.0.3
§4.1.6 ``result.duration`` are ISO 8601 durations; SCORM 1.2 ``cmi.core.session_time`` is a
CMITimespan (:mod:`service.training.scorm_runtime`). The grammars live once, in
:mod:`content.formats.duration`; this module fixes the learning-record rule: strict, and
without years or months, which have no fixed length, so no number of minutes can honestly be
credited for them.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from content.formats.duration import DurationFormatError, iso8601_duration_seconds

# The longest session any learning record can report: SCORM 1.2's CMITimespan tops out at
# 9999:59:59.99 (RTE 3.4.2). ISO durations get the same ceiling, so a record's span always fits
# a date arithmetic (and is far beyond what the daily cap lets the ledger credit anyway).
MAX_RECORD_SECONDS = Decimal(9999 * 3600 + 59 * 60 + 59) + Decimal("0.99")


def parse_record_duration(text: object) -> Decimal:
    """Seconds in a record's ISO 8601 duration such as ``PT1H30M5.25S``.

    ``DurationFormatError`` (from :mod:`content.formats.duration`) if malformed, if it uses
    years or months, or if it is longer than any session a record can report.
    """
    seconds = iso8601_duration_seconds(text, calendar_units=False, lenient=False)
    if seconds > MAX_RECORD_SECONDS:
        raise DurationFormatError("longer than any learning session can be (9999 hours)")
    return seconds


def seconds_to_whole_minutes(seconds: Decimal | int) -> int:
    """Whole minutes in a span, rounding *down*: no learner is credited time not spent.

    The ledger stores integer minutes; the lost fraction of a minute per session is accepted.
    """
    value = Decimal(seconds)
    if value < 0:
        raise ValueError("a duration cannot be negative")
    return int((value / 60).to_integral_value(rounding=ROUND_FLOOR))
