"""What every ``/xAPI`` route shares: the version header and the caller.

Versions (xAPI 1.0.3 Communication §3.3, 9274.1.1 §9.1.3): a request must send
``X-Experience-API-Version``; 1.0.x is answered as 1.0.3 and 2.0.x as 2.0.0 (the response header
is set by :class:`~service.api.routes.xapi.middleware.XapiResponseMiddleware`).

Authentication, as LRS clients connect: HTTP Basic with an API key's client id and secret, HTTP
Basic with a package's launch token, or a bearer access token (platform, admin, learner).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated

from fastapi import Depends, Request

from service.accounts.access import Principal, ensure_organization_active
from service.accounts.models import Role, User
from service.accounts.sessions import SignInError, authenticate_api_key
from service.accounts.tokens import TokenError
from service.api.deps import SessionDep, SettingsDep, current_principal, unauthorized
from service.api.problems import forbidden
from service.core.errors import BadRequest
from service.lrs.access import LRS_ROLES, LrsCaller, authority_for
from service.packages.enrollment_launch import (
    TOKEN_PREFIX,
    actor_for,
    find_session,
    read_auth_token,
)
from service.training.learners import learner_for_user
from service.training.models import Enrollment, Learner

VERSION_HEADER = "X-Experience-API-Version"
_VERSION = re.compile(r"(1\.0|2\.0)(\.\d+)?")
SERVED = {"1.0": "1.0.3", "2.0": "2.0.0"}
DEFAULT_VERSION = "2.0.0"


def xapi_version(request: Request) -> str:
    """The version this request is answered in ("1.0.3" or "2.0.0"); 400 if none or unknown."""
    sent = request.headers.get(VERSION_HEADER)
    match = _VERSION.fullmatch(sent.strip()) if sent else None
    if match is None:
        raise BadRequest(
            "xapi-version",
            f"Send {VERSION_HEADER}: 1.0.3 or 2.0.0 (1.0.x and 2.0.x are supported).",
        )
    served = SERVED[match.group(1)]
    request.state.xapi_version = served
    return served


def _basic(
    request: Request, credentials: str, session: SessionDep, settings: SettingsDep
) -> LrsCaller:
    try:
        text = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise unauthorized("The Basic credentials are not valid.") from None
    homepage = settings.public_base_url.rstrip("/")
    if text.startswith(TOKEN_PREFIX):
        try:
            user_id, registration, session_id = read_auth_token(settings, credentials)
        except TokenError as exc:
            raise unauthorized(str(exc)) from exc
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise unauthorized("The account for this token is not active.")
        ensure_organization_active(session, user)
        # The actor is the enrolment's learner, whoever launched (the platform may launch for
        # a learner, an admin for anyone): read it from the launch session, not the token's user.
        launch = find_session(session, session_id)
        enrollment = session.get(Enrollment, launch.enrollment_id) if launch else None
        learner = session.get(Learner, enrollment.learner_id) if enrollment else None
        if launch is None or launch.registration != registration or learner is None:
            raise unauthorized("The launch token is not valid.")
        principal = Principal(user.id, user.role, user.organization_id, registration)
        request.state.principal = principal
        return LrsCaller(
            principal,
            authority_for(homepage, str(user.id)),
            registration=registration,
            actor=actor_for(settings, learner),
            launch_session_id=session_id,
        )
    client_id, sep, secret = text.partition(":")
    if not sep:
        raise unauthorized("The Basic credentials are not valid.")
    try:
        key, user = authenticate_api_key(session, client_id, secret)
    except SignInError:
        raise unauthorized("Unknown client id or wrong secret.") from None
    ensure_organization_active(session, user)
    principal = Principal(user.id, user.role, user.organization_id)
    request.state.principal = principal
    return _scoped(session, settings, principal, authority_for(homepage, key.client_id))


def _scoped(session, settings, principal: Principal, authority: dict) -> LrsCaller:
    if principal.role not in LRS_ROLES:
        raise forbidden("The LRS is for the roles: admin, platform, learner.")
    if principal.role == Role.learner:
        learner = learner_for_user(session, principal.user_id)
        if learner is None:
            raise forbidden("This account has no learner record.")
        return LrsCaller(principal, authority, actor=actor_for(settings, learner))
    return LrsCaller(principal, authority)


def lrs_caller(request: Request, session: SessionDep, settings: SettingsDep) -> LrsCaller:
    scheme, _, credentials = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "basic":
        return _basic(request, credentials, session, settings)
    token = credentials.strip() if scheme.lower() == "bearer" else None
    principal = current_principal(request, token, session, settings)
    homepage = settings.public_base_url.rstrip("/")
    return _scoped(session, settings, principal, authority_for(homepage, str(principal.user_id)))


XapiVersion = Annotated[str, Depends(xapi_version)]
Caller = Annotated[LrsCaller, Depends(lrs_caller)]
