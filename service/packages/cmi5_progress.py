"""What the LMS records of a cmi5 registration (``cmi5_progress``): each AU's reported results
and waiver, and the blocks and course it has declared Satisfied, once (cmi5 9.3.9: the LMS
SHOULD NOT issue more than one Satisfied per block or course within a registration).

Callers hold the enrolment's row lock (learner, then enrollment), so the read-then-write here
is not raced by another request for the same registration; the unique (registration,
activity_id) key backs that up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from content.models import PackageVersion
from service.core.settings import Settings
from service.packages.cmi5_ids import generated_id
from service.packages.cmi5_moveon import AuState, evaluate
from service.packages.launch_models import AU, BLOCK, COURSE, Cmi5Progress
from service.training.models import Enrollment


@dataclass(frozen=True)
class SatisfiedNode:
    kind: str  # block | course
    publisher_id: str
    activity_id: str
    title: str | None


def _row(session: Session, registration: uuid.UUID, activity_id: str) -> Cmi5Progress | None:
    return session.exec(
        select(Cmi5Progress).where(
            Cmi5Progress.registration == registration, Cmi5Progress.activity_id == activity_id
        )
    ).first()


def _get_or_add(
    session: Session,
    settings: Settings,
    enrollment: Enrollment,
    package_id: uuid.UUID,
    kind: str,
    publisher_id: str,
    now: datetime,
) -> Cmi5Progress:
    activity_id = generated_id(settings, package_id, kind, publisher_id)
    row = _row(session, enrollment.registration, activity_id)
    if row is None:
        row = Cmi5Progress(
            enrollment_id=enrollment.id,
            registration=enrollment.registration,
            package_id=package_id,
            kind=kind,
            publisher_id=publisher_id,
            activity_id=activity_id,
            updated_at=now,
        )
        session.add(row)
        session.flush()
    return row


def au_states(session: Session, registration: uuid.UUID, package_id: uuid.UUID) -> dict:
    """publisher AU id -> :class:`AuState` of one registration and package."""
    rows = session.exec(
        select(Cmi5Progress).where(
            Cmi5Progress.registration == registration,
            Cmi5Progress.package_id == package_id,
            Cmi5Progress.kind == AU,
        )
    ).all()
    return {
        r.publisher_id: AuState(r.completed, r.passed, r.waived_reason is not None) for r in rows
    }


def au_state(session: Session, registration: uuid.UUID, activity_id: str) -> AuState | None:
    row = _row(session, registration, activity_id)
    if row is None:
        return None
    return AuState(row.completed, row.passed, row.waived_reason is not None)


def record_au(
    session: Session,
    settings: Settings,
    enrollment: Enrollment,
    package_id: uuid.UUID,
    publisher_id: str,
    now: datetime,
    *,
    completed: bool = False,
    passed: bool = False,
) -> None:
    """An AU reported Completed and/or Passed (sticky: never undone)."""
    row = _get_or_add(session, settings, enrollment, package_id, AU, publisher_id, now)
    row.completed = row.completed or completed
    row.passed = row.passed or passed
    row.updated_at = now
    session.add(row)
    session.flush()


def waive_au(
    session: Session,
    settings: Settings,
    enrollment: Enrollment,
    package_id: uuid.UUID,
    publisher_id: str,
    reason: str,
    now: datetime,
) -> bool:
    """Record the waiver; False when the AU was already waived in this registration (cmi5 9.3.7:
    no second Waived per AU and registration)."""
    row = _get_or_add(session, settings, enrollment, package_id, AU, publisher_id, now)
    taken = session.execute(
        update(Cmi5Progress)
        .where(Cmi5Progress.id == row.id, Cmi5Progress.waived_reason.is_(None))  # type: ignore[union-attr]
        .values(waived_reason=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    return taken.rowcount == 1


def _mark(
    session: Session,
    settings: Settings,
    enrollment: Enrollment,
    package_id: uuid.UUID,
    kind: str,
    publisher_id: str,
    now: datetime,
) -> str | None:
    """Mark a block or course Satisfied; its generated id if this call did, else None."""
    row = _get_or_add(session, settings, enrollment, package_id, kind, publisher_id, now)
    taken = session.execute(
        update(Cmi5Progress)
        .where(Cmi5Progress.id == row.id, Cmi5Progress.satisfied_at.is_(None))  # type: ignore[union-attr]
        .values(satisfied_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return row.activity_id if taken.rowcount == 1 else None


@dataclass(frozen=True)
class Outcome:
    newly: list[SatisfiedNode]
    course_newly: bool
    passed: bool | None


def satisfy(
    session: Session,
    settings: Settings,
    enrollment: Enrollment,
    version: PackageVersion,
    now: datetime,
) -> Outcome:
    """Evaluate moveOn for the registration and mark what became satisfied, inner blocks first
    and the course last; returns only what this call marked."""
    states = au_states(session, enrollment.registration, version.package_id)
    result = evaluate(version.units, states)
    newly: list[SatisfiedNode] = []
    for block in result.blocks:
        generated = _mark(
            session, settings, enrollment, version.package_id, BLOCK, block["id"], now
        )
        if generated:
            newly.append(SatisfiedNode(BLOCK, block["id"], generated, block.get("title")))
    course_newly = False
    course_id = version.identifier
    if result.course and course_id:
        generated = _mark(session, settings, enrollment, version.package_id, COURSE, course_id, now)
        if generated:
            newly.append(SatisfiedNode(COURSE, course_id, generated, version.title))
            course_newly = True
    return Outcome(newly, course_newly, result.passed)
