"""学时 conversion and the guards that decide which hours entries enter the ledger.

1 学时 = 45 minutes. The ledger stores integer minutes; 学时 is a presentation unit.

:func:`evaluate_entries` is pure: the DB layer loads the people's existing entries and the
enrollments (:class:`GuardContext`), calls it, writes the accepted entries and reports every
outcome. Already-written external ids are filtered by the DB layer before the call (the ledger's
unique key makes the write idempotent); this module sees only new candidates.

Rejection reason codes (all that apply are reported, except that an ``invalid_interval`` or
``duplicate_in_batch`` entry is not checked further):

- ``invalid_interval``: no start, neither end nor minutes, end not after start, minutes <= 0,
  minutes longer than the interval, or a naive datetime;
- ``duplicate_in_batch``: the same (source, external id) earlier in this batch with different
  content (the same content again is reported as ``duplicate`` and written once);
- ``unknown_enrollment``: the enrollment is not in the context or belongs to another person;
- ``enrollment_not_active``: the enrollment is not enrolled / in progress;
- ``outside_offering_dates``: the session starts or ends outside the offering's dates;
- ``overlaps_existing_session``: the interval overlaps another session of the same person
  (any enrollment, existing or accepted earlier in the batch); touching ends do not overlap;
- ``daily_cap_exceeded``: the person's minutes on that day (Asia/Shanghai, all enrollments)
  would exceed the cap (default 8 h);
- ``online_share_exceeded``: online minutes of the enrollment would exceed the offering's online
  share of its required minutes (blended); offline offerings accept no online minutes.

Decisions:

- Candidates are evaluated in order; each accepted one counts against later ones.
- No clipping: an entry that would exceed a cap is rejected whole, never shortened. A partial
  entry would no longer match its source record (attendance sheet, xAPI statement) and a retry
  with the same external id could not be recognised as identical.
- An entry belongs to the local (Asia/Shanghai) day on which it starts, also when it crosses
  midnight.
- ``classroom`` and ``import`` entries are offline; ``online_session``, ``xapi`` and ``scorm`` are
  online. A candidate may override with ``online=True/False`` (e.g. an import of online hours).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from enum import StrEnum

from service.core.timeutil import CITY_TZ
from service.training.reasons import Reason
from service.training.reference_data import OfferingMode
from service.training.states import EnrollmentState, is_active

MINUTES_PER_XUESHI = 45
DEFAULT_DAILY_CAP_MINUTES = 8 * 60
DEFAULT_ONLINE_SHARE_CAP = Decimal("0.5")

INVALID_INTERVAL = "invalid_interval"
DUPLICATE_IN_BATCH = "duplicate_in_batch"
UNKNOWN_ENROLLMENT = "unknown_enrollment"
ENROLLMENT_NOT_ACTIVE = "enrollment_not_active"
OUTSIDE_OFFERING_DATES = "outside_offering_dates"
OVERLAPS_EXISTING_SESSION = "overlaps_existing_session"
DAILY_CAP_EXCEEDED = "daily_cap_exceeded"
ONLINE_SHARE_EXCEEDED = "online_share_exceeded"


def minutes_to_xueshi(minutes: int) -> Decimal:
    """学时 for a number of minutes, as a Decimal with 2 places, rounded *down*.

    Rounding down means a displayed total never claims more than was earned (e.g. 1799 minutes is
    39.97 学时, not 40.00). Completion is decided on minutes, never on this rounded figure.
    """
    if minutes < 0:
        raise ValueError("minutes cannot be negative")
    return (Decimal(minutes) / MINUTES_PER_XUESHI).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def xueshi_to_minutes(xueshi: Decimal | int | str) -> int:
    """Minutes for a number of 学时, rounded *up* to a whole minute.

    Used for requirements: rounding up means a requirement of 0.5 学时 (22.5 min) is met only by
    23 minutes, never by less than the stated 学时. Floats are refused (binary fractions).
    """
    if isinstance(xueshi, float | bool):
        raise TypeError("pass 学时 as Decimal, int or str, not float")
    value = Decimal(xueshi)
    if not value.is_finite() or value < 0:
        raise ValueError("学时 must be a finite, non-negative number")
    return int((value * MINUTES_PER_XUESHI).to_integral_value(rounding=ROUND_CEILING))


class HoursSource(StrEnum):
    CLASSROOM = "classroom"
    ONLINE_SESSION = "online_session"
    XAPI = "xapi"
    SCORM = "scorm"
    IMPORT = "import"


ONLINE_SOURCES = frozenset({HoursSource.ONLINE_SESSION, HoursSource.XAPI, HoursSource.SCORM})


@dataclass(frozen=True, slots=True)
class HoursCandidate:
    """A proposed ledger entry. ``started_at`` is required; then ``ended_at`` and/or ``minutes``."""

    external_id: str
    source: HoursSource
    person_key: str
    enrollment_id: str
    started_at: datetime | None
    ended_at: datetime | None = None
    minutes: int | None = None
    online: bool | None = None

    @property
    def is_online(self) -> bool:
        return self.online if self.online is not None else self.source in ONLINE_SOURCES


@dataclass(frozen=True, slots=True)
class ExistingEntry:
    """An entry already in the ledger for a person (any enrollment)."""

    started_at: datetime
    minutes: int
    ended_at: datetime | None = None


@dataclass(slots=True)
class PersonHistory:
    """What the guards need to know about a person's ledger: intervals and minutes per day."""

    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)
    minutes_by_day: dict[date, int] = field(default_factory=dict)

    @classmethod
    def from_entries(cls, entries: Iterable[ExistingEntry], tz: tzinfo = CITY_TZ) -> PersonHistory:
        history = cls()
        for entry in entries:
            history.add(entry.started_at, entry.ended_at, entry.minutes, tz)
        return history

    def add(
        self,
        start: datetime,
        end: datetime | None,
        minutes: int,
        tz: tzinfo,
        day: date | None = None,
    ) -> None:
        """``day``: the start's local date in ``tz`` when the caller knows it already."""
        if end is not None:
            self.intervals.append((start, end))
        if day is None:
            day = start.astimezone(tz).date()
        self.minutes_by_day[day] = self.minutes_by_day.get(day, 0) + minutes

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return any(
            start < other_end and other_start < end for other_start, other_end in self.intervals
        )


@dataclass(frozen=True, slots=True)
class OfferingWindow:
    """The parts of an offering the guards use."""

    mode: OfferingMode
    starts_on: date
    ends_on: date
    required_minutes: int
    online_share_cap: Decimal = DEFAULT_ONLINE_SHARE_CAP  # fraction of required minutes

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.online_share_cap <= Decimal(1):
            raise ValueError("online share cap must be a fraction between 0 and 1")
        if self.ends_on < self.starts_on:
            raise ValueError("an offering cannot end before it starts")

    @property
    def online_minutes_cap(self) -> int | None:
        """Maximum online minutes for one enrollment; ``None`` when unlimited (online mode)."""
        if self.mode == OfferingMode.ONLINE:
            return None
        if self.mode == OfferingMode.OFFLINE:
            return 0
        return int(self.online_share_cap * self.required_minutes)


@dataclass(slots=True)
class EnrollmentFacts:
    """One enrollment: its owner, state, offering and the online minutes already recorded."""

    enrollment_id: str
    person_key: str
    state: EnrollmentState
    offering: OfferingWindow
    online_minutes: int = 0


@dataclass(slots=True)
class GuardContext:
    persons: dict[str, PersonHistory]
    enrollments: dict[str, EnrollmentFacts]
    daily_cap_minutes: int = DEFAULT_DAILY_CAP_MINUTES
    tz: tzinfo = CITY_TZ


@dataclass(frozen=True, slots=True)
class EntryOutcome:
    external_id: str
    source: HoursSource
    status: str  # "accepted" | "rejected" | "duplicate"
    minutes: int | None
    reasons: tuple[Reason, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


def _entry_minutes(c: HoursCandidate) -> tuple[int | None, Reason | None]:
    def bad(message: str) -> tuple[None, Reason]:
        return None, Reason(INVALID_INTERVAL, message)

    if c.started_at is None:
        return bad("a start time is required")
    for moment in (c.started_at, c.ended_at):
        if moment is not None and moment.utcoffset() is None:
            return bad("times must carry a time zone")
    if c.ended_at is None and c.minutes is None:
        return bad("an end time or a number of minutes is required")
    if c.minutes is not None and c.minutes <= 0:
        return bad("minutes must be positive")
    if c.ended_at is None:
        return c.minutes, None
    if c.ended_at <= c.started_at:
        return bad("the end time must be after the start time")
    span = int((c.ended_at - c.started_at).total_seconds() // 60)
    if c.minutes is not None and c.minutes > span:
        return bad("minutes are longer than the interval")
    minutes = c.minutes if c.minutes is not None else span
    if minutes <= 0:
        return bad("the interval is shorter than one minute")
    return minutes, None


def evaluate_entries(
    candidates: Sequence[HoursCandidate], context: GuardContext
) -> list[EntryOutcome]:
    """Evaluate candidates in order; return one outcome per candidate, in the same order.

    ``context`` is updated as entries are accepted (person intervals, day totals, online
    minutes), so pass a fresh context per batch.
    """
    seen: dict[tuple[HoursSource, str], HoursCandidate] = {}
    outcomes: list[EntryOutcome] = []
    days: dict[datetime, date] = {}  # a batch repeats its start and end times: each read once
    for candidate in candidates:
        key = (candidate.source, candidate.external_id)
        if key in seen:
            if seen[key] == candidate:
                outcomes.append(
                    EntryOutcome(candidate.external_id, candidate.source, "duplicate", None)
                )
            else:
                reason = Reason(
                    DUPLICATE_IN_BATCH,
                    "the same external id appears earlier in this batch with different content",
                )
                outcomes.append(
                    EntryOutcome(
                        candidate.external_id, candidate.source, "rejected", None, (reason,)
                    )
                )
            continue
        seen[key] = candidate
        outcomes.append(_evaluate_one(candidate, context, days))
    return outcomes


def _local_day(moment: datetime, tz: tzinfo, days: dict[datetime, date]) -> date:
    """The local date of an aware moment (equal instants hash alike, whatever their zone)."""
    day = days.get(moment)
    if day is None:
        day = days[moment] = moment.astimezone(tz).date()
    return day


def _evaluate_one(c: HoursCandidate, ctx: GuardContext, days: dict[datetime, date]) -> EntryOutcome:
    minutes, invalid = _entry_minutes(c)
    if invalid is not None or minutes is None:
        return EntryOutcome(c.external_id, c.source, "rejected", None, (invalid,))
    assert c.started_at is not None
    reasons: list[Reason] = []
    person = ctx.persons.setdefault(c.person_key, PersonHistory())
    enrollment = ctx.enrollments.get(c.enrollment_id)

    if enrollment is None or enrollment.person_key != c.person_key:
        reasons.append(Reason(UNKNOWN_ENROLLMENT, "no such enrollment for this person"))
    else:
        if not is_active(enrollment.state):
            reasons.append(
                Reason(
                    ENROLLMENT_NOT_ACTIVE,
                    f"enrollment is {enrollment.state}; hours are recorded only while it is "
                    "enrolled or in progress",
                )
            )
        offering = enrollment.offering
        first = _local_day(c.started_at, ctx.tz, days)
        last = first if c.ended_at is None else _local_day(c.ended_at, ctx.tz, days)
        if min(first, last) < offering.starts_on or max(first, last) > offering.ends_on:
            reasons.append(
                Reason(
                    OUTSIDE_OFFERING_DATES,
                    "the session is outside the offering's dates "
                    f"({offering.starts_on.isoformat()} to {offering.ends_on.isoformat()})",
                )
            )
        cap = offering.online_minutes_cap
        if c.is_online and cap is not None and enrollment.online_minutes + minutes > cap:
            reasons.append(
                Reason(
                    ONLINE_SHARE_EXCEEDED,
                    f"online minutes would reach {enrollment.online_minutes + minutes}, over the "
                    f"offering's online cap of {cap} minutes",
                )
            )

    if c.ended_at is not None and person.overlaps(c.started_at, c.ended_at):
        reasons.append(
            Reason(
                OVERLAPS_EXISTING_SESSION, "the session overlaps another session of the same person"
            )
        )

    day = _local_day(c.started_at, ctx.tz, days)
    day_total = person.minutes_by_day.get(day, 0) + minutes
    if day_total > ctx.daily_cap_minutes:
        reasons.append(
            Reason(
                DAILY_CAP_EXCEEDED,
                f"the person's minutes on {day.isoformat()} would reach {day_total}, "
                f"over the daily cap of {ctx.daily_cap_minutes}",
            )
        )

    if reasons:
        return EntryOutcome(c.external_id, c.source, "rejected", minutes, tuple(reasons))
    person.add(c.started_at, c.ended_at, minutes, ctx.tz, day)
    if c.is_online and enrollment is not None:
        enrollment.online_minutes += minutes
    return EntryOutcome(c.external_id, c.source, "accepted", minutes)
