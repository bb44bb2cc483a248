"""The subsidy claim roster of an offering (补贴申领名册, XLSX): README, "Subsidy claim roster".

It carries full ID and phone numbers, so only the people who sign the organization's claim get
it: org_admin of the offering's organization, and admins. Trainers run classes and see masked
numbers everywhere else; they get 403. The audit entry is committed before the first byte is
sent, the response is never cached, and the file name holds the offering id and the date only.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from service.accounts.access import ensure_org_access
from service.api.deps import ManagerPrincipal, SessionDep
from service.core.timeutil import CITY_TZ, utcnow
from service.imports import claim_roster
from service.training.errors import not_found
from service.training.models import Offering

router = APIRouter(prefix="/api/v1/offerings", tags=["offerings"])


@router.get(
    "/{offering_id}/subsidy-roster.xlsx",
    response_class=StreamingResponse,
    responses={200: {"content": {claim_roster.XLSX_MEDIA_TYPE: {}}}},
)
def subsidy_roster(offering_id: uuid.UUID, principal: ManagerPrincipal, session: SessionDep):
    """Completed learners with 学时, assessment, credential and subsidy decision (XLSX, full ID
    numbers; org_admin of the offering's organization or admin; audited)."""
    offering = session.get(Offering, offering_id)
    if offering is None:
        raise not_found("Offering")
    ensure_org_access(principal, offering.organization_id)
    today = utcnow().astimezone(CITY_TZ).date()
    export = claim_roster.export_roster(session, principal, offering, today)
    try:
        session.commit()  # the audit row is stored before the numbers leave
    except BaseException:
        export.file.close()
        raise
    name = f"subsidy-roster-{offering.id}-{today.isoformat()}.xlsx"
    return StreamingResponse(
        claim_roster.file_chunks(export.file),
        media_type=claim_roster.XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
