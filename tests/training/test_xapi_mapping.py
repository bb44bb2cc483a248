"""xAPI statement validation and cmi5 progress mapping, on cmi5-shaped sample statements."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from service.training.xapi_mapping import (
    COMPLETED,
    FAILED,
    PASSED,
    TERMINATED,
    StatementInvalid,
    parse_statement,
    session_interval,
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


def test_terminated_duration_becomes_minutes_and_an_interval():
    parsed = parse_statement(statement(TERMINATED, result={"duration": "PT0H46M31S"}))
    assert parsed.registration == uuid.UUID(REGISTRATION)
    assert parsed.actor_key == "account:https://skills.example.cn|learner-42"
    assert parsed.cmi5_defined
    event = to_progress(parsed)
    assert (event.event, event.minutes, event.completed, event.passed) == (
        "terminated",
        46,
        None,
        None,
    )
    start, end = session_interval(parsed)
    assert end == datetime(2025, 3, 3, 9, 45, 31, tzinfo=UTC)
    assert end - start == timedelta(minutes=46, seconds=31)


def test_completed_passed_failed_update_progress_without_crediting_hours_twice():
    completed = to_progress(
        parse_statement(statement(COMPLETED, result={"completion": True, "duration": "PT40M"}))
    )
    assert (completed.event, completed.completed, completed.passed, completed.minutes) == (
        "completed",
        True,
        None,
        0,
    )
    passed = to_progress(
        parse_statement(
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
    failed = to_progress(parse_statement(statement(FAILED, result={"completion": False})))
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
    progress = to_progress(parse_statement(statement(verb)))
    assert progress.event == event and progress.minutes == 0
    assert progress.completed is None and progress.passed is None


def test_cmi5_allowed_statements_count_unless_strict():
    allowed = parse_statement(statement(COMPLETED, cmi5=False))
    assert not allowed.cmi5_defined
    assert to_progress(allowed).completed is True
    assert to_progress(allowed, strict_cmi5=True).completed is None


def test_plain_xapi_result_flags_are_used_for_other_verbs():
    experienced = statement(
        "http://adlnet.gov/expapi/verbs/experienced",
        cmi5=False,
        result={"completion": True, "success": False},
    )
    progress = to_progress(parse_statement(experienced))
    assert progress.completed is True and progress.passed is False


def test_optional_fields_may_be_absent():
    body = statement(COMPLETED)
    del body["id"], body["timestamp"], body["context"]
    parsed = parse_statement(body)
    assert parsed.id is None and parsed.timestamp is None and parsed.registration is None
    assert session_interval(parsed) is None


def test_mbox_actor_and_naive_timestamp_as_utc():
    body = statement(TERMINATED, result={"duration": "PT5M"}, timestamp="2025-03-03T09:00:00")
    body["actor"] = {"mbox": "mailto:learner@example.cn"}
    parsed = parse_statement(body)
    assert parsed.actor_key == "mbox:mailto:learner@example.cn"
    assert parsed.timestamp.tzinfo is UTC


def _without(path: str):
    def mutate(body):
        *parents, leaf = path.split(".")
        node = body
        for p in parents:
            node = node[p]
        del node[leaf]

    return mutate


def _set(path: str, value):
    def mutate(body):
        *parents, leaf = path.split(".")
        node = body
        for p in parents:
            node = node[p]
        node[leaf] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_without("actor"), "actor"),
        (_set("actor", {"name": "no identifier"}), "actor"),
        (_set("actor", {"mbox": "mailto:a@b.c", "openid": "https://o.example/x"}), "actor"),
        (_set("actor", {"mbox": "a@b.c"}), "actor.mbox"),
        (_set("actor.objectType", "Group"), "actor.objectType"),
        (_set("actor.account.name", ""), "actor.account.name"),
        (_set("actor.account.homePage", "not an iri"), "actor.account.homePage"),
        (_without("verb"), "verb"),
        (_without("verb.id"), "verb.id"),
        (_set("verb.id", "completed"), "verb.id"),
        (_without("object.id"), "object.id"),
        (_set("object.objectType", "StatementRef"), "object.objectType"),
        (_set("id", "not-a-uuid"), "id"),
        (_set("timestamp", "yesterday"), "timestamp"),
        (_set("timestamp", 12), "timestamp"),
        (_set("result", {"duration": "45 minutes"}), "result.duration"),
        (_set("result", {"duration": "P1Y"}), "result.duration"),
        (_set("result", {"duration": "PT0.5H"}), "result.duration"),
        (_set("result", {"duration": "PT\u0661H"}), "result.duration"),
        (_set("result", {"duration": 2700}), "result.duration"),
        (_set("result", {"success": "yes"}), "result.success"),
        (_set("result", {"completion": 1}), "result.completion"),
        (_set("result", {"score": {"scaled": 1.5}}), "result.score.scaled"),
        (_set("result", {"score": {"scaled": True}}), "result.score.scaled"),
        (_set("result", []), "result"),
        (_set("context.registration", "abc"), "context.registration"),
        (_set("surprise", 1), "surprise"),
    ],
)
def test_validation_errors_name_the_field(mutate, field):
    body = copy.deepcopy(statement(COMPLETED))
    mutate(body)
    with pytest.raises(StatementInvalid) as info:
        parse_statement(body)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_non_object_statement():
    with pytest.raises(StatementInvalid) as info:
        parse_statement([1, 2])
    assert info.value.field == "statement"
