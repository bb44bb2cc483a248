"""Validation of the xAPI statement subset packages send, and mapping to progress events.

Validated (xAPI 1.0.3 / IEEE 9274.1.1, the parts a cmi5 or TinCan package uses): ``id``
(optional UUID), ``actor`` (an Agent with exactly one identifier), ``verb.id`` and ``object.id``
(IRIs; the object must be an Activity), ``timestamp`` (optional ISO 8601), ``result.duration``
(ISO 8601 duration), ``result.success`` / ``result.completion`` (booleans), ``result.score.scaled``
(-1..1), ``context.registration`` (UUID). Unknown top-level properties are rejected, as the xAPI
spec asks of an LRS. Errors name the field: ``StatementInvalid.field``.

Progress (cmi5 §9.3 verbs): ``completed`` sets completed, ``passed``/``failed`` set the verdict;
launched, initialized, terminated, abandoned, waived and satisfied are lifecycle events. Other
verbs (e.g. ``answered``) are recorded without effect, unless they carry ``result.completion``
or ``result.success``, which plain xAPI/TinCan packages use instead of cmi5 verbs.

Decisions:

- Hours come only from session-ending statements (terminated, abandoned, exited, suspended).
  In cmi5 the ``duration`` of completed/passed/failed is the time since ``initialized``, so
  counting it as well as the terminated duration would credit the same time twice.
- cmi5 §9.6.2 tells an LMS to ignore "cmi5 allowed" statements (no cmi5 category) for
  satisfaction. By default (``strict_cmi5=False``) completed/passed/failed count regardless,
  because TinCan packages use the same ADL verbs without the category; pass
  ``strict_cmi5=True`` for packages declared as cmi5 to follow the spec to the letter.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from content.formats.duration import DurationFormatError
from service.training.durations import parse_record_duration, seconds_to_whole_minutes

ADL = "http://adlnet.gov/expapi/verbs/"
LAUNCHED = ADL + "launched"
INITIALIZED = ADL + "initialized"
COMPLETED = ADL + "completed"
PASSED = ADL + "passed"
FAILED = ADL + "failed"
TERMINATED = ADL + "terminated"
EXITED = ADL + "exited"
SUSPENDED = ADL + "suspended"
ABANDONED = "https://w3id.org/xapi/adl/verbs/abandoned"
WAIVED = "https://w3id.org/xapi/adl/verbs/waived"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"

VERB_EVENTS: dict[str, str] = {
    LAUNCHED: "launched",
    INITIALIZED: "initialized",
    COMPLETED: "completed",
    PASSED: "passed",
    FAILED: "failed",
    TERMINATED: "terminated",
    EXITED: "exited",
    SUSPENDED: "suspended",
    ABANDONED: "abandoned",
    WAIVED: "waived",
    SATISFIED: "satisfied",
}
SESSION_END_VERBS = frozenset({TERMINATED, ABANDONED, EXITED, SUSPENDED})

_TOP_LEVEL = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }
)
_AGENT_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class StatementInvalid(ValueError):
    """The statement is not acceptable; ``field`` is the dotted path of the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    id: uuid.UUID | None
    actor_key: str  # canonical identifier, e.g. "mbox:mailto:a@b" or "account:<homePage>|<name>"
    verb_id: str
    object_id: str
    timestamp: datetime | None
    registration: uuid.UUID | None
    duration_seconds: Decimal | None
    success: bool | None
    completion: bool | None
    score_scaled: float | None
    cmi5_defined: bool  # carries the cmi5 context category
    # Set by :func:`read_statement` when ``result.duration`` is valid xAPI but no minutes can be
    # credited for it (years or months, or longer than any session).
    duration_error: str | None = None


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    event: str  # a VERB_EVENTS value, or "other"
    minutes: int  # minutes to credit to the hours ledger (0 when the statement carries none)
    completed: bool | None
    passed: bool | None
    score_scaled: float | None


def _obj(value: Any, field: str, *, required: bool = True) -> dict | None:
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise StatementInvalid(field, "must be a JSON object")
    return value


def _iri(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _IRI.fullmatch(value):
        raise StatementInvalid(field, "must be an absolute IRI such as http://example.org/x")
    return value


def _uuid(value: Any, field: str) -> uuid.UUID | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise StatementInvalid(field, "must be a UUID such as 71a448b1-a27c-41e6-aee2-4de9e0a6d0d6")
    return uuid.UUID(value)


def _bool(value: Any, field: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise StatementInvalid(field, "must be true or false")
    return value


def _actor_key(actor: dict) -> str:
    if actor.get("objectType", "Agent") != "Agent":
        raise StatementInvalid("actor.objectType", "must be Agent (groups are not accepted)")
    present = [ifi for ifi in _AGENT_IFIS if actor.get(ifi) is not None]
    if len(present) != 1:
        raise StatementInvalid(
            "actor", "must have exactly one of mbox, mbox_sha1sum, openid, account"
        )
    ifi = present[0]
    value = actor[ifi]
    if ifi == "account":
        account = _obj(value, "actor.account")
        home, name = account.get("homePage"), account.get("name")
        _iri(home, "actor.account.homePage")
        if not isinstance(name, str) or not name:
            raise StatementInvalid("actor.account.name", "must be a non-empty string")
        return f"account:{home}|{name}"
    if not isinstance(value, str) or not value:
        raise StatementInvalid(f"actor.{ifi}", "must be a non-empty string")
    if ifi == "mbox" and not value.startswith("mailto:"):
        raise StatementInvalid("actor.mbox", "must be a mailto: IRI")
    return f"{ifi}:{value}"


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise StatementInvalid("timestamp", "must be an ISO 8601 date-time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _score(result: dict) -> float | None:
    score = _obj(result.get("score"), "result.score", required=False)
    if score is None:
        return None
    for name in ("scaled", "raw", "min", "max"):
        value = score.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise StatementInvalid(f"result.score.{name}", "must be a number")
    scaled = score.get("scaled")
    if scaled is not None and not -1 <= scaled <= 1:
        raise StatementInvalid("result.score.scaled", "must be between -1 and 1")
    return None if scaled is None else float(scaled)


def parse_statement(statement: Any) -> ParsedStatement:
    """Validate one statement and return the fields the service uses."""
    statement = _obj(statement, "statement")
    unknown = sorted(set(statement) - _TOP_LEVEL)
    if unknown:
        raise StatementInvalid(unknown[0], "is not a statement property")
    actor_key = _actor_key(_obj(statement.get("actor"), "actor"))
    verb_id = _iri(_obj(statement.get("verb"), "verb").get("id"), "verb.id")
    activity = _obj(statement.get("object"), "object")
    if activity.get("objectType", "Activity") != "Activity":
        raise StatementInvalid("object.objectType", "must be Activity")
    object_id = _iri(activity.get("id"), "object.id")

    result = _obj(statement.get("result"), "result", required=False) or {}
    duration = None
    if result.get("duration") is not None:
        try:
            duration = parse_record_duration(result["duration"])
        except DurationFormatError as exc:
            raise StatementInvalid("result.duration", str(exc)) from None

    context = _obj(statement.get("context"), "context", required=False) or {}
    activities = (
        _obj(context.get("contextActivities"), "context.contextActivities", required=False) or {}
    )
    categories = activities.get("category") or []
    if isinstance(categories, dict):
        categories = [categories]
    cmi5_defined = any(isinstance(c, dict) and c.get("id") == CMI5_CATEGORY for c in categories)

    return ParsedStatement(
        id=_uuid(statement.get("id"), "id"),
        actor_key=actor_key,
        verb_id=verb_id,
        object_id=object_id,
        timestamp=_timestamp(statement.get("timestamp")),
        registration=_uuid(context.get("registration"), "context.registration"),
        duration_seconds=duration,
        success=_bool(result.get("success"), "result.success"),
        completion=_bool(result.get("completion"), "result.completion"),
        score_scaled=_score(result),
        cmi5_defined=cmi5_defined,
    )


def read_statement(statement: dict) -> ParsedStatement:
    """The fields the training domain uses, read from a statement the LRS has already validated
    (any xAPI statement: groups, sub-statements, 2.0 properties). Nothing is refused here; a
    duration that cannot become minutes is reported in ``duration_error``."""
    result = statement.get("result") or {}
    context = statement.get("context") or {}
    score = result.get("score") or {}
    duration, duration_error = None, None
    if result.get("duration") is not None:
        try:
            duration = parse_record_duration(result["duration"])
        except DurationFormatError as exc:
            duration_error = str(exc)
    categories = (context.get("contextActivities") or {}).get("category") or []
    if isinstance(categories, dict):
        categories = [categories]
    registration = context.get("registration")
    scaled = score.get("scaled")
    try:
        timestamp = _timestamp(statement.get("timestamp"))
    except StatementInvalid:
        timestamp = None  # a form fromisoformat does not read; callers have the stored column
    return ParsedStatement(
        id=uuid.UUID(statement["id"]) if statement.get("id") else None,
        actor_key="",
        verb_id=(statement.get("verb") or {}).get("id", ""),
        object_id=str((statement.get("object") or {}).get("id", "")),
        timestamp=timestamp,
        registration=uuid.UUID(registration) if registration else None,
        duration_seconds=duration,
        success=result.get("success"),
        completion=result.get("completion"),
        score_scaled=None if scaled is None else float(scaled),
        cmi5_defined=any(isinstance(c, dict) and c.get("id") == CMI5_CATEGORY for c in categories),
        duration_error=duration_error,
    )


def to_progress(parsed: ParsedStatement, *, strict_cmi5: bool = False) -> ProgressEvent:
    """Map a parsed statement to a progress event (see the module docstring for the rules)."""
    event = VERB_EVENTS.get(parsed.verb_id, "other")
    counts = not strict_cmi5 or parsed.cmi5_defined
    completed: bool | None = None
    passed: bool | None = None
    if counts and event == "completed":
        completed = True
    elif counts and event in ("passed", "failed"):
        passed = event == "passed"
    elif event == "other" and not strict_cmi5:
        completed = True if parsed.completion else None
        passed = parsed.success
    minutes = 0
    if parsed.verb_id in SESSION_END_VERBS and parsed.duration_seconds is not None:
        minutes = seconds_to_whole_minutes(parsed.duration_seconds)
    return ProgressEvent(event, minutes, completed, passed, parsed.score_scaled)


def session_interval(parsed: ParsedStatement) -> tuple[datetime, datetime] | None:
    """``(timestamp - duration, timestamp)`` for a session-ending statement, for overlap checks."""
    if parsed.timestamp is None or parsed.duration_seconds is None:
        return None
    if parsed.verb_id not in SESSION_END_VERBS:
        return None
    return parsed.timestamp - timedelta(seconds=float(parsed.duration_seconds)), parsed.timestamp
