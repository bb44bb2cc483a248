"""Parsing of SCORM runtime commits into (minutes, completed, passed).

SCORM 1.2 (RTE 3.4): ``cmi.core.session_time`` is a CMITimespan ``HHHH:MM:SS.SS`` (hours 2-4
digits, optional 1-2 decimal places of seconds); ``cmi.core.lesson_status`` is one of passed,
completed, failed, incomplete, browsed, not attempted. ``passed`` and ``failed`` imply completed
(the 1.2 data model has a single status for both ideas).

SCORM 2004 (4th ed. RTE 4.2): ``cmi.session_time`` is an ISO 8601 ``timeinterval``;
``cmi.completion_status`` is completed / incomplete / not attempted / unknown and
``cmi.success_status`` is passed / failed / unknown, independent of each other.

A missing session time means 0 minutes (a commit may come before the SCO sets it); a missing
status means "not completed" and "no verdict" (``passed`` is ``None``). Malformed values raise
:class:`RuntimeValueError` naming the data model element.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from content.formats.duration import DurationFormatError, cmi_timespan_seconds
from service.training.durations import parse_record_duration, seconds_to_whole_minutes

SCORM12_SESSION_TIME = "cmi.core.session_time"
SCORM12_LESSON_STATUS = "cmi.core.lesson_status"
SCORM2004_SESSION_TIME = "cmi.session_time"
SCORM2004_COMPLETION_STATUS = "cmi.completion_status"
SCORM2004_SUCCESS_STATUS = "cmi.success_status"

# lesson_status -> (completed, passed)
_SCORM12_STATUS: dict[str, tuple[bool, bool | None]] = {
    "passed": (True, True),
    "failed": (True, False),
    "completed": (True, None),
    "incomplete": (False, None),
    "browsed": (False, None),
    "not attempted": (False, None),
}
_SCORM2004_COMPLETION = {
    "completed": True,
    "incomplete": False,
    "not attempted": False,
    "unknown": False,
}
_SCORM2004_SUCCESS = {"passed": True, "failed": False, "unknown": None}


class RuntimeValueError(ValueError):
    """A runtime value is malformed; ``element`` names the data model element."""

    def __init__(self, element: str, message: str) -> None:
        super().__init__(f"{element}: {message}")
        self.element = element
        self.message = message


@dataclass(frozen=True, slots=True)
class RuntimeOutcome:
    minutes: int
    completed: bool
    passed: bool | None


def parse_cmi_timespan(value: str) -> Decimal:
    """Seconds in a SCORM 1.2 CMITimespan such as ``0001:30:05.25`` (RTE 3.4.2, strictly)."""
    try:
        return cmi_timespan_seconds(value, lenient=False)
    except DurationFormatError as exc:
        raise RuntimeValueError(SCORM12_SESSION_TIME, str(exc)) from None


def map_scorm12_commit(values: Mapping[str, str]) -> RuntimeOutcome:
    """Map a SCORM 1.2 commit (element -> value) to minutes and status."""
    raw_time = values.get(SCORM12_SESSION_TIME)
    seconds = Decimal(0) if raw_time in (None, "") else parse_cmi_timespan(raw_time)
    raw_status = values.get(SCORM12_LESSON_STATUS)
    if raw_status in (None, ""):
        completed, passed = False, None
    else:
        try:
            completed, passed = _SCORM12_STATUS[raw_status]
        except (KeyError, TypeError):
            raise RuntimeValueError(
                SCORM12_LESSON_STATUS, f"must be one of {', '.join(_SCORM12_STATUS)}"
            ) from None
    return RuntimeOutcome(seconds_to_whole_minutes(seconds), completed, passed)


def map_scorm2004_commit(values: Mapping[str, str]) -> RuntimeOutcome:
    """Map a SCORM 2004 commit (element -> value) to minutes and status."""
    raw_time = values.get(SCORM2004_SESSION_TIME)
    if raw_time in (None, ""):
        seconds = Decimal(0)
    else:
        try:
            seconds = parse_record_duration(raw_time)
        except DurationFormatError as exc:
            raise RuntimeValueError(SCORM2004_SESSION_TIME, str(exc)) from None
    completed = _lookup(values, SCORM2004_COMPLETION_STATUS, _SCORM2004_COMPLETION, False)
    passed = _lookup(values, SCORM2004_SUCCESS_STATUS, _SCORM2004_SUCCESS, None)
    return RuntimeOutcome(seconds_to_whole_minutes(seconds), completed, passed)


def _lookup(values: Mapping[str, str], element: str, table: dict, default):
    raw = values.get(element)
    if raw in (None, ""):
        return default
    try:
        return table[raw]
    except (KeyError, TypeError):
        raise RuntimeValueError(element, f"must be one of {', '.join(table)}") from None


def map_runtime_commit(version: str, values: Mapping[str, str]) -> RuntimeOutcome:
    """Dispatch on the package's SCORM version: ``"1.2"`` or ``"2004"``."""
    if version == "1.2":
        return map_scorm12_commit(values)
    if version == "2004":
        return map_scorm2004_commit(values)
    raise ValueError("SCORM version must be '1.2' or '2004'")
