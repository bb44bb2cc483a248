"""Spreadsheet imports (learners, enrollments, attendance): upload, follow, read the report.

An upload answers 202 at once with the import's id; a job checks the whole file, then applies
its rows in batches (``service.imports.runner``). Staff import for their own organization,
administrators for the one they name.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from service.accounts.access import Principal
from service.api.deps import SessionDep, SettingsDep, StaffPrincipal
from service.api.idempotency import run_idempotent
from service.api.pagination import Page, PageParamsDep, page_of
from service.api.problems import Problem, as_problem
from service.api.streaming_upload import ReceivedUpload, receive_upload
from service.core.db import get_engine
from service.core.errors import DomainError
from service.core.storage import get_storage
from service.imports import service as imports
from service.imports.models import ImportRun
from service.imports.reports import report_csv, report_xlsx
from service.imports.templates import template_csv, template_xlsx

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


class RefusalOut(BaseModel):
    code: str
    message: str | None


class ImportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organization_id: uuid.UUID
    kind: str
    status: str
    dry_run: bool
    filename: str
    size: int
    file_format: str | None
    rows_total: int | None
    rows_done: int
    accepted: int
    duplicate: int
    rejected: int
    refusal: RefusalOut | None = None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    links: dict[str, str] = {}

    @classmethod
    def of(cls, run: ImportRun, failed: Collection[uuid.UUID] = ()) -> ImportOut:
        out = cls.model_validate(run)
        out.status = imports.shown_status(run, failed)
        if run.refusal_code:
            out.refusal = RefusalOut(code=run.refusal_code, message=run.refusal_message)
        base = f"/api/v1/imports/{run.id}"
        out.links = {"self": base, "report_csv": f"{base}/report.csv"}
        out.links["report_xlsx"] = f"{base}/report.xlsx"
        return out


_UPLOAD_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": list(imports.KINDS)},
                        "organization_id": {
                            "type": "string",
                            "format": "uuid",
                            "description": "Administrators only: the organization imported for",
                        },
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "XLSX, or CSV in UTF-8 (with or without BOM) or GB18030",
                        },
                    },
                    "required": ["kind", "file"],
                },
            }
        },
    }
}


def _organization_field(fields: dict[str, str]) -> uuid.UUID | None:
    raw = fields.get("organization_id", "").strip()
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise Problem(422, "invalid-organization-id", "organization_id must be a UUID.") from None


@router.post(
    "",
    status_code=202,
    response_model=ImportOut,
    openapi_extra=_UPLOAD_BODY_DOC,
    summary="Upload a spreadsheet to import (multipart/form-data: kind, file)",
    description="Answers 202 with the import; follow it at `links.self`. With `dry_run=true` "
    "every row is checked and reported and nothing changes. Send the text fields before the "
    "file: the upload is refused before a byte of it is stored when they are wrong.",
)
async def create_import(
    request: Request,
    principal: StaffPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    dry_run: bool = False,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    session.close()  # a slow upload holds no database connection

    def authorize(fields: dict[str, str]) -> int | None:
        """Before a byte of the file: a wrong kind is refused without storing anything."""
        if "kind" in fields:
            try:
                imports.checked_kind(fields["kind"])
            except DomainError as exc:
                raise as_problem(exc) from None
        return None

    spool = settings.spool_dir or get_storage().spool_dir_for_put_file()
    upload = await receive_upload(
        request,
        file_field="file",
        max_bytes=settings.import_max_bytes,
        spool_dir=str(spool) if spool else None,
        authorize=authorize,
    )
    try:
        return await run_in_threadpool(_record, principal, upload, dry_run, idempotency_key)
    finally:
        await run_in_threadpool(upload.discard)  # gone already when it became the object


def _record(
    principal: Principal, upload: ReceivedUpload, dry_run: bool, idempotency_key: str | None
) -> JSONResponse:
    """Store the upload and record the run, once per Idempotency-Key: a retried upload with
    the same key and the same bytes answers as the first did and stores nothing."""
    with Session(get_engine(), expire_on_commit=False) as session:
        organization_id = imports.importing_organization(
            session, principal, _organization_field(upload.fields)
        )
        if upload.size == 0:
            raise Problem(422, "empty-file", "The file is empty.")
        kind = imports.checked_kind(upload.fields.get("kind"))

        def create() -> ImportOut:
            run = imports.start_import(
                session,
                principal,
                organization_id,
                kind,
                dry_run=dry_run,
                path=upload.path,
                size=upload.size,
                sha256=upload.sha256,
                filename=upload.filename,
            )
            return ImportOut.of(run)

        return run_idempotent(
            session,
            actor_key=principal.actor_key,
            route="imports.create",
            key=idempotency_key,
            body={
                "kind": kind,
                "organization_id": str(organization_id),
                "dry_run": dry_run,
                "sha256": upload.sha256,
            },
            create=create,
            status_code=202,
        )


@router.get("", response_model=Page[ImportOut])
def list_imports(
    principal: StaffPrincipal,
    session: SessionDep,
    params: PageParamsDep,
    kind: str | None = Query(None, max_length=20),
):
    page = page_of(session, imports.imports_query(principal, kind), params)
    failed = imports.given_up(session, page.items)
    return Page(
        items=[ImportOut.of(r, failed) for r in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/templates/{kind}.{fmt}",
    summary="A blank template with the header row (Chinese and English) and an example row",
)
def get_template(kind: str, fmt: Literal["csv", "xlsx"], principal: StaffPrincipal) -> Response:
    del principal  # any staff member
    checked = imports.checked_kind(kind)
    if fmt == "csv":
        body, media = template_csv(checked), CSV_TYPE
    else:
        body, media = template_xlsx(checked), XLSX_TYPE
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="import-{checked}.{fmt}"'},
    )


@router.get("/{import_id}", response_model=ImportOut)
def get_import(import_id: uuid.UUID, principal: StaffPrincipal, session: SessionDep):
    run = imports.import_for_staff(session, principal, import_id)
    return ImportOut.of(run, imports.given_up(session, [run]))


@router.get(
    "/{import_id}/report.{fmt}",
    summary="Every input row with its outcome and reason (ID numbers masked)",
)
def get_report(
    import_id: uuid.UUID,
    fmt: Literal["csv", "xlsx"],
    principal: StaffPrincipal,
    session: SessionDep,
) -> StreamingResponse:
    run = imports.import_for_staff(session, principal, import_id)
    kind = run.kind
    session.close()
    body = report_csv(import_id, kind) if fmt == "csv" else report_xlsx(import_id, kind)
    return StreamingResponse(
        body,
        media_type=CSV_TYPE if fmt == "csv" else XLSX_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="import-{import_id}-report.{fmt}"',
            "Cache-Control": "no-store",
        },
    )
