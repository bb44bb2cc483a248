"""Sweeping orphaned spool files: what a killed worker or request left in the spool directory.

Uploads are spooled as ``upload-*.part`` and package ingests as ``ingest-*.zip``; both are
removed by the code that made them, unless its process was killed. A file is an orphan when it
is older than ``SKILLS_SPOOL_MAX_AGE_SECONDS`` and no live job could hold it: a job running
under a valid lease keeps every file made since it started. Only those two patterns are
touched, so a spool directory shared with the system temp directory is safe.

On local storage, uploads are spooled into the storage's own temporary folder (so storing them
is a rename) and versions are staged there before they appear; the same rule sweeps what a
killed process left in it (:meth:`content.storage.LocalStorage.sweep_tmp`).
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from service.core.db import get_engine
from service.core.settings import Settings, get_settings
from service.core.storage import storage_from_settings
from service.core.timeutil import utcnow
from service.jobs.models import JobStatus, OutboxJob

log = logging.getLogger("skills.spool")
SPOOL_PATTERNS = ("upload-*.part", "ingest-*.zip")


def spool_directory(settings: Settings) -> Path:
    return Path(settings.spool_dir) if settings.spool_dir else Path(tempfile.gettempdir())


def _oldest_live_job_start(engine) -> float | None:
    with Session(engine) as session:
        started = session.exec(
            select(func.min(OutboxJob.started_at)).where(
                OutboxJob.status == JobStatus.running, OutboxJob.lease_until > utcnow()
            )
        ).one()
    if started is None:
        return None
    return started.timestamp()


def sweep_spool(settings: Settings | None = None, engine=None) -> int:
    """Removes orphaned spool files; returns how many."""
    settings = settings or get_settings()
    folder = spool_directory(settings)
    local_storage = settings.storage_backend == "local"
    if not folder.is_dir() and not local_storage:
        return 0
    cutoff = time.time() - settings.spool_max_age_seconds
    try:
        held_since = _oldest_live_job_start(engine or get_engine())
    except SQLAlchemyError as exc:  # not migrated yet, or down: which files are held is unknown
        log.warning("spool sweep skipped", extra={"error_type": type(exc).__name__})
        return 0
    if held_since is not None:
        cutoff = min(cutoff, held_since)
    removed = 0
    if local_storage:
        removed += storage_from_settings(settings).sweep_tmp(cutoff)
    for pattern in SPOOL_PATTERNS if folder.is_dir() else ():
        for path in folder.glob(pattern):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # its owner removed it meanwhile
    if removed:
        log.info("orphaned spool files removed", extra={"count": removed})
    return removed
