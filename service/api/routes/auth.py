"""Sign-in: ``POST /api/v1/auth/token`` (OAuth2 password, refresh_token, client_credentials)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form

from service.accounts.models import User
from service.accounts.sessions import (
    SignInError,
    client_credentials_sign_in,
    password_sign_in,
    refresh_sign_in,
)
from service.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from service.api.problems import Problem
from service.api.schemas.accounts import UserOut

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _invalid_grant(detail: str = "The credentials are not valid.") -> Problem:
    # RFC 6749 §5.2 uses 400 invalid_grant; we keep problem+json and add the OAuth error code.
    return Problem(400, "invalid-grant", detail, error="invalid_grant")


@router.post(
    "/token",
    summary="Get an access token",
    description=(
        "OAuth2 token endpoint (form-encoded). `grant_type=password` with username (email) "
        "and password; `grant_type=refresh_token` with refresh_token (rotates it); "
        "`grant_type=client_credentials` with client_id and client_secret (platform API keys)."
    ),
)
def token(
    session: SessionDep,
    settings: SettingsDep,
    grant_type: Annotated[str, Form()] = "password",
    username: Annotated[str | None, Form(max_length=254)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=4096)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
) -> dict:
    try:
        if grant_type == "password":
            if not username or not password:
                raise Problem(400, "invalid-request", "username and password are required.")
            pair = password_sign_in(session, settings, username, password)
        elif grant_type == "refresh_token":
            if not refresh_token:
                raise Problem(400, "invalid-request", "refresh_token is required.")
            pair = refresh_sign_in(session, settings, refresh_token)
        elif grant_type == "client_credentials":
            if not client_id or not client_secret:
                raise Problem(400, "invalid-request", "client_id and client_secret are required.")
            pair = client_credentials_sign_in(session, settings, client_id, client_secret)
        else:
            raise Problem(
                400,
                "unsupported-grant-type",
                f"grant_type {grant_type!r} is not supported.",
                error="unsupported_grant_type",
            )
    except SignInError as exc:
        session.commit()  # keeps a counted failed attempt or a revoked token family
        raise _invalid_grant() from exc
    session.commit()
    return pair.as_response()


@router.get("/me", response_model=UserOut, summary="The signed-in account")
def me(principal: CurrentPrincipal, session: SessionDep) -> User:
    return session.get(User, principal.user_id)
