"""What stored statements mean for training: hours, package progress, completion.

The LRS stores every valid statement (:mod:`service.lrs.statements`) and, in the same
transaction, hands the newly stored rows to :func:`project_statements`. A statement *belongs to
an enrolment* when its ``context.registration`` is that enrolment's registration (handed to the
package at launch) **and** its actor is that enrolment's learner as the platform names them at
launch (:func:`~service.packages.enrollment_launch.actor_for`). Only such statements feed the
enrolment (``LrsStatement.enrollment_id`` is set); any other statement is just kept, as an LRS
must (xAPI Communication §2.1.2: statements are stored whatever their registration).

The rules are the training domain's (:mod:`service.training.xapi_mapping`): session-ending
verbs with ``result.duration`` become ledger entries (source ``xapi``, external id = statement
id, interval ``[timestamp - duration, timestamp]``) under every ledger guard (daily cap, overlap,
enrolment state; rejected hours go to ``hours_rejection``); cmi5 completed/passed/failed (or
``result.completion``/``success``) set the sticky package result; then completion is checked.
An enrolment that is not active gets no progress and its hours are recorded as rejected.

cmi5 AUs are the exception for package results: their completion is decided by moveOn
(:mod:`service.lrs.cmi5_rules`), so the statements that module governs (a cmi5 AU's launch
token, or a statement about an AU's LMS-generated activity id) give here only hours and the
score of a cmi5 defined Passed/Failed, never completed or passed on their own.

Idempotency without a separate record: a statement id is stored once (a re-sent statement is
never handed here again), the ledger is unique on (source, external id), and package results
are sticky; so the former ``xapi_statement`` table is dropped (0012 copies its rows here).

Voiding (xAPI Data §2.3.2): :func:`on_voided` appends an audited negative entry reversing the
voided statement's hours (external id ``void:<statement id>``), unless the enrolment is already
completed: a completion (and the credential it issued) is not undone by a package, so the hours
stay and the audit trail says why. Package results stay too (sticky, as for late statements).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import event, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from service.accounts.audit import record_audit
from service.core.observability.metrics import LRS_STATEMENTS_STORED
from service.core.settings import get_settings
from service.core.timeutil import as_utc, utcnow
from service.lrs.access import LrsCaller
from service.lrs.cmi5_rules import governed_seqs, is_cmi5_defined
from service.lrs.identifiers import agent_key
from service.lrs.models import LrsStatement
from service.lrs.stored import StoredStatement
from service.packages.enrollment_launch import actor_for
from service.training.completion import complete_if_due
from service.training.hours_rules import INVALID_INTERVAL, HoursSource
from service.training.ledger import EntryIn, record_entries, reverse_entry
from service.training.models import Enrollment, HoursEntry, HoursRejection, Learner
from service.training.progress import (
    apply_package_result,
    ensure_started,
    lock_enrollment,
    lock_learner,
)
from service.training.reasons import Reason
from service.training.states import EnrollmentState, is_active
from service.training.xapi_mapping import (
    SESSION_END_VERBS,
    ParsedStatement,
    read_statement,
    to_progress,
)

VOID_PREFIX = "void:"
_PENDING = "lrs_stored_pending"


def project_statements(session: Session, rows: list[StoredStatement], caller: LrsCaller) -> None:
    """Feed the rows that belong to an enrolment into it (see the module docstring); the caller
    flushed the rows and commits."""
    owners = _owners(session, rows)
    by_enrollment: dict = defaultdict(list)
    for row in rows:
        enrollment = owners.get(row.seq)
        if enrollment is not None:
            row.enrollment_id = enrollment.id
            if row.voids is None:  # a voiding statement feeds nothing itself
                by_enrollment[enrollment.id].append((enrollment, row))
    _link(session, rows)
    _count(session, projected=len(owners), total=len(rows))
    now = utcnow()
    governed = governed_seqs(session, rows, caller) if by_enrollment else set()
    # Learner, then enrollment, in id order: the lock order every training path keeps.
    for items in sorted(by_enrollment.values(), key=lambda i: (i[0][0].learner_id, i[0][0].id)):
        _feed(session, caller, items[0][0], [row for _, row in items], now, governed)


def _link(session: Session, rows: list[StoredStatement]) -> None:
    """Record each projected statement's enrolment on its row (one UPDATE per enrolment)."""
    by_enrollment: dict = defaultdict(list)
    for row in rows:
        if row.enrollment_id is not None:
            by_enrollment[row.enrollment_id].append(row.seq)
    for enrollment_id, seqs in by_enrollment.items():
        session.execute(
            update(LrsStatement)
            .where(col(LrsStatement.seq).in_(seqs))
            .values(enrollment_id=enrollment_id)
            .execution_options(synchronize_session=False)
        )


def on_voided(session: Session, target: LrsStatement, voiding: StoredStatement) -> None:
    """Reverse the hours ``target`` fed into the ledger (if any), or record why they stay."""
    if target.enrollment_id is None:
        return
    entry = session.exec(
        select(HoursEntry).where(
            HoursEntry.source == str(HoursSource.XAPI),
            HoursEntry.external_id == str(target.statement_id),
        )
    ).first()
    if entry is None:  # the statement carried no hours, or they were rejected
        return
    actor = SimpleNamespace(user_id=voiding.stored_by, role=None)
    lock_learner(session, entry.learner_id)
    enrollment = lock_enrollment(session, entry.enrollment_id)
    if enrollment.state == EnrollmentState.COMPLETED:
        record_audit(
            session,
            actor=actor,
            action="hours.reversal_skipped",
            subject_type="hours_entry",
            subject_id=str(entry.id),
            detail=f"statement {target.statement_id} voided by {voiding.statement_id}; "
            "the enrolment is completed, so its hours are kept",
        )
        return
    reverse_entry(
        session,
        entry,
        external_id=f"{VOID_PREFIX}{target.statement_id}",
        actor=actor,
        reason=f"statement {target.statement_id} voided by {voiding.statement_id}",
        now=utcnow(),
    )


def _owners(session: Session, rows: list[StoredStatement]) -> dict:
    """``seq -> Enrollment`` for the rows whose registration and actor name an enrolment."""
    registrations = {row.registration for row in rows if row.registration is not None}
    if not registrations:
        return {}
    settings = get_settings()
    found = {
        enrollment.registration: (enrollment, agent_key(actor_for(settings, learner)))
        for enrollment, learner in session.exec(
            select(Enrollment, Learner).where(
                Enrollment.registration.in_(registrations), Enrollment.learner_id == Learner.id
            )
        ).all()
    }
    owners = {}
    for row in rows:
        hit = found.get(row.registration)
        if hit is not None and hit[1] == row.actor_key:
            owners[row.seq] = hit[0]
    return owners


def _feed(
    session, caller: LrsCaller, enrollment, rows: list[StoredStatement], now, governed: set[int]
) -> None:
    """One enrolment's statements of this request, in order: progress, then hours, then the
    completion check (the same outcome as one at a time, with one lock and one check)."""
    parsed = [_parse(row) for row in rows]
    lock_learner(session, enrollment.learner_id)
    enrollment = lock_enrollment(session, enrollment.id)
    active = is_active(enrollment.state)
    if active:
        enrollment = ensure_started(session, enrollment, now)
        for row, p in zip(rows, parsed, strict=True):
            progress = to_progress(p)
            if row.seq in governed:  # cmi5 moveOn decides; only a judged score is kept
                judged = progress.event in ("passed", "failed") and is_cmi5_defined(row.content)
                apply_package_result(
                    enrollment, None, None, progress.score_scaled if judged else None
                )
                continue
            apply_package_result(
                enrollment, progress.completed, progress.passed, progress.score_scaled
            )
        session.add(enrollment)
        session.flush()
    entries = []
    for row, p in zip(rows, parsed, strict=True):
        if p.duration_error is not None and p.verb_id in SESSION_END_VERBS:
            _reject_duration(session, caller, enrollment, row, p.duration_error, now)
            continue
        minutes = to_progress(p).minutes
        if minutes <= 0:
            continue
        end = p.timestamp or now
        start = end - timedelta(seconds=float(p.duration_seconds or 0))
        entries.append(
            EntryIn(enrollment.id, HoursSource.XAPI, str(row.statement_id), start, end, minutes)
        )
    if entries:  # an inactive enrolment's hours are recorded as rejected by the ledger
        record_entries(session, entries, recorded_by=caller.principal.user_id, now=now)
    if active:
        complete_if_due(session, enrollment, now)


def _parse(row: StoredStatement) -> ParsedStatement:
    return replace(read_statement(row.content), timestamp=as_utc(row.timestamp))


def _reject_duration(session, caller, enrollment, row, message: str, now) -> None:
    """A valid xAPI duration that no minutes can be credited for: kept as a rejection."""
    session.add(
        HoursRejection(
            enrollment_id=enrollment.id,
            learner_id=enrollment.learner_id,
            source=str(HoursSource.XAPI),
            external_id=str(row.statement_id),
            reasons=[Reason(INVALID_INTERVAL, f"result.duration: {message}").as_dict()],
            recorded_by=caller.principal.user_id,
            created_at=now,
        )
    )


# --- metrics: counted when the transaction commits --------------------------------------------


def _count(session: Session, *, projected: int, total: int) -> None:
    pending = session.info.setdefault(_PENDING, [0, 0])
    pending[0] += projected
    pending[1] += total - projected


@event.listens_for(OrmSession, "after_commit")
def _publish_counts(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        LRS_STATEMENTS_STORED.labels(projected="true").inc(pending[0])
        LRS_STATEMENTS_STORED.labels(projected="false").inc(pending[1])


@event.listens_for(OrmSession, "after_transaction_end")
def _drop_counts(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit
        session.info.pop(_PENDING, None)
