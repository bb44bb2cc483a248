"""Where on the clock a SCORM commit's minutes go in the hours ledger.

A SCORM runtime reports only how long a session lasted (``session_time``), not when. The ledger
needs an interval (its overlap guard compares intervals of the same person), so the commit's
minutes are laid out ending when the session ended (``ended_at``, else when the commit arrived).

Two commits that arrive close together (two SCOs one after the other, or a client that sends
each session at its end without ``ended_at``) would then both end "now" and overlap, and the
ledger would refuse the second as overlapping the first: the learner's own runtime would lose
time to itself. So the interval is laid back to back with the enrolment's earlier SCORM
intervals: when it would overlap them, it is moved to end where the overlapping run of them
starts, and again if that overlaps an earlier one. Moving it *earlier* rather than later keeps
every interval in the past (a session never ends after the commit that reports it) and leaves
the minutes unchanged. Only the enrolment's own SCORM intervals are avoided this way: an overlap
with anything else (a classroom session, another enrolment) is still the ledger's to refuse.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from service.training.hours_rules import HoursSource
from service.training.models import HoursEntry


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def place_interval(
    session: Session,
    enrollment_id: uuid.UUID,
    end: datetime,
    minutes: int,
    not_before: datetime | None = None,
) -> tuple[datetime, datetime, int] | None:
    """``(start, end, minutes)`` ending at or before ``end``, overlapping none of the
    enrolment's SCORM ledger intervals (touching ends do not overlap).

    ``not_before`` bounds how far back it may go: a player's commits belong to its launch, so
    time before the launch cannot be claimed (content can read the player's token, and must not
    be able to fill the days before it with sessions). What does not fit after ``not_before``
    is cut off: the minutes returned may be fewer, and None means none fit."""
    span = timedelta(minutes=minutes)
    end = end.astimezone(UTC)  # SQLite compares stored UTC wall times
    rows = session.exec(
        select(HoursEntry.started_at, HoursEntry.ended_at).where(
            HoursEntry.enrollment_id == enrollment_id,
            HoursEntry.source == str(HoursSource.SCORM),
            HoursEntry.minutes > 0,
            HoursEntry.ended_at.is_not(None),  # type: ignore[union-attr]
            HoursEntry.started_at < end,
        )
    ).all()
    intervals = [(_aware(start), _aware(stop)) for start, stop in rows if stop is not None]
    start = end - span
    while True:
        overlapping = [s for s, e in intervals if s < end and start < e]
        if not overlapping:
            break
        end = min(overlapping)  # strictly earlier than before: the loop ends
        start = end - span
    if not_before is not None and start < _aware(not_before):
        start = _aware(not_before)
        fitted = int((end - start).total_seconds() // 60)
        if fitted <= 0:
            return None
        return end - timedelta(minutes=fitted), end, fitted
    return start, end, minutes
