"""Learning records from packages: SCORM runtime commits.

xAPI statements are stored by the LRS (:mod:`service.lrs`), which feeds enrolments through
:mod:`service.lrs.projection` with the rules of :mod:`.xapi_mapping`.

SCORM: a commit (``commit_id`` chosen by the client, one per SCO session, sent when the SCO
reports its final ``session_time``) is idempotent on (enrollment, commit_id): the same request
again is answered as before, a different one with the same id is a 409.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

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
from service.training.scorm_runtime import RuntimeValueError, map_runtime_commit
from service.training.states import is_active


def _request_hash(version: str, values: dict) -> str:
    payload = json.dumps({"version": version, "values": values}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


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
) -> dict:
    """Apply one SCORM runtime commit; returns what happened (caller commits).

    The session is taken to have ended at ``ended_at`` (default: now) and to have lasted the
    reported session time; that interval is what the overlap guard sees."""
    if ended_at is not None and ended_at > now + timedelta(minutes=5):
        raise Invalid("scorm-invalid-value", "ended_at is in the future.", field="ended_at")
    end = ended_at or now
    digest = _request_hash(version, values)
    previous = _find_commit(session, enrollment.id, commit_id)
    if previous is not None:
        return _replay(session, previous, digest, enrollment)
    try:
        outcome = map_runtime_commit(version, values)
    except RuntimeValueError as exc:
        raise Invalid(
            "scorm-invalid-value", f"{exc.element}: {exc.message}.", field=exc.element
        ) from None
    savepoint = session.begin_nested()
    try:
        row = ScormCommit(
            enrollment_id=enrollment.id,
            commit_id=commit_id,
            version=version,
            cmi_values=values,
            request_hash=digest,
            minutes=outcome.minutes,
            stored_by=principal.user_id,
            created_at=now,
        )
        session.add(row)
        session.flush()
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        return _replay(session, _find_commit(session, enrollment.id, commit_id), digest, enrollment)

    hours: EntryResult | None = None
    lock_learner(session, enrollment.learner_id)
    locked = lock_enrollment(session, enrollment.id)
    if is_active(locked.state):
        locked = ensure_started(session, locked, now)
        apply_package_result(locked, outcome.completed, outcome.passed, None)
        session.add(locked)
        session.flush()
    if outcome.minutes > 0:
        (hours,) = record_entries(
            session,
            [
                EntryIn(
                    enrollment.id,
                    HoursSource.SCORM,
                    f"{enrollment.id}/{commit_id}",
                    end - timedelta(minutes=outcome.minutes),
                    end,
                    outcome.minutes,
                )
            ],
            recorded_by=principal.user_id,
            now=now,
        )
    complete_if_due(session, locked, now)
    return {
        "commit_id": commit_id,
        "replayed": False,
        "minutes": outcome.minutes,
        "completed": outcome.completed,
        "passed": outcome.passed,
        "hours": None if hours is None else _hours_dict(hours),
    }


def _find_commit(session, enrollment_id, commit_id) -> ScormCommit | None:
    return session.exec(
        select(ScormCommit).where(
            ScormCommit.enrollment_id == enrollment_id, ScormCommit.commit_id == commit_id
        )
    ).first()


def _replay(session, previous: ScormCommit, digest: str, enrollment: Enrollment) -> dict:
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
