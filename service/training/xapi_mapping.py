"""Mapping xAPI statements to training progress events.

The LRS (``service.lrs``) validates statements; :func:`read_statement` reads the fields training
uses from one it has stored, and :func:`to_progress` maps them to a progress event.

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

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
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


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    id: uuid.UUID | None
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


def _timestamp(value: Any) -> datetime | None:
    """An aware instant, or None for a form ``fromisoformat`` does not read (callers then use the
    LRS's stored ``timestamp`` column, which always parses)."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
    timestamp = _timestamp(statement.get("timestamp"))
    return ParsedStatement(
        id=uuid.UUID(statement["id"]) if statement.get("id") else None,
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
