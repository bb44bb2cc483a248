"""Who took part: the distinct employees of each enterprise with a completed training in a
year (``participation_member``), kept exact at every change that can alter it.

- a completion (listener, in the completion's transaction; ``lock_learner`` serialises one
  person's completions): the person counts for every enterprise whose roster for the year holds
  their ID fingerprint, and for the confirmed employer of the completed enrolment;
- a roster or confirmation change of an enterprise and year: that enterprise-year is counted
  again from source (set-based), under the lock of its declaration row;
- the tallies reconcile (beat) compares every enterprise-year with a recount and repairs.

The recount is the definition; everything else must agree with it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from service.accounts.models import Organization
from service.core.db import is_postgres
from service.training.models import Enrollment, Learner
from service.training.states import EnrollmentState
from service.workforce.models import ParticipationMember, WorkforceEmployee

MEMBER = ParticipationMember.__table__


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> None:
    if not rows:
        return
    dialect = postgresql if is_postgres(session) else sqlite
    stmt = dialect.insert(MEMBER).values(rows)
    session.execute(
        stmt.on_conflict_do_nothing(index_elements=["organization_id", "year", "learner_id"])
    )


def record_completion(session: Session, enrollment: Enrollment, offering, now: datetime) -> None:
    """Completion listener: the person now counts for each enterprise they work for that year."""
    year = enrollment.completion_year
    learner = session.get(Learner, enrollment.learner_id)
    employers = set(
        session.execute(
            select(WorkforceEmployee.organization_id).where(
                WorkforceEmployee.year == year,
                WorkforceEmployee.id_fingerprint == learner.id_fingerprint,
            )
        ).scalars()
    )
    if enrollment.employer_organization_id and enrollment.employer_confirmed_at:
        employers.add(enrollment.employer_organization_id)
    _insert_ignoring_duplicates(
        session,
        [
            {
                "organization_id": org,
                "year": year,
                "learner_id": learner.id,
                "first_completed_at": now,
            }
            for org in sorted(employers)
        ],
    )


def _sources(organization_id: uuid.UUID | None = None, year: int | None = None):
    """(organization_id, year, learner_id, completed_at) of every completion that makes a
    person count: by roster (same fingerprint, same year) or by confirmed enterprise training."""
    completed = Enrollment.state == EnrollmentState.COMPLETED
    by_roster = (
        select(
            WorkforceEmployee.organization_id.label("organization_id"),
            WorkforceEmployee.year.label("year"),
            Learner.id.label("learner_id"),
            Enrollment.completed_at.label("completed_at"),
        )
        .join(Learner, Learner.id_fingerprint == WorkforceEmployee.id_fingerprint)
        .join(
            Enrollment,
            and_(
                Enrollment.learner_id == Learner.id,
                Enrollment.completion_year == WorkforceEmployee.year,
            ),
        )
        .where(completed)
    )
    by_training = select(
        Enrollment.employer_organization_id.label("organization_id"),
        Enrollment.completion_year.label("year"),
        Enrollment.learner_id.label("learner_id"),
        Enrollment.completed_at.label("completed_at"),
    ).where(completed, Enrollment.employer_confirmed_at.is_not(None))
    if organization_id is not None:
        by_roster = by_roster.where(WorkforceEmployee.organization_id == organization_id)
        by_training = by_training.where(Enrollment.employer_organization_id == organization_id)
    if year is not None:
        by_roster = by_roster.where(WorkforceEmployee.year == year)
        by_training = by_training.where(Enrollment.completion_year == year)
    return union(by_roster, by_training).subquery()


def recount_members(
    session: Session, organization_id: uuid.UUID | None = None, year: int | None = None
) -> dict[tuple[uuid.UUID, int, uuid.UUID], datetime]:
    """The members as the definition gives them (optionally one enterprise and/or year)."""
    src = _sources(organization_id, year)
    rows = session.execute(
        select(
            src.c.organization_id, src.c.year, src.c.learner_id, func.min(src.c.completed_at)
        ).group_by(src.c.organization_id, src.c.year, src.c.learner_id)
    ).all()
    return {(_uuid(o), int(y), _uuid(learner)): at for o, y, learner, at in rows}


def stored_members(
    session: Session, organization_id: uuid.UUID | None = None, year: int | None = None
) -> dict[tuple[uuid.UUID, int, uuid.UUID], datetime]:
    stmt = select(
        ParticipationMember.organization_id,
        ParticipationMember.year,
        ParticipationMember.learner_id,
        ParticipationMember.first_completed_at,
    )
    if organization_id is not None:
        stmt = stmt.where(ParticipationMember.organization_id == organization_id)
    if year is not None:
        stmt = stmt.where(ParticipationMember.year == year)
    return {
        (_uuid(o), int(y), _uuid(learner)): at for o, y, learner, at in session.execute(stmt).all()
    }


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def lock_declaration(session: Session, organization_id: uuid.UUID, year: int) -> None:
    """Serialises recounts of one enterprise (PostgreSQL row lock on the organization, which
    exists whether or not the year is declared; SQLite has one writer)."""
    if is_postgres(session):
        session.execute(
            select(Organization.id).where(Organization.id == organization_id).with_for_update()
        )


def lock_people(session: Session, fingerprints: list[str]) -> None:
    """The learners with these ID fingerprints, locked in id order before a roster change, as
    a completion locks its learner first (``lock_learner``): a roster change and a completion
    of the same person then happen one after the other, never interleaved."""
    if fingerprints and is_postgres(session):
        session.execute(
            select(Learner.id)
            .where(Learner.id_fingerprint.in_(fingerprints))
            .order_by(Learner.id)
            .with_for_update()
        )


def recount(session: Session, organization_id: uuid.UUID, year: int) -> int:
    """Count one enterprise-year again from source after a roster or confirmation change;
    returns its number of members."""
    lock_declaration(session, organization_id, year)
    # Stored first: a completion committed between the two reads is then only ever missing
    # from ``have`` (an insert, which ignores duplicates), never deleted as unwanted.
    have = stored_members(session, organization_id, year)
    wanted = recount_members(session, organization_id, year)
    apply_difference(session, wanted, have)
    return len(wanted)


def apply_difference(session: Session, wanted: dict, have: dict) -> int:
    """Make the stored members equal ``wanted``; returns the number of rows changed."""
    gone = [key for key in have if key not in wanted]
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        session.execute(
            delete(MEMBER).where(
                or_(
                    *(
                        and_(
                            MEMBER.c.organization_id == o,
                            MEMBER.c.year == y,
                            MEMBER.c.learner_id == learner,
                        )
                        for o, y, learner in chunk
                    )
                )
            )
        )
    added = [
        {"organization_id": o, "year": y, "learner_id": learner, "first_completed_at": at}
        for (o, y, learner), at in sorted(wanted.items())
        if (o, y, learner) not in have
    ]
    for start in range(0, len(added), 500):
        _insert_ignoring_duplicates(session, added[start : start + 500])
    return len(gone) + len(added)


def drift(session: Session) -> list[dict]:
    """Every enterprise-year whose stored members differ from a recount (read only)."""
    have = stored_members(session)
    wanted = recount_members(session)
    per: dict[tuple[uuid.UUID, int], list[int]] = {}
    for key in set(wanted) ^ set(have):
        counts = per.setdefault(key[:2], [0, 0])
        counts[0 if key in have else 1] += 1
    return [
        {
            "table": "participation_member",
            "organization_id": str(org),
            "year": year,
            "stored_not_in_source": extra,
            "missing": missing,
        }
        for (org, year), (extra, missing) in sorted(
            per.items(), key=lambda i: (str(i[0][0]), i[0][1])
        )
    ]


def repair(session: Session) -> int:
    have = stored_members(session)  # first, for the reason given in recount()
    return apply_difference(session, recount_members(session), have)
