"""Sign-in: ``POST /api/v1/auth/token`` (OAuth2 password, refresh_token, client_credentials,
token exchange)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

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
from service.federation.exchange import GRANT_TYPE as TOKEN_EXCHANGE
from service.federation.exchange import (
    ClientRefused,
    ExchangeRefused,
    ExchangeRequest,
    client_from_basic,
    exchange_token,
)

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
        "`grant_type=client_credentials` with client_id and client_secret (platform API keys); "
        f"`grant_type={TOKEN_EXCHANGE}` (RFC 8693): the platform's API key (form fields or "
        "HTTP Basic) plus a learner's ID token or learner id as subject_token gives a "
        "short-lived access token of that one learner."
    ),
)
def token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    grant_type: Annotated[str, Form()] = "password",
    username: Annotated[str | None, Form(max_length=254)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=4096)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
    subject_token: Annotated[str | None, Form(max_length=16384)] = None,
    subject_token_type: Annotated[str | None, Form(max_length=200)] = None,
    requested_token_type: Annotated[str | None, Form(max_length=200)] = None,
    actor_token: Annotated[str | None, Form(max_length=16384)] = None,
    resource: Annotated[list[str] | None, Form(max_length=10)] = None,  # at most 10 of each
    audience: Annotated[list[str] | None, Form(max_length=10)] = None,
) -> dict:
    if grant_type == TOKEN_EXCHANGE:
        exchange = ExchangeRequest(
            client_id=client_id,
            client_secret=client_secret,
            subject_token=subject_token,
            subject_token_type=subject_token_type,
            requested_token_type=requested_token_type,
            actor_token=actor_token,
            resources=resource or [],
            audiences=audience or [],
        )
        return _token_exchange(request, session, settings, exchange)  # type: ignore[return-value]
    if _sends_basic(request):
        # HTTP Basic client credentials have their own rate-limit budget (the platform's token
        # exchange); with any other grant they would only dodge the per-address budget.
        raise Problem(
            400,
            "invalid-request",
            f"HTTP Basic client authentication is accepted only with grant_type={TOKEN_EXCHANGE}.",
            error="invalid_request",
        )
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


def _sends_basic(request: Request) -> bool:
    scheme = request.headers.get("authorization", "").partition(" ")[0]
    return scheme.lower() == "basic"


def _token_exchange(
    request: Request, session: SessionDep, settings: SettingsDep, exchange: ExchangeRequest
) -> JSONResponse:
    """RFC 8693 section 2: client authentication by form fields or HTTP Basic, not both."""
    try:
        basic = client_from_basic(request.headers.get("authorization"))
        if basic is not None:
            if exchange.client_id or exchange.client_secret:  # RFC 6749 section 2.3
                raise Problem(
                    400,
                    "invalid-request",
                    "Authenticate the client one way: HTTP Basic or form fields, not both.",
                    error="invalid_request",
                )
            exchange.client_id, exchange.client_secret = basic
        issued = exchange_token(session, settings, exchange)
    except ClientRefused as exc:  # RFC 6749 section 5.2: 401 with a challenge
        session.rollback()
        raise Problem(
            401,
            exc.code,
            exc.detail,
            headers={"WWW-Authenticate": 'Basic realm="skills"'},
            error="invalid_client",
        ) from None
    except ExchangeRefused:
        session.commit()  # keeps the refusal's audit entry
        raise
    session.commit()
    # RFC 6749 section 5.1: token responses are not cached
    return JSONResponse(issued.as_response(), headers={"Cache-Control": "no-store"})


@router.get("/me", response_model=UserOut, summary="The signed-in account")
def me(principal: CurrentPrincipal, session: SessionDep) -> User:
    return session.get(User, principal.user_id)
