"""Credential administration (city administrators): issue, bulk issue, revoke, suspend,
unsuspend, list, read and download. Thin: parse, authorize, call ``service.issuing``, shape.

Downloads are admin-only for now; the learner's own routes and the share page reuse
``service.issuing.downloads.render_download`` once ownership is wired.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from sqlmodel import Session, select

from credentials.issuance import find_existing
from credentials.models import Credential
from service.accounts.audit import record_audit
from service.api.deps import AdminPrincipal, SessionDep, SettingsDep
from service.api.idempotency import run_idempotent
from service.api.pagination import PageParamsDep, paginate
from service.api.problems import as_problem, not_found
from service.api.schemas.credentials import BulkIssueIn, IssueIn, StatusChangeIn
from service.core.settings import Settings
from service.issuing import downloads, issuer_documents
from service.issuing import service as issuing

router = APIRouter(prefix="/api/v1/credentials", tags=["credentials (admin)"])

_IDEMPOTENCY_LABEL = "credentials-idempotency-fingerprint"


def _issue_one(session: Session, settings: Settings, item: IssueIn) -> issuing.IssueOutcome:
    learner = issuing.learner_for_issue(
        session, learner_id=item.learner_id, subject_id=item.learner_subject_id
    )
    id_number = item.id_number.get_secret_value() if item.id_number is not None else None
    return issuing.issue(
        session,
        settings,
        learner_uuid=learner.subject_id,
        id_number=id_number if id_number is not None else learner.id_number,
        occupation_code=item.occupation_code,
        level=item.level,
        hours=item.hours,
        score=item.score,
        enrollment_ref=item.basis,
    )


def _audit_issue(session, principal, row, basis: str) -> None:
    record_audit(
        session,
        actor=principal,
        action="credential.issue",
        subject_type="credential",
        subject_id=row.credential_id,
        detail=f"basis={basis} achievement={row.achievement_id}",
    )


@router.post("/issue", status_code=201, summary="Issue one credential (e.g. prior learning)")
def issue_credential(
    body: IssueIn,
    principal: AdminPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    def create():
        try:
            outcome = _issue_one(session, settings, body)
        except issuing.IssuingError as exc:
            raise as_problem(exc) from None
        if outcome.created:
            _audit_issue(session, principal, outcome.credential, body.basis)
        return {
            "outcome": "issued" if outcome.created else "existing",
            "credential": issuing.summary(settings, outcome.credential),
        }

    return run_idempotent(
        session,
        actor_key=principal.actor_key,
        route="credentials.issue",
        key=idempotency_key,
        body=body.fingerprint_body(settings.derived_key(_IDEMPOTENCY_LABEL)),
        create=create,
        status_code=200 if _already_issued(session, settings, body) else 201,
    )


def _already_issued(session: Session, settings: Settings, body: IssueIn) -> bool:
    """201 for a new credential, 200 when this basis already has one (checked up front: the
    status code is stored with the idempotency record)."""
    try:
        ach = issuer_documents.achievement(settings, body.occupation_code, body.level)
    except issuer_documents.UnknownAchievement:
        return False
    return find_existing(session, body.basis, ach["id"]) is not None


@router.post("/bulk-issue", summary="Issue for a list (at most 100); per-item outcome")
def bulk_issue(
    body: BulkIssueIn,
    principal: AdminPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    def create():
        results, counts = [], {"issued": 0, "existing": 0, "error": 0}
        for index, item in enumerate(body.items):
            entry = {"index": index, "basis": item.basis}
            try:
                outcome = _issue_one(session, settings, item)
            except issuing.IssuerKeyMissing as exc:
                raise as_problem(exc) from None
            except issuing.IssuingError as exc:
                entry.update(outcome="error", error={"code": exc.code, "detail": exc.message})
            else:
                entry.update(
                    outcome="issued" if outcome.created else "existing",
                    credential_id=outcome.credential.credential_id,
                )
                if outcome.created:
                    _audit_issue(session, principal, outcome.credential, item.basis)
            counts[entry["outcome"]] += 1
            results.append(entry)
        return {"counts": counts, "items": results}

    return run_idempotent(
        session,
        actor_key=principal.actor_key,
        route="credentials.bulk-issue",
        key=idempotency_key,
        body=body.fingerprint_body(settings.derived_key(_IDEMPOTENCY_LABEL)),
        create=create,
        status_code=200,
    )


@router.get("", summary="List credentials (paginated, filtered)")
def list_credentials(
    principal: AdminPrincipal,
    params: PageParamsDep,
    session: SessionDep,
    settings: SettingsDep,
    state: Literal["active", "suspended", "revoked"] | None = Query(None),
    learner_subject_id: Annotated[uuid.UUID | None, Query()] = None,
    achievement: str | None = Query(None, max_length=40, description="Achievement slug"),
    basis: str | None = Query(None, max_length=200),
    issued_from: Annotated[datetime | None, Query()] = None,
    issued_to: Annotated[datetime | None, Query()] = None,
):
    stmt = select(Credential).order_by(Credential.issued_at.desc(), Credential.id)
    if state == "revoked":
        stmt = stmt.where(Credential.revoked_at.is_not(None))
    elif state == "suspended":
        stmt = stmt.where(Credential.revoked_at.is_(None), Credential.suspended.is_(True))
    elif state == "active":
        stmt = stmt.where(Credential.revoked_at.is_(None), Credential.suspended.is_(False))
    if learner_subject_id is not None:
        stmt = stmt.where(Credential.learner_uuid == learner_subject_id)
    if achievement:
        stmt = stmt.where(
            Credential.achievement_id
            == f"{settings.public_base_url.rstrip('/')}/achievements/{achievement.lower()}"
        )
    if basis:
        stmt = stmt.where(Credential.enrollment_ref == basis)
    if issued_from is not None:
        stmt = stmt.where(Credential.issued_at >= issued_from)
    if issued_to is not None:
        stmt = stmt.where(Credential.issued_at < issued_to)
    rows, total = paginate(session, stmt, params)
    return {
        "items": [issuing.summary(settings, row) for row in rows],
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
    }


def _load(session: Session, credential_id: str, *, for_update: bool = False) -> Credential:
    row = issuing.find_credential(session, credential_id, for_update=for_update)
    if row is None:
        raise not_found("Credential")
    return row


@router.get("/{credential_id}", summary="One credential (admin; learner access comes later)")
def get_credential(
    credential_id: str,
    principal: AdminPrincipal,
    session: SessionDep,
    settings: SettingsDep,
):
    return issuing.summary(settings, _load(session, credential_id))


def _status_route(action: str):
    def change(
        credential_id: str,
        body: StatusChangeIn,
        principal: AdminPrincipal,
        session: SessionDep,
        settings: SettingsDep,
    ):
        row = _load(session, credential_id, for_update=True)
        try:
            issuing.change_status(
                session, row, action, reason=body.reason, actor=principal.actor_key
            )
        except issuing.IssuingError as exc:
            session.rollback()
            raise as_problem(exc) from None
        record_audit(
            session,
            actor=principal,
            action=f"credential.{action}",
            subject_type="credential",
            subject_id=row.credential_id,
            detail=body.reason,
        )
        session.commit()
        return issuing.summary(settings, row)

    change.__name__ = f"{action}_credential"
    return change


for _action in ("revoke", "suspend", "unsuspend"):
    router.add_api_route(
        f"/{{credential_id}}/{_action}",
        _status_route(_action),
        methods=["POST"],
        summary=f"{_action.capitalize()} a credential (reason required, audited)",
    )


def _download_route(kind: str):
    def download(
        credential_id: str,
        principal: AdminPrincipal,
        session: SessionDep,
    ):
        return downloads.download_response(session, _load(session, credential_id), kind)

    download.__name__ = f"download_{kind}"
    return download


for _name, _kind in downloads.FILE_NAMES.items():
    router.add_api_route(
        f"/{{credential_id}}/{_name}",
        _download_route(_kind),
        methods=["GET"],
        summary=f"Download the credential as {_name}",
    )
