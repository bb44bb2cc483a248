"""What the LMS does in the LRS on its own initiative for cmi5 (cmi5 9.3): "Launched" at every
launch, "Abandoned" for a session that never sent Terminated, "Waived" where an administrator
waives an AU, and the Satisfied statements those lead to. Each goes through the LRS's store
(:func:`service.lrs.statements.store_statements`) with the LMS as authority, so it is validated,
indexed, queryable and projected like any statement.

- Launch (:func:`record_launch`, registered on :func:`~service.packages.enrollment_launch.
  on_cmi5_launch` by ``service.wiring``): first the registration's other open sessions of a
  *different* AU are closed as abandoned (9.3.6: the LMS detects abnormal termination "by
  monitoring new statement or state API requests made for the same learner/course registration
  for a different AU"); then Launched is recorded (9.3.1: before the AU opens); then moveOn is
  evaluated, so AUs whose moveOn is NotApplicable satisfy their blocks and course from the first
  launch (9.6.1 asks for that at registration; a registration here gets its course version at
  first launch, so that is when the LMS can evaluate it).
- Abandon sweep (:func:`abandon_stale`, run by beat through the job ``cmi5.abandon_sessions``):
  a session initialized but neither terminated nor abandoned, silent for longer than
  ``SKILLS_CMI5_SESSION_TIMEOUT_SECONDS``, gets Abandoned with the duration from Launched to its
  last statement (9.5.4.2) and is closed: the LRS refuses its statements from then on.
- Waive (:func:`waive`): an administrator, or an org admin of the offering's organization,
  waives one AU with a reason from 9.5.5.2; Waived is written once per AU and registration with
  a session id of its own (9.3.7), and it meets the AU's moveOn whatever the rule.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from content.formats.model import CMI5
from content.models import PackageVersion
from content.versions import latest_published
from service.accounts.access import Principal, ensure_org_access
from service.accounts.models import Role
from service.core.errors import Conflict, Forbidden, Invalid
from service.core.settings import Settings
from service.core.timeutil import as_utc
from service.lrs import cmi5_statements as lms
from service.lrs.cmi5_rules import evaluate_registration
from service.lrs.statements import store_statements
from service.packages.cmi5_ids import generated_id
from service.packages.cmi5_moveon import aus
from service.packages.cmi5_progress import waive_au
from service.packages.enrollment_launch import Cmi5Launch, actor_for
from service.packages.launch_models import LaunchSession
from service.training.errors import not_found
from service.training.models import Enrollment, Learner, Offering
from service.training.progress import lock_enrollment, lock_learner
from service.training.states import is_active

ABANDON_BATCH = 500


def _store(session: Session, settings: Settings, user_id, statements: list[dict]) -> None:
    if statements:
        store_statements(session, statements, lms.lms_caller(settings, user_id), lms.XAPI_VERSION)


def record_launch(session: Session, settings: Settings, launch: Cmi5Launch) -> None:
    """Listener of every cmi5 launch (module docstring)."""
    row = launch.session
    others = session.exec(
        select(LaunchSession)
        .where(
            LaunchSession.registration == row.registration,
            LaunchSession.format == CMI5,
            LaunchSession.id != row.id,
            LaunchSession.au_id != row.au_id,
            col(LaunchSession.initialized_at).is_not(None),
            col(LaunchSession.terminated_at).is_(None),
            col(LaunchSession.abandoned_at).is_(None),
        )
        .order_by(col(LaunchSession.id))
        .with_for_update()
    ).all()
    for other in others:
        abandon(session, settings, other, launch.now)
    unit = launch.unit
    statement = lms.launched(
        launch.actor,
        activity_id=row.activity_id or "",
        publisher_id=row.au_id,
        registration=row.registration,
        session_id=row.session_id,
        launch_mode=row.launch_mode or "Normal",
        launch_url=launch.au_url,
        move_on=unit.get("move_on") or "NotApplicable",
        launch_parameters=unit.get("parameters"),
        mastery_score=unit.get("mastery_score"),
        at=launch.now,
    )
    _store(session, settings, launch.launcher.id, [statement])
    satisfied = evaluate_registration(
        session, settings, launch.enrollment, launch.version, session_id=None, now=launch.now
    )
    _store(session, settings, launch.launcher.id, satisfied)


def abandon(session: Session, settings: Settings, row: LaunchSession, now: datetime) -> bool:
    """Close ``row`` as abandoned and record Abandoned; False if it had ended meanwhile. The
    caller holds the row's lock (or reads it under one here)."""
    fresh = session.exec(
        select(LaunchSession)
        .where(LaunchSession.id == row.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if fresh.ended or fresh.initialized_at is None:
        return False
    enrollment = session.get(Enrollment, fresh.enrollment_id)
    learner = session.get(Learner, enrollment.learner_id) if enrollment else None
    if learner is None:
        return False
    last = as_utc(fresh.last_statement_at or fresh.initialized_at)
    seconds = (last - as_utc(fresh.created_at)).total_seconds()
    statement = lms.abandoned(
        actor_for(settings, learner),
        activity_id=fresh.activity_id or fresh.au_id,
        publisher_id=fresh.au_id,
        registration=fresh.registration,
        session_id=fresh.session_id,
        seconds=seconds,
        at=last,  # when the session was last heard of (cmi5 9.7: when it actually occurred)
    )
    _store(session, settings, fresh.created_by, [statement])
    fresh.abandoned_at = now
    session.add(fresh)
    session.flush()
    return True


def abandon_stale(session: Session, settings: Settings, now: datetime) -> int:
    """Abandon the initialized sessions silent for longer than the timeout (at most
    ``ABANDON_BATCH`` per call; beat calls again); the number closed. Caller commits."""
    cutoff = now - timedelta(seconds=settings.cmi5_session_timeout_seconds)
    stale = session.exec(
        select(LaunchSession)
        .where(
            LaunchSession.format == CMI5,
            col(LaunchSession.initialized_at).is_not(None),
            col(LaunchSession.terminated_at).is_(None),
            col(LaunchSession.abandoned_at).is_(None),
            col(LaunchSession.last_statement_at) < cutoff,
        )
        .order_by(col(LaunchSession.last_statement_at))
        .limit(ABANDON_BATCH)
    ).all()
    return sum(1 for row in stale if abandon(session, settings, row, now))


def _au_version(session: Session, offering: Offering, au_id: str) -> PackageVersion:
    """The published cmi5 version of the offering's packages that holds AU ``au_id``."""
    for raw in offering.package_ids or []:
        try:
            package_id = uuid.UUID(str(raw))
        except ValueError:
            continue
        version = latest_published(session, package_id)
        if (
            version is not None
            and version.format == CMI5
            and any(unit["id"] == au_id for unit in aus(version.units))
        ):
            return version
    raise Invalid("unknown-unit", "au_id names no AU of this offering's cmi5 courses.")


def waive(
    session: Session,
    settings: Settings,
    principal: Principal,
    enrollment_id: uuid.UUID,
    *,
    au_id: str,
    reason: str,
    now: datetime,
) -> dict:
    """Waive AU ``au_id`` for the enrolment (module docstring); what was recorded."""
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise not_found("Enrollment")
    offering = session.get(Offering, enrollment.offering_id)
    assert offering is not None  # enrollment.offering_id is a foreign key
    if principal.role not in (Role.admin, Role.org_admin):
        raise Forbidden("forbidden", "Only an administrator or org admin may waive an AU.")
    ensure_org_access(principal, offering.organization_id)
    if reason not in lms.WAIVE_REASONS:
        raise Invalid(
            "waive-reason", f"reason must be one of: {', '.join(lms.WAIVE_REASONS)} (cmi5 9.5.5.2)."
        )
    if not is_active(enrollment.state):
        raise Conflict(
            "enrollment-not-active",
            f"The enrollment is {enrollment.state}; only an active one's AUs can be waived.",
            current_state=enrollment.state,
        )
    version = _au_version(session, offering, au_id)
    lock_learner(session, enrollment.learner_id)
    enrollment = lock_enrollment(session, enrollment.id)
    if not waive_au(session, settings, enrollment, version.package_id, au_id, reason, now):
        raise Conflict(
            "already-waived",
            "This AU is already waived in this enrolment; it is waived once (cmi5 9.3.7).",
        )
    learner = session.get(Learner, enrollment.learner_id)
    assert learner is not None  # enrollment.learner_id is a foreign key
    session_id = uuid.uuid4()  # a session of its own (9.3.7)
    activity_id = generated_id(settings, version.package_id, "au", au_id)
    statement = lms.waived(
        actor_for(settings, learner),
        activity_id=activity_id,
        publisher_id=au_id,
        registration=enrollment.registration,
        session_id=session_id,
        reason=reason,
        at=now,
    )
    _store(session, settings, principal.user_id, [statement])
    satisfied = evaluate_registration(
        session, settings, enrollment, version, session_id=session_id, now=now
    )
    _store(session, settings, principal.user_id, satisfied)
    return {
        "au_id": au_id,
        "activity_id": activity_id,
        "reason": reason,
        "statement_id": statement["id"],
        "session_id": str(session_id),
        "satisfied": [s["object"]["id"] for s in satisfied],
    }
