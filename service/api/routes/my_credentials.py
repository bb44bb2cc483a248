"""A learner's own credentials: list them and download each (the platform may act for one)."""

from __future__ import annotations

from fastapi import APIRouter, Header
from sqlmodel import Session, select

from credentials.models import Credential
from service.accounts.access import Principal
from service.api.acting import personal_learner
from service.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from service.api.pagination import Page, PageParamsDep, paginate
from service.api.problems import not_found
from service.core.settings import Settings
from service.issuing import downloads
from service.issuing.service import credential_state, find_credential
from service.training.access import ACTING_HEADER

router = APIRouter(prefix="/api/v1/me/credentials", tags=["credentials"])


def _mine(principal: Principal, session: Session, acting: str | None):
    return personal_learner(session, principal, acting)


def _item(settings: Settings, row: Credential) -> dict:
    bare = row.credential_id.removeprefix("urn:uuid:")
    base = f"/api/v1/me/credentials/{bare}"
    return {
        "id": row.credential_id,
        "state": credential_state(row),
        "achievement_id": row.achievement_id,
        "issued_at": row.issued_at,
        "valid_until": row.valid_until,
        "downloads": {kind: f"{base}/{name}" for name, kind in downloads.FILE_NAMES.items()},
        "verification": f"/api/v1/credentials/{bare}/verification",
    }


@router.get("", response_model=Page[dict], summary="My credentials, newest first")
def list_mine(
    principal: CurrentPrincipal,
    params: PageParamsDep,
    session: SessionDep,
    settings: SettingsDep,
    acting: str | None = Header(default=None, alias=ACTING_HEADER),
):
    learner = _mine(principal, session, acting)
    stmt = (
        select(Credential)
        .where(Credential.learner_uuid == learner.subject_id)
        .order_by(Credential.issued_at.desc(), Credential.id)
    )
    rows, total = paginate(session, stmt, params)
    return Page(
        items=[_item(settings, r) for r in rows],
        total=total,
        limit=params.limit,
        offset=params.offset,
    )


def _download_route(kind: str):
    def download(
        credential_id: str,
        principal: CurrentPrincipal,
        session: SessionDep,
        acting: str | None = Header(default=None, alias=ACTING_HEADER),
    ):
        learner = _mine(principal, session, acting)
        row = find_credential(session, credential_id)
        # Someone else's credential looks exactly like a missing one.
        if row is None or row.learner_uuid != learner.subject_id:
            raise not_found("Credential")
        return downloads.download_response(session, row, kind)

    download.__name__ = f"download_own_{kind}"
    return download


for _name, _kind in downloads.FILE_NAMES.items():
    router.add_api_route(
        f"/{{credential_id}}/{_name}",
        _download_route(_kind),
        methods=["GET"],
        summary=f"Download my credential as {_name}",
    )
