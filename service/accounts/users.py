"""Creating and changing users: the rules live here, shared by the API and the CLI."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from service.accounts.models import ORG_ROLES, Organization, Role, User
from service.accounts.passwords import MIN_PASSWORD_LENGTH, hash_password


class UserRuleError(ValueError):
    def __init__(self, code: str, message: str, status: int = 422):
        super().__init__(message)
        self.code = code
        self.status = status


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
        raise UserRuleError("organization-not-found", "The organization does not exist.", 404)
    if role != Role.platform and not password:
        raise UserRuleError("password-required", "A password is required for this role.")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise UserRuleError(
            "password-too-short", f"Passwords need at least {MIN_PASSWORD_LENGTH} characters."
        )
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise UserRuleError("email-taken", "A user with this email already exists.", 409)
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
