"""Starting an import and finding it again: who may import for which organization, where the
file goes, and the job that does the work (:mod:`.runner`)."""

from __future__ import annotations

import os
import unicodedata
import uuid
from collections.abc import Collection
from datetime import timedelta

from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from service.accounts.access import Principal, ensure_org_access, organization_acted_for
from service.accounts.audit import record_audit
from service.core.errors import Invalid, NotFound
from service.core.storage import get_storage
from service.imports.models import FINISHED, ImportKind, ImportRun, ImportStatus
from service.imports.runner import request_run, run_job_key
from service.jobs.models import JobStatus, OutboxJob

KINDS = tuple(k.value for k in ImportKind)


def importing_organization(
    session: Session, principal: Principal, requested: uuid.UUID | None
) -> uuid.UUID:
    """Administrators name the organization; staff import for their own only."""
    return organization_acted_for(session, principal, requested, purpose="the import is for")


def checked_kind(kind: str | None) -> str:
    """One of :data:`KINDS`; ``enrolments`` (British spelling) is taken for ``enrollments``."""
    if kind == "enrolments":
        kind = ImportKind.ENROLLMENTS.value
    if kind not in KINDS:
        raise Invalid(
            "unknown-import-kind",
            f"kind must be one of {', '.join(KINDS)}.",
            field="kind",
            allowed=list(KINDS),
        )
    return kind


def clean_filename(name: str | None) -> str:
    """The file's own name, as the report and the list show it: no folders, no control
    characters, at most 200 characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    shown = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    return shown[:200]


def start_import(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID,
    kind: str,
    *,
    dry_run: bool,
    path: str,
    size: int,
    sha256: str,
    filename: str | None,
    keep_source: bool = False,
    queue_delay: timedelta | None = None,
) -> ImportRun:
    """Store the file, record the run and queue its job (flushed; the caller commits). The
    spooled upload at ``path`` is taken over (a rename on local storage) unless
    ``keep_source`` (a file of the operator's, read by the CLI). ``queue_delay``: the job is a
    fallback only, for a run this process does itself (the CLI).

    The file is stored first: a failed commit leaves an orphan object (no ID number is ever
    reachable through it), never a run whose file is missing."""
    run = ImportRun(
        organization_id=organization_id,
        kind=checked_kind(kind),
        dry_run=dry_run,
        filename=clean_filename(filename),
        size=size,
        sha256=sha256,
        created_by=principal.user_id,
        created_role=str(principal.role),
    )
    run.object_key = f"imports/{run.id}/source"
    storage = get_storage()
    if keep_source:
        with open(path, "rb") as source:
            storage.put(run.object_key, source, size=size)
    else:
        storage.put_file(run.object_key, path)
    session.add(run)
    record_audit(
        session,
        actor=principal,
        action="import.create",
        subject_type="import",
        subject_id=str(run.id),
        detail=f"kind={run.kind};dry_run={str(dry_run).lower()};sha256={sha256}",
    )
    session.flush()
    request_run(session, run, queue_delay)
    return run


def import_for_staff(session: Session, principal: Principal, import_id: uuid.UUID) -> ImportRun:
    run = session.get(ImportRun, import_id)
    if run is None:
        raise NotFound("not-found", "Import was not found.")
    ensure_org_access(principal, run.organization_id)
    return run


def imports_query(principal: Principal, kind: str | None) -> SelectOfScalar[ImportRun]:
    """Newest first; staff see their organization's imports, administrators all."""
    stmt = select(ImportRun).order_by(
        ImportRun.created_at.desc(),  # type: ignore[attr-defined]
        ImportRun.id,
    )
    if not principal.is_admin:
        stmt = stmt.where(ImportRun.organization_id == principal.org_id)
    if kind is not None:
        stmt = stmt.where(ImportRun.kind == checked_kind(kind))
    return stmt


def given_up(session: Session, runs: list[ImportRun]) -> set[uuid.UUID]:
    """The unfinished runs whose job the outbox gave up on (its attempts spent: an operator's
    matter, see ``GET /api/v1/admin/jobs``). They show as ``failed``; an operator's retry of
    the job resumes them where they stopped, and they show as running again."""
    open_runs = {run_job_key(r.id): r.id for r in runs if r.status not in FINISHED}
    if not open_runs:
        return set()
    keys = session.exec(
        select(OutboxJob.dedupe_key).where(
            OutboxJob.dedupe_key.in_(list(open_runs)),  # type: ignore[union-attr]
            OutboxJob.status == JobStatus.failed,
        )
    ).all()
    return {open_runs[k] for k in keys if k is not None}


def shown_status(run: ImportRun, failed: Collection[uuid.UUID]) -> str:
    return ImportStatus.failed.value if run.id in failed else str(run.status)
