"""Creating and changing users: the rules live here, shared by the API and the CLI."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from service.accounts.access import check_employer_account
from service.accounts.models import ORG_ROLES, Organization, Role, User
from service.accounts.passwords import MIN_PASSWORD_LENGTH, hash_password
from service.accounts.sessions import end_sessions
from service.core.errors import Conflict, Invalid, NotFound


class UserRuleError(Invalid):
    """An account rule refused the change (role and organization, password length, ...)."""


class UserReferenceMissing(NotFound, UserRuleError):
    """The change names something that does not exist."""


class UserConflict(Conflict, UserRuleError):
    """The change clashes with an existing account."""


def create_user(
    session: Session,
    *,
    email: str,
    role: str,
    password: str | None,
    organization_id: uuid.UUID | None = None,
    display_name: str = "",
) -> User:
    email = email.strip().lower()
    role = Role(role)
    if role in ORG_ROLES and organization_id is None:
        raise UserRuleError("organization-required", f"A {role} must belong to an organization.")
    if role == Role.admin and organization_id is not None:
        raise UserRuleError("organization-not-allowed", "City administrators have no organization.")
    if organization_id is not None and session.get(Organization, organization_id) is None:
        raise UserReferenceMissing("organization-not-found", "The organization does not exist.")
    check_employer_account(session, role, organization_id)  # the CLI creates accounts too
    if role != Role.platform and not password:
        raise UserRuleError("password-required", "A password is required for this role.")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise UserRuleError(
            "password-too-short", f"Passwords need at least {MIN_PASSWORD_LENGTH} characters."
        )
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise UserConflict("email-taken", "A user with this email already exists.")
    user = User(
        email=email,
        role=role,
        password_hash=hash_password(password) if password else None,
        organization_id=organization_id,
        display_name=display_name,
    )
    session.add(user)
    session.flush()
    return user


def check_user_change(actor_id: uuid.UUID, user: User, changes: Mapping[str, Any]) -> None:
    """Refuse a change an account may not make to itself, before anything is written."""
    if user.id == actor_id and changes.get("is_active") is False:
        # Otherwise the last administrator could lock everyone out of administration.
        raise UserConflict(
            "cannot-deactivate-self",
            "You cannot deactivate your own account; another administrator can.",
        )


def set_password(user: User, password: str | None) -> None:
    if password:
        user.password_hash = hash_password(password)


def unlock(user: User, unlock: bool | None = True) -> None:
    """Lift a sign-in lock and forget the failures and earlier locks behind it."""
    if unlock:
        user.failed_logins = 0
        user.locked_until = None
        user.lockouts = 0


def after_user_change(session: Session, user: User, changes: Mapping[str, Any]) -> None:
    """End the account's sessions when the change withdraws what they were granted on: a new
    password, deactivation, another role or organization (OWASP ASVS 3.3.3)."""
    if (
        changes.get("password")
        or changes.get("is_active") is False
        or "role" in changes
        or "organization_id" in changes
    ):
        end_sessions(session, user)


def find_by_email(session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise UserReferenceMissing("user-not-found", "No account has this email.")
    return user
