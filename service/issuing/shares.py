"""Share links: a learner publishes one credential at an unguessable address, and can withdraw it.

- The address ``/c/{code}`` is the only secret (128 random bits); the page shows the credential,
  its live verification result, a QR code of the address and the downloads.
- A share is created only by the credential's own learner (or the platform acting for them) and
  only for a credential that is not revoked; a later revocation shows on the page at once.
- ``show_name`` is the learner's choice; nothing else about the person (ID number, phone) is ever
  on the page. Withdrawing a share (``revoked_at``) keeps the row so the page can say "withdrawn"
  instead of "not found".
- Holder check: the employer types the candidate's ID number, it is normalised (GB 11643 check)
  and compared with the credential's salted hash. The hash and salt are inside the credential the
  page offers for download, so this check exposes nothing an employer could not compute offline;
  it exists so that nobody has to.

Errors are domain errors (``service.core.errors``); messages carry no personal data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from credentials.jwt_vc import decode_unverified
from credentials.models import Credential
from service.accounts.models import Organization, OrgKind
from service.core.errors import Conflict, Gone, Invalid, NotFound
from service.core.settings import Settings
from service.core.timeutil import utcnow
from service.issuing import downloads
from service.issuing.models import CredentialShare
from service.issuing.service import STATE_REVOKED, credential_state, find_credential
from service.training.idnumber import InvalidIdNumber, validate_id_number
from service.training.models import Learner

MAX_ACTIVE_SHARES_PER_CREDENTIAL = 20
# The share page offers the signed forms only (the decoded JSON is not secured on its own).
DOWNLOAD_FILES = {name: kind for name, kind in downloads.FILE_NAMES.items() if kind != "json"}


class ShareNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("not-found", "Share link was not found.")


class ShareWithdrawn(Gone):
    def __init__(self) -> None:
        super().__init__("share-withdrawn", "The holder has withdrawn this share link.")


# What opening a share link may raise.
ShareClosed = (ShareNotFound, ShareWithdrawn)


def share_url(settings: Settings, code: str) -> str:
    """The page's absolute address: what the QR code holds and what the learner sends."""
    return f"{settings.public_base_url.rstrip('/')}/c/{code}"


# ---- the learner's own credentials ------------------------------------------------------------


def owned_credential(session: Session, learner: Learner, credential_id: str) -> Credential:
    """The learner's credential; someone else's is "not found" (its existence is not told)."""
    row = find_credential(session, credential_id)
    if row is None or row.learner_uuid != learner.subject_id:
        raise NotFound("not-found", "Credential was not found.")
    return row


# ---- shares -----------------------------------------------------------------------------------


def create_share(
    session: Session,
    learner: Learner,
    credential_id: str,
    *,
    show_name: bool,
    employer_organization_id: uuid.UUID | None = None,
) -> tuple[CredentialShare, Credential]:
    """Adds the share (the caller commits). ``employer_organization_id`` addresses it to one
    employer (an active enterprise), which then lists it through the employer API."""
    if employer_organization_id is not None:
        ensure_employer_addressee(session, employer_organization_id)
    row = owned_credential(session, learner, credential_id)
    if credential_state(row) == STATE_REVOKED:
        raise Conflict("credential-revoked", "A revoked credential cannot be shared.")
    active = session.exec(
        select(func.count())
        .select_from(CredentialShare)
        .where(CredentialShare.credential_pk == row.id, CredentialShare.revoked_at.is_(None))
    ).one()
    if active >= MAX_ACTIVE_SHARES_PER_CREDENTIAL:
        raise Conflict(
            "too-many-shares",
            f"At most {MAX_ACTIVE_SHARES_PER_CREDENTIAL} active share links per credential: "
            "withdraw one first.",
        )
    share = CredentialShare(
        credential_pk=row.id,
        learner_id=learner.id,
        show_name=show_name,
        employer_organization_id=employer_organization_id,
    )
    session.add(share)
    session.flush()
    return share, row


def ensure_employer_addressee(session: Session, organization_id: uuid.UUID) -> None:
    """A share is addressed only to an active enterprise (its name is not told otherwise)."""
    org = session.get(Organization, organization_id)
    if org is None or org.kind != OrgKind.enterprise or not org.is_active:
        raise Invalid(
            "employer-not-found",
            "No active employer (enterprise organization) has this id.",
            field="employer_organization_id",
        )


def list_shares(
    session: Session, learner: Learner, limit: int, offset: int, *, active_only: bool = False
) -> tuple[list[tuple[CredentialShare, Credential]], int]:
    query = (
        select(CredentialShare, Credential)
        .join(Credential, Credential.id == CredentialShare.credential_pk)
        .where(CredentialShare.learner_id == learner.id)
    )
    if active_only:
        query = query.where(CredentialShare.revoked_at.is_(None))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(CredentialShare.created_at.desc(), CredentialShare.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [(share, cred) for share, cred in rows], int(total)


def revoke_share(session: Session, learner: Learner, code: str) -> CredentialShare:
    """Withdraw a share (idempotent: withdrawing twice keeps the first time)."""
    share = session.exec(
        select(CredentialShare)
        .where(CredentialShare.code == code, CredentialShare.learner_id == learner.id)
        .with_for_update()
    ).first()
    if share is None:
        raise ShareNotFound()
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        session.add(share)
    return share


def share_out(settings: Settings, share: CredentialShare, credential: Credential) -> dict:
    url = share_url(settings, share.code)
    return {
        "code": share.code,
        "url": url,
        "qr_png": f"{url}/qr.png",
        "credential_id": credential.credential_id,
        "show_name": share.show_name,
        "employer_organization_id": share.employer_organization_id,
        "active": share.revoked_at is None,
        "created_at": share.created_at,
        "revoked_at": share.revoked_at,
    }


# ---- the public page --------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenShare:
    share: CredentialShare
    credential: Credential
    holder_name: str | None  # only when the learner chose to show it


def open_share(session: Session, code: str) -> OpenShare:
    """Raises ShareNotFound (no such code) or ShareWithdrawn (the learner withdrew it)."""
    if not code or len(code) > 64:
        raise ShareNotFound()
    share = session.exec(select(CredentialShare).where(CredentialShare.code == code)).first()
    if share is None:
        raise ShareNotFound()
    if share.revoked_at is not None:
        raise ShareWithdrawn()
    credential = session.get(Credential, share.credential_pk)
    if credential is None:  # pragma: no cover - the foreign key forbids it
        raise ShareNotFound()
    name = None
    if share.show_name:
        learner = session.get(Learner, share.learner_id)
        name = learner.name if learner is not None else None
    return OpenShare(share, credential, name)


HOLDER_MATCH = "match"
HOLDER_NO_MATCH = "no_match"
HOLDER_INVALID = "invalid"
HOLDER_UNAVAILABLE = "unavailable"


def holder_check(credential: Credential, id_number: str) -> str:
    """match | no_match | invalid (not an ID number) | unavailable (no identity in it).

    The number is normalised and compared, then dropped: it is never returned, logged or put in
    an exception message.
    """
    from credentials.documents import holder_matches

    document = decode_unverified(credential.jwt)
    identifiers = (document.get("credentialSubject") or {}).get("identifier") or []
    if not identifiers:
        return HOLDER_UNAVAILABLE
    try:
        normalised = validate_id_number(id_number)
    except InvalidIdNumber:
        return HOLDER_INVALID
    return HOLDER_MATCH if holder_matches(document, normalised) else HOLDER_NO_MATCH
