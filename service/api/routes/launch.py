"""Launching a course package for an enrollment (cmi5 / xAPI reporting to our LRS subset).

``POST /api/v1/enrollments/{id}/launch`` (the learner, or the platform acting for them) answers
the URL to open; for cmi5 it carries a one-time ``fetch`` URL, ``POST /cmi5/fetch/{code}``,
which needs no Authorization header (the code is the secret). See
:mod:`service.packages.enrollment_launch`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from content.models import Package
from content.versions import latest_published
from service.accounts.access import Principal
from service.accounts.models import Role, User
from service.api.deps import require_roles
from service.api.problems import Problem
from service.core.db import get_session
from service.core.errors import Conflict
from service.core.settings import Settings, get_settings
from service.core.timeutil import utcnow
from service.packages.enrollment_launch import build_launch, fetch_auth_token
from service.training.access import ensure_can_act_for
from service.training.errors import not_found
from service.training.models import Enrollment, Learner, Offering
from service.training.states import is_active

router = APIRouter(tags=["launch"])
Launchers = Depends(require_roles(Role.learner, Role.platform))


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


class EnrollmentLaunchOut(BaseModel):
    url: str
    expires_at: datetime
    package_id: uuid.UUID
    version_id: uuid.UUID
    format: str | None
    registration: uuid.UUID
    unit_id: str | None = None
    session_id: uuid.UUID | None = None


def _package_ids(offering: Offering) -> list[uuid.UUID]:
    out = []
    for raw in offering.package_ids or []:
        try:
            out.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    return out


@router.post(
    "/api/v1/enrollments/{enrollment_id}/launch",
    response_model=EnrollmentLaunchOut,
    summary="Launch a package of the offering for this enrollment (cmi5 / xAPI parameters)",
)
def launch_for_enrollment(
    enrollment_id: uuid.UUID,
    body: EnrollmentLaunchIn | None = None,
    principal: Principal = Launchers,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
):
    body = body or EnrollmentLaunchIn()
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise not_found("Enrollment")
    learner = session.get(Learner, enrollment.learner_id)
    ensure_can_act_for(principal, learner)
    if not is_active(enrollment.state):
        raise Conflict(
            "enrollment-not-active",
            f"The enrollment is {enrollment.state}; only an active one can be launched.",
            current_state=enrollment.state,
        )
    offering = session.get(Offering, enrollment.offering_id)
    allowed = _package_ids(offering)
    package_id = body.package_id or (allowed[0] if allowed else None)
    if package_id is None:
        raise Problem(409, "no-package", "This offering has no course package.")
    if package_id not in allowed:
        raise Problem(409, "package-not-in-offering", "This offering does not use that package.")
    package = session.get(Package, package_id)
    version = latest_published(session, package_id) if package is not None else None
    if version is None:
        raise Problem(409, "not-published", "This package has no published version.")
    launcher = session.get(User, principal.user_id)
    now = utcnow()
    result = build_launch(
        session,
        settings,
        enrollment=enrollment,
        learner=learner,
        version=version,
        launcher=launcher,
        unit_id=body.unit_id,
        return_url=body.return_url,
        now=now,
    )
    session.commit()
    return EnrollmentLaunchOut(
        url=result.url,
        expires_at=now + timedelta(seconds=settings.launch_ttl_seconds),
        package_id=package_id,
        version_id=version.id,
        format=version.format,
        registration=enrollment.registration,
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
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
):
    body = fetch_auth_token(session, settings, code[:100], utcnow())
    session.commit()
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
