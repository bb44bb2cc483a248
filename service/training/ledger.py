"""Writing the hours ledger: idempotent, guarded, every outcome reported.

``record_entries`` is the only writer. For one batch it

1. loads the enrollments named (limited to the caller's organization when given);
2. locks the people's learner rows (``FOR UPDATE``, in id order), so concurrent batches for one
   person run one after the other and the daily cap and overlap guards see each other's entries;
3. answers entries whose (source, external id) is already in the ledger: ``duplicate`` when the
   content is the same, ``rejected`` (``external_id_conflict``) when it differs;
4. evaluates the rest with :func:`hours_rules.evaluate_entries` against the people's existing
   entries around the days concerned;
5. inserts the accepted entries (the UNIQUE (source, external_id) constraint is the last line:
   a concurrent writer that got there first turns an entry into ``duplicate``, inside a
   savepoint), persists the rejected ones to ``hours_rejection``, starts enrollments and calls
   :func:`completion.complete_if_due`.

The caller commits. External ids are global per source: clients should use UUIDs or ids
namespaced by their own system (e.g. ``<sheet id>/<row>``).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from operator import attrgetter

from sqlalchemy import ARRAY, and_, any_, bindparam, func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from service.accounts.audit import record_audit
from service.core.bulk import insert_rows
from service.core.db import planned_for_its_values
from service.core.timeutil import CITY_TZ, as_utc
from service.training.completion import complete_if_due
from service.training.hours_rules import (
    EnrollmentFacts,
    ExistingEntry,
    GuardContext,
    HoursCandidate,
    HoursSource,
    OfferingWindow,
    PersonHistory,
    evaluate_entries,
    minutes_to_xueshi,
)
from service.training.models import Enrollment, HoursEntry, HoursRejection, Learner, Offering
from service.training.reasons import Reason
from service.training.reference_checks import load_policy
from service.training.reference_data import OfferingMode
from service.training.states import EnrollmentState, transition

EXTERNAL_ID_CONFLICT = "external_id_conflict"
_uuid_order = attrgetter("int")  # UUIDs' own order (they compare by .int), without __lt__ calls
MAX_BATCH = 1000


@dataclass(frozen=True, slots=True)
class EntryIn:
    enrollment_id: uuid.UUID
    source: HoursSource
    external_id: str
    started_at: datetime
    ended_at: datetime | None = None
    minutes: int | None = None
    online: bool | None = None


@dataclass(slots=True)
class EntryResult:
    index: int
    external_id: str
    source: str
    status: str  # accepted | duplicate | rejected
    minutes: int | None = None
    entry_id: uuid.UUID | None = None
    reasons: list[dict] = field(default_factory=list)


def _among(session: Session, column, values):
    """``column IN (...)``; on PostgreSQL ``column = ANY(:array)``: one parameter, so the
    statement text stays short and the same for every batch (psycopg parses a long text anew
    each time, which costs more than the query itself at batch sizes)."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _in_utc(e: EntryIn) -> EntryIn:
    """Store instants in UTC: SQLite keeps the wall time and drops the offset."""

    if e.started_at.tzinfo is UTC and (e.ended_at is None or e.ended_at.tzinfo is UTC):
        return e

    def utc(moment: datetime | None) -> datetime | None:
        if moment is None or moment.utcoffset() is None:
            return moment  # naive times are reported by the guards as invalid
        return moment.astimezone(UTC)

    return replace(e, started_at=utc(e.started_at), ended_at=utc(e.ended_at))


def _effective_minutes(e: EntryIn) -> int | None:
    if e.minutes is not None:
        return e.minutes
    if e.ended_at is not None:
        return int((e.ended_at - e.started_at).total_seconds() // 60)
    return None


def _same_content(e: EntryIn, row) -> bool:
    ended = as_utc(row.ended_at) if row.ended_at else None
    return (
        row.enrollment_id == e.enrollment_id
        and as_utc(row.started_at) == e.started_at
        and ended == e.ended_at
        and row.minutes == _effective_minutes(e)
    )


def _existing_by_key(session: Session, entries: Sequence[EntryIn]) -> dict:
    keys_by_source: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        keys_by_source[str(e.source)].add(e.external_id)
    clauses = [
        and_(HoursEntry.source == source, _among(session, HoursEntry.external_id, sorted(ids)))
        for source, ids in keys_by_source.items()
    ]
    if not clauses:
        return {}
    rows = session.execute(
        select(
            HoursEntry.id,
            HoursEntry.source,
            HoursEntry.external_id,
            HoursEntry.enrollment_id,
            HoursEntry.started_at,
            HoursEntry.ended_at,
            HoursEntry.minutes,
        ).where(or_(*clauses))
    ).all()
    return {(row.source, row.external_id): row for row in rows}


def _person_histories(session: Session, learner_ids, candidates) -> dict[str, PersonHistory]:
    starts = [c.started_at for c in candidates if c.started_at is not None]
    if not starts or not learner_ids:
        return {}
    day0 = min(starts).astimezone(CITY_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    day1 = max(c.ended_at or c.started_at for c in candidates if c.started_at is not None)
    rows = session.exec(
        select(
            HoursEntry.learner_id, HoursEntry.started_at, HoursEntry.ended_at, HoursEntry.minutes
        ).where(
            _among(session, HoursEntry.learner_id, learner_ids),
            HoursEntry.started_at >= day0 - timedelta(days=1),
            HoursEntry.started_at < day1 + timedelta(days=1),
        )
    ).all()
    entries: dict[uuid.UUID, list[ExistingEntry]] = defaultdict(list)
    for learner_id, started, ended, minutes in rows:
        entries[learner_id].append(
            ExistingEntry(_aware(started), minutes, _aware(ended) if ended else None)
        )
    return {str(key): PersonHistory.from_entries(_net(items)) for key, items in entries.items()}


def _aware(moment: datetime) -> datetime:
    """Aware as read (PostgreSQL), or UTC when SQLite drops the offset; the guards compare
    instants, so converting an aware value to UTC would only cost time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _net(items: list[ExistingEntry]) -> list[ExistingEntry]:
    """Drop each reversal together with the entry it reverses (same interval, opposite
    minutes): a reversed session no longer blocks its time or counts towards the day."""
    if not any(e.minutes < 0 for e in items):
        return items
    reversals = Counter((e.started_at, e.ended_at, -e.minutes) for e in items if e.minutes < 0)
    kept = []
    for e in items:
        key = (e.started_at, e.ended_at, e.minutes)
        if e.minutes > 0 and reversals[key] > 0:
            reversals[key] -= 1
            continue
        if e.minutes > 0:
            kept.append(e)
    return kept


def _window(offering: Offering) -> OfferingWindow:
    return OfferingWindow(
        mode=OfferingMode(offering.mode),
        starts_on=offering.starts_on,
        ends_on=offering.ends_on,
        required_minutes=offering.required_minutes,
        online_share_cap=Decimal(offering.online_share_percent) / 100,
    )


def _facts(enrollment, window: OfferingWindow, online: int) -> EnrollmentFacts:
    return EnrollmentFacts(
        str(enrollment.id),
        str(enrollment.learner_id),
        EnrollmentState(enrollment.state),
        window,
        online,
    )


def record_entries(
    session: Session,
    entries: Sequence[EntryIn],
    *,
    recorded_by: uuid.UUID | None,
    organization_id: uuid.UUID | None = None,
    now: datetime,
) -> list[EntryResult]:
    """Write a batch; ``organization_id`` limits it to that organization's offerings.

    Set-based: whatever the batch's size, a fixed handful of queries (people locked, their
    enrollments, existing keys, histories, online totals, policy) and one multi-row INSERT."""
    entries = [_in_utc(e) for e in entries]
    results = [
        EntryResult(i, e.external_id, str(e.source), "pending") for i, e in enumerate(entries)
    ]
    # The look-ups below take hundreds of keys; planned for them, not for a generic guess
    # (a young ledger's generic plan scans whole tables once it has grown).
    with planned_for_its_values(session):
        pairs = _locked_enrollments(session, {e.enrollment_id for e in entries}, organization_id)
        existing = _existing_by_key(session, entries)
        fresh = _fresh(entries, results, existing, pairs)
        if fresh:
            candidates = [c for _, _, c in fresh]
            spent = minutes_by_enrollment(session, list(pairs))  # one query: totals and online
            learner_ids = sorted({enr.learner_id for enr, _ in pairs.values()}, key=_uuid_order)
            persons = _person_histories(session, learner_ids, candidates)
            daily_cap = load_policy(session).daily_cap_minutes
    if not fresh:  # all already recorded: nothing to evaluate
        _persist_rejections(session, entries, results, pairs, recorded_by, now)
        return results

    windows = {off.id: _window(off) for off in {off.id: off for _, off in pairs.values()}.values()}
    context = GuardContext(
        persons=persons,
        enrollments={
            str(eid): _facts(enr, windows[off.id], spent.get(eid, {}).get("online_minutes", 0))
            for eid, (enr, off) in pairs.items()
        },
        daily_cap_minutes=daily_cap,
    )
    outcomes = evaluate_entries(candidates, context)

    accepted: list[tuple[dict, EntryIn, EntryResult]] = []
    for (i, e, cand), outcome in zip(fresh, outcomes, strict=True):
        result = results[i]
        result.minutes = outcome.minutes
        if outcome.status == "accepted":
            row = {
                "id": uuid.uuid4(),
                "enrollment_id": e.enrollment_id,
                "learner_id": pairs[e.enrollment_id][0].learner_id,
                "source": str(e.source),
                "external_id": e.external_id,
                "started_at": e.started_at,
                "ended_at": e.ended_at,
                "minutes": outcome.minutes,
                "online": cand.is_online,
                "recorded_by": recorded_by,
                "created_at": now,
            }
            accepted.append((row, e, result))
        elif outcome.status == "duplicate":
            result.status = "duplicate"
        else:
            result.status = "rejected"
            result.reasons = [r.as_dict() for r in outcome.reasons]
    _insert_all(session, accepted)
    _persist_rejections(session, entries, results, pairs, recorded_by, now)

    touched = sorted(
        {e.enrollment_id for _, e, r in accepted if r.status == "accepted"}, key=_uuid_order
    )
    # Only those read as enrolled can start: the states were read under the people's locks and
    # nothing leads back to enrolled (so a batch of people already in progress costs no UPDATE).
    start_enrolled(
        session, [eid for eid in touched if pairs[eid][0].state == EnrollmentState.ENROLLED], now
    )
    added: dict = defaultdict(int)
    for row, _, result in accepted:
        if result.status == "accepted":
            added[row["enrollment_id"]] += row["minutes"]
    for eid in touched:  # cheap pre-check (the totals read under the person's lock plus this
        # batch's); complete_if_due decides under the row lock
        before = spent.get(eid, {}).get("minutes", 0)
        if before + added[eid] >= pairs[eid][1].required_minutes:
            complete_if_due(session, session.get(Enrollment, eid), now)
    return results


def _fresh(entries, results, existing, pairs) -> list[tuple[int, EntryIn, HoursCandidate]]:
    """The entries not yet in the ledger, as candidates; those already there are answered."""
    fresh: list[tuple[int, EntryIn, HoursCandidate]] = []
    people: dict[uuid.UUID, str] = {}  # enrollment id -> its person's key
    for i, e in enumerate(entries):
        row = existing.get((str(e.source), e.external_id))
        if row is not None:
            _answer_existing(results[i], e, row)
            continue
        person = people.get(e.enrollment_id)
        if person is None:
            enr = pairs.get(e.enrollment_id)
            person = str(enr[0].learner_id) if enr else f"unknown:{e.enrollment_id}"
            people[e.enrollment_id] = person
        candidate = HoursCandidate(
            e.external_id,
            e.source,
            person,
            str(e.enrollment_id),
            e.started_at,
            e.ended_at,
            e.minutes,
            e.online,
        )
        fresh.append((i, e, candidate))
    return fresh


def _locked_enrollments(session: Session, ids, organization_id) -> dict:
    """``enrollment id -> (EnrollmentRow, Offering)``, read after taking the people's learner
    row locks (``FOR UPDATE`` in id order, see the module docstring), so the states are current.
    Enrollments are read as plain rows: a batch names hundreds, and the guards need four fields."""
    if not ids:
        return {}
    scope = select(Enrollment.learner_id).where(_among(session, Enrollment.id, ids))
    stmt = select(
        Enrollment.id, Enrollment.learner_id, Enrollment.state, Enrollment.offering_id
    ).where(_among(session, Enrollment.id, ids))
    if organization_id is not None:
        scope = scope.join(Offering, Enrollment.offering_id == Offering.id).where(
            Offering.organization_id == organization_id
        )
        stmt = stmt.join(Offering, Enrollment.offering_id == Offering.id).where(
            Offering.organization_id == organization_id
        )
    session.exec(
        select(Learner.id).where(Learner.id.in_(scope)).order_by(Learner.id).with_for_update()
    ).all()
    rows = session.execute(stmt).all()
    offerings = {
        off.id: off
        for off in session.exec(
            select(Offering).where(Offering.id.in_({row.offering_id for row in rows}))
        ).all()
    }
    return {row.id: (row, offerings[row.offering_id]) for row in rows}


def start_enrolled(session: Session, enrollment_ids, now: datetime) -> None:
    """``enrolled -> in_progress`` for every listed enrollment still enrolled, in one UPDATE
    (the first hours move an enrollment on, see :mod:`.states`)."""
    if not enrollment_ids:
        return
    target = transition(EnrollmentState.ENROLLED, EnrollmentState.IN_PROGRESS)
    session.execute(
        update(Enrollment)
        .where(
            _among(session, Enrollment.id, enrollment_ids),
            Enrollment.state == EnrollmentState.ENROLLED,
        )
        .values(state=str(target), started_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _insert_all(session: Session, accepted) -> None:
    """One multi-row INSERT (no ORM objects) in a savepoint; if a concurrent writer got some
    (source, external id) first, fall back to one savepoint per entry to tell which."""
    if not accepted:
        return
    table = HoursEntry.__table__
    savepoint = session.begin_nested()
    try:
        insert_rows(session, table, [row for row, _, _ in accepted])
        savepoint.commit()
        for row, _, result in accepted:
            result.status, result.entry_id = "accepted", row["id"]
        return
    except IntegrityError:
        savepoint.rollback()
    for row, e, result in accepted:
        _insert(session, row, e, result)


def _answer_existing(result: EntryResult, e: EntryIn, row) -> None:
    if _same_content(e, row):
        result.status, result.minutes, result.entry_id = "duplicate", row.minutes, row.id
    else:
        result.status = "rejected"
        result.reasons = [
            Reason(
                EXTERNAL_ID_CONFLICT,
                "an entry with this source and external id is already recorded with different "
                "content",
            ).as_dict()
        ]


def _insert(session: Session, row: dict, e: EntryIn, result: EntryResult) -> None:
    savepoint = session.begin_nested()
    try:
        session.execute(insert(HoursEntry.__table__), [row])
        savepoint.commit()
        result.status, result.entry_id = "accepted", row["id"]
    except IntegrityError:
        # A concurrent writer recorded the same (source, external id) first.
        savepoint.rollback()
        found = session.exec(
            select(HoursEntry).where(
                HoursEntry.source == row["source"], HoursEntry.external_id == row["external_id"]
            )
        ).one()
        _answer_existing(result, e, found)


def _persist_rejections(session, entries, results, pairs, recorded_by, now) -> None:
    rows = []
    for e, result in zip(entries, results, strict=True):
        if result.status != "rejected":
            continue
        enr = pairs.get(e.enrollment_id)
        rows.append(
            {
                "id": uuid.uuid4(),
                "enrollment_id": enr[0].id if enr else None,
                "learner_id": enr[0].learner_id if enr else None,
                "source": str(e.source),
                "external_id": e.external_id,
                "started_at": e.started_at,
                "ended_at": e.ended_at,
                "minutes": e.minutes,
                "reasons": result.reasons,
                "recorded_by": recorded_by,
                "created_at": now,
            }
        )
    if rows:
        session.execute(insert(HoursRejection.__table__), rows)


# --- reversals ------------------------------------------------------------------------------


def reverse_entry(
    session: Session, entry: HoursEntry, *, external_id: str, actor, reason: str, now: datetime
) -> HoursEntry:
    """Append the negative twin of ``entry`` (the ledger is append-only: a correction is a new
    row): same enrolment, interval and source, ``-minutes``, under ``external_id``, audited.
    Idempotent on (source, external id): a second call returns the first reversal."""
    done = session.exec(
        select(HoursEntry).where(
            HoursEntry.source == entry.source, HoursEntry.external_id == external_id
        )
    ).first()
    if done is not None:
        return done
    row = HoursEntry(
        enrollment_id=entry.enrollment_id,
        learner_id=entry.learner_id,
        source=entry.source,
        external_id=external_id,
        started_at=entry.started_at,
        ended_at=entry.ended_at,
        minutes=-entry.minutes,
        online=entry.online,
        recorded_by=getattr(actor, "user_id", None),
        created_at=now,
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="hours.reversed",
        subject_type="hours_entry",
        subject_id=str(entry.id),
        detail=reason,
    )
    return row


# --- totals ----------------------------------------------------------------------------------


def minutes_by_enrollment(session: Session, enrollment_ids) -> dict[uuid.UUID, dict[str, int]]:
    if not enrollment_ids:
        return {}
    rows = session.exec(
        select(HoursEntry.enrollment_id, HoursEntry.online, func.sum(HoursEntry.minutes))
        .where(_among(session, HoursEntry.enrollment_id, enrollment_ids))
        .group_by(HoursEntry.enrollment_id, HoursEntry.online)
    ).all()
    out: dict[uuid.UUID, dict[str, int]] = {}
    for eid, online, total in rows:
        bucket = out.setdefault(eid, {"minutes": 0, "online_minutes": 0})
        bucket["minutes"] += int(total)
        if online:
            bucket["online_minutes"] += int(total)
    return out


def totals(minutes: int, online_minutes: int = 0) -> dict:
    return {
        "minutes": minutes,
        "xueshi": str(minutes_to_xueshi(minutes)),
        "online_minutes": online_minutes,
    }
