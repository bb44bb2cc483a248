"""Learning records from packages: xAPI statements and SCORM runtime commits.

xAPI (the subset a cmi5/TinCan package needs, xAPI 1.0.3): statement ids are idempotent. A
statement whose id is stored already is ignored when it *matches* the stored one and is a 409
when it does not; matching follows the spec's comparison rules (``authority``, ``stored``,
``timestamp``, ``version`` and ``attachments`` are not compared). A batch is all or nothing
(duplicate ids in one batch: 400). ``context.registration`` is required and names the enrollment
(the registration the platform handed to the package at launch). Session-ending statements
(terminated, abandoned, exited, suspended) with ``result.duration`` become ledger entries
(source ``xapi``, external id = statement id, interval = ``[timestamp - duration, timestamp]``);
cmi5 completed/passed/failed update the package progress (:mod:`.xapi_mapping`). Statements are
accepted even when their hours are not (e.g. over the daily cap): the LRS answers only ids, so
rejected hours go to ``hours_rejection``.

SCORM: a commit (``commit_id`` chosen by the client, one per SCO session, sent when the SCO
reports its final ``session_time``) is idempotent on (enrollment, commit_id): the same request
again is answered as before, a different one with the same id is a 409.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from service.accounts.access import Principal
from service.accounts.models import Role
from service.core.errors import BadRequest, Conflict, DomainError, Forbidden, Invalid, NotFound
from service.core.settings import get_settings
from service.core.timeutil import as_utc
from service.training.completion import complete_if_due
from service.training.hours_rules import HoursSource
from service.training.ledger import EntryIn, EntryResult, record_entries
from service.training.models import Enrollment, Learner, ScormCommit, XapiStatement
from service.training.progress import (
    apply_package_result,
    ensure_started,
    lock_enrollment,
    lock_learner,
)
from service.training.scorm_runtime import RuntimeValueError, map_runtime_commit
from service.training.states import is_active
from service.training.xapi_mapping import (
    ParsedStatement,
    StatementInvalid,
    parse_statement,
    session_interval,
    to_progress,
)

NOT_COMPARED = frozenset({"authority", "stored", "timestamp", "version", "attachments"})
MAX_STATEMENTS = 500


def _bad(detail: str, code: str = "xapi-bad-request", **extra) -> DomainError:
    return BadRequest(code, detail, **extra)


def comparison_hash(statement: dict) -> str:
    core = {k: v for k, v in statement.items() if k not in NOT_COMPARED}
    return hashlib.sha256(
        json.dumps(core, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


def _authority(principal: Principal) -> dict:
    return {
        "objectType": "Agent",
        "account": {"homePage": get_settings().public_base_url, "name": str(principal.user_id)},
    }


def _enrollments_for(session: Session, principal: Principal, registrations) -> dict:
    rows = session.exec(
        select(Enrollment, Learner).where(
            Enrollment.registration.in_(list(registrations)),
            Enrollment.learner_id == Learner.id,
        )
    ).all()
    if principal.registration is not None and set(registrations) != {principal.registration}:
        raise Forbidden(
            "forbidden", "This launch token may only send statements for its registration."
        )
    found = {enr.registration: (enr, learner) for enr, learner in rows}
    missing = set(registrations) - set(found)
    if missing:
        raise _bad(
            "context.registration does not name a known enrollment.", "xapi-unknown-registration"
        )
    if principal.role == Role.learner and any(
        learner.user_id != principal.user_id for _, learner in found.values()
    ):
        raise Forbidden(
            "forbidden", "A learner may only send statements for their own registration."
        )
    return {reg: enr for reg, (enr, _) in found.items()}


def store_statements(
    session: Session,
    principal: Principal,
    statements: list,
    now: datetime,
    *,
    statement_id: uuid.UUID | None = None,
) -> list[str]:
    """Validate and store statements (caller commits); return their ids in order."""
    if not statements:
        raise _bad("Send a statement or a non-empty array of statements.")
    if len(statements) > MAX_STATEMENTS:
        raise _bad(f"At most {MAX_STATEMENTS} statements per request.")
    parsed: list[tuple[dict, ParsedStatement, uuid.UUID]] = []
    for index, raw in enumerate(statements):
        try:
            p = parse_statement(raw)
        except StatementInvalid as exc:
            raise _bad(
                f"Statement {index}: {exc.field}: {exc.message}.",
                "xapi-invalid-statement",
                field=exc.field,
                index=index,
            ) from None
        if statement_id is not None and p.id is not None and p.id != statement_id:
            raise _bad("The statement id differs from the statementId parameter.")
        sid = statement_id or p.id or uuid.uuid4()
        if p.registration is None:
            raise _bad(
                f"Statement {index}: context.registration is required: it names the enrollment.",
                "xapi-registration-required",
            )
        parsed.append(({**raw, "id": str(sid)}, p, sid))
    ids = [sid for _, _, sid in parsed]
    if len(set(ids)) != len(ids):
        raise _bad(
            "The same statement id appears more than once in this batch.", "xapi-duplicate-id"
        )
    enrollments = _enrollments_for(session, principal, {p.registration for _, p, _ in parsed})

    stored = {
        row.id: row
        for row in session.exec(select(XapiStatement).where(XapiStatement.id.in_(ids))).all()
    }
    new = []
    for raw, p, sid in parsed:
        existing = stored.get(sid)
        if existing is None:
            new.append((raw, p, sid))
        elif existing.comparison_hash != comparison_hash(raw):
            raise Conflict(
                "xapi-statement-conflict",
                f"Statement {sid} is already stored with different content.",
            )
    for raw, p, sid in new:
        _store_one(session, principal, raw, p, sid, enrollments[p.registration], now)
    return [str(sid) for sid in ids]


def _store_one(session, principal, raw, p: ParsedStatement, sid, enrollment, now) -> None:
    document = {
        **raw,
        "stored": now.isoformat(),
        "authority": _authority(principal),
        "version": raw.get("version", "1.0.0"),
    }
    session.add(
        XapiStatement(
            id=sid,
            enrollment_id=enrollment.id,
            registration=p.registration,
            verb_id=p.verb_id,
            object_id=p.object_id,
            statement=document,
            comparison_hash=comparison_hash(raw),
            stored_by=principal.user_id,
            stored_at=now,
        )
    )
    session.flush()
    lock_learner(session, enrollment.learner_id)
    enrollment = lock_enrollment(session, enrollment.id)
    if not is_active(enrollment.state):
        _hours_for(session, principal, p, sid, enrollment, now)  # recorded as rejected
        return
    enrollment = ensure_started(session, enrollment, now)
    progress = to_progress(p)
    apply_package_result(enrollment, progress.completed, progress.passed, progress.score_scaled)
    session.add(enrollment)
    session.flush()
    _hours_for(session, principal, p, sid, enrollment, now)
    complete_if_due(session, enrollment, now)


def _hours_for(session, principal, p: ParsedStatement, sid, enrollment, now) -> None:
    progress = to_progress(p)
    if progress.minutes <= 0:
        return
    interval = session_interval(p)
    end = interval[1] if interval else now
    start = interval[0] if interval else now - timedelta(minutes=progress.minutes)
    record_entries(
        session,
        [EntryIn(enrollment.id, HoursSource.XAPI, str(sid), start, end, progress.minutes)],
        recorded_by=principal.user_id,
        now=now,
    )


def get_statement(session: Session, principal: Principal, statement_id: uuid.UUID) -> dict:
    row = session.get(XapiStatement, statement_id)
    if row is None:
        raise NotFound("not-found", "No statement with this id.")
    if principal.registration is not None and row.registration != principal.registration:
        raise Forbidden("forbidden", "This statement belongs to another registration.")
    if principal.role == Role.learner:
        learner = session.exec(
            select(Learner)
            .join(Enrollment, Enrollment.learner_id == Learner.id)
            .where(Enrollment.id == row.enrollment_id)
        ).one()
        if learner.user_id != principal.user_id:
            raise Forbidden("forbidden", "This statement belongs to another learner.")
    return row.statement


# --- SCORM ---------------------------------------------------------------------------------


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
