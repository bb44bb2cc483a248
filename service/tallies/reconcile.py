"""The reconcile job: recompute the tallies from source rows, correct drift, report it.

Two phases, each in its own transaction:

1. *Facts against source*: every completed enrollment must have exactly one fact, whose
   recomputable fields (year, day, learner, minutes from the ledger, credential issued) match the
   source rows. Missing facts are inserted (snapshot taken now), wrong fields corrected, facts of
   enrollments that are not completed removed. Snapshot fields are left as recorded.
2. *Rollups against facts*: every rollup table is recomputed from the facts in one consistent
   snapshot (PostgreSQL ``REPEATABLE READ``; SQLite holds its write lock for the check) and the
   differences are applied as *increments* (``n = n + (expected - stored)``), which commute with
   completions committed meanwhile, so a reconcile never undoes a concurrent completion.

Every run is recorded in ``tally_reconcile_run`` (the admin route shows the last ones), logged
and counted in Prometheus (:mod:`service.tallies.metrics`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from service.core.timeutil import utcnow
from service.tallies import metrics
from service.tallies.dimensions import DISTINCT_SETS, KEY_COLUMNS
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
    TallyReconcileRun,
)
from service.tallies.overlap import OVERLAP_KEYS
from service.tallies.recompute import (
    expected_cells,
    expected_days,
    expected_distinct,
    expected_group_cells,
    expected_learners,
    expected_overlaps,
    fact_source_drift,
    insert_missing_facts,
    source_facts,
)
from service.tallies.upserts import increment
from service.workforce import participation

log = logging.getLogger("skills.tallies")
MAX_REPORTED_DIFFS = 200
FACT = TallyCompletion.__table__
METRICS = ("person_times", "minutes", "credentials")


@dataclass
class RollupTable:
    """A rollup table and how to recompute it: SQL statements (``expected``) or, for rows SQL
    cannot derive, a function of the session yielding row mappings (``expected_rows``)."""

    name: str
    table: object
    keys: tuple[str, ...]
    counters: tuple[str, ...]
    expected: Callable[[], list] = list
    expected_rows: Callable[[Session], Iterable[Mapping]] | None = None

    def rows(self, session: Session) -> Iterator[Mapping]:
        for stmt in self.expected():
            for row in session.execute(stmt):
                yield row._mapping
        if self.expected_rows is not None:
            yield from self.expected_rows(session)


def _distinct_expected():
    return [expected_distinct(dims) for dims in DISTINCT_SETS]


ROLLUPS = (
    RollupTable("tally_cell", TallyCell.__table__, CELL_DIMS, METRICS, lambda: [expected_cells()]),
    RollupTable(
        "tally_group_cell",
        TallyGroupCell.__table__,
        ("group_code", *CELL_DIMS),
        METRICS,
        lambda: [expected_group_cells()],
    ),
    RollupTable(
        "tally_day", TallyDay.__table__, ("day", "group_code"), ("person_times",), expected_days
    ),
    RollupTable(
        "tally_distinct_cell",
        TallyDistinctCell.__table__,
        ("set_code", *KEY_COLUMNS),
        ("learners",),
        _distinct_expected,
    ),
    RollupTable(
        "tally_learner",
        TallyLearner.__table__,
        ("learner_id",),
        ("completions",),
        lambda: [expected_learners()],
    ),
    RollupTable(
        "tally_overlap",
        TallyOverlap.__table__,
        OVERLAP_KEYS,
        ("learners",),
        expected_rows=expected_overlaps,
    ),
)


@dataclass
class Findings:
    checked: int = 0
    diffs: list[dict] = field(default_factory=list)
    deltas: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.diffs)


def _jsonable(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _key_dict(keys, key) -> dict:
    return {k: _jsonable(v) for k, v in zip(keys, key, strict=True)}


# --- phase 1: facts against source -------------------------------------------------------


def fact_findings(session: Session) -> Findings:
    """What is wrong with the facts (read only)."""
    found = Findings()
    found.checked = int(session.execute(select(func.count()).select_from(FACT)).scalar_one())
    missing = (
        session.execute(select(source_facts(session).subquery().c.enrollment_id)).scalars().all()
    )
    for eid in missing:
        found.diffs.append(
            {"table": "tally_completion", "key": {"enrollment_id": str(eid)}, "field": "missing"}
        )
    for row in session.execute(fact_source_drift(session)).mappings():
        key = {"enrollment_id": str(row["enrollment_id"])}
        if row["src_learner_id"] is None:
            found.diffs.append({"table": "tally_completion", "key": key, "field": "not_completed"})
            continue
        for name in ("year", "completed_on", "learner_id", "minutes", "credentialed"):
            stored, expected = row[name], row[f"src_{name}"]
            if str(stored) != str(expected) and not (
                name == "credentialed" and bool(stored) == bool(expected)
            ):
                found.diffs.append(
                    {
                        "table": "tally_completion",
                        "key": key,
                        "field": name,
                        "stored": _jsonable(stored),
                        "expected": _jsonable(expected),
                    }
                )
    return found


def repair_facts(session: Session, marker: datetime) -> int:
    """Correct the facts against the source; returns how many facts changed."""
    changed = 0
    group = TallyCompletionGroup.__table__
    for row in session.execute(fact_source_drift(session)).mappings().all():
        eid = row["enrollment_id"]
        if row["src_learner_id"] is None:
            session.execute(delete(group).where(group.c.enrollment_id == eid))
            session.execute(delete(FACT).where(FACT.c.enrollment_id == eid))
        else:
            credentialed = bool(row["src_credentialed"])
            session.execute(
                update(FACT)
                .where(FACT.c.enrollment_id == eid)
                .values(
                    year=row["src_year"],
                    completed_on=_as_date(row["src_completed_on"]),
                    # the order tally_overlap counts repeats in (whole days are compared above)
                    completed_at=row["src_completed_at"],
                    learner_id=row["src_learner_id"],
                    minutes=row["src_minutes"],
                    credentialed=credentialed,
                    rolled_credential=credentialed,
                    rolled_person=True,
                )
            )
        changed += 1
    changed += insert_missing_facts(session, marker)
    return changed


def _as_date(value):
    from datetime import date

    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- phase 2: rollups against facts -------------------------------------------------------


def _sorted_rows(keys, deltas: dict[tuple, dict]) -> list[dict]:
    return [deltas[k] for k in sorted(deltas, key=lambda k: tuple(str(v) for v in k))]


def rollup_findings(session: Session) -> Findings:
    """Compare every rollup table with its recomputation from the facts (read only)."""
    found = Findings()
    for spec in ROLLUPS:
        table, n = spec.table, len(spec.keys)
        stored: dict[tuple, tuple] = {}
        key_cols = [table.c[k] for k in spec.keys]
        for row in session.execute(select(*key_cols, *(table.c[c] for c in spec.counters))):
            values = tuple(int(v) for v in row[n:])
            if any(values):
                stored[tuple(row[:n])] = values
        expected: dict[tuple, tuple] = {}
        for mapping in spec.rows(session):
            expected[tuple(mapping[k] for k in spec.keys)] = tuple(
                int(mapping[c] or 0) for c in spec.counters
            )
        found.checked += len(set(stored) | set(expected))
        deltas: dict[tuple, dict] = {}
        for key in set(stored) | set(expected):
            have = stored.get(key, (0,) * len(spec.counters))
            want = expected.get(key, (0,) * len(spec.counters))
            if have == want:
                continue
            deltas[key] = dict(zip(spec.keys, key, strict=True)) | {
                c: w - h for c, w, h in zip(spec.counters, want, have, strict=True)
            }
            found.diffs.append(
                {
                    "table": spec.name,
                    "key": _key_dict(spec.keys, key),
                    "stored": dict(zip(spec.counters, have, strict=True)),
                    "expected": dict(zip(spec.counters, want, strict=True)),
                }
            )
        found.deltas[spec.name] = _sorted_rows(spec.keys, deltas)
    return found


def apply_rollup_deltas(session: Session, found: Findings) -> None:
    for spec in ROLLUPS:
        rows = found.deltas.get(spec.name) or []
        if not rows:
            continue
        increment(session, spec.table, rows, spec.keys, spec.counters)
        zero = [spec.table.c[c] == 0 for c in spec.counters]
        session.execute(delete(spec.table).where(*zero))


def check(session: Session) -> list[dict]:
    """Every difference between the tallies and a recomputation from source (read only);
    empty when the tallies are exact. Tests and operators use this."""
    return (
        fact_findings(session).diffs + rollup_findings(session).diffs + participation.drift(session)
    )


def _rollup_phase(engine: Engine, repair: bool) -> Findings:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            reader = Session(bind=conn)
            found = rollup_findings(reader)
            reader.close()
            conn.rollback()
        if repair and found.diffs:
            with Session(engine) as writer:
                apply_rollup_deltas(writer, found)
                writer.commit()
        return found
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # no writer may commit between check and fix
        session = Session(bind=conn)
        found = rollup_findings(session)
        if repair and found.diffs:
            apply_rollup_deltas(session, found)
        session.close()
        conn.commit()
    return found


def _participation_phase(engine: Engine, repair: bool) -> list[dict]:
    """Enterprises' participation members against a recount (service.workforce.participation)."""
    if engine.dialect.name == "postgresql":  # one snapshot for both reads of the check
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            reader = Session(bind=conn)
            found = participation.drift(reader)
            reader.close()
            conn.rollback()
    else:
        with Session(engine) as session:
            found = participation.drift(session)
    if repair and found:
        with Session(engine) as writer:
            participation.repair(writer)
            writer.commit()
    return found


# --- the run --------------------------------------------------------------------------------


def run(engine: Engine, trigger: str = "cli", repair: bool = True) -> dict:
    """Check (and by default correct) the tallies; record, log and count the run."""
    with Session(engine, expire_on_commit=False) as session:
        record = TallyReconcileRun(trigger=trigger[:20])
        session.add(record)
        session.commit()
    try:
        with Session(engine, expire_on_commit=False) as session:
            facts = fact_findings(session)
            if repair and facts.diffs:
                repair_facts(session, utcnow())
            session.commit()
        cells = _rollup_phase(engine, repair)
        members = _participation_phase(engine, repair)
    except Exception as exc:
        _finish(engine, record, status="error", error=f"{type(exc).__name__}: {exc}"[:2000])
        metrics.RECONCILE_RUNS.labels("error").inc()
        log.exception("tallies reconcile failed", extra={"run_id": str(record.id)})
        raise
    diffs = facts.diffs + cells.diffs + members
    status = "drift" if diffs else "ok"
    corrected = {
        "facts": len(facts.diffs) if repair else 0,
        "cells": cells.count if repair else 0,
        "participation": len(members) if repair else 0,
    }
    done = _finish(
        engine,
        record,
        status=status,
        facts_checked=facts.checked,
        facts_corrected=corrected["facts"],
        cells_checked=cells.checked,
        cells_corrected=corrected["cells"],
        diffs=diffs[:MAX_REPORTED_DIFFS],
        diff_count=len(diffs),
    )
    metrics.RECONCILE_RUNS.labels(status).inc()
    metrics.DRIFT_LAST.labels("facts").set(len(facts.diffs))
    metrics.DRIFT_LAST.labels("cells").set(cells.count)
    metrics.DRIFT_LAST.labels("participation").set(len(members))
    for kind, n in corrected.items():
        metrics.DRIFT_CORRECTED.labels(kind).inc(n)
    metrics.RECONCILE_LAST_SUCCESS.set(utcnow().timestamp())
    level = logging.WARNING if diffs else logging.INFO
    log.log(
        level,
        "tallies reconcile: %s",
        status,
        extra={
            "run_id": str(record.id),
            "facts_checked": facts.checked,
            "cells_checked": cells.checked,
            "facts_drift": len(facts.diffs),
            "cells_drift": cells.count,
            "repaired": repair,
        },
    )
    return done


def _finish(engine: Engine, record: TallyReconcileRun, **values) -> dict:
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(TallyReconcileRun, record.id)
        for name, value in values.items():
            setattr(row, name, value)
        row.finished_at = utcnow()
        session.add(row)
        session.commit()
        return run_as_dict(row)


def run_as_dict(row: TallyReconcileRun) -> dict:
    return {
        "id": str(row.id),
        "trigger": row.trigger,
        "status": row.status,
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "facts_checked": row.facts_checked,
        "facts_corrected": row.facts_corrected,
        "cells_checked": row.cells_checked,
        "cells_corrected": row.cells_corrected,
        "diff_count": row.diff_count,
        "diffs": row.diffs,
        "error": row.error,
    }
