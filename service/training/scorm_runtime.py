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


# --- the whole commit: what the LMS keeps of it ------------------------------------------------

SCORM12_EXIT = "cmi.core.exit"
SCORM2004_EXIT = "cmi.exit"
# 1.2 RTE 3.4 cmi.core.exit; 2004 RTE 4.2.7 cmi.exit ("normal" is 2004 only).
_EXIT_12 = ("time-out", "suspend", "logout", "")
_EXIT_2004 = ("time-out", "suspend", "logout", "normal", "")

# The elements an LMS keeps for the SCO's next session (1.2 RTE 3.4, 2004 RTE 4.2), with the
# longest value accepted: 2004's SPMs (location 1000, suspend_data 64000), which also cover
# 1.2's smaller limits as players are lenient about them.
RESUME_ELEMENTS: dict[str, dict[str, int]] = {
    "1.2": {
        "cmi.core.lesson_location": 1000,
        "cmi.suspend_data": 64000,
        "cmi.core.lesson_status": 20,
        "cmi.core.exit": 20,
        "cmi.core.score.raw": 40,
        "cmi.core.score.min": 40,
        "cmi.core.score.max": 40,
    },
    "2004": {
        "cmi.location": 1000,
        "cmi.suspend_data": 64000,
        "cmi.completion_status": 20,
        "cmi.success_status": 20,
        "cmi.exit": 20,
        "cmi.progress_measure": 40,
        "cmi.score.scaled": 40,
        "cmi.score.raw": 40,
        "cmi.score.min": 40,
        "cmi.score.max": 40,
    },
}


@dataclass(frozen=True, slots=True)
class RuntimeReading:
    """One commit read whole: its session time, verdicts, score and exit.

    ``status`` is 1.2's lesson_status or 2004's completion_status, ``success`` 2004's
    success_status or, for 1.2, passed/failed when the lesson_status says so. ``score`` is a
    percentage (0..100), or None when the commit reports none it can be computed from."""

    session_seconds: Decimal
    completed: bool
    passed: bool | None
    status: str | None
    success: str | None
    score: float | None
    exit: str | None

    @property
    def minutes(self) -> int:
        return seconds_to_whole_minutes(self.session_seconds)

    @property
    def suspended(self) -> bool:
        return self.exit == "suspend"


def _decimal(values: Mapping[str, str], element: str, low=None, high=None) -> Decimal | None:
    raw = values.get(element)
    if raw in (None, ""):
        return None
    try:
        number = Decimal(str(raw).strip())
    except ArithmeticError:
        raise RuntimeValueError(element, "must be a decimal number") from None
    if not number.is_finite():
        raise RuntimeValueError(element, "must be a decimal number")
    if (low is not None and number < low) or (high is not None and number > high):
        raise RuntimeValueError(element, f"must be between {low} and {high}")
    return number


def _percent(raw: Decimal | None, low: Decimal, high: Decimal) -> float | None:
    """``raw`` as a percentage of the range [low, high], kept within 0..100."""
    if raw is None or high <= low:
        return None
    share = (raw - low) / (high - low) * 100
    return float(min(max(share, Decimal(0)), Decimal(100)).quantize(Decimal("0.01"))) + 0.0


def _score_12(values: Mapping[str, str]) -> float | None:
    """1.2 RTE 3.4 cmi.core.score: raw/min/max are CMIDecimal 0..100; min and max default to 0 and
    100, so a raw alone is already a percentage."""
    hundred = Decimal(100)
    raw = _decimal(values, "cmi.core.score.raw", Decimal(0), hundred)
    low = _decimal(values, "cmi.core.score.min", Decimal(0), hundred)
    high = _decimal(values, "cmi.core.score.max", Decimal(0), hundred)
    return _percent(raw, Decimal(0) if low is None else low, hundred if high is None else high)


# the 2004 RTE's real(10,7) type: at most 10 significant digits, so below 10**10 in magnitude
_REAL_10 = Decimal(10) ** 10


def _score_2004(values: Mapping[str, str]) -> float | None:
    """2004 RTE 4.2.19 cmi.score: scaled (-1..1) is the LMS's score (x100, below 0 kept as 0);
    without it, raw within min..max when both bounds are given."""
    scaled = _decimal(values, "cmi.score.scaled", Decimal(-1), Decimal(1))
    raw = _decimal(values, "cmi.score.raw", -_REAL_10, _REAL_10)
    low = _decimal(values, "cmi.score.min", -_REAL_10, _REAL_10)
    high = _decimal(values, "cmi.score.max", -_REAL_10, _REAL_10)
    _decimal(values, "cmi.progress_measure", Decimal(0), Decimal(1))
    if scaled is not None:
        return _percent(scaled, Decimal(0), Decimal(1))
    if low is None or high is None:
        return None
    return _percent(raw, low, high)


def _exit(values: Mapping[str, str], element: str, allowed: tuple[str, ...]) -> str | None:
    raw = values.get(element)
    if raw is None:
        return None
    if raw not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise RuntimeValueError(element, f"must be one of {shown}")
    return raw


def _lengths(version: str, values: Mapping[str, str]) -> None:
    for element, limit in RESUME_ELEMENTS[version].items():
        raw = values.get(element)
        if raw is not None and len(raw) > limit:
            raise RuntimeValueError(element, f"is longer than {limit} characters")


def read_runtime_commit(version: str, values: Mapping[str, str]) -> RuntimeReading:
    """Read a commit whole (``"1.2"`` or ``"2004"``); :class:`RuntimeValueError` naming the
    first malformed element."""
    outcome = map_runtime_commit(version, values)
    if version == "1.2":
        seconds = _session_seconds_12(values)
        _lengths(version, values)
        status = values.get(SCORM12_LESSON_STATUS) or None
        success = status if status in ("passed", "failed") else None
        return RuntimeReading(
            seconds,
            outcome.completed,
            outcome.passed,
            status,
            success,
            _score_12(values),
            _exit(values, SCORM12_EXIT, _EXIT_12),
        )
    seconds = _session_seconds_2004(values)
    _lengths(version, values)
    return RuntimeReading(
        seconds,
        outcome.completed,
        outcome.passed,
        values.get(SCORM2004_COMPLETION_STATUS) or None,
        values.get(SCORM2004_SUCCESS_STATUS) or None,
        _score_2004(values),
        _exit(values, SCORM2004_EXIT, _EXIT_2004),
    )


def _session_seconds_12(values: Mapping[str, str]) -> Decimal:
    raw = values.get(SCORM12_SESSION_TIME)
    return Decimal(0) if raw in (None, "") else parse_cmi_timespan(raw)


def _session_seconds_2004(values: Mapping[str, str]) -> Decimal:
    raw = values.get(SCORM2004_SESSION_TIME)
    if raw in (None, ""):
        return Decimal(0)
    try:
        return parse_record_duration(raw)
    except DurationFormatError as exc:
        raise RuntimeValueError(SCORM2004_SESSION_TIME, str(exc)) from None


# --- total_time, written back in each version's type -------------------------------------------


def format_cmi_timespan(centiseconds: int) -> str:
    """1.2 CMITimespan ``HHHH:MM:SS.SS`` (RTE 3.4.2); at most 9999 hours, as the type allows."""
    centiseconds = min(centiseconds, 9999 * 360000 + 359999)
    seconds, hundredths = divmod(centiseconds, 100)
    hours, rest = divmod(seconds, 3600)
    minutes, whole = divmod(rest, 60)
    return f"{hours:04d}:{minutes:02d}:{whole:02d}.{hundredths:02d}"


def format_iso_duration(centiseconds: int) -> str:
    """2004 ``timeinterval (second,10,2)`` (RTE 4.1.1.7) such as ``PT1H2M3.45S``."""
    seconds, hundredths = divmod(centiseconds, 100)
    hours, rest = divmod(seconds, 3600)
    minutes, whole = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if whole or hundredths or text == "PT":
        text += f"{whole}.{hundredths:02d}S" if hundredths else f"{whole}S"
    return text
