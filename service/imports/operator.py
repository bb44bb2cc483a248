"""An import started at the terminal: the same run as an upload's, driven in this process."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session

from service.accounts.access import Principal
from service.accounts.models import Role
from service.accounts.users import UserReferenceMissing, find_by_email
from service.core.db import get_engine
from service.core.errors import DomainError
from service.core.settings import get_settings
from service.core.spreadsheet import csv_stream, xlsx_stream
from service.imports import service as imports
from service.imports.models import ImportRun
from service.imports.reports import report_rows
from service.imports.runner import Progress, run_import

STAFF = {Role.admin, Role.org_admin, Role.trainer}


def _principal(session: Session, actor_email: str | None) -> Principal:
    """The account named, or the operator at the terminal: administrator rights with no
    account (the audit trail records no actor, which reads as the command line)."""
    if actor_email is None:
        return Principal(user_id=None, role=Role.admin, org_id=None)  # type: ignore[arg-type]
    try:
        user = find_by_email(session, actor_email)
    except UserReferenceMissing:
        raise LookupError("no account has that email") from None
    if user.role not in STAFF or not user.is_active:
        raise LookupError("that account is not an active staff account")
    return Principal(user.id, user.role, user.organization_id)


def _digest(path: Path) -> tuple[int, str]:
    hasher, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            hasher.update(chunk)
            size += len(chunk)
    return size, hasher.hexdigest()


def start_from_terminal(
    kind: str,
    file: Path,
    organization_id: uuid.UUID,
    *,
    dry_run: bool,
    actor_email: str | None,
) -> uuid.UUID:
    """Record the import (the file stored, its job queued as a fallback should this process be
    interrupted). ``LookupError`` for an unknown organization, account or kind (a usage
    error), with words safe to print."""
    size, sha256 = _digest(file)
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            principal = _principal(session, actor_email)
            org = imports.importing_organization(session, principal, organization_id)
            run = imports.start_import(
                session,
                principal,
                org,
                kind,
                dry_run=dry_run,
                path=str(file),
                size=size,
                sha256=sha256,
                filename=file.name,
                keep_source=True,
                # The job is a fallback: it resumes the run should this process be stopped,
                # and never races it (a worker would start the same rows at once otherwise).
                queue_delay=timedelta(seconds=get_settings().job_lease_seconds),
            )
        except DomainError as exc:
            raise LookupError(exc.detail) from None
        session.commit()
        return run.id


def run_from_terminal(import_id: uuid.UUID, report: Path, progress: Progress | None = None) -> dict:
    """Run the import in this process, write its report; the summary the CLI prints."""
    with Session(get_engine(), expire_on_commit=False) as session:
        run_import(session, import_id, progress)
        done = session.get(ImportRun, import_id)
        assert done is not None
    rows = report_rows(done.id, done.kind)
    chunks = csv_stream(rows) if report.suffix.lower() == ".csv" else xlsx_stream("report", rows)
    with report.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return {
        "id": str(done.id),
        "kind": done.kind,
        "status": done.status,
        "dry_run": done.dry_run,
        "rows_total": done.rows_total,
        "accepted": done.accepted,
        "duplicate": done.duplicate,
        "rejected": done.rejected,
        "refusal": (
            {"code": done.refusal_code, "message": done.refusal_message}
            if done.refusal_code
            else None
        ),
        "report": str(report),
    }
