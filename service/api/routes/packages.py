"""Course packages: create, upload versions (through the API or straight to storage), ingest
status, publish/retire, the catalog of published packages, and launch URLs."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import func, or_
from sqlmodel import Session, select

from content.models import Package, PackageVersion, VersionStatus
from content.versions import LifecycleError, change_status, find_by_sha, latest_published
from content.versions import new_version as add_version
from service.accounts.access import Principal, ensure_org_access, org_filter
from service.accounts.audit import record_audit
from service.accounts.models import Organization, Role
from service.api.deps import StaffOrAdmin, current_principal
from service.api.idempotency import run_idempotent
from service.api.pagination import Page, PageParams, page_params, paginate
from service.api.problems import Problem, conflict, not_found
from service.api.schemas.packages import (
    CatalogEntry,
    DirectUploadOut,
    LaunchIn,
    LaunchOut,
    PackageDetail,
    PackageIn,
    PackageOut,
    PackagePatch,
    VersionOut,
)
from service.api.streaming_upload import receive_upload
from service.core.db import get_engine, get_session
from service.core.settings import Settings, get_settings
from service.core.storage import get_storage
from service.core.timeutil import utcnow
from service.packages.jobs import request_ingest
from service.packages.launch import make_grant
from service.training.hours_rules import xueshi_to_minutes

router = APIRouter(prefix="/api/v1", tags=["packages"])


def _package_for_staff(session: Session, package_id: uuid.UUID, principal: Principal) -> Package:
    package = session.get(Package, package_id)
    if package is None:
        raise not_found("Package")
    ensure_org_access(principal, package.organization_id)
    return package


def _version(session: Session, package: Package, version_id: uuid.UUID) -> PackageVersion:
    version = session.get(PackageVersion, version_id)
    if version is None or version.package_id != package.id:
        raise not_found("Package version")
    return version


@router.post("/packages", status_code=201, response_model=PackageOut)
def create_package(
    body: PackageIn,
    principal: Principal = StaffOrAdmin,
    session: Session = Depends(get_session),
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    if principal.is_admin:
        if body.organization_id is None:
            raise Problem(
                422,
                "organization-required",
                "Administrators must name the "
                "organization that owns the package (organization_id).",
            )
        org_id = body.organization_id
        if session.get(Organization, org_id) is None:
            raise Problem(422, "organization-not-found", "The organization does not exist.")
    else:
        org_id = principal.org_id
        ensure_org_access(principal, body.organization_id or org_id)

    def create():
        package = Package(
            organization_id=org_id,
            title=body.title,
            description=body.description,
            occupation_code=body.occupation_code,
            level=body.level,
            cluster_code=body.cluster_code,
            cluster_version=body.cluster_version,
            declared_minutes=(
                xueshi_to_minutes(body.declared_hours) if body.declared_hours is not None else None
            ),
            language=body.language,
            tags=body.tags,
            created_by=principal.user_id,
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
        return PackageOut.model_validate(package)

    return run_idempotent(
        session,
        actor_key=principal.actor_key,
        route="packages.create",
        key=idempotency_key,
        body=body,
        create=create,
    )


@router.get("/packages", response_model=Page[PackageOut])
def list_packages(
    principal: Principal = StaffOrAdmin,
    params: PageParams = Depends(page_params),
    session: Session = Depends(get_session),
):
    stmt = select(Package).order_by(Package.created_at.desc(), Package.id)
    scope = org_filter(principal)
    if scope is not None:
        stmt = stmt.where(Package.organization_id == scope)
    items, total = paginate(session, stmt, params)
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


@router.get("/packages/{package_id}", response_model=PackageDetail)
def get_package(
    package_id: uuid.UUID,
    principal: Principal = StaffOrAdmin,
    session: Session = Depends(get_session),
):
    package = _package_for_staff(session, package_id, principal)
    versions = session.exec(
        select(PackageVersion)
        .where(PackageVersion.package_id == package.id)
        .order_by(PackageVersion.number.desc())
        .limit(200)
    ).all()
    return PackageDetail(
        **PackageOut.model_validate(package).model_dump(),
        versions=[VersionOut.model_validate(v) for v in versions],
    )


@router.patch("/packages/{package_id}", response_model=PackageOut)
def update_package(
    package_id: uuid.UUID,
    body: PackagePatch,
    principal: Principal = StaffOrAdmin,
    session: Session = Depends(get_session),
):
    package = _package_for_staff(session, package_id, principal)
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        setattr(package, name, value)
    package.updated_at = utcnow()
    session.add(package)
    record_audit(
        session,
        actor=principal,
        action="package.update",
        subject_type="package",
        subject_id=str(package.id),
        detail=",".join(sorted(changes)),
    )
    session.commit()
    return package


def _record_upload(package_id: uuid.UUID, principal: Principal, upload, settings: Settings):
    """Store the spooled upload and record the version, or recognise identical bytes."""
    with Session(get_engine(), expire_on_commit=False) as session:
        package = _package_for_staff(session, package_id, principal)
        existing = find_by_sha(session, package.id, upload.sha256)
        if existing is not None:
            return existing, False
        version_id = uuid.uuid4()
        storage = get_storage()
        key = f"uploads/{version_id}.zip"
        with open(upload.path, "rb") as fh:
            storage.put(key, fh, size=upload.size, content_type="application/zip")
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
            record_audit(
                session,
                actor=principal,
                action="package.version.upload",
                subject_type="package_version",
                subject_id=str(version.id),
            )
            session.commit()
        except Exception:
            session.rollback()
            storage.delete(key)
            existing = find_by_sha(session, package.id, upload.sha256)
            if existing is not None:  # a concurrent upload of the same bytes won
                return existing, False
            raise
        return version, True


@router.post(
    "/packages/{package_id}/versions",
    status_code=202,
    response_model=VersionOut,
    summary="Upload a version (multipart/form-data, field `file`)",
    description="Streams the ZIP to storage and queues ingest (202). Identical bytes already "
    "uploaded to this package return that version (200) instead of a new one.",
)
async def upload_version(
    package_id: uuid.UUID,
    request: Request,
    principal: Principal = StaffOrAdmin,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
):
    _package_for_staff(session, package_id, principal)  # 404/403 before reading the body
    session.close()
    spool = str(settings.spool_dir) if settings.spool_dir else None
    upload = await receive_upload(
        request, file_field="file", max_bytes=settings.package_max_upload_bytes, spool_dir=spool
    )
    try:
        version, created = await run_in_threadpool(
            _record_upload, package_id, principal, upload, settings
        )
    finally:
        await run_in_threadpool(os.unlink, upload.path)
    body = VersionOut.model_validate(version).model_dump(mode="json")
    return JSONResponse(body, status_code=202 if created else 200)


@router.post(
    "/packages/{package_id}/uploads",
    status_code=201,
    response_model=DirectUploadOut,
    summary="Start a direct upload to object storage (presigned POST)",
)
def start_direct_upload(
    package_id: uuid.UUID,
    principal: Principal = StaffOrAdmin,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
):
    package = _package_for_staff(session, package_id, principal)
    version = add_version(
        session, package, created_by=principal.user_id, status=VersionStatus.draft
    )
    post = get_storage().presigned_post(
        version.upload_key, settings.package_max_upload_bytes, settings.upload_url_ttl_seconds
    )
    session.commit()
    return DirectUploadOut(
        version=VersionOut.model_validate(version),
        url=post["url"],
        fields=post["fields"],
        max_bytes=settings.package_max_upload_bytes,
        expires_in=settings.upload_url_ttl_seconds,
    )


@router.post(
    "/packages/{package_id}/versions/{version_id}/complete",
    response_model=VersionOut,
    status_code=202,
    summary="Confirm a direct upload and start ingest",
)
def complete_direct_upload(
    package_id: uuid.UUID,
    version_id: uuid.UUID,
    principal: Principal = StaffOrAdmin,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
):
    package = _package_for_staff(session, package_id, principal)
    version = _version(session, package, version_id)
    if version.status != VersionStatus.draft:
        if version.status == VersionStatus.processing:
            return version  # a retried "complete" changes nothing
        raise conflict(
            f"Version is {version.status}; only a draft upload can be completed.",
            "invalid-version-state",
            current_status=version.status,
        )
    info = get_storage().head(version.upload_key)
    if info is None:
        raise Problem(409, "upload-not-found", "Nothing was uploaded for this version yet.")
    if info.size > settings.package_max_upload_bytes:
        get_storage().delete(version.upload_key)
        raise Problem(413, "upload-too-large", "The uploaded file exceeds the size limit.")
    version.status = VersionStatus.processing
    version.size_bytes = info.size
    session.add(version)
    request_ingest(session, version)
    record_audit(
        session,
        actor=principal,
        action="package.version.upload",
        subject_type="package_version",
        subject_id=str(version.id),
    )
    session.commit()
    return version


@router.get("/packages/{package_id}/versions/{version_id}", response_model=VersionOut)
def get_version(
    package_id: uuid.UUID,
    version_id: uuid.UUID,
    principal: Principal = StaffOrAdmin,
    session: Session = Depends(get_session),
):
    return _version(session, _package_for_staff(session, package_id, principal), version_id)


def _lifecycle(action: str):
    def endpoint(
        package_id: uuid.UUID,
        version_id: uuid.UUID,
        principal: Principal = StaffOrAdmin,
        session: Session = Depends(get_session),
    ):
        version = _version(session, _package_for_staff(session, package_id, principal), version_id)
        try:
            change_status(session, version, action)
        except LifecycleError as exc:
            raise conflict(str(exc), "invalid-version-state", current_status=exc.current) from exc
        record_audit(
            session,
            actor=principal,
            action=f"package.version.{action}",
            subject_type="package_version",
            subject_id=str(version.id),
        )
        session.commit()
        return version

    return endpoint


router.add_api_route(
    "/packages/{package_id}/versions/{version_id}/publish",
    _lifecycle("publish"),
    methods=["POST"],
    response_model=VersionOut,
    summary="Publish a ready version",
)
router.add_api_route(
    "/packages/{package_id}/versions/{version_id}/retire",
    _lifecycle("retire"),
    methods=["POST"],
    response_model=VersionOut,
    summary="Retire a version",
)


@router.get(
    "/catalog/packages",
    response_model=Page[CatalogEntry],
    summary="Published packages, for learners, the platform and staff",
)
def catalog(
    _: Principal = Depends(current_principal),
    params: PageParams = Depends(page_params),
    occupation_code: str | None = Query(None, max_length=20),
    level: int | None = Query(None, ge=1, le=5),
    cluster_code: str | None = Query(None, max_length=60),
    organization_id: uuid.UUID | None = Query(None),
    format: str | None = Query(None, max_length=20),
    language: str | None = Query(None, max_length=20),
    q: str | None = Query(None, max_length=100, description="Text in title or description"),
    session: Session = Depends(get_session),
):
    # One row per package: its highest-numbered published version.
    newest = (
        select(PackageVersion.package_id, func.max(PackageVersion.number).label("number"))
        .where(PackageVersion.status == VersionStatus.published)
        .group_by(PackageVersion.package_id)
        .subquery()
    )
    stmt = (
        select(Package, PackageVersion)
        .join(newest, newest.c.package_id == Package.id)
        .join(
            PackageVersion,
            (PackageVersion.package_id == Package.id) & (PackageVersion.number == newest.c.number),
        )
        .order_by(Package.title, Package.id)
    )
    filters = {
        Package.occupation_code: occupation_code,
        Package.level: level,
        Package.cluster_code: cluster_code,
        Package.organization_id: organization_id,
        PackageVersion.format: format,
        Package.language: language,
    }
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if q:
        stmt = stmt.where(or_(Package.title.contains(q), Package.description.contains(q)))
    rows, total = paginate(session, stmt, params)
    items = [
        CatalogEntry(
            **PackageOut.model_validate(p).model_dump(), version=VersionOut.model_validate(v)
        )
        for p, v in rows
    ]
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post(
    "/packages/{package_id}/launch",
    response_model=LaunchOut,
    summary="An expiring URL that opens the package's entry file",
)
def launch(
    package_id: uuid.UUID,
    body: LaunchIn | None = None,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
):
    package = session.get(Package, package_id)
    if package is None:
        raise not_found("Package")
    staff = principal.is_admin or (
        principal.role in (Role.org_admin, Role.trainer)
        and principal.org_id == package.organization_id
    )
    version_id = body.version_id if body else None
    if version_id is None:
        version = latest_published(session, package.id)
        if version is None:
            raise Problem(409, "not-published", "This package has no published version.")
    else:
        version = _version(session, package, version_id)
    launchable = {VersionStatus.published} | ({VersionStatus.ready} if staff else set())
    if version.status not in launchable:
        if not staff and version.status != VersionStatus.published:
            raise not_found("Package version")
        raise Problem(409, "not-launchable", f"Version is {version.status}; it cannot be launched.")
    if not version.launch:
        raise Problem(409, "no-launch", "This version has no launch file.")
    if version.launch_key is None:  # an external AU URL (cmi5 allows absolute URLs)
        url, presigned = version.launch, None
    else:
        grant = make_grant(
            settings.derived_key("skills/launch/v1"),
            version.storage_prefix,
            settings.launch_ttl_seconds,
        )
        url = f"{settings.resolved_content_base_url()}/content/{grant}/{version.launch}"
        presigned = None
        if settings.storage_backend == "s3":
            presigned = get_storage().presigned_get(version.launch_key, settings.launch_ttl_seconds)
    return LaunchOut(
        url=url,
        presigned_url=presigned,
        expires_at=datetime.now(UTC) + timedelta(seconds=settings.launch_ttl_seconds),
        version_id=version.id,
        format=version.format,
    )
