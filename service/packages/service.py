"""Course packages for the staff who own them: create, read, change, upload versions, publish.

Files, manifests and version states are content/'s work (``content.versions``); this module adds
who may do what (organization scoping), the audit trail and the ingest job. It flushes and
never commits: the request handler owns the transaction.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlmodel import Session, select

from content.models import Package, PackageVersion, VersionStatus
from content.storage import ObjectStorage
from content.versions import LifecycleError, change_status, find_by_sha, upload_key_for
from content.versions import new_version as add_version
from service.accounts.access import Principal, ensure_org_access, organization_acted_for
from service.accounts.audit import apply_changes, record_audit
from service.core.errors import Conflict, NotFound, TooLarge
from service.packages.jobs import request_ingest
from service.training.hours_rules import xueshi_to_minutes

MAX_VERSIONS_SHOWN = 200


class SpooledUpload(Protocol):
    """An upload already streamed to a local file and hashed."""

    path: str
    size: int
    sha256: str


def package_for_staff(session: Session, package_id: uuid.UUID, principal: Principal) -> Package:
    package = session.get(Package, package_id)
    if package is None:
        raise NotFound("not-found", "Package was not found.")
    ensure_org_access(principal, package.organization_id)
    return package


def version_of(session: Session, package: Package, version_id: uuid.UUID) -> PackageVersion:
    version = session.get(PackageVersion, version_id)
    if version is None or version.package_id != package.id:
        raise NotFound("not-found", "Package version was not found.")
    return version


def owning_organization(
    session: Session, principal: Principal, requested: uuid.UUID | None
) -> uuid.UUID:
    """Administrators name the owner; staff create for their own organization only."""
    return organization_acted_for(session, principal, requested, purpose="that owns the package")


def create_package(
    session: Session, principal: Principal, org_id: uuid.UUID, fields: dict[str, Any]
) -> Package:
    """``fields``: the package's descriptive fields; ``declared_hours`` is given in 学时."""
    hours = fields.pop("declared_hours", None)
    fields.pop("organization_id", None)
    package = Package(
        organization_id=org_id,
        declared_minutes=xueshi_to_minutes(hours) if hours is not None else None,
        created_by=principal.user_id,
        **fields,
    )
    session.add(package)
    session.flush()
    record_audit(
        session,
        actor=principal,
        action="package.create",
        subject_type="package",
        subject_id=str(package.id),
    )
    return package


def list_query(organization_id: uuid.UUID | None) -> Any:
    """Packages newest first, limited to one organization unless ``organization_id`` is None."""
    stmt = select(Package).order_by(Package.created_at.desc(), Package.id)
    if organization_id is not None:
        stmt = stmt.where(Package.organization_id == organization_id)
    return stmt


def versions_of(session: Session, package: Package) -> list[PackageVersion]:
    return list(
        session.exec(
            select(PackageVersion)
            .where(PackageVersion.package_id == package.id)
            .order_by(PackageVersion.number.desc())
            .limit(MAX_VERSIONS_SHOWN)
        ).all()
    )


def update_package(
    session: Session, principal: Principal, package: Package, changes: dict[str, Any]
) -> Package:
    apply_changes(
        session,
        package,
        changes,
        actor=principal,
        action="package.update",
        subject_type="package",
        subject_id=str(package.id),
    )
    return package


def _audit_upload(session: Session, principal: Principal, version: PackageVersion) -> None:
    record_audit(
        session,
        actor=principal,
        action="package.version.upload",
        subject_type="package_version",
        subject_id=str(version.id),
    )


def add_uploaded_version(
    session: Session,
    principal: Principal,
    package: Package,
    upload: SpooledUpload,
    storage: ObjectStorage,
) -> tuple[PackageVersion, bool]:
    """Stores a spooled upload and adds its version with an ingest job; ``(version, created)``.

    The spool file becomes the stored object (a rename on local storage: the archive is not
    copied again) and the hash taken while spooling goes with the version, so the ingest job
    neither copies nor hashes it again. Identical bytes already uploaded to the package return
    that version instead (the spool file is then left to the caller). When adding the version
    fails, the stored object is removed again before the error propagates.
    """
    existing = find_by_sha(session, package.id, upload.sha256)
    if existing is not None:
        return existing, False
    version_id = uuid.uuid4()
    key = upload_key_for(version_id)
    storage.put_file(key, upload.path, content_type="application/zip")
    try:
        version = add_version(
            session,
            package,
            created_by=principal.user_id,
            status=VersionStatus.processing,
            sha256=upload.sha256,
            size_bytes=upload.size,
            version_id=version_id,
        )
        request_ingest(session, version)
        _audit_upload(session, principal, version)
        session.flush()
    except Exception:
        storage.delete(key)
        raise
    return version, True


def discard_upload(storage: ObjectStorage, version_id: uuid.UUID) -> None:
    """Removes an upload whose version could not be committed."""
    storage.delete(upload_key_for(version_id))


def start_direct_upload(session: Session, principal: Principal, package: Package) -> PackageVersion:
    """A draft version whose file the client sends straight to object storage."""
    return add_version(session, package, created_by=principal.user_id, status=VersionStatus.draft)


def complete_direct_upload(
    session: Session,
    principal: Principal,
    version: PackageVersion,
    storage: ObjectStorage,
    max_bytes: int,
) -> PackageVersion:
    """Confirms a direct upload and queues its ingest; a retried call changes nothing."""
    if version.status != VersionStatus.draft:
        if version.status == VersionStatus.processing:
            return version
        raise Conflict(
            "invalid-version-state",
            f"Version is {version.status}; only a draft upload can be completed.",
            current_status=version.status,
        )
    assert version.upload_key is not None  # every draft has one (content.versions.new_version)
    info = storage.head(version.upload_key)
    if info is None:
        raise Conflict("upload-not-found", "Nothing was uploaded for this version yet.")
    if info.size > max_bytes:
        storage.delete(version.upload_key)
        raise TooLarge("upload-too-large", "The uploaded file exceeds the size limit.")
    version.status = VersionStatus.processing
    version.size_bytes = info.size
    session.add(version)
    request_ingest(session, version)
    _audit_upload(session, principal, version)
    return version


def change_version_status(
    session: Session, principal: Principal, version: PackageVersion, action: str
) -> PackageVersion:
    """``publish`` or ``retire`` a version (content.versions says which states allow it)."""
    try:
        change_status(session, version, action)
    except LifecycleError as exc:
        raise Conflict("invalid-version-state", str(exc), current_status=exc.current) from exc
    record_audit(
        session,
        actor=principal,
        action=f"package.version.{action}",
        subject_type="package_version",
        subject_id=str(version.id),
    )
    return version
