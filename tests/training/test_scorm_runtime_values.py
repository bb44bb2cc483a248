"""A commit read whole: score as a percentage, exit, and total_time written in each version's
own type."""

from __future__ import annotations

from decimal import Decimal

import pytest

from service.training.scorm_runtime import (
    RuntimeValueError,
    format_cmi_timespan,
    format_iso_duration,
    read_runtime_commit,
)
from tests.training.scorm_runtime_support import scorm2004_course


@pytest.mark.parametrize(
    ("values", "score"),
    [
        ({"cmi.core.score.raw": "90"}, 90),  # min/max default to 0/100
        ({"cmi.core.score.raw": "9", "cmi.core.score.max": "10"}, 90),
        ({"cmi.core.score.raw": "30", "cmi.core.score.min": "20", "cmi.core.score.max": "40"}, 50),
        ({"cmi.core.score.raw": ""}, None),
        ({}, None),
    ],
)
def test_scorm12_score_percent(values, score):
    assert read_runtime_commit("1.2", values).score == score


@pytest.mark.parametrize(
    ("values", "score"),
    [
        ({"cmi.score.scaled": "0.9"}, 90),
        ({"cmi.score.scaled": "-0.5"}, 0),
        ({"cmi.score.scaled": "1", "cmi.score.raw": "3", "cmi.score.max": "10"}, 100),
        ({"cmi.score.raw": "45", "cmi.score.min": "0", "cmi.score.max": "50"}, 90),
        ({"cmi.score.raw": "45"}, None),  # no range, no percentage
        ({"cmi.score.raw": "5", "cmi.score.min": "5", "cmi.score.max": "5"}, None),
    ],
)
def test_scorm2004_score_percent(values, score):
    assert read_runtime_commit("2004", values).score == score


@pytest.mark.parametrize(
    ("version", "values", "element"),
    [
        ("1.2", {"cmi.core.score.raw": "-1"}, "cmi.core.score.raw"),
        ("1.2", {"cmi.core.score.max": "x"}, "cmi.core.score.max"),
        ("1.2", {"cmi.core.exit": "normal"}, "cmi.core.exit"),  # 2004's vocabulary only
        ("2004", {"cmi.score.scaled": "NaN"}, "cmi.score.scaled"),
        ("2004", {"cmi.score.raw": "1e400"}, "cmi.score.raw"),
        ("2004", {"cmi.exit": "quit"}, "cmi.exit"),
        ("2004", {"cmi.progress_measure": "2"}, "cmi.progress_measure"),
        ("2004", {"cmi.location": "x" * 1001}, "cmi.location"),
    ],
)
def test_malformed_values_name_their_element(version, values, element):
    with pytest.raises(RuntimeValueError) as info:
        read_runtime_commit(version, values)
    assert info.value.element == element


def test_a_reading_keeps_statuses_exit_and_exact_time():
    reading = read_runtime_commit(
        "1.2",
        {
            "cmi.core.session_time": "0000:10:05.25",
            "cmi.core.lesson_status": "failed",
            "cmi.core.exit": "suspend",
        },
    )
    assert reading.session_seconds == Decimal("605.25") and reading.minutes == 10
    assert (reading.status, reading.success, reading.completed, reading.passed) == (
        "failed",
        "failed",
        True,
        False,
    )
    assert reading.suspended
    later = read_runtime_commit(
        "2004", {"cmi.completion_status": "completed", "cmi.exit": "normal"}
    )
    assert later.status == "completed" and later.success is None and not later.suspended


@pytest.mark.parametrize(
    ("centiseconds", "timespan", "iso"),
    [
        (0, "0000:00:00.00", "PT0S"),
        (5, "0000:00:00.05", "PT0.05S"),
        (372350, "0001:02:03.50", "PT1H2M3.50S"),
        (360000, "0001:00:00.00", "PT1H"),
        (10000 * 360000, "9999:59:59.99", "PT10000H"),
    ],
)
def test_total_time_in_each_versions_type(centiseconds, timespan, iso):
    assert format_cmi_timespan(centiseconds) == timespan
    assert format_iso_duration(centiseconds) == iso


def test_a_commit_with_a_long_quiz_is_accepted_and_one_too_large_refused(world, client):
    """A commit carries the whole data model: 500 interactions of 12 values each are fine; past
    10,000 values the commit is refused whole, and nothing is written."""
    enrolled = scorm2004_course(world)
    quiz = {
        f"cmi.interactions.{i}.{field}": "x" for i in range(500) for field in _TWELVE_FIELDS
    } | {"cmi.session_time": "PT20M"}
    r = client.post(
        enrolled.commit_url,
        json={"version": "2004", "commit_id": "quiz", "values": quiz},
        headers=enrolled.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["minutes"] == 20
    huge = {f"cmi.interactions.{i}.id": "x" for i in range(10_001)}
    r = client.post(
        enrolled.commit_url,
        json={"version": "2004", "commit_id": "huge", "values": huge},
        headers=enrolled.headers,
    )
    assert r.status_code == 422
    minutes = client.get(f"/api/v1/enrollments/{enrolled.id}/hours", headers=enrolled.headers)
    assert minutes.json()["minutes"] == 20


_TWELVE_FIELDS = (
    "id",
    "type",
    "timestamp",
    "weighting",
    "learner_response",
    "result",
    "latency",
    "description",
    "objectives.0.id",
    "objectives._count",
    "correct_responses.0.pattern",
    "correct_responses._count",
)
