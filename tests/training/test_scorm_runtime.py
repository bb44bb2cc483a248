"""SCORM 1.2 and 2004 runtime commits: times, statuses, malformed values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from content.formats.duration import DurationFormatError
from service.training.durations import parse_record_duration, seconds_to_whole_minutes
from service.training.scorm_runtime import (
    RuntimeOutcome,
    RuntimeValueError,
    map_runtime_commit,
    map_scorm12_commit,
    map_scorm2004_commit,
    parse_cmi_timespan,
)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("00:00:00", 0),
        ("00:45:00", 2700),
        ("0001:30:05.25", Decimal("5405.25")),
        ("1234:00:00.5", 1234 * 3600 + Decimal("0.5")),
    ],
)
def test_cmi_timespan(value, seconds):
    assert parse_cmi_timespan(value) == seconds


# SCORM 1.2 RTE 3.4.2 CMITimespan, to the letter for learning records (manifest metadata is
# read leniently from the same grammar: tests/content/test_duration.py).
@pytest.mark.parametrize(
    "value",
    [
        "1:00:00",  # 1-digit hours
        "12345:00:00",  # 5-digit hours
        "00:5:00",  # 1-digit minutes
        "00:00:5",  # 1-digit seconds
        "00:00:00.123",  # 3 decimals
        "00:60:00",  # 60 minutes
        "00:00:60",
        " 01:00:00",
        "\u0660\u0661:00:00",  # Arabic-Indic digits
        "PT1H",
        "",
        "ab",
    ],
)
def test_malformed_cmi_timespan_names_the_element(value):
    with pytest.raises(RuntimeValueError) as info:
        parse_cmi_timespan(value)
    assert info.value.element == "cmi.core.session_time"
    assert "HHHH:MM:SS.SS" in str(info.value)


@pytest.mark.parametrize(
    ("status", "completed", "passed"),
    [
        ("passed", True, True),
        ("failed", True, False),
        ("completed", True, None),
        ("incomplete", False, None),
        ("browsed", False, None),
        ("not attempted", False, None),
    ],
)
def test_scorm12_status_mapping_passed_and_failed_imply_completed(status, completed, passed):
    outcome = map_scorm12_commit(
        {"cmi.core.session_time": "0000:46:30.00", "cmi.core.lesson_status": status}
    )
    assert outcome == RuntimeOutcome(46, completed, passed)


def test_scorm12_missing_values_are_zero_and_not_completed():
    assert map_scorm12_commit({}) == RuntimeOutcome(0, False, None)


def test_scorm12_bad_status_names_the_element():
    with pytest.raises(RuntimeValueError) as info:
        map_scorm12_commit({"cmi.core.lesson_status": "done"})
    assert info.value.element == "cmi.core.lesson_status"


@pytest.mark.parametrize(
    ("completion", "success", "completed", "passed"),
    [
        ("completed", "passed", True, True),
        ("completed", "failed", True, False),
        ("incomplete", "passed", False, True),
        ("completed", "unknown", True, None),
        ("unknown", "unknown", False, None),
        ("not attempted", "failed", False, False),
    ],
)
def test_scorm2004_statuses_are_independent(completion, success, completed, passed):
    outcome = map_scorm2004_commit(
        {
            "cmi.session_time": "PT1H2M59.99S",
            "cmi.completion_status": completion,
            "cmi.success_status": success,
        }
    )
    assert outcome == RuntimeOutcome(62, completed, passed)


@pytest.mark.parametrize(
    ("element", "value"),
    [
        ("cmi.session_time", "01:00:00"),
        ("cmi.session_time", "P1M"),
        ("cmi.session_time", "PT"),
        ("cmi.completion_status", "passed"),
        ("cmi.success_status", "completed"),
    ],
)
def test_scorm2004_malformed_values_name_the_element(element, value):
    with pytest.raises(RuntimeValueError) as info:
        map_scorm2004_commit({element: value})
    assert info.value.element == element
    assert str(info.value).startswith(element)


def test_dispatch_by_version():
    assert map_runtime_commit("1.2", {"cmi.core.lesson_status": "passed"}).passed is True
    assert map_runtime_commit("2004", {"cmi.success_status": "failed"}).passed is False
    with pytest.raises(ValueError):
        map_runtime_commit("1.3", {})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0H1M31S", 91),
        ("PT45M", 2700),
        ("PT1.5S", Decimal("1.5")),
        ("P1D", 86400),
        ("P1DT1H", 90000),
        ("P1W", 604800),
        ("PT0S", 0),
    ],
)
def test_iso_durations(text, seconds):
    assert parse_record_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["P1Y", "P1M", "PT0.5H", "P1W2D", "pt1h", " PT1H", "PT\u0661H", "PT", "P1DT", 3600, None],
)
def test_record_durations_are_strict(text):
    with pytest.raises(DurationFormatError):
        parse_record_duration(text)


def test_record_durations_end_at_the_longest_session_a_record_can_report():
    assert parse_record_duration("PT9999H59M59.99S") == Decimal("35999999.99")
    with pytest.raises(DurationFormatError):
        parse_record_duration("PT10000H")
    with pytest.raises(DurationFormatError):
        parse_record_duration("P99999999D")


def test_minutes_round_down():
    assert seconds_to_whole_minutes(Decimal("119.99")) == 1
    assert seconds_to_whole_minutes(120) == 2
    with pytest.raises(ValueError):
        seconds_to_whole_minutes(-1)
