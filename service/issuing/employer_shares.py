"""What learners shared with one employer: their active shares addressed to its organization.

A learner addresses a share to an employer when creating it (``shares.create_share`` with
``employer_organization_id``); the employer's accounts list those shares here, each with the
credential's live verification result from the one ``Verifier``. A withdrawn share is gone from
the list at once. The holder's name appears only when the learner chose ``show_name``; nothing
else about the person (ID or phone number) is ever given.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from credentials.models import Credential
from service.core.settings import Settings
from service.issuing.models import CredentialShare
from service.issuing.shares import share_url
from service.issuing.verification import Verifier
from service.training.models import Learner


def shared_with(
    session: Session, settings: Settings, organization_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the employer's shared credentials, newest share first, and the total."""
    query = (
        select(CredentialShare, Credential)
        .join(Credential, Credential.id == CredentialShare.credential_pk)  # type: ignore[arg-type]
        .where(
            CredentialShare.employer_organization_id == organization_id,
            CredentialShare.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(CredentialShare.created_at.desc(), CredentialShare.id)  # type: ignore[attr-defined]
        .limit(limit)
        .offset(offset)
    ).all()
    verifier = Verifier(session, settings)
    return [_item(session, settings, verifier, share, cred) for share, cred in rows], int(total)


def _item(
    session: Session,
    settings: Settings,
    verifier: Verifier,
    share: CredentialShare,
    credential: Credential,
) -> dict[str, Any]:
    report = verifier.verify(credential.jwt).to_dict()
    summary = report.get("credential") or {}
    name = None
    if share.show_name:
        learner = session.get(Learner, share.learner_id)
        name = learner.name if learner is not None else None
    return {
        "code": share.code,
        "url": share_url(settings, share.code),
        "shared_at": share.created_at,
        "credential_id": credential.credential_id,
        "achievement": summary.get("achievement_name") or summary.get("name"),
        "issuer": summary.get("issuer_name") or summary.get("issuer_id"),
        "issued": summary.get("valid_from"),
        "holder_name": name,
        "result": report["result"],
        "reason": report["reason"],
        "checks": [
            {"name": c["name"], "outcome": c["outcome"], "reason": c["reason"]}
            for c in report["checks"]
        ],
    }
