"""Background jobs for packages: ingest an uploaded version, then drop the upload."""

from __future__ import annotations

import logging
import uuid

from sqlmodel import Session

from content.models import Package, PackageVersion, VersionStatus
from content.versions import ingest_version
from service.core.settings import get_settings
from service.core.storage import get_storage
from service.jobs.events import publish
from service.jobs.outbox import enqueue

log = logging.getLogger("skills.packages")
INGEST = "packages.ingest"
DELETE_UPLOAD = "packages.delete_upload"


def request_ingest(session: Session, version: PackageVersion) -> None:
    enqueue(session, INGEST, {"version_id": str(version.id)}, dedupe_key=f"ingest:{version.id}")


def ingest(session: Session, payload: dict) -> None:
    version = session.get(PackageVersion, uuid.UUID(payload["version_id"]))
    if version is None:
        return
    settings = get_settings()
    was_processing = version.status == VersionStatus.processing
    outcome = ingest_version(
        session,
        version,
        get_storage(),
        settings.archive_limits(),
        spool_dir=str(settings.spool_dir) if settings.spool_dir else None,
    )
    log.info(
        "package version ingested", extra={"version_id": str(version.id), "status": outcome.status}
    )
    if was_processing and outcome.status in (VersionStatus.ready, VersionStatus.rejected):
        package = session.get(Package, version.package_id)
        publish(
            session,
            f"package_version.{outcome.status}",
            {
                "package_id": str(version.package_id),
                "version_id": str(version.id),
                "number": version.number,
                "state": str(outcome.status),
                "reasons": [e.get("code") for e in (version.errors or []) if isinstance(e, dict)],
            },
            organization_id=package.organization_id if package is not None else None,
        )
    if version.upload_key:
        enqueue(
            session,
            DELETE_UPLOAD,
            {"key": version.upload_key},
            dedupe_key=f"delete-upload:{version.id}",
        )


def delete_upload(session: Session, payload: dict) -> None:
    get_storage().delete(payload["key"])


HANDLERS = {INGEST: ingest, DELETE_UPLOAD: delete_upload}
