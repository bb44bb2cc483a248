"""Launching a course package for an enrollment (SCORM through the player's runtime, cmi5 / xAPI
reporting to our LRS subset).

``POST /api/v1/enrollments/{id}/launch`` (the learner, or the platform acting for them) answers
the URL to open: the player on the content origin (:mod:`service.packages.player`), which frames
the AU's launch URL (``au_url``); for cmi5 that carries a one-time ``fetch`` URL,
``POST /cmi5/fetch/{code}``, which needs no Authorization header (the code is the secret). See
:mod:`service.packages.enrollment_launch`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from service.api.deps import PersonalPrincipal, SessionDep, SettingsDep
from service.core.timeutil import utcnow
from service.packages import enrollment_launch, player

router = APIRouter(tags=["launch"])


class EnrollmentLaunchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    package_id: uuid.UUID | None = Field(
        default=None, description="Default: the offering's first package"
    )
    unit_id: str | None = Field(
        default=None, max_length=500, description="cmi5 AU / xAPI activity id; default: entry"
    )
    return_url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=r"^https?://",
        description="cmi5 returnURL written to LMS.LaunchData",
    )
    launch_mode: Literal["Normal", "Browse"] | None = Field(
        default=None,
        description="cmi5 launchMode to ask for (Browse: records no completion); the LMS "
        "answers Review by itself once the AU is done (cmi5 10)",
    )


class EnrollmentLaunchOut(BaseModel):
    url: str = Field(description="The player page on the content origin: open this")
    au_url: str | None = Field(
        default=None,
        description="cmi5 / xAPI / native: the AU's own launch URL the player frames "
        "(for clients that host the AU themselves); SCORM: null",
    )
    expires_at: datetime
    package_id: uuid.UUID
    version_id: uuid.UUID
    format: str | None
    registration: uuid.UUID
    unit_id: str | None = None
    session_id: uuid.UUID | None = None


@router.post(
    "/api/v1/enrollments/{enrollment_id}/launch",
    response_model=EnrollmentLaunchOut,
    summary="Launch a package of the offering for this enrollment (cmi5 / xAPI parameters)",
)
def launch_for_enrollment(
    enrollment_id: uuid.UUID,
    principal: PersonalPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    body: EnrollmentLaunchIn | None = None,
):
    body = body or EnrollmentLaunchIn()
    opened = enrollment_launch.launch_for_enrollment(
        session,
        settings,
        principal,
        enrollment_id,
        package_id=body.package_id,
        unit_id=body.unit_id,
        return_url=body.return_url,
        now=utcnow(),
        launch_mode=body.launch_mode,
    )
    session.commit()
    result = opened.result
    url, au_url = result.url, None
    if opened.version.format not in player.SCORM_FORMATS:  # SCORM answers the player already
        url, au_url = (
            player.framed_player_url(
                settings,
                opened.version,
                result.url,
                enrollment_id=str(enrollment_id),
                return_url=body.return_url,
                unit_id=result.unit_id,
            ),
            result.url,
        )
    return EnrollmentLaunchOut(
        url=url,
        au_url=au_url,
        expires_at=opened.expires_at,
        package_id=opened.package_id,
        version_id=opened.version.id,
        format=opened.version.format,
        registration=opened.registration,
        unit_id=result.unit_id,
        session_id=result.session.session_id if result.session else None,
    )


@router.post(
    "/cmi5/fetch/{code}",
    summary="cmi5 fetch URL: the AU's auth token, once (cmi5 8.2)",
    responses={200: {"description": '{"auth-token": ...} or {"error-code", "error-text"}'}},
)
def cmi5_fetch(
    code: str,
    session: SessionDep,
    settings: SettingsDep,
):
    body = enrollment_launch.fetch_auth_token(session, settings, code[:100], utcnow())
    session.commit()
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
