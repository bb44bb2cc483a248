"""Learners: create-or-find by national ID number, masked display, audited export.

The number is validated (GB 11643, :mod:`.idnumber`) *after* request parsing, so a bad number
yields our own 422 whose message names what is wrong and never echoes the value; it is then
kept only as an HMAC fingerprint (dedup, lookup) and an AES-GCM ciphertext bound to the learner
id (export), see :mod:`.pii`. Phone numbers are treated the same way.
"""

from __future__ import annotations

import re
import unicodedata
import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from service.accounts.access import Principal
from service.accounts.audit import apply_changes, record_audit
from service.accounts.models import ORG_ROLES, Organization, Role, User
from service.core.errors import Conflict, Forbidden, Invalid
from service.core.settings import get_settings
from service.training.consent import holder_matches, holder_refused
from service.training.idnumber import InvalidPersonalNumber, validate_id_number, validate_phone
from service.training.models import Learner
from service.training.pii import PiiCipher, mask_id, mask_phone
from service.training.reference_checks import check_district, check_groups


def cipher() -> PiiCipher:
    return PiiCipher.from_master_key(get_settings().master_key_bytes())


def _valid_id(value: str) -> str:
    try:
        return validate_id_number(value)
    except InvalidPersonalNumber as exc:
        raise Invalid(exc.code.replace("_", "-"), exc.message, field="id_number") from None


def _valid_phone(value: str) -> str:
    try:
        return validate_phone(value)
    except InvalidPersonalNumber as exc:
        raise Invalid(exc.code.replace("_", "-"), exc.message, field="phone") from None


# Six digits in a row: no one's name, but an ID or phone number typed into the name column (a
# shifted spreadsheet column), which would then be shown wherever the name is.
_NUMBER_IN_NAME = re.compile(r"\d{6}")


def _valid_name(name: str) -> str:
    if _NUMBER_IN_NAME.search(unicodedata.normalize("NFKC", name)):
        raise Invalid(
            "name-looks-like-a-number",
            "The name contains a long run of digits: is an ID or phone number in the name column?",
            field="name",
        )
    return name


def fingerprint_of(id_number: str) -> str:
    return cipher().fingerprint(_valid_id(id_number))


def find_by_id_number(session: Session, id_number: str) -> Learner | None:
    fingerprint = fingerprint_of(id_number)
    return session.exec(select(Learner).where(Learner.id_fingerprint == fingerprint)).first()


def find_for_holder(session: Session, id_number: str, name: str | None) -> Learner:
    """Staff find a person only with the holder check (number and name); one refusal for an
    unknown number, a wrong name or a missing name, so nothing tells whether it exists."""
    fingerprint = fingerprint_of(id_number)
    learner = session.exec(select(Learner).where(Learner.id_fingerprint == fingerprint)).first()
    if name is None or not holder_matches(learner, fingerprint, name):
        raise holder_refused()
    assert learner is not None
    return learner


def check_group_change(principal: Principal, reason: str | None) -> str:
    """Target groups (statistical: rural, veterans, ...) are facts a provider or the city
    checked, never a self-declaration; every change names why, for the audit trail."""
    if not (principal.is_admin or principal.role in ORG_ROLES):
        raise Forbidden(
            "groups-staff-only",
            "Target groups are set by the training organization's staff or the city.",
        )
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            "groups-reason-required",
            "Setting target groups needs groups_reason (what was checked).",
            field="groups_reason",
        )
    return reason


def _audit_groups(session: Session, principal: Principal, learner: Learner, reason: str) -> None:
    # The group codes and the staff's reason; the reason is free text from staff, asked to
    # name the evidence checked, not the person.
    record_audit(
        session,
        actor=principal,
        action="learner.groups",
        subject_type="learner",
        subject_id=str(learner.id),
        detail=f"groups={','.join(learner.groups) or '-'};reason={reason}",
    )


def _existing_for(principal: Principal, learner: Learner, fingerprint: str, name: str) -> Learner:
    """An existing person goes to org staff only with the holder check (name must match)."""
    if principal.role in ORG_ROLES and not holder_matches(learner, fingerprint, name):
        raise holder_refused()
    return learner


def _check_links(
    session: Session, employer_id: uuid.UUID | None, user_id: uuid.UUID | None
) -> None:
    if employer_id is not None and session.get(Organization, employer_id) is None:
        raise Invalid(
            "unknown-employer", "The employer organization does not exist.", field="employer"
        )
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or user.role != Role.learner:
            raise Invalid("invalid-user-link", "user_id must be an account with the learner role.")
        if session.exec(select(Learner.id).where(Learner.user_id == user_id)).first():
            raise Conflict("user-already-linked", "This account is already linked to a learner.")


def create_or_find(
    session: Session,
    principal: Principal,
    *,
    id_number: str,
    name: str,
    district_code: str,
    groups: list[str],
    groups_reason: str | None = None,
    phone: str | None = None,
    employer_organization_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> tuple[Learner, bool]:
    """Return ``(learner, created)``. An existing person is returned unchanged (use PATCH to
    change attributes), so a roster import can be re-run safely; to org staff only when the
    name matches (:mod:`.consent`). A new learner is flushed; the caller commits."""
    number = _valid_id(id_number)
    name = _valid_name(name)
    phone_number = _valid_phone(phone) if phone else None
    pii = cipher()
    fingerprint = pii.fingerprint(number)
    existing = session.exec(select(Learner).where(Learner.id_fingerprint == fingerprint)).first()
    if existing is not None:
        return _existing_for(principal, existing, fingerprint, name), False
    check_district(session, district_code)
    groups = check_groups(session, groups)
    reason = check_group_change(principal, groups_reason) if groups else None
    if principal.role == Role.learner:
        user_id = principal.user_id  # self-registration links the caller's account
    _check_links(session, employer_organization_id, user_id)
    learner_id = uuid.uuid4()
    learner = Learner(
        id=learner_id,
        id_fingerprint=fingerprint,
        id_encrypted=pii.encrypt(number, context=learner_id.bytes),
        id_masked=mask_id(number),
        name=name,
        district_code=district_code,
        groups=groups,
        employer_organization_id=employer_organization_id,
        user_id=user_id,
        registered_by_organization_id=principal.org_id if principal.role in ORG_ROLES else None,
    )
    if phone_number:
        _set_phone(learner, pii, phone_number)
    # A savepoint, so losing a race undoes this insert only, not the caller's transaction.
    savepoint = session.begin_nested()
    try:
        session.add(learner)
        record_audit(
            session,
            actor=principal,
            action="learner.create",
            subject_type="learner",
            subject_id=str(learner_id),
        )
        if reason is not None:
            _audit_groups(session, principal, learner, reason)
        session.flush()
        savepoint.commit()
    except IntegrityError:
        # The same person registered concurrently: answer with the record that won.
        savepoint.rollback()
        existing = session.exec(
            select(Learner).where(Learner.id_fingerprint == fingerprint)
        ).first()
        if existing is None:
            raise
        return _existing_for(principal, existing, fingerprint, name), False
    return learner, True


def _set_phone(learner: Learner, pii: PiiCipher, phone: str) -> None:
    learner.phone_fingerprint = pii.fingerprint(phone)
    learner.phone_encrypted = pii.encrypt(phone, context=learner.id.bytes)
    learner.phone_masked = mask_phone(phone)


def update(
    session: Session,
    principal: Principal,
    learner: Learner,
    changes: dict,
    *,
    groups_reason: str | None = None,
) -> Learner:
    """Change attributes (never the ID number: a different number is a different person).
    Not committed: the caller commits."""
    reason = None
    if changes.get("name") is not None:
        _valid_name(changes["name"])
    if "groups" in changes:
        reason = check_group_change(principal, groups_reason)
    if "district_code" in changes:
        check_district(session, changes["district_code"])
    if "groups" in changes:
        changes["groups"] = check_groups(session, changes["groups"] or [])
    if "employer_organization_id" in changes:
        _check_links(session, changes["employer_organization_id"], None)
    if "phone" in changes:
        phone = changes.pop("phone")
        if phone:
            _set_phone(learner, cipher(), _valid_phone(phone))
        else:
            learner.phone_fingerprint = learner.phone_encrypted = learner.phone_masked = None
    apply_changes(
        session,
        learner,
        changes,
        actor=principal,
        action="learner.update",
        subject_type="learner",
        subject_id=str(learner.id),
    )
    if reason is not None:
        _audit_groups(session, principal, learner, reason)
    return learner


def export_pii(session: Session, principal: Principal, learner: Learner) -> dict:
    """Full ID and phone numbers for an authorised export: admin only (checked by the router),
    audited in the same transaction, which the caller commits before handing the numbers out;
    the audit row names the fields, never the values."""
    pii = cipher()
    out = {
        "learner_id": str(learner.id),
        "name": learner.name,
        "id_number": pii.decrypt(learner.id_encrypted, context=learner.id.bytes),
        "phone": pii.decrypt(learner.phone_encrypted, context=learner.id.bytes)
        if learner.phone_encrypted
        else None,
    }
    record_audit(
        session,
        actor=principal,
        action="learner.export_pii",
        subject_type="learner",
        subject_id=str(learner.id),
        detail="fields=id_number,phone",
    )
    return out


def learner_for_user(session: Session, user_id: uuid.UUID) -> Learner | None:
    """The learner record of a learner account, if it has one."""
    return session.exec(select(Learner).where(Learner.user_id == user_id)).first()
