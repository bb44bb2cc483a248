"""Running an import: check the whole file, then apply its rows batch by batch.

1. **Check.** The whole file is read once (format, encryption, header, limits, formulas) before
   any row is used: a refused file writes nothing but the refusal.
2. **Apply.** Rows go in batches of :data:`BATCH_ROWS`. One transaction per batch writes the
   rows' effects, their outcomes (``import_row``) and the run's counters together, under the
   run's row lock, so a worker killed mid-file loses only its open batch and the next attempt
   resumes after ``last_row``; two workers holding the same job (an expired lease) take turns
   and never apply a row twice.
3. **Dry run.** Each batch is applied inside a savepoint that is rolled back: the outcomes are
   real, the effects are not. A dry run's later batches therefore do not see its earlier ones
   (a file that registers a person and enrols them in one go is judged row by row against the
   database as it is).
4. **Finish.** The source file (it holds ID numbers) is deleted; the report is built from the
   stored outcomes, whose cells are masked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import islice

from sqlalchemy import update
from sqlmodel import Session, select

from service.accounts.access import ORGANIZATION_INACTIVE, Principal
from service.accounts.models import ORG_ROLES, Organization, User
from service.core.bulk import insert_rows
from service.core.db import is_postgres
from service.core.settings import get_settings
from service.core.storage import get_storage
from service.core.timeutil import utcnow
from service.imports.kinds import RowOutcome, apply_batch
from service.imports.masking import masked_cells, masked_message
from service.imports.models import FINISHED, ImportRow, ImportRun, ImportStatus
from service.imports.reading import FileRefused, limits_from, open_table
from service.imports.rows_attendance import forget_reader
from service.jobs.events import publish
from service.jobs.outbox import enqueue

log = logging.getLogger("skills.imports")
BATCH_ROWS = 1000  # the ledger's MAX_BATCH: a batch's fixed costs (look-ups, commit) spread thin
RUN = "imports.run"
DELETE_FILE = "imports.delete_file"

Progress = Callable[[ImportRun], None]


@contextlib.contextmanager
def _readable_copy(key: str) -> Iterator[str]:
    """The stored file as a path: the object itself on local storage, else a spooled copy."""
    storage = get_storage()
    local = storage.local_path(key)
    if local is not None and local.exists():
        yield str(local)
        return
    spool = get_settings().spool_dir
    fd, path = tempfile.mkstemp(suffix=".import", dir=str(spool) if spool else None)
    try:
        with os.fdopen(fd, "wb") as out, contextlib.closing(storage.open(key)) as source:
            shutil.copyfileobj(source, out, 1024 * 1024)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _locked(session: Session, import_id: uuid.UUID) -> ImportRun | None:
    stmt = select(ImportRun).where(ImportRun.id == import_id)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def run_import(session: Session, import_id: uuid.UUID, progress: Progress | None = None) -> None:
    """Take the import as far as it goes: to ``done`` or ``refused``. Commits as it goes; an
    exception leaves the committed batches in place for the next attempt."""
    run = session.get(ImportRun, import_id)
    if run is None or run.status in FINISHED:
        return
    if run.object_key is None:  # the file is gone although the run is not finished
        _finish(session, import_id, ImportStatus.failed, "file-missing", "The file is gone.")
        return
    stop = _uploader_stopped(session, run)
    if stop is not None:
        _finish(session, import_id, ImportStatus.failed, *stop)
        return
    with (
        _readable_copy(run.object_key) as path,
        open_table(path, limits_from(get_settings())) as table,
    ):
        if run.rows_total is None and not _checked(session, run, table):
            return
        principal = Principal(run.created_by, run.created_role, run.organization_id)
        kind, dry_run = run.kind, run.dry_run
        records = table.records(kind, start_after=run.last_row)
        try:
            while batch := list(islice(records, BATCH_ROWS)):
                _apply(session, import_id, principal, kind, dry_run, batch)
                if progress is not None:
                    progress(_current(session, import_id))
        finally:
            forget_reader()
    _finish(session, import_id, ImportStatus.done)
    if progress is not None:
        progress(session.get(ImportRun, import_id))


def _uploader_stopped(session: Session, run: ImportRun) -> tuple[str, str] | None:
    """A queued import acts with its uploader's rights as they are when it runs: an account
    deactivated or moved, or an organization deactivated since the upload, ends it."""
    organization = session.get(Organization, run.organization_id)
    if organization is None or not organization.is_active:
        return ORGANIZATION_INACTIVE, "The organization has been deactivated."
    if run.created_by is None:  # the operator at a terminal
        return None
    user = session.get(User, run.created_by)
    if (
        user is None
        or not user.is_active
        or user.role != run.created_role
        or (user.role in ORG_ROLES and user.organization_id != run.organization_id)
    ):
        return (
            "uploader-no-longer-allowed",
            "The account that uploaded the file may no longer import for this organization.",
        )
    return None


def _checked(session: Session, run: ImportRun, table) -> bool:
    """The whole-file pass; False when the file is refused (recorded, nothing else written)."""
    run.status = ImportStatus.checking
    run.started_at = run.started_at or utcnow()
    session.add(run)
    session.commit()
    try:
        total = table.check(run.kind)
    except FileRefused as refusal:
        _finish(session, run.id, ImportStatus.refused, refusal.code, refusal.detail)
        return False
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - a reader library choking on the file: the file's fault
        log.warning("import file unreadable", exc_info=True, extra={"import_id": str(run.id)})
        _finish(
            session,
            run.id,
            ImportStatus.refused,
            "unreadable-file",
            "The file could not be read as a spreadsheet; save it again as XLSX or CSV.",
        )
        return False
    run.rows_total = total
    run.file_format = table.format
    run.status = ImportStatus.running
    session.add(run)
    session.commit()
    return True


def _apply(
    session: Session,
    import_id: uuid.UUID,
    principal: Principal,
    kind: str,
    dry_run: bool,
    batch: list[tuple[int, dict[str, str]]],
) -> None:
    run = _locked(session, import_id)
    assert run is not None
    batch = [(row, cells) for row, cells in batch if row > run.last_row]
    if not batch:  # another worker committed these rows meanwhile
        session.rollback()
        return
    now = utcnow()
    if dry_run:
        savepoint = session.begin_nested()
        outcomes = _outcomes(session, principal, run, kind, batch, now)
        savepoint.rollback()
    else:
        outcomes = _outcomes(session, principal, run, kind, batch, now)
    pairs = zip(batch, outcomes, strict=True)
    mask = _Masker(kind)
    rows = [_row(import_id, mask(cells), outcome) for (_, cells), outcome in pairs]
    insert_rows(session, ImportRow.__table__, rows)  # type: ignore[attr-defined]
    counts = {name: sum(1 for o in outcomes if o.outcome == name) for name in _OUTCOMES}
    session.execute(
        update(ImportRun)
        .where(ImportRun.id == import_id)  # type: ignore[arg-type]
        .values(
            last_row=batch[-1][0],
            rows_done=ImportRun.rows_done + len(batch),
            accepted=ImportRun.accepted + counts["accepted"],
            duplicate=ImportRun.duplicate + counts["duplicate"],
            rejected=ImportRun.rejected + counts["rejected"],
        )
    )
    session.commit()


def _current(session: Session, import_id: uuid.UUID) -> ImportRun:
    run = session.get(ImportRun, import_id)
    assert run is not None
    return run


_OUTCOMES = ("accepted", "duplicate", "rejected")


def _outcomes(session, principal, run, kind, batch, now: datetime) -> list[RowOutcome]:
    outcomes = apply_batch(
        session, principal, run.organization_id, kind, batch, import_id=run.id, now=now
    )
    if len(outcomes) != len(batch):
        raise RuntimeError("apply_batch must answer every row once")
    return outcomes


class _Masker:
    """:func:`masked_cells` for a batch's rows, each field's distinct value masked once (a
    sheet repeats its offering, dates and times on every row); fields are masked one by one."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._done: dict[tuple[str, str], str] = {}

    def __call__(self, cells: dict[str, str]) -> dict[str, str]:
        out = {}
        for field, value in cells.items():
            key = (field, value)
            masked = self._done.get(key)
            if masked is None:
                masked = self._done[key] = masked_cells(self.kind, {field: value})[field]
            out[field] = masked
        return out


def _row(import_id: uuid.UUID, cells: dict[str, str], o: RowOutcome) -> dict:
    return {
        "import_id": import_id,
        "row": o.row,
        "outcome": o.outcome,
        "reason": o.reason,
        "message": (masked_message(o.message) or "")[:500] or None,
        "entity_id": o.entity_id,
        "cells": cells,
    }


def _finish(
    session: Session,
    import_id: uuid.UUID,
    status: ImportStatus,
    code: str | None = None,
    message: str | None = None,
) -> None:
    """Final state, then the source file goes: a deletion job is queued in the finishing
    transaction (the outbox guarantees it runs), and tried at once as well, so the file with
    its ID numbers does not wait for a worker when the CLI runs the import."""
    run = session.get(ImportRun, import_id)
    assert run is not None
    key = run.object_key
    run.status = status
    run.refusal_code = code
    run.refusal_message = (message or "")[:500] or None
    run.finished_at = utcnow()
    run.object_key = None
    session.add(run)
    if key is not None:
        enqueue(session, DELETE_FILE, {"key": key}, dedupe_key=f"import-file:{import_id}")
    publish(
        session,
        "import.finished",
        {
            "import_id": str(run.id),
            "organization_id": str(run.organization_id),
            "kind": run.kind,
            "dry_run": run.dry_run,
            "state": str(status),
            "refusal_code": code,
            "rows_done": run.rows_done,
            "accepted": run.accepted,
            "duplicate": run.duplicate,
            "rejected": run.rejected,
        },
        organization_id=run.organization_id,
    )
    session.commit()
    if key is not None:
        delete_file(session, {"key": key})
    log.info("import finished", extra={"import_id": str(import_id), "status": str(status)})


def run_job_key(import_id: uuid.UUID) -> str:
    return f"import:{import_id}"


def request_run(session: Session, run: ImportRun, delay: timedelta | None = None) -> None:
    """Queue the run's job; ``delay``: as a fallback only, for a run another process (the CLI)
    is doing now, should that process be stopped."""
    available_at = utcnow() + delay if delay is not None else None
    enqueue(
        session,
        RUN,
        {"import_id": str(run.id)},
        dedupe_key=run_job_key(run.id),
        available_at=available_at,
    )


def run_job(session: Session, payload: dict) -> None:
    run_import(session, uuid.UUID(payload["import_id"]))


def delete_file(session: Session, payload: dict) -> None:
    """Idempotent: deleting a missing object is no error."""
    get_storage().delete(payload["key"])


HANDLERS = {RUN: run_job, DELETE_FILE: delete_file}
