"""Issue, revoke, suspend and unsuspend credentials: the glue between callers and credentials/.

Callers: the admin routes, the bulk route and the training-completion job handler. Everything
here adds to the caller's session and never commits, so the credential, its status indexes, the
audit rows and (for the job) the job's own ``done`` mark commit together.

Idempotency (DESIGN.md Credentials): one credential per (enrollment_ref, achievement). The
``enrollment_ref`` is ``enrollment:<uuid>`` for completed enrollments and the admin's ``basis``
(for example ``rpl:<case>``) for direct issuance. Asking again with the same reference returns the
first credential; the same reference for a *different learner* is refused, never silently
answered with someone else's credential.

The national ID number only feeds the salted hash in the credential (OB 3.0 IdentityObject): it
is validated, hashed and dropped; no exception message, log record or return value carries it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from credentials import issuance
from credentials.keys import NoActiveKey
from credentials.models import Credential
from credentials.timefmt import as_utc, utcnow, whole_seconds
from service.core.errors import Conflict, Invalid, NotFound, Unavailable
from service.core.settings import Settings
from service.issuing import issuer_documents
from service.jobs.events import publish
from service.training.hours_rules import minutes_to_xueshi
from service.training.idnumber import InvalidIdNumber, validate_id_number

BASIS_PATTERN = r"^[a-z][a-z0-9_-]{1,30}:[A-Za-z0-9._:/-]{1,160}$"
_BASIS = re.compile(BASIS_PATTERN)

STATE_ACTIVE = "active"
STATE_SUSPENDED = "suspended"
STATE_REVOKED = "revoked"
STATE_EXPIRED = "expired"


class IssuingError(Invalid):
    """A refusal with a stable code; the message is safe to show (no personal data)."""

    @property
    def message(self) -> str:
        return self.detail


class IssuerKeyMissing(Unavailable, IssuingError):
    """No active signing key: an operator must create one first."""


class StateConflict(Conflict, IssuingError):
    """The credential's status does not allow the change asked for."""


class UnknownLearner(NotFound, IssuingError):
    """No learner with that id (the id learner routes return)."""


@dataclass(frozen=True)
class LearnerForIssue:
    subject_id: uuid.UUID
    id_number: str | None  # the learner's own number, only to compute the identity hash


def learner_for_issue(
    session: Session, *, learner_id: uuid.UUID | None, subject_id: uuid.UUID | None
) -> LearnerForIssue:
    """Whom a direct issuance is for. Callers name the learner by ``learner_id``, the id the
    learner routes return; the subject id stays internal (it is the credential's
    ``credentialSubject.id``, OB 3.0 §B.1.3). ``subject_id`` is the deprecated form, taken as
    it is. With ``learner_id`` the learner's own ID number feeds the identity hash."""
    if learner_id is None:
        if subject_id is None:
            raise IssuingError("learner-required", "Name the learner by learner_id.")
        return LearnerForIssue(subject_id, None)
    from service.training.learners import cipher
    from service.training.models import Learner

    learner = session.get(Learner, learner_id)
    if learner is None:
        raise UnknownLearner("unknown-learner", "No learner has this id.")
    if subject_id is not None and subject_id != learner.subject_id:
        raise IssuingError(
            "learner-mismatch", "learner_subject_id is not this learner's: send learner_id only."
        )
    number = cipher().decrypt(learner.id_encrypted, context=learner.id.bytes)
    return LearnerForIssue(learner.subject_id, number)


@dataclass(frozen=True)
class IssueOutcome:
    credential: Credential
    created: bool


def enrollment_ref_for(enrollment_id: uuid.UUID | str) -> str:
    return f"enrollment:{uuid.UUID(str(enrollment_id))}"


def _checked_id_number(id_number: str | None) -> str | None:
    if id_number is None:
        return None
    try:
        return validate_id_number(id_number)
    except InvalidIdNumber as exc:
        # exc.message is written to be safe: it never repeats the number.
        raise IssuingError("invalid-id-number", exc.message, reason=exc.code) from None


@dataclass(frozen=True)
class IssueItem:
    """One credential asked for; ``hours`` in 学时 (1 学时 = 45 minutes)."""

    learner_uuid: uuid.UUID
    id_number: str | None
    occupation_code: str
    level: int
    hours: Decimal | int | float
    score: Decimal | int | float | None
    enrollment_ref: str


def issue(
    session: Session,
    settings: Settings,
    *,
    learner_uuid: uuid.UUID,
    id_number: str | None,
    occupation_code: str,
    level: int,
    hours: Decimal | int | float,
    score: Decimal | int | float | None,
    enrollment_ref: str,
) -> IssueOutcome:
    """Mint (or find) the credential for ``enrollment_ref`` and this skill and level.

    Raises IssuingError (unknown achievement, invalid ID number, reference used for another
    learner) or IssuerKeyMissing.
    """
    item = IssueItem(learner_uuid, id_number, occupation_code, level, hours, score, enrollment_ref)
    [outcome] = issue_many(session, settings, [item])
    if isinstance(outcome, IssuingError):
        raise outcome
    return outcome


def _achievement_for(settings: Settings, item: IssueItem) -> dict[str, Any]:
    if not _BASIS.fullmatch(item.enrollment_ref or ""):
        raise IssuingError("invalid-basis", "The basis must look like 'rpl:CASE-123'.")
    try:
        return issuer_documents.achievement(settings, item.occupation_code, item.level)
    except issuer_documents.UnknownAchievement:
        raise IssuingError(
            "unknown-achievement",
            f"No achievement for occupation {item.occupation_code} at level {item.level}.",
        ) from None


def issue_many(
    session: Session, settings: Settings, items: list[IssueItem]
) -> list[IssueOutcome | IssuingError]:
    """Each item's outcome, or the IssuingError that refused it, in order. The accepted ones
    are minted together (``credentials.issuance.issue_batch``: one key opening, bulk status
    indexes, one flush) in the caller's transaction. Raises IssuerKeyMissing for the lot."""
    results: list[IssueOutcome | IssuingError | None] = [None] * len(items)
    pending: list[tuple[int, issuance.IssueRequest]] = []
    now = whole_seconds(utcnow())
    valid_until = (
        now + timedelta(days=settings.credential_validity_days)
        if settings.credential_validity_days
        else None
    )
    achievements: dict[int, dict] = {}
    for n, item in enumerate(items):
        try:
            achievements[n] = _achievement_for(settings, item)
        except IssuingError as exc:
            results[n] = exc
    # what was minted before, in one query for the lot (a job issues 50 at a time)
    minted_before = issuance.existing_for(
        session, {(items[n].enrollment_ref, ach["id"]) for n, ach in achievements.items()}
    )
    for n, ach in achievements.items():
        item = items[n]
        try:
            existing = minted_before.get((item.enrollment_ref, ach["id"]))
            if existing is not None:
                results[n] = IssueOutcome(_same_learner(existing, item.learner_uuid), False)
                continue
            request = issuance.IssueRequest(
                enrollment_ref=item.enrollment_ref,
                achievement=ach,
                learner_uuid=item.learner_uuid,
                id_number=_checked_id_number(item.id_number),
                hours=item.hours,
                score=item.score,
                valid_until=valid_until,
            )
        except IssuingError as exc:
            results[n] = exc
            continue
        pending.append((n, request))
    if pending:
        try:
            minted = issuance.issue_batch(
                session,
                [request for _, request in pending],
                issuer_profile=issuer_documents.issuer_profile(settings),
                master_key=settings.master_key_bytes(),
                public_base_url=settings.public_base_url,
                now=now,
                with_suspension=settings.credential_suspension,
            )
        except NoActiveKey:
            raise IssuerKeyMissing(
                "issuer-key-missing",
                "The issuer has no active signing key: an operator must run `skills keys create`.",
            ) from None
        for (n, request), (row, created) in zip(pending, minted, strict=True):
            try:
                results[n] = IssueOutcome(_same_learner(row, request.learner_uuid), created)
            except IssuingError as exc:
                results[n] = exc
            if created:
                _publish(session, row, "credential.issued")
    return [r for r in results if r is not None]


def issue_for_completion(
    session: Session,
    settings: Settings,
    *,
    enrollment_id: uuid.UUID,
    learner_uuid: uuid.UUID,
    id_number: str | None,
    occupation_code: str,
    level: int,
    minutes: int,
    score: Decimal | int | float | None,
) -> IssueOutcome:
    """For the completion job: ``minutes`` from the hours ledger, converted to 学时 (rounded
    down to 0.01, as the ledger reports them)."""
    return issue(
        session,
        settings,
        learner_uuid=learner_uuid,
        id_number=id_number,
        occupation_code=occupation_code,
        level=level,
        hours=minutes_to_xueshi(int(minutes)),
        score=score,
        enrollment_ref=enrollment_ref_for(enrollment_id),
    )


def _same_learner(row: Credential, learner_uuid: uuid.UUID) -> Credential:
    if row.learner_uuid != uuid.UUID(str(learner_uuid)):
        raise StateConflict(
            "basis-used-for-another-learner",
            "This basis already produced a credential for another learner.",
            credential_id=row.credential_id,
        )
    return row


# ---- lookups and state ------------------------------------------------------------------------


def normalise_credential_id(value: str) -> str | None:
    """``urn:uuid:<uuid>`` from either that or a bare uuid; None when it is neither."""
    text = value.strip()
    if text.lower().startswith("urn:uuid:"):
        text = text[9:]
    try:
        return f"urn:uuid:{uuid.UUID(text)}"
    except ValueError:
        return None


def find_credential(session: Session, value: str, *, for_update: bool = False):
    credential_id = normalise_credential_id(value)
    if credential_id is None:
        return None
    query = select(Credential).where(Credential.credential_id == credential_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def credential_state(row: Credential) -> str:
    if row.revoked_at is not None:
        return STATE_REVOKED
    if row.suspended:
        return STATE_SUSPENDED
    if row.valid_until is not None and as_utc(row.valid_until) < utcnow():
        return STATE_EXPIRED
    return STATE_ACTIVE


def change_status(
    session: Session, row: Credential, action: str, *, reason: str, actor: str
) -> Credential:
    """revoke | suspend | unsuspend with a reason; StateConflict when it does not apply.

    Adds the credentials package's CredentialStatusEvent; the caller adds the service audit row.
    """
    state = credential_state(row)
    reason = (reason or "").strip()
    if not reason:
        raise IssuingError("reason-required", "A reason is required.")

    def refuse(message: str, code: str = "invalid-credential-state") -> StateConflict:
        return StateConflict(code, message, state=state)

    if action == "revoke":
        if state == STATE_REVOKED:
            raise refuse("The credential is already revoked.")
        changed = issuance.revoke(session, row, reason, actor)
        _publish(session, row, "credential.revoked")
        return changed
    if row.suspension_list_id is None:
        raise refuse("This credential was issued without a suspension entry.", "no-suspension")
    if action == "suspend":
        if state in (STATE_REVOKED, STATE_SUSPENDED):
            raise refuse(f"The credential is {state}: it cannot be suspended.")
        changed = issuance.suspend(session, row, reason, actor)
        _publish(session, row, "credential.suspended")
        return changed
    if action == "unsuspend":
        if state != STATE_SUSPENDED:
            raise refuse(f"The credential is {state}, not suspended.")
        changed = issuance.unsuspend(session, row, reason, actor)
        _publish(session, row, "credential.reinstated")
        return changed
    raise ValueError(f"unknown action {action!r}")


def _publish(session: Session, row: Credential, event_type: str) -> None:
    """The webhook event, in the change's transaction: ids and state only (the learner by the
    credential's subject uuid); the organization is the enrolment's, found by the webhooks."""
    ref = row.enrollment_ref
    publish(
        session,
        event_type,
        {
            "credential_id": row.credential_id,
            "learner_subject_id": str(row.learner_uuid),
            "achievement_id": row.achievement_id,
            "enrollment_id": ref.split(":", 1)[1] if ref.startswith("enrollment:") else None,
            "state": credential_state(row),
        },
    )


def summary(settings: Settings, row: Credential) -> dict[str, Any]:
    """What the admin routes show (no personal data: the learner appears by subject uuid)."""
    bare = row.credential_id.removeprefix("urn:uuid:")
    api = f"/api/v1/credentials/{bare}"
    return {
        "id": row.credential_id,
        "state": credential_state(row),
        "achievement_id": row.achievement_id,
        "achievement_slug": issuer_documents.slug_from_achievement_id(settings, row.achievement_id),
        "learner_subject_id": str(row.learner_uuid),
        "basis": row.enrollment_ref,
        "issuer_id": row.issuer_id,
        "kid": row.kid,
        "issued_at": row.issued_at,
        "valid_until": row.valid_until,
        "revoked_at": row.revoked_at,
        "revoked_reason": row.revoked_reason,
        "suspended_at": row.suspended_at,
        "suspended_reason": row.suspended_reason,
        "links": {
            "jwt": f"{api}/credential.jwt",
            "png": f"{api}/badge.png",
            "svg": f"{api}/badge.svg",
            "json": f"{api}/credential.json",
            "verification": f"{api}/verification",
        },
    }
