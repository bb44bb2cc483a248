"""Learning records from packages: SCORM runtime commits.

xAPI statements are stored by the LRS (:mod:`service.lrs`), which feeds enrolments through
:mod:`service.lrs.projection` with the rules of :mod:`.xapi_mapping`.

SCORM: a commit (``commit_id`` chosen by the client) is idempotent on (enrollment, commit_id):
the same request again is answered as before, a different one with the same id is a 409.

Session time is counted exactly once. ``session_time`` is the time of the SCO's current
session (1.2 RTE 3.4 cmi.core.session_time, 2004 RTE 4.2.20 cmi.session_time), so the
commits of one runtime session (the player's ``runtime_session``, one per Initialize) are
cumulative: the ledger receives only the increase of the session's whole minutes over the
highest session time already committed for it, whatever order the commits arrive in, as one
entry per commit whose source id is the commit's (a replay finds it). A commit without a
runtime session is a session of its own, as older clients send one commit per session.

Each accepted commit also updates the SCO's runtime state (:mod:`.runtime_state`), its status
and score feed the enrolment (:func:`.progress.apply_package_result`), all in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from content.models import PackageVersion
from service.accounts.access import Principal
from service.core.errors import Conflict, Invalid
from service.core.timeutil import as_utc
from service.training.completion import complete_if_due
from service.training.hours_rules import HoursSource
from service.training.ledger import EntryIn, EntryResult, record_entries
from service.training.models import Enrollment, ScormCommit
from service.training.progress import (
    apply_package_result,
    ensure_started,
    lock_enrollment,
    lock_learner,
)
from service.training.runtime_intervals import place_interval
from service.training.runtime_state import course_outcome, record_commit
from service.training.scorm_runtime import (
    RuntimeReading,
    RuntimeValueError,
    map_runtime_commit,
    read_runtime_commit,
)
from service.training.states import is_active

CENTISECONDS_PER_MINUTE = 6000


def _request_hash(version: str, values: dict, identity: dict) -> str:
    """What makes two commits with one id "the same": the version and values, plus the sco,
    runtime session and sequence when given (so older clients' commits hash as before)."""
    body: dict = {"version": version, "values": values}
    body |= {key: value for key, value in identity.items() if value is not None}
    payload = json.dumps(body, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _centiseconds(seconds: Decimal) -> int:
    return int((seconds * 100).to_integral_value(rounding=ROUND_FLOOR))


def _read(version: str, values: dict) -> RuntimeReading:
    try:
        return read_runtime_commit(version, values)
    except RuntimeValueError as exc:
        raise Invalid(
            "scorm-invalid-value", f"{exc.element}: {exc.message}.", field=exc.element
        ) from None


def scorm_commit(
    session: Session,
    principal: Principal,
    enrollment: Enrollment,
    *,
    version: str,
    commit_id: str,
    values: dict[str, str],
    now: datetime,
    ended_at: datetime | None = None,
    sco_id: str | None = None,
    runtime_session: str | None = None,
    sequence: int | None = None,
    final: bool = False,
    package_version_id: uuid.UUID | None = None,
    not_before: datetime | None = None,
) -> dict:
    """Apply one SCORM runtime commit; returns what happened (caller commits).

    The session's new minutes are taken to have ended at ``ended_at`` (default: now), laid
    before the enrolment's earlier SCORM intervals when they would overlap them
    (:mod:`.runtime_intervals`), and never before ``not_before`` (the launch a player's
    commit belongs to). ``final`` (Terminate/LMSFinish or page unload) is reported back; the
    time and values count the same either way."""
    if ended_at is not None and ended_at > now + timedelta(minutes=5):
        raise Invalid("scorm-invalid-value", "ended_at is in the future.", field="ended_at")
    end = (ended_at or now).astimezone(UTC)
    identity = {"sco_id": sco_id, "runtime_session": runtime_session, "sequence": sequence}
    digest = _request_hash(version, values, identity)
    reading = _read(version, values)  # malformed values: 422 before anything is written

    lock_learner(session, enrollment.learner_id)  # lock order: learner, then enrollment
    previous = _find_commit(session, enrollment.id, commit_id)
    if previous is not None:
        return _replay(previous, digest)

    session_cs = _centiseconds(reading.session_seconds)
    before_cs = _session_high_water(session, enrollment.id, runtime_session)
    added_cs = max(session_cs - before_cs, 0)
    minutes = max(session_cs // CENTISECONDS_PER_MINUTE - before_cs // CENTISECONDS_PER_MINUTE, 0)
    savepoint = session.begin_nested()
    try:
        session.add(
            ScormCommit(
                enrollment_id=enrollment.id,
                commit_id=commit_id,
                version=version,
                cmi_values=values,
                request_hash=digest,
                minutes=minutes,
                stored_by=principal.user_id,
                created_at=now,
                sco_id=sco_id,
                runtime_session=runtime_session,
                sequence=sequence,
                session_centiseconds=session_cs,
            )
        )
        session.flush()
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        return _replay(_find_commit(session, enrollment.id, commit_id), digest)

    state = record_commit(
        session,
        enrollment_id=enrollment.id,
        sco_id=sco_id or "",
        version=version,
        values=values,
        reading=reading,
        added_centiseconds=added_cs,
        runtime_session=runtime_session,
        sequence=sequence,
        package_version_id=package_version_id,
        now=now,
    )
    completed, passed, score = reading.completed, reading.passed, reading.score
    version = session.get(PackageVersion, package_version_id) if package_version_id else None
    course = course_outcome(session, enrollment.id, version) if version and sco_id else None
    if course is not None:  # several SCOs: the course is done when all of them are
        completed, passed, score = course.completed, course.passed, course.score
    locked = lock_enrollment(session, enrollment.id)
    if is_active(locked.state):
        locked = ensure_started(session, locked, now)
        apply_package_result(locked, completed, passed, _score_to_keep(locked, passed, score))
        session.add(locked)
        session.flush()

    hours: EntryResult | None = None
    placed = place_interval(session, enrollment.id, end, minutes, not_before) if minutes else None
    if placed is not None:
        start, stop, fitted = placed
        (hours,) = record_entries(
            session,
            [
                EntryIn(
                    enrollment.id,
                    HoursSource.SCORM,
                    f"{enrollment.id}/{commit_id}",
                    start,
                    stop,
                    fitted,
                )
            ],
            recorded_by=principal.user_id,
            now=now,
        )
    complete_if_due(session, locked, now)
    return {
        "commit_id": commit_id,
        "replayed": False,
        "minutes": minutes,
        # minutes the session claims that do not fit after its launch are not recorded
        "minutes_recorded": placed[2] if placed is not None else 0,
        "session_minutes": reading.minutes,
        "completed": reading.completed,
        "passed": reading.passed,
        "score": reading.score,
        "final": final,
        "total_time_seconds": state.total_centiseconds / 100,
        "hours": None if hours is None else _hours_dict(hours),
    }


def _score_to_keep(
    enrollment: Enrollment, passed: bool | None, score: float | None
) -> float | None:
    """The package score the enrolment takes from this commit: the commit's (or the course's)
    score, except that a mastery already shown keeps the score it was shown with (a later
    non-passing session, e.g. a review, does not lower the score of a passed course)."""
    if score is None:
        return None
    if enrollment.package_passed is True and passed is not True:
        return None
    return score


def _session_high_water(session: Session, enrollment_id, runtime_session: str | None) -> int:
    """The highest session time (centiseconds) already committed in ``runtime_session``."""
    if runtime_session is None:
        return 0
    value = session.exec(
        select(func.max(ScormCommit.session_centiseconds)).where(
            ScormCommit.enrollment_id == enrollment_id,
            ScormCommit.runtime_session == runtime_session,
        )
    ).one()
    return int(value or 0)


def _find_commit(session, enrollment_id, commit_id) -> ScormCommit | None:
    return session.exec(
        select(ScormCommit).where(
            ScormCommit.enrollment_id == enrollment_id, ScormCommit.commit_id == commit_id
        )
    ).first()


def _replay(previous: ScormCommit | None, digest: str) -> dict:
    if previous is None:  # pragma: no cover - the unique key said it exists
        raise Conflict("scorm-commit-conflict", "This commit_id is being recorded.")
    if previous.request_hash != digest:
        raise Conflict(
            "scorm-commit-conflict",
            "This commit_id was already used with different values.",
        )
    outcome = map_runtime_commit(previous.version, previous.cmi_values)
    return {
        "commit_id": previous.commit_id,
        "replayed": True,
        "minutes": previous.minutes,
        "completed": outcome.completed,
        "passed": outcome.passed,
        "hours": None,
        "recorded_at": as_utc(previous.created_at).isoformat(),
    }


def _hours_dict(result: EntryResult) -> dict:
    return {
        "status": result.status,
        "minutes": result.minutes,
        "entry_id": str(result.entry_id) if result.entry_id else None,
        "reasons": result.reasons,
    }
