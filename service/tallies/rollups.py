"""Keeping the rollups exact, in the transaction of each completion and each credential issued.

Two calls, made by their owners at the moment the event happens:

- :func:`record_completion` from ``service.training.completion.complete_if_due``, on the
  winning path only (the call that moved the enrollment to ``completed``);
- :func:`record_credential_issued` from the ``credentials.issue`` job handler, when a credential
  was newly created for a completed enrollment. Idempotent per enrollment.

Each writes its *fact* at once (the completion snapshot, or the fact's ``credentialed`` flag) and
the rollup increments are applied at commit time (SQLAlchemy ``before_commit``), still inside
the same transaction. Why at commit: a transaction may complete several enrollments (an
attendance batch) and meanwhile take domain row locks; if cell locks were taken along the way,
two such transactions could wait on each other (cell A then enrollment X, against enrollment X
then cell A). Taking every tally lock last, in one global order (tally_learner rows by id,
then cells by key, table by table), leaves no cycle. The ``rolled_person`` /
``rolled_credential`` flags on the fact make the apply idempotent, so a retried or duplicated
call never counts twice.

Distinct learners: on commit the learner's ``tally_learner`` row is upserted (its row lock
serialises concurrent completions of one person), then the learner's earlier facts are read
(indexed by learner) and each declared distinct cell the new completion falls in is incremented
only if none of the earlier facts already falls in it. From the same earlier facts the learner's
overlap rows (repeats per agreement mask, :mod:`service.tallies.overlap`) are recomputed and
the difference added, so distinct learners of undeclared groupings stay exact too.

Policy: person-times are completions and never go down; a revoked credential does not reduce
person-times, and the credentials count is the number of completions for which a credential was
issued (issuance events): revocation does not reduce it either. Revocations are reported by the
credentials admin, not by the tallies.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from service.core.timeutil import CITY_TZ
from service.tallies.dimensions import KEY_COLUMNS, distinct_keys, key_tuple
from service.tallies.models import (
    CELL_DIMS,
    TallyCell,
    TallyCompletion,
    TallyCompletionGroup,
    TallyDay,
    TallyDistinctCell,
    TallyGroupCell,
    TallyLearner,
    TallyOverlap,
)
from service.tallies.overlap import OVERLAP_KEYS, overlap_delta
from service.tallies.upserts import increment

PENDING = "tallies.pending"
FACT = TallyCompletion.__table__
METRICS = ("person_times", "minutes", "credentials")


def _pending(session: Session) -> set[uuid.UUID]:
    return session.info.setdefault(PENDING, set())


def record_completion(session: Session, enrollment, offering, now: datetime) -> None:
    """Snapshot one completion as a fact; the rollups follow at commit (same transaction).

    ``enrollment`` must just have been completed by the caller (``completed_at = now``).
    Hours (学时) of the completion are the minutes in the enrollment's ledger at that moment; the
    ledger accepts no entries once the enrollment is completed, so they never change later.
    """
    from service.training.completion import recorded_minutes
    from service.training.models import Learner

    # the learner as committed now (not a copy loaded earlier in this session): the snapshot
    learner = session.get(Learner, enrollment.learner_id, populate_existing=True)
    session.execute(
        FACT.insert().values(
            _fact_values(
                enrollment, offering, learner, now, recorded_minutes(session, enrollment.id)
            )
        )
    )
    groups = sorted(set(learner.groups or []))
    if groups:
        session.execute(
            TallyCompletionGroup.__table__.insert(),
            [{"enrollment_id": enrollment.id, "group_code": g} for g in groups],
        )
    _pending(session).add(enrollment.id)


def _fact_values(enrollment, offering, learner, completed_at: datetime, minutes: int) -> dict:
    local = completed_at.astimezone(CITY_TZ)
    return {
        "enrollment_id": enrollment.id,
        "learner_id": enrollment.learner_id,
        "completed_at": completed_at,
        "completed_on": local.date(),
        "year": local.year,
        "district_code": learner.district_code,
        "cluster_version": offering.cluster_version or "",
        "cluster_code": offering.cluster_code or "",
        "training_type": offering.training_type,
        "funding": offering.funding,
        "organization_id": offering.organization_id,
        "occupation_code": offering.occupation_code,
        "level": offering.level,
        "minutes": minutes,
        "credentialed": False,
        "rolled_person": False,
        "rolled_credential": False,
        "created_at": completed_at,
    }


def record_credential_issued(session: Session, enrollment) -> None:
    """Count the credential issued for ``enrollment`` (an Enrollment or its id), once.

    Call it in the transaction that created the credential. Calling it again (a retried job, a
    second achievement) changes nothing. An enrollment without a completion fact is left to the
    reconcile job, which also counts credentials from the credential table.
    """
    enrollment_id = getattr(enrollment, "id", enrollment)
    enrollment_id = uuid.UUID(str(enrollment_id))
    result = session.execute(
        update(FACT)
        .where(FACT.c.enrollment_id == enrollment_id, FACT.c.credentialed.is_(False))
        .values(credentialed=True)
    )
    if result.rowcount:
        _pending(session).add(enrollment_id)


def apply_pending(session: Session) -> None:
    """Apply the rollup increments of this transaction's facts (called at commit)."""
    ids = session.info.pop(PENDING, None)
    if not ids:
        return
    session.flush()  # domain writes first: tally locks are the last locks a transaction takes
    ids = sorted(ids, key=str)
    cols = [
        FACT.c[c]
        for c in (
            "enrollment_id",
            "learner_id",
            "minutes",
            "completed_on",
            "completed_at",
            *CELL_DIMS,
        )
    ]
    people = session.execute(
        update(FACT)
        .where(FACT.c.enrollment_id.in_(ids), FACT.c.rolled_person.is_(False))
        .values(rolled_person=True)
        .returning(*cols)
    ).all()
    creds = session.execute(
        update(FACT)
        .where(
            FACT.c.enrollment_id.in_(ids),
            FACT.c.credentialed.is_(True),
            FACT.c.rolled_credential.is_(False),
        )
        .values(rolled_credential=True)
        .returning(*cols)
    ).all()
    apply_deltas(session, [r._asdict() for r in people], [r._asdict() for r in creds])


def apply_deltas(session: Session, people: list[dict], creds: list[dict]) -> None:
    """Add ``people`` (new person-times) and ``creds`` (new credentials) to every rollup."""
    if not people and not creds:
        return
    touched = [f["enrollment_id"] for f in people + creds]
    groups = _groups_of(session, touched)
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    group_cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for facts, delta in ((people, "person"), (creds, "credential")):
        for f in facts:
            key = tuple(f[c] for c in CELL_DIMS)
            add = (1, f["minutes"], 0) if delta == "person" else (0, 0, 1)
            for target in [cells[key]] + [
                group_cells[(g, *key)] for g in groups[f["enrollment_id"]]
            ]:
                for i, v in enumerate(add):
                    target[i] += v
    days: dict[tuple, int] = defaultdict(int)
    for f in people:
        for g in ("", *groups[f["enrollment_id"]]):
            days[(f["completed_on"], g)] += 1
    distinct, overlaps = _distinct_deltas(session, people, groups) if people else ({}, {})

    increment(
        session,
        TallyCell.__table__,
        _rows(cells, CELL_DIMS),
        CELL_DIMS,
        METRICS,
    )
    increment(
        session,
        TallyGroupCell.__table__,
        _rows(group_cells, ("group_code", *CELL_DIMS)),
        ("group_code", *CELL_DIMS),
        METRICS,
    )
    increment(
        session,
        TallyDay.__table__,
        [
            {"day": d, "group_code": g, "person_times": days[(d, g)]}
            for d, g in sorted(days, key=lambda k: (str(k[0]), k[1]))
        ],
        ("day", "group_code"),
        ("person_times",),
    )
    increment(
        session,
        TallyDistinctCell.__table__,
        [distinct[k] for k in sorted(distinct)],
        ("set_code", *KEY_COLUMNS),
        ("learners",),
    )
    increment(
        session,
        TallyOverlap.__table__,
        [
            dict(zip(OVERLAP_KEYS, k, strict=True)) | {"learners": overlaps[k]}
            for k in sorted(overlaps, key=lambda k: tuple(map(str, k)))
        ],
        OVERLAP_KEYS,
        ("learners",),
    )


def _rows(deltas: dict[tuple, list[int]], columns) -> list[dict]:
    rows = []
    for key in sorted(deltas, key=lambda k: tuple(str(v) for v in k)):
        pt, minutes, cred = deltas[key]
        rows.append(
            dict(zip(columns, key, strict=True))
            | dict(zip(METRICS, (pt, minutes, cred), strict=True))
        )
    return rows


def _groups_of(session: Session, enrollment_ids) -> dict[uuid.UUID, list[str]]:
    out: dict[uuid.UUID, list[str]] = defaultdict(list)
    if not enrollment_ids:
        return out
    table = TallyCompletionGroup.__table__
    for eid, code in session.execute(
        select(table.c.enrollment_id, table.c.group_code).where(
            table.c.enrollment_id.in_(list(enrollment_ids))
        )
    ):
        out[eid].append(code)
    return out


def _distinct_deltas(
    session: Session, people: list[dict], groups
) -> tuple[dict[tuple, dict], Counter]:
    """+1 for each declared distinct cell a learner enters for the first time; and the change
    of the learners' overlap rows (their repeats, :mod:`service.tallies.overlap`)."""
    per_learner: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for f in people:
        per_learner[f["learner_id"]].append(f)
    learners = sorted(per_learner, key=str)
    increment(
        session,
        TallyLearner.__table__,
        [{"learner_id": lid, "completions": len(per_learner[lid])} for lid in learners],
        ("learner_id",),
        ("completions",),
    )  # the row locks serialise this learner's concurrent completions from here to commit
    new_ids = {f["enrollment_id"] for f in people}
    cols = [FACT.c[c] for c in ("enrollment_id", "learner_id", "completed_at", *CELL_DIMS)]
    earlier = [
        r._asdict()
        for r in session.execute(
            select(*cols).where(
                FACT.c.learner_id.in_(learners),
                FACT.c.rolled_person.is_(True),
                FACT.c.enrollment_id.not_in(new_ids),
            )
        )
    ]
    old_groups = _groups_of(session, [f["enrollment_id"] for f in earlier])
    seen: set[tuple] = set()
    for f in earlier:
        for key in distinct_keys(f, old_groups[f["enrollment_id"]]):
            seen.add((f["learner_id"], key_tuple(key)))
    out: dict[tuple, dict] = {}
    for f in people:
        for key in distinct_keys(f, groups[f["enrollment_id"]]):
            kt = key_tuple(key)
            if (f["learner_id"], kt) in seen:
                continue
            seen.add((f["learner_id"], kt))
            if kt in out:
                out[kt]["learners"] += 1
            else:
                out[kt] = key | {"learners": 1}
    return out, _overlap_deltas(people, earlier, groups | old_groups)


def _overlap_deltas(people: list[dict], earlier: list[dict], groups) -> Counter:
    before: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for f in earlier:
        before[f["learner_id"]].append(f)
    new: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for f in people:
        new[f["learner_id"]].append(f)
    total: Counter = Counter()
    for learner, added in new.items():
        total.update(overlap_delta(before[learner], before[learner] + added, groups))
    return Counter({k: v for k, v in total.items() if v})


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session: OrmSession) -> None:
    if session.info.get(PENDING):
        apply_pending(session)


@event.listens_for(OrmSession, "after_soft_rollback")
def _after_rollback(session: OrmSession, previous_transaction) -> None:
    # The facts rolled back with the transaction. (A stale id would be harmless anyway: the
    # apply only touches facts whose flags say they are not yet rolled up.)
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)
