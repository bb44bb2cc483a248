"""Users and platform API keys. Admins manage everyone; org admins manage their own staff."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query
from sqlmodel import Session, select

from service.accounts.access import (
    Principal,
    check_employer_account,
    ensure_org_access,
    org_filter,
)
from service.accounts.audit import apply_changes, record_audit
from service.accounts.models import ORG_ROLES, ApiKey, Role, User
from service.accounts.sessions import create_api_key
from service.accounts.users import (
    UserRuleError,
    after_user_change,
    check_user_change,
    create_user,
    set_password,
    unlock,
)
from service.api.deps import AdminPrincipal, ManagerPrincipal, SessionDep
from service.api.idempotency import run_idempotent
from service.api.pagination import Page, PageParamsDep, page_of
from service.api.problems import Problem, as_problem, forbidden, not_found
from service.api.schemas.accounts import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    UserIn,
    UserOut,
    UserPatch,
)
from service.core.timeutil import utcnow

router = APIRouter(prefix="/api/v1/users", tags=["users"])


def _check_manageable(principal: Principal, role: str, org_id: uuid.UUID | None) -> None:
    if principal.is_admin:
        return
    # An enterprise's org admin also manages its employer (HR) accounts; the enterprise rule
    # itself is check_employer_account's.
    if role not in ORG_ROLES and role != Role.employer:
        raise forbidden(
            "Organization admins may only manage trainers, org admins and employer accounts."
        )
    ensure_org_access(principal, org_id)


@router.post("", status_code=201, response_model=UserOut)
def create(
    body: UserIn,
    principal: ManagerPrincipal,
    session: SessionDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    _check_manageable(principal, body.role, body.organization_id)
    check_employer_account(session, body.role, body.organization_id)  # 422 when not

    def make():
        try:
            user = create_user(
                session,
                email=body.email,
                role=body.role,
                password=body.password,
                organization_id=body.organization_id,
                display_name=body.display_name,
            )
        except UserRuleError as exc:
            raise as_problem(exc) from exc
        record_audit(
            session,
            actor=principal,
            action="user.create",
            subject_type="user",
            subject_id=str(user.id),
            detail=f"role={user.role}",
        )
        return UserOut.model_validate(user)

    return run_idempotent(
        session,
        actor_key=principal.actor_key,
        route="users.create",
        key=idempotency_key,
        body=body.model_dump(exclude={"password"}),
        create=make,
    )


@router.get("", response_model=Page[UserOut])
def list_users(
    principal: ManagerPrincipal,
    params: PageParamsDep,
    session: SessionDep,
    role: Annotated[Role | None, Query()] = None,
    organization_id: Annotated[uuid.UUID | None, Query()] = None,
):
    stmt = select(User).order_by(User.created_at, User.id)
    scope = org_filter(principal)
    if scope is not None:
        stmt = stmt.where(User.organization_id == scope)
    if role:
        stmt = stmt.where(User.role == role)
    if organization_id:
        stmt = stmt.where(User.organization_id == organization_id)
    return page_of(session, stmt, params)


# PATCH fields that are not stored as they come.
_USER_SETTERS = {"password": set_password, "unlock": unlock}


def _get_user(session: Session, user_id: uuid.UUID, principal: Principal) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("User")
    _check_manageable(principal, user.role, user.organization_id)
    return user


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: uuid.UUID, principal: ManagerPrincipal, session: SessionDep):
    return _get_user(session, user_id, principal)


@router.patch("/{user_id}", response_model=UserOut)
def update_user(
    user_id: uuid.UUID,
    body: UserPatch,
    principal: ManagerPrincipal,
    session: SessionDep,
):
    user = _get_user(session, user_id, principal)
    changes = body.model_dump(exclude_unset=True)
    check_user_change(principal.user_id, user, changes)
    apply_changes(
        session,
        user,
        changes,
        actor=principal,
        action="user.update",
        subject_type="user",
        subject_id=str(user.id),
        setters=_USER_SETTERS,
    )
    after_user_change(session, user, changes)
    session.commit()
    return user


@router.post("/{user_id}/api-keys", status_code=201, response_model=ApiKeyCreated)
def create_key(
    user_id: uuid.UUID,
    body: ApiKeyIn,
    principal: AdminPrincipal,
    session: SessionDep,
):
    user = session.get(User, user_id)
    if user is None:
        raise not_found("User")
    if user.role not in (Role.platform, Role.employer):  # an employer's HR system too
        raise Problem(
            422,
            "not-a-service-account",
            "API keys are for platform and employer accounts only.",
        )
    key, secret = create_api_key(session, user, body.name)
    record_audit(
        session,
        actor=principal,
        action="api_key.create",
        subject_type="api_key",
        subject_id=key.client_id,
    )
    session.commit()
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), client_secret=secret)


@router.get("/{user_id}/api-keys", response_model=list[ApiKeyOut])
def list_keys(user_id: uuid.UUID, principal: AdminPrincipal, session: SessionDep):
    # A service account has a handful of keys; the list is capped all the same.
    return session.exec(
        select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at).limit(200)
    ).all()


@router.delete("/{user_id}/api-keys/{key_id}", status_code=204)
def revoke_key(
    user_id: uuid.UUID,
    key_id: uuid.UUID,
    principal: AdminPrincipal,
    session: SessionDep,
):
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != user_id:
        raise not_found("API key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        record_audit(
            session,
            actor=principal,
            action="api_key.revoke",
            subject_type="api_key",
            subject_id=key.client_id,
        )
        session.commit()
