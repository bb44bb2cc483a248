"""cmi5 administration: waiving an AU for an enrolment (cmi5 9.3.7).

``POST /api/v1/enrollments/{id}/cmi5/waive`` ``{"au_id": <the AU's id in the course structure>,
"reason": "Tested Out" | "Equivalent AU" | "Equivalent Outside Activity" | "Administrative"}``:
an administrator, or an org admin of the offering's organization. The LMS records "Waived" in
the LRS, which meets the AU's moveOn; the blocks and course it completes are Satisfied and the
enrolment gets its package result as for any other way of meeting moveOn. See
:mod:`service.lrs.cmi5_lms`.
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from service.api.deps import ManagerPrincipal, SessionDep, SettingsDep
from service.core.timeutil import utcnow
from service.lrs import cmi5_lms

router = APIRouter(tags=["launch"])


class WaiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    au_id: str = Field(min_length=1, max_length=500, description="The AU's publisher id")
    reason: Literal["Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative"]


class WaiveOut(BaseModel):
    au_id: str
    activity_id: str = Field(description="The LMS-generated activity id of the AU")
    reason: str
    statement_id: uuid.UUID = Field(description="The Waived statement, in /xAPI/statements")
    session_id: uuid.UUID
    satisfied: list[str] = Field(description="Block and course ids this waiver satisfied")


@router.post(
    "/api/v1/enrollments/{enrollment_id}/cmi5/waive",
    response_model=WaiveOut,
    summary="Waive a cmi5 AU for this enrollment (records Waived, counts for moveOn)",
)
def waive_au(
    enrollment_id: uuid.UUID,
    body: WaiveIn,
    principal: ManagerPrincipal,
    session: SessionDep,
    settings: SettingsDep,
):
    done = cmi5_lms.waive(
        session,
        settings,
        principal,
        enrollment_id,
        au_id=body.au_id,
        reason=body.reason,
        now=utcnow(),
    )
    session.commit()
    return WaiveOut(**done)
