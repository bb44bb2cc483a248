"""The one ISO 8601 duration grammar and the one SCORM 1.2 CMITimespan grammar, in both profiles.

Declared metadata (``lenient=True``, with calendar units) and learning records (strict, without
calendar units) read the same grammar; these tables show where the two profiles differ and where
they agree.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from content.formats.duration import (
    DurationFormatError,
    cmi_timespan_seconds,
    iso8601_duration_seconds,
    parse_duration_minutes,
)

REFUSED = "refused"


def record(text: object) -> Decimal | str:
    try:
        return iso8601_duration_seconds(text, calendar_units=False, lenient=False)
    except DurationFormatError:
        return REFUSED


def metadata(text: object) -> Decimal | str:
    try:
        return iso8601_duration_seconds(text, calendar_units=True, lenient=True)
    except DurationFormatError:
        return REFUSED


@pytest.mark.parametrize(
    ("text", "as_record", "as_metadata"),
    [
        ("PT1H30M5.25S", Decimal("5405.25"), Decimal("5405.25")),
        ("P1DT1H", 90000, 90000),
        ("P1W", 604800, 604800),
        ("PT0S", 0, 0),
        # calendar units: nominal 365 / 30 days in metadata, refused in records
        ("P1Y", REFUSED, 365 * 86400),
        ("P1M", REFUSED, 30 * 86400),
        ("P0Y", REFUSED, 0),
        # leniency of metadata as authoring tools write it
        ("pt1h", REFUSED, 3600),
        (" PT1H\n", REFUSED, 3600),
        ("PT0.5H", REFUSED, 1800),
        ("P1.5D", REFUSED, 129600),
        ("P1W2D", REFUSED, 9 * 86400),
        ("P1WT1H", REFUSED, 7 * 86400 + 3600),
        # refused by both: no component, empty time part, wrong order, no number, a sign
        ("P", REFUSED, REFUSED),
        ("PT", REFUSED, REFUSED),
        ("P1DT", REFUSED, REFUSED),
        ("PT1S1M", REFUSED, REFUSED),
        ("PT.5S", REFUSED, REFUSED),
        ("PT1,5S", REFUSED, REFUSED),
        ("-PT1H", REFUSED, REFUSED),
        ("", REFUSED, REFUSED),
        (None, REFUSED, REFUSED),
        (3600, REFUSED, REFUSED),
    ],
)
def test_iso8601_one_grammar_two_profiles(text, as_record, as_metadata):
    assert record(text) == as_record
    assert metadata(text) == as_metadata


def test_record_messages_say_why():
    with pytest.raises(DurationFormatError, match="years and months have no fixed length"):
        iso8601_duration_seconds("P1M", calendar_units=False, lenient=False)
    with pytest.raises(DurationFormatError, match="such as PT1H30M"):
        iso8601_duration_seconds("PT0.5H", calendar_units=False, lenient=False)
    with pytest.raises(DurationFormatError, match="string"):
        iso8601_duration_seconds(12, calendar_units=False, lenient=False)


@pytest.mark.parametrize("text", ["PT\u0661H", "PT\uff11H", "P\u0663D"])
def test_only_ascii_digits(text):
    # Python's \d also matches Arabic-Indic and full-width digits; ISO 8601 does not.
    assert record(text) == REFUSED
    assert metadata(text) == REFUSED


def test_huge_numbers_are_refused_not_crashes():
    # beyond the decimal exponent range: a DurationFormatError, never ArithmeticError
    assert record("PT" + "9" * 1_000_001 + "S") == REFUSED
    # 5000 digits used to raise a plain ValueError (int's 4300-digit limit) in records
    assert record("PT" + "9" * 5000 + "M") == Decimal("9" * 5000) * 60


# SCORM 1.2 RTE 3.4.2 CMITimespan boundaries: strict for records, lenient for metadata.
@pytest.mark.parametrize(
    ("text", "strict", "lenient"),
    [
        ("00:00:00", 0, 0),
        ("99:59:59.99", Decimal("359999.99"), Decimal("359999.99")),
        ("0001:30:05.25", Decimal("5405.25"), Decimal("5405.25")),
        ("9999:00:00.5", 9999 * 3600 + Decimal("0.5"), 9999 * 3600 + Decimal("0.5")),
        ("1:00:00", REFUSED, 3600),  # 1-digit hours
        ("00:5:00", REFUSED, 300),  # 1-digit minutes
        ("00:00:5", REFUSED, 5),  # 1-digit seconds
        ("0:5:0.5", REFUSED, Decimal("300.5")),
        (" 01:00:00 ", REFUSED, 3600),
        ("12345:00:00", REFUSED, REFUSED),  # 5-digit hours
        ("00:00:00.123", REFUSED, REFUSED),  # 3 decimals
        ("00:60:00", REFUSED, REFUSED),  # 60 minutes
        ("00:00:60", REFUSED, REFUSED),  # 60 seconds
        ("00:000:00", REFUSED, REFUSED),
        ("00:00:00.", REFUSED, REFUSED),
        ("00:00", REFUSED, REFUSED),
        ("\u0660\u0661:00:00", REFUSED, REFUSED),  # Arabic-Indic digits
        ("PT1H", REFUSED, REFUSED),
        ("", REFUSED, REFUSED),
        (None, REFUSED, REFUSED),
    ],
)
def test_cmi_timespan_one_rule(text, strict, lenient):
    def read(lenient_profile: bool) -> Decimal | str:
        try:
            return cmi_timespan_seconds(text, lenient=lenient_profile)
        except DurationFormatError as exc:
            assert "HHHH:MM:SS.SS" in str(exc)
            return REFUSED

    assert read(False) == strict
    assert read(True) == lenient


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        ("PT90S", 2),  # a half minute rounds to even
        ("PT150S", 2),
        ("PT1M29S", 1),
        ("PT1.025H", 62),  # 61.5 minutes exactly; binary floats made it 61
        ("PT2.075H", 124),  # 124.5 exactly; binary floats made it 125
        ("P1M", 43200),
        ("1:30:00", 90),
        ("PT7500H", 450000),  # 10 000 学时, the most a package may declare
        ("PT7500H1M", None),
        ("P9999Y", None),  # would not fit the declared_minutes column
        ("P" + "9" * 400 + "Y", None),  # used to raise OverflowError (float infinity)
        ("P" + "9" * 999_000 + "Y", None),  # and must not build a million-digit integer
    ],
)
def test_declared_minutes(value, minutes):
    assert parse_duration_minutes(value) == minutes
