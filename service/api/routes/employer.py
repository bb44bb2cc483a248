"""The employer API: check many credentials at once, and read what learners shared with you.

Only ``employer`` accounts (an enterprise's HR staff, or its HR system with an API key) may
call these routes, and each sees its own organization's runs and shares only; training staff
and administrators use the public verification API instead. Every check goes through the one
verification path (``service.issuing.verification.Verifier``), so a row equals what
``POST /api/v1/verify`` answers for the same input.

- ``POST /api/v1/employer/checks``: JSON ``{"items": [...]}``, a CSV/XLSX file, or badge images
  (``employer_upload``); answers the stored run with one row per item (201). Honours
  ``Idempotency-Key``.
- ``GET /api/v1/employer/checks``, ``GET /api/v1/employer/checks/{id}``,
  ``GET /api/v1/employer/checks/{id}/report.csv|.xlsx``.
- ``GET /api/v1/employer/shared-credentials``: active shares addressed to the organization.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from service.accounts.access import Principal, employer_organization_id
from service.accounts.models import Role
from service.api.deps import SessionDep, SettingsDep, require_roles
from service.api.idempotency import run_idempotent
from service.api.pagination import Page, PageParamsDep
from service.api.routes.employer_upload import Parsed, parse_checks
from service.api.schemas.employer import CheckRunDetail, CheckRunOut, SharedCredentialOut
from service.core.spreadsheet import csv_stream, xlsx_stream
from service.issuing import employer_checks, employer_shares

router = APIRouter(prefix="/api/v1/employer", tags=["employers"])

EmployerPrincipal = Annotated[Principal, Depends(require_roles(Role.employer))]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

_UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {
                                "oneOf": [
                                    {
                                        "type": "string",
                                        "description": "A compact JWT, a credential id or a "
                                        "share link (or its code)",
                                    },
                                    {
                                        "type": "object",
                                        "properties": {
                                            "token": {"type": "string"},
                                            "credential_id": {"type": "string"},
                                            "share": {"type": "string"},
                                            "image": {
                                                "type": "string",
                                                "description": "Base64 PNG or SVG",
                                            },
                                            "reference": {"type": "string"},
                                        },
                                    },
                                ]
                            },
                        }
                    },
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "One CSV/XLSX file, or badge images",
                        }
                    },
                }
            },
        },
    }
}


def _organization(session, principal: Principal) -> uuid.UUID:
    """The employer's organization; the sign-in's read transaction ends here, before the body
    (up to 10 MB) is read and parsed."""
    organization_id = employer_organization_id(session, principal)
    session.commit()
    return organization_id


def _detail(run, rows) -> dict:
    return employer_checks.run_out(run) | {"rows": [employer_checks.row_out(r) for r in rows]}


@router.post(
    "/checks",
    status_code=201,
    response_model=CheckRunDetail,
    summary="Check many credentials (tokens, ids, share links, images, or a CSV/XLSX file)",
    openapi_extra=_UPLOAD_DOC,
)
async def create_check(
    request: Request,
    principal: EmployerPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    organization_id = await run_in_threadpool(_organization, session, principal)
    parsed = await parse_checks(request, settings)

    def store(parsed: Parsed):
        def create():
            # Nothing is written yet: end the Idempotency-Key look-up's transaction, so none
            # stays open while credentials are verified (other issuers are fetched meanwhile).
            session.commit()
            run, rows = employer_checks.run_checks(
                session,
                settings,
                principal,
                organization_id,
                parsed.items,
                source=parsed.source,
                file_name=parsed.file_name,
            )
            return _detail(run, rows)

        return run_idempotent(
            session,
            actor_key=principal.actor_key,
            route="employer.checks.create",
            key=idempotency_key,
            body=parsed.fingerprint(),
            create=create,
        )

    return await run_in_threadpool(store, parsed)


@router.get("/checks", response_model=Page[CheckRunOut], summary="My organization's checks")
def list_checks(principal: EmployerPrincipal, params: PageParamsDep, session: SessionDep):
    organization_id = employer_organization_id(session, principal)
    runs, total = employer_checks.list_runs(session, organization_id, params.limit, params.offset)
    return {
        "items": [employer_checks.run_out(r) for r in runs],
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
    }


@router.get("/checks/{run_id}", response_model=CheckRunDetail, summary="One check with its rows")
def get_check(run_id: uuid.UUID, principal: EmployerPrincipal, session: SessionDep):
    organization_id = employer_organization_id(session, principal)
    return _detail(*employer_checks.get_run(session, organization_id, run_id))


@router.get(
    "/checks/{run_id}/report.{fmt}",
    summary="The check's report: one line per credential (CSV or XLSX)",
)
def get_report(
    run_id: uuid.UUID,
    fmt: Literal["csv", "xlsx"],
    principal: EmployerPrincipal,
    session: SessionDep,
) -> StreamingResponse:
    organization_id = employer_organization_id(session, principal)
    _run, rows = employer_checks.get_run(session, organization_id, run_id)
    lines = list(employer_checks.report_rows(rows))
    body = csv_stream(lines) if fmt == "csv" else xlsx_stream("checks", lines)
    return StreamingResponse(
        body,
        media_type=CSV_TYPE if fmt == "csv" else XLSX_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="credential-check-{run_id}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/shared-credentials",
    response_model=Page[SharedCredentialOut],
    summary="Credentials learners shared with my organization, newest first",
)
def shared_credentials(
    principal: EmployerPrincipal,
    params: PageParamsDep,
    session: SessionDep,
    settings: SettingsDep,
):
    organization_id = employer_organization_id(session, principal)
    items, total = employer_shares.shared_with(
        session, settings, organization_id, params.limit, params.offset
    )
    return {"items": items, "total": total, "limit": params.limit, "offset": params.offset}
