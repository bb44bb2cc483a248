"""Course packages: create, upload versions (through the API or straight to storage), ingest
status, publish/retire, the catalog of published packages, and launch URLs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlmodel import Session

from content.versions import find_by_sha
from service.accounts.access import Principal, org_filter
from service.api.deps import CurrentPrincipal, SessionDep, SettingsDep, StaffPrincipal
from service.api.idempotency import run_idempotent
from service.api.pagination import PLAIN_TEXT, Page, PageParamsDep, page_of, paginate
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
from service.api.streaming_upload import ReceivedUpload, receive_upload
from service.core.db import get_engine
from service.core.storage import get_storage
from service.packages import service as packages
from service.packages.catalog import CatalogFilters, catalog_query
from service.packages.direct_launch import launch_package

router = APIRouter(prefix="/api/v1", tags=["packages"])


@router.post("/packages", status_code=201, response_model=PackageOut)
def create_package(
    body: PackageIn,
    principal: StaffPrincipal,
    session: SessionDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    org_id = packages.owning_organization(session, principal, body.organization_id)

    def create():
        package = packages.create_package(session, principal, org_id, body.model_dump())
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
    principal: StaffPrincipal,
    params: PageParamsDep,
    session: SessionDep,
):
    return page_of(session, packages.list_query(org_filter(principal)), params)


@router.get("/packages/{package_id}", response_model=PackageDetail)
def get_package(
    package_id: uuid.UUID,
    principal: StaffPrincipal,
    session: SessionDep,
):
    package = packages.package_for_staff(session, package_id, principal)
    versions = packages.versions_of(session, package)
    return PackageDetail(
        **PackageOut.model_validate(package).model_dump(),
        versions=[VersionOut.model_validate(v) for v in versions],
    )


@router.patch("/packages/{package_id}", response_model=PackageOut)
def update_package(
    package_id: uuid.UUID,
    body: PackagePatch,
    principal: StaffPrincipal,
    session: SessionDep,
):
    package = packages.package_for_staff(session, package_id, principal)
    packages.update_package(session, principal, package, body.model_dump(exclude_unset=True))
    session.commit()
    return package


def _record_upload(package_id: uuid.UUID, principal: Principal, upload: ReceivedUpload):
    """Store the spooled upload and commit its version, or recognise identical bytes.

    Runs in a worker thread with its own session: the request's was closed before the body
    was read, so a slow upload holds no database connection.
    """
    storage = get_storage()
    with Session(get_engine(), expire_on_commit=False) as session:
        package = packages.package_for_staff(session, package_id, principal)
        try:
            version, created = packages.add_uploaded_version(
                session, principal, package, upload, storage
            )
            session.commit()
        except Exception:
            session.rollback()
            existing = find_by_sha(session, package.id, upload.sha256)
            if existing is not None:  # a concurrent upload of the same bytes won
                return existing, False
            raise
        return version, created


# The body is streamed by receive_upload (never parsed by FastAPI), so OpenAPI learns of it only
# from here; /docs then shows a file field (OpenAPI 3.1 section 4.8.14.3, "format: binary").
_UPLOAD_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The package ZIP: SCORM 1.2 / 2004, cmi5, xAPI "
                            "(tincan.xml) or a native package",
                        }
                    },
                    "required": ["file"],
                },
                "encoding": {"file": {"contentType": "application/zip"}},
            }
        },
    }
}


@router.post(
    "/packages/{package_id}/versions",
    status_code=202,
    openapi_extra=_UPLOAD_BODY_DOC,
    response_model=VersionOut,
    summary="Upload a version (multipart/form-data, field `file`)",
    description="Streams the ZIP to storage and queues ingest (202). Identical bytes already "
    "uploaded to this package return that version (200) instead of a new one.",
)
async def upload_version(
    package_id: uuid.UUID,
    request: Request,
    principal: StaffPrincipal,
    session: SessionDep,
    settings: SettingsDep,
):
    packages.package_for_staff(session, package_id, principal)  # 404/403 before the body
    session.close()
    # Spooled next to the objects when storage is local, so storing it is a rename, not a copy.
    spool = settings.spool_dir or get_storage().spool_dir_for_put_file()
    upload = await receive_upload(
        request,
        file_field="file",
        max_bytes=settings.package_max_upload_bytes,
        spool_dir=str(spool) if spool else None,
    )
    try:
        version, created = await run_in_threadpool(_record_upload, package_id, principal, upload)
    finally:
        await run_in_threadpool(upload.discard)  # gone already when it became the object
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
    principal: StaffPrincipal,
    session: SessionDep,
    settings: SettingsDep,
):
    package = packages.package_for_staff(session, package_id, principal)
    version = packages.start_direct_upload(session, principal, package)
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
    principal: StaffPrincipal,
    session: SessionDep,
    settings: SettingsDep,
):
    package = packages.package_for_staff(session, package_id, principal)
    version = packages.version_of(session, package, version_id)
    packages.complete_direct_upload(
        session, principal, version, get_storage(), settings.package_max_upload_bytes
    )
    session.commit()
    return version


@router.get("/packages/{package_id}/versions/{version_id}", response_model=VersionOut)
def get_version(
    package_id: uuid.UUID,
    version_id: uuid.UUID,
    principal: StaffPrincipal,
    session: SessionDep,
):
    package = packages.package_for_staff(session, package_id, principal)
    return packages.version_of(session, package, version_id)


def _lifecycle(action: str):
    def endpoint(
        package_id: uuid.UUID,
        version_id: uuid.UUID,
        principal: StaffPrincipal,
        session: SessionDep,
    ):
        package = packages.package_for_staff(session, package_id, principal)
        version = packages.version_of(session, package, version_id)
        packages.change_version_status(session, principal, version, action)
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
    _: CurrentPrincipal,
    params: PageParamsDep,
    session: SessionDep,
    occupation_code: str | None = Query(None, max_length=20),
    level: int | None = Query(None, ge=1, le=5),
    cluster_code: str | None = Query(None, max_length=60),
    organization_id: Annotated[uuid.UUID | None, Query()] = None,
    format: str | None = Query(None, max_length=20),
    language: str | None = Query(None, max_length=20),
    q: str | None = Query(
        None, max_length=100, pattern=PLAIN_TEXT, description="Text in title or description"
    ),
):
    filters = CatalogFilters(
        occupation_code, level, cluster_code, organization_id, format, language, q
    )
    stmt = catalog_query(filters)
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
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    body: LaunchIn | None = None,
):
    opened = launch_package(
        session, settings, get_storage(), principal, package_id, body.version_id if body else None
    )
    return LaunchOut(
        url=opened.url,
        presigned_url=opened.presigned_url,
        expires_at=opened.expires_at,
        version_id=opened.version.id,
        format=opened.version.format,
    )
