"""A learner's share links: create one for a credential, list them, withdraw one.

The learner is the caller (learner token) or the one the platform acts for (``X-Learner-Id``),
resolved by ``service.training.access.acting_learner`` like every ``/me`` route. The answer
carries the page's absolute URL and its QR image URL, for the platform to show or send.
Creating honours ``Idempotency-Key`` (a retried create returns the same link, not a second one).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel

from service.api.acting import personal_learner
from service.api.deps import PersonalPrincipal, SessionDep, SettingsDep
from service.api.idempotency import run_idempotent
from service.api.pagination import PageParamsDep
from service.issuing import shares
from service.training.access import ACTING_HEADER

router = APIRouter(prefix="/api/v1/me", tags=["me", "share links"])


class ShareIn(BaseModel):
    show_name: bool = False
    # Addressed to one employer (an active enterprise): it lists the share through
    # GET /api/v1/employer/shared-credentials until the learner withdraws it.
    employer_organization_id: uuid.UUID | None = None


@router.post(
    "/credentials/{credential_id}/shares",
    status_code=201,
    summary="Create a share link (public page with QR code) for one of my credentials",
)
def create_share(
    credential_id: str,
    principal: PersonalPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    body: ShareIn | None = None,
    acting: str | None = Header(default=None, alias=ACTING_HEADER),
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    learner = personal_learner(session, principal, acting, reading=False)
    show_name = bool(body and body.show_name)
    employer = body.employer_organization_id if body else None

    def create():
        share, credential = shares.create_share(
            session, learner, credential_id, show_name=show_name, employer_organization_id=employer
        )
        return shares.share_out(settings, share, credential)

    return run_idempotent(
        session,
        actor_key=principal.actor_key,
        # Per learner: the platform's one service account acts for many learners.
        route=f"me.shares.create:{learner.id}",
        key=idempotency_key,
        body={
            "credential_id": credential_id,
            "show_name": show_name,
            "employer_organization_id": employer,
        },
        create=create,
    )


@router.get("/shares", summary="My share links, newest first")
def list_shares(
    params: PageParamsDep,
    principal: PersonalPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    active: bool = Query(False, description="Only links that are not withdrawn"),
    acting: str | None = Header(default=None, alias=ACTING_HEADER),
):
    learner = personal_learner(session, principal, acting)
    rows, total = shares.list_shares(
        session, learner, params.limit, params.offset, active_only=active
    )
    return {
        "items": [shares.share_out(settings, share, cred) for share, cred in rows],
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
    }


@router.delete("/shares/{code}", status_code=204, summary="Withdraw a share link")
def withdraw_share(
    code: str,
    principal: PersonalPrincipal,
    session: SessionDep,
    acting: str | None = Header(default=None, alias=ACTING_HEADER),
):
    learner = personal_learner(session, principal, acting, reading=False)
    shares.revoke_share(session, learner, code)
    session.commit()
    return Response(status_code=204)
