"""cmi5 progress mapping of stored statements, on cmi5-shaped sample statements."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from service.training.xapi_mapping import (
    COMPLETED,
    FAILED,
    PASSED,
    TERMINATED,
    read_statement,
    to_progress,
)

REGISTRATION = "0f6c3ad2-3c1e-4b52-9a3c-5d7b8f0e1a22"
CMI5 = {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5", "objectType": "Activity"}


def statement(verb: str, *, result=None, cmi5=True, **extra) -> dict:
    """A statement shaped like the cmi5 specification's sample scenarios."""
    body = {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": "Learner",
            "account": {"homePage": "https://skills.example.cn", "name": "learner-42"},
        },
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": "https://skills.example.cn/au/electrician-1"},
        "context": {
            "registration": REGISTRATION,
            "contextActivities": {"category": [CMI5]} if cmi5 else {},
            "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "s-1"},
        },
        "timestamp": "2025-03-03T09:45:31.000Z",
        "version": "1.0.0",
    }
    if result is not None:
        body["result"] = result
    body.update(extra)
    return body


def test_terminated_duration_becomes_minutes():
    parsed = read_statement(statement(TERMINATED, result={"duration": "PT0H46M31S"}))
    assert parsed.registration == uuid.UUID(REGISTRATION)
    assert parsed.cmi5_defined
    event = to_progress(parsed)
    assert (event.event, event.minutes, event.completed, event.passed) == (
        "terminated",
        46,
        None,
        None,
    )
    assert parsed.timestamp == datetime(2025, 3, 3, 9, 45, 31, tzinfo=UTC)
    assert parsed.duration_seconds == 46 * 60 + 31


def test_completed_passed_failed_update_progress_without_crediting_hours_twice():
    completed = to_progress(
        read_statement(statement(COMPLETED, result={"completion": True, "duration": "PT40M"}))
    )
    assert (completed.event, completed.completed, completed.passed, completed.minutes) == (
        "completed",
        True,
        None,
        0,
    )
    passed = to_progress(
        read_statement(
            statement(
                PASSED,
                result={
                    "success": True,
                    "duration": "PT0H1M31S",
                    "score": {"scaled": 1, "raw": 100, "min": 0, "max": 100},
                },
            )
        )
    )
    assert (passed.passed, passed.score_scaled, passed.minutes) == (True, 1.0, 0)
    failed = to_progress(read_statement(statement(FAILED, result={"completion": False})))
    assert failed.passed is False and failed.completed is None


@pytest.mark.parametrize(
    ("verb", "event"),
    [
        ("http://adlnet.gov/expapi/verbs/launched", "launched"),
        ("http://adlnet.gov/expapi/verbs/initialized", "initialized"),
        ("https://w3id.org/xapi/adl/verbs/satisfied", "satisfied"),
        ("http://adlnet.gov/expapi/verbs/answered", "other"),
    ],
)
def test_lifecycle_verbs(verb, event):
    progress = to_progress(read_statement(statement(verb)))
    assert progress.event == event and progress.minutes == 0
    assert progress.completed is None and progress.passed is None


def test_cmi5_allowed_statements_count_unless_strict():
    allowed = read_statement(statement(COMPLETED, cmi5=False))
    assert not allowed.cmi5_defined
    assert to_progress(allowed).completed is True
    assert to_progress(allowed, strict_cmi5=True).completed is None


def test_plain_xapi_result_flags_are_used_for_other_verbs():
    experienced = statement(
        "http://adlnet.gov/expapi/verbs/experienced",
        cmi5=False,
        result={"completion": True, "success": False},
    )
    progress = to_progress(read_statement(experienced))
    assert progress.completed is True and progress.passed is False


def test_optional_fields_may_be_absent():
    body = statement(COMPLETED)
    del body["id"], body["timestamp"], body["context"]
    parsed = read_statement(body)
    assert parsed.id is None and parsed.timestamp is None and parsed.registration is None


def test_naive_timestamp_is_utc_and_an_unreadable_one_is_left_to_the_stored_column():
    parsed = read_statement(statement(TERMINATED, timestamp="2025-03-03T09:00:00"))
    assert parsed.timestamp == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    assert read_statement(statement(TERMINATED, timestamp="yesterday")).timestamp is None


def test_a_duration_no_minutes_can_be_credited_for_is_reported_not_raised():
    parsed = read_statement(statement(TERMINATED, result={"duration": "P1Y"}))
    assert parsed.duration_seconds is None and parsed.duration_error
