"""Hours ledger batch writes: classroom attendance (check-in/out) and imports, by organization
staff for their own offerings (admins: any); online sessions also from the platform."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.accounts.models import ORG_ROLES, Role
from service.api.deps import SessionDep, StaffOrPlatformPrincipal
from service.api.problems import forbidden
from service.core.timeutil import utcnow
from service.training.hours_rules import HoursSource
from service.training.ledger import EntryIn, record_entries
from service.training.schemas import HoursBatchIn

router = APIRouter(prefix="/api/v1/hours", tags=["hours"])


@router.post("/batch")
def write_hours_batch(
    body: HoursBatchIn,
    principal: StaffOrPlatformPrincipal,
    session: SessionDep,
):
    """Write up to 1,000 entries; each is reported ``accepted``, ``duplicate`` (already
    recorded: nothing changes) or ``rejected`` with reasons. Entries for enrollments outside the
    caller's organization are rejected as ``unknown_enrollment``. Safe to retry as is."""
    if principal.role == Role.platform and any(
        e.source != HoursSource.ONLINE_SESSION for e in body.entries
    ):
        raise forbidden("The platform may only report online_session hours.")
    entries = [
        EntryIn(
            e.enrollment_id,
            HoursSource(e.source),
            e.external_id,
            e.started_at,
            e.ended_at,
            e.minutes,
            e.online,
        )
        for e in body.entries
    ]
    results = record_entries(
        session,
        entries,
        recorded_by=principal.user_id,
        organization_id=principal.org_id if principal.role in ORG_ROLES else None,
        now=utcnow(),
    )
    session.commit()
    counts = {
        s: sum(1 for r in results if r.status == s) for s in ("accepted", "duplicate", "rejected")
    }
    # Plain JSON values already: skip FastAPI's recursive jsonable_encoder (1,000 results).
    return JSONResponse(
        {
            **counts,
            "results": [
                {
                    "index": r.index,
                    "external_id": r.external_id,
                    "source": r.source,
                    "status": r.status,
                    "minutes": r.minutes,
                    "entry_id": str(r.entry_id) if r.entry_id else None,
                    "reasons": r.reasons,
                }
                for r in results
            ],
        }
    )
