"""Creating and changing users: the rules live here, shared by the API and the CLI."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from service.accounts.models import ORG_ROLES, Organization, Role, User
from service.accounts.passwords import MIN_PASSWORD_LENGTH, hash_password
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
