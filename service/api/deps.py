"""Authentication and authorization dependencies: the one place roles and scoping are enforced.

401 when the caller is not authenticated (missing, malformed, expired or wrong-type token);
403 when an authenticated caller lacks permission. Organization scoping: admins see every
organization; org_admin and trainer only their own; others none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from service.accounts.access import Principal, ensure_organization_active
from service.accounts.models import Role, User
from service.accounts.sessions import token_is_current
from service.accounts.tokens import TokenError, decode_token, delegating_actor
from service.api.problems import Problem, forbidden
from service.core.db import get_session
from service.core.settings import Settings, get_settings

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}

# Parameter types for routes: ``session: SessionDep`` instead of a ``Depends(...)`` default.
BearerToken = Annotated[str | None, Depends(oauth2_scheme)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, headers=_CHALLENGE)


def current_principal(
    request: Request, token: BearerToken, session: SessionDep, settings: SettingsDep
) -> Principal:
    if not token:
        raise unauthorized("Authentication is required: send a bearer access token.")
    try:
        claims = decode_token(settings, token, expected_typ="access")
    except TokenError as exc:
        raise unauthorized(str(exc)) from exc
    user = session.get(User, claims.subject)
    if user is None or not user.is_active:
        raise unauthorized("The account for this token is not active.")
    if not token_is_current(session, user, claims):  # sessions ended, or its API key revoked
        raise unauthorized("The token has been revoked.")
    ensure_organization_active(session, user)  # a deactivated organization acts no more
    # Role and organization come from the database, so a change takes effect at once.
    try:
        delegated_by = delegating_actor(claims)  # token exchange: the platform acting
    except TokenError as exc:
        raise unauthorized(str(exc)) from exc
    principal = Principal(user.id, user.role, user.organization_id, delegated_by=delegated_by)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[..., Principal]:
    allowed = {str(r) for r in roles}

    def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise forbidden(f"This action needs one of the roles: {', '.join(sorted(allowed))}.")
        return principal

    return dependency


# One alias per role set in use, so a route's signature names who may call it.
AdminPrincipal = Annotated[Principal, Depends(require_roles(Role.admin))]
ManagerPrincipal = Annotated[Principal, Depends(require_roles(Role.admin, Role.org_admin))]
StaffPrincipal = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.org_admin, Role.trainer))
]
StaffOrPlatformPrincipal = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.org_admin, Role.trainer, Role.platform))
]
AnyRolePrincipal = Annotated[
    Principal,
    Depends(require_roles(Role.admin, Role.org_admin, Role.trainer, Role.platform, Role.learner)),
]
# A learner for themselves, or the platform acting for one (``X-Learner-Id``).
PersonalPrincipal = Annotated[Principal, Depends(require_roles(Role.learner, Role.platform))]
PersonalOrAdminPrincipal = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.learner, Role.platform))
]
