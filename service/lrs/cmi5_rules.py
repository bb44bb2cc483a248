"""The cmi5 rules the LRS applies as an LMS (cmi5 6.3, 9.3): statements it refuses, what the
AU's statements mean for moveOn, and the Satisfied statements that follow.

Refusals (``check_batch``, before anything is stored; cmi5 6.3: the LMS SHOULD reject statements
that break section 9), for statements sent with a cmi5 AU's launch token, all or nothing:

- after its session ended: Terminated was recorded (9.3.8: "after which it MUST reject
  statements (of any kind) for the AU session"; the wait here is zero) or the LMS recorded
  Abandoned (9.3.6: "MUST NOT allow any additional statements"), also later in the same batch;
- a cmi5 defined statement before the session's Initialized, or a second Initialized (9.3.2);
- a cmi5 defined Completed, Passed or Failed in a Browse or Review launch (10 launchMode);
- a cmi5 defined statement with a verb only the LMS uses (Launched, Satisfied, Abandoned,
  Waived; 9.3.1, 9.3.6, 9.3.7, 9.3.9).

All are 403 (the credentials may not record this), with a code and message naming the rule. A
statement already stored is compared, not checked again, so an AU retrying its Terminated gets
the usual no-op.

After storing (``after_store``): the session's Initialized/Terminated/last statement times are
kept (the abandon sweep reads them); a cmi5 defined Completed or Passed whose object is an AU's
LMS-generated activity id is recorded for that AU (``cmi5_progress``), moveOn is evaluated, and
the newly satisfied blocks and course get Satisfied statements (9.3.9) with the AU session's id;
when the course is satisfied, the enrolment gets its package result and the completion check,
once. "cmi5 allowed" statements (no cmi5 category) count for nothing here (7.1.3).

Those statements and the enrolment's completion are the only package results of a cmi5 AU: the
projection ignores completed/passed of statements this module governs (``governed_seqs``), so a
Completed of an AU whose moveOn is Passed completes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from content.formats.model import CMI5
from content.models import PackageVersion
from service.core.errors import Forbidden
from service.core.settings import Settings, get_settings
from service.core.timeutil import utcnow
from service.lrs import cmi5_statements as lms
from service.lrs.access import LrsCaller
from service.packages.cmi5_progress import record_au, satisfy
from service.packages.enrollment_launch import BROWSE, REVIEW, actor_for
from service.packages.launch_models import LaunchSession
from service.training.completion import complete_if_due
from service.training.models import Enrollment, Learner
from service.training.progress import (
    apply_package_result,
    ensure_started,
    lock_enrollment,
    lock_learner,
)
from service.training.states import is_active
from service.training.xapi_mapping import ADL, COMPLETED, FAILED, INITIALIZED, PASSED, TERMINATED

JUDGED = frozenset({COMPLETED, PASSED, FAILED})
VOIDED = ADL + "voided"
SESSION_ID = lms.SESSION_ID
LMS_VERBS = {
    lms.LAUNCHED: "Launched",
    lms.SATISFIED: "Satisfied",
    lms.ABANDONED: "Abandoned",
    lms.WAIVED: "Waived",
}


def is_cmi5_defined(statement: dict) -> bool:
    """Carries the cmi5 category activity (cmi5 7.1.3, 9.6.2.1)."""
    context = statement.get("context") or {}
    categories = (context.get("contextActivities") or {}).get("category") or []
    if isinstance(categories, dict):
        categories = [categories]
    return any(isinstance(c, dict) and c.get("id") == lms.CMI5_CATEGORY for c in categories)


def _verb(statement: dict) -> str:
    return str((statement.get("verb") or {}).get("id", ""))


def _object_id(statement: dict) -> str | None:
    target = statement.get("object") or {}
    if target.get("objectType", "Activity") != "Activity":
        return None
    return target.get("id")


def _session_row(
    session: Session, caller: LrsCaller, *, lock: bool = False
) -> LaunchSession | None:
    """The caller's cmi5 launch session (row-locked on PostgreSQL when ``lock``), if any."""
    if caller.launch_session_id is None:
        return None
    query = select(LaunchSession).where(LaunchSession.session_id == caller.launch_session_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.exec(query).first()
    return row if row is not None and row.format == CMI5 else None


def _refuse(code: str, message: str) -> Forbidden:
    return Forbidden(code, message)


def check_batch(session: Session, caller: LrsCaller, statements: list[dict]) -> None:
    """Refuse the batch if a statement breaks a session rule (module docstring)."""
    if caller.actor is not None and caller.launch_session_id is None:
        _learner_batch(session, statements)
        return
    row = _session_row(session, caller, lock=True)
    if row is None or not statements:
        return
    if row.abandoned_at is not None:
        raise _refuse(
            "cmi5-session-abandoned",
            "This cmi5 session was closed as abandoned (no Terminated came in time); nothing "
            "more is recorded for it (cmi5 9.3.6). Launch the AU again for a new session.",
        )
    if row.terminated_at is not None:
        raise _refuse(
            "cmi5-session-terminated",
            "This cmi5 session has ended with Terminated; statements for it are refused "
            "(cmi5 9.3.8). Launch the AU again for a new session.",
        )
    initialized = row.initialized_at is not None
    terminated = False
    for index, statement in enumerate(statements):
        which = f"statement {index}" if len(statements) > 1 else "the statement"
        verb = _verb(statement)
        if terminated:
            raise _refuse(
                "cmi5-session-terminated",
                f"{which} follows the session's Terminated; statements after it are refused "
                "(cmi5 9.3.8).",
            )
        if verb == VOIDED:
            raise _refuse(
                "cmi5-voiding",
                f"{which}: an AU's launch credentials cannot void statements; voiding is the "
                "LMS's (cmi5 6.3: the AU gets credentials scoped to its own session).",
            )
        if not is_cmi5_defined(statement):
            continue
        _same_session(statement, row, which)
        if verb in LMS_VERBS:
            raise _refuse(
                "cmi5-lms-verb",
                f"{which}: {LMS_VERBS[verb]} is recorded by the LMS, never by the AU (cmi5 9.3).",
            )
        if verb == INITIALIZED:
            if initialized:
                raise _refuse(
                    "cmi5-initialized-twice",
                    f"{which}: this session is already initialized; an AU sends Initialized "
                    "once per session (cmi5 9.3.2).",
                )
            initialized = True
            continue
        if not initialized:
            raise _refuse(
                "cmi5-not-initialized",
                f"{which}: a cmi5 defined statement came before the session's Initialized, "
                "which must be the first statement (cmi5 9.3.2).",
            )
        if verb == TERMINATED:
            terminated = True
        elif verb in JUDGED and row.launch_mode in (BROWSE, REVIEW):
            raise _refuse(
                "cmi5-launch-mode",
                f"{which}: the AU was launched in {row.launch_mode} mode, where it must not "
                "record Completed, Passed or Failed (cmi5 10 launchMode).",
            )


def _same_session(statement: dict, row: LaunchSession, which: str) -> None:
    """A cmi5 defined statement is about this launch's AU and session: its object is the AU's
    activity id from the launch URL (cmi5 9.4) and its session id extension this session's
    (cmi5 9.6.3.1), so an AU's credentials cannot satisfy another AU."""
    if row.activity_id and _object_id(statement) != row.activity_id:
        raise _refuse(
            "cmi5-wrong-activity",
            f"{which}: a cmi5 defined statement's object must be the AU's activityId from its "
            "launch URL (cmi5 9.4).",
        )
    extensions = (statement.get("context") or {}).get("extensions") or {}
    if str(extensions.get(SESSION_ID, "")) != str(row.session_id):
        raise _refuse(
            "cmi5-wrong-session",
            f"{which}: a cmi5 defined statement must carry this launch's session id in its "
            "context extensions (cmi5 9.6.3.1).",
        )


def _learner_batch(session: Session, statements: list[dict]) -> None:
    """A learner's own credentials may record xAPI statements about themselves, but in a
    registration whose AUs this LMS launches, cmi5 defined statements come only from an AU
    through its launch (cmi5 9.3), where the session rules above apply. (Records of training
    that no launch of ours governs, sent cmi5-shaped by the platform's apps, are kept as
    before.)"""
    defined = {
        index: str((statement.get("context") or {}).get("registration", ""))
        for index, statement in enumerate(statements)
        if is_cmi5_defined(statement)
    }
    registrations = set()
    for value in defined.values():
        try:
            registrations.add(uuid.UUID(value))
        except ValueError:
            continue
    if not registrations:
        return
    governed = {
        str(r)
        for r in session.exec(
            select(LaunchSession.registration).where(
                col(LaunchSession.registration).in_(registrations),
                LaunchSession.format == CMI5,
            )
        ).all()
    }
    for index, registration in defined.items():
        if registration in governed:
            which = f"statement {index}" if len(statements) > 1 else "the statement"
            raise _refuse(
                "cmi5-launch-only",
                f"{which} is a cmi5 defined statement: only the AU records those, with the "
                "credentials of its launch (cmi5 9.3).",
            )


def _au_sessions(session: Session, rows: list) -> dict[tuple[uuid.UUID, str], LaunchSession]:
    """(registration, LMS-generated activity id) -> the latest cmi5 launch session of it."""
    registrations = {r.registration for r in rows if r.registration is not None}
    objects = {o for r in rows if (o := _object_id(r.content))}
    if not registrations or not objects:
        return {}
    found = session.exec(
        select(LaunchSession)
        .where(
            col(LaunchSession.registration).in_(registrations),
            col(LaunchSession.activity_id).in_(objects),
            LaunchSession.format == CMI5,
        )
        .order_by(col(LaunchSession.created_at))
    ).all()
    return {(s.registration, s.activity_id or ""): s for s in found}


def governed_seqs(session: Session, rows: list, caller: LrsCaller) -> set[int]:
    """The rows whose package results come only from cmi5 moveOn: everything a cmi5 AU's launch
    token sends, and any statement about a cmi5 AU's LMS-generated activity id."""
    if _session_row(session, caller) is not None:
        return {r.seq for r in rows}
    mapped = _au_sessions(session, rows)
    return {r.seq for r in rows if (r.registration, _object_id(r.content) or "") in mapped}


@dataclass(frozen=True)
class FollowUp:
    """Statements the LMS records because of what was just stored, and with which caller."""

    caller: LrsCaller
    statements: list[dict]
    version: str = lms.XAPI_VERSION


def after_store(session: Session, caller: LrsCaller, rows: list) -> list[FollowUp]:
    """Track the caller's session, record AU results, evaluate moveOn (module docstring)."""
    settings = get_settings()
    now = utcnow()
    own = _session_row(session, caller)
    if own is not None:
        _track(session, own, [r.content for r in rows], now)
    results = [
        r
        for r in rows
        if r.enrollment_id is not None
        and not r.voided
        and r.voids is None
        and _verb(r.content) in (COMPLETED, PASSED)
        and is_cmi5_defined(r.content)
    ]
    if not results:
        return []
    mapped = _au_sessions(session, results)
    touched: dict = {}
    for r in results:
        au_session = mapped.get((r.registration, _object_id(r.content) or ""))
        if au_session is None or au_session.launch_mode in (BROWSE, REVIEW):
            continue
        enrollment = session.get(Enrollment, r.enrollment_id)
        version = session.get(PackageVersion, au_session.package_version_id)
        if enrollment is None or version is None:
            continue
        verb = _verb(r.content)
        lock_learner(session, enrollment.learner_id)
        enrollment = lock_enrollment(session, enrollment.id)
        record_au(
            session,
            settings,
            enrollment,
            version.package_id,
            au_session.au_id,
            now,
            completed=verb == COMPLETED,
            passed=verb == PASSED,
        )
        session_id = (
            own.session_id
            if own is not None
            else ((r.content.get("context") or {}).get("extensions") or {}).get(lms.SESSION_ID)
        )
        touched[(enrollment.id, version.id)] = (enrollment, version, session_id)
    follow: list[dict] = []
    for enrollment, version, session_id in touched.values():
        follow.extend(
            evaluate_registration(
                session, settings, enrollment, version, session_id=session_id, now=now
            )
        )
    if not follow:
        return []
    return [FollowUp(lms.lms_caller(settings, caller.principal.user_id), follow)]


def _track(session: Session, row: LaunchSession, statements: list[dict], now: datetime) -> None:
    row.last_statement_at = now
    for statement in statements:
        if not is_cmi5_defined(statement):
            continue
        verb = _verb(statement)
        if verb == INITIALIZED and row.initialized_at is None:
            row.initialized_at = now
        elif verb == TERMINATED and row.terminated_at is None:
            row.terminated_at = now
    session.add(row)
    session.flush()


def evaluate_registration(
    session: Session,
    settings: Settings,
    enrollment: Enrollment,
    version: PackageVersion,
    *,
    session_id: uuid.UUID | str | None,
    now: datetime,
) -> list[dict]:
    """Mark what moveOn now satisfies and return the Satisfied statements to record; a newly
    satisfied course gives the enrolment its package result and the completion check.
    ``session_id``: the AU session that triggered it, None outside one (cmi5 9.6.1: then a
    new unique session id)."""
    lock_learner(session, enrollment.learner_id)
    enrollment = lock_enrollment(session, enrollment.id)
    outcome = satisfy(session, settings, enrollment, version, now)
    if not outcome.newly:
        return []
    learner = session.get(Learner, enrollment.learner_id)
    assert learner is not None  # enrollment.learner_id is a foreign key
    actor = actor_for(settings, learner)
    sid = session_id or uuid.uuid4()
    statements = [
        lms.satisfied(
            actor,
            kind=node.kind,
            activity_id=node.activity_id,
            publisher_id=node.publisher_id,
            title=node.title,
            registration=enrollment.registration,
            session_id=sid,
            at=now,
        )
        for node in outcome.newly
    ]
    if outcome.course_newly and is_active(enrollment.state):
        enrollment = ensure_started(session, enrollment, now)
        apply_package_result(enrollment, True, outcome.passed, None)
        session.add(enrollment)
        session.flush()
        complete_if_due(session, enrollment, now)
    return statements
