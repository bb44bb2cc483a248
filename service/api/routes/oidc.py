"""Learner sign-in through an OpenID Connect provider: the provider list and the redirect.

``GET /auth/oidc/{provider}/login`` answers 302 to the provider's authorization endpoint (OpenID
Connect Core 1.0 section 3.1.2.1: code flow, PKCE S256, ``state`` and ``nonce``) and sets the
cookie that binds the attempt to this browser (RFC 6749 section 10.12). The callback and the
link step are pages (``service.web.oidc_pages``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from service.api.deps import SessionDep, SettingsDep
from service.federation.logins import LOGIN_TTL, browser_cookie, cookie_options, start_login
from service.federation.providers import configured_providers, get_provider

router = APIRouter(tags=["auth"])


class ProviderOut(BaseModel):
    name: str
    label: str
    login_url: str


@router.get(
    "/api/v1/auth/oidc/providers",
    response_model=list[ProviderOut],
    summary="Sign-in providers (OpenID Connect)",
    description="The providers a learner may sign in with; link a browser to `login_url`.",
)
def providers(settings: SettingsDep) -> list[ProviderOut]:
    return [
        ProviderOut(name=p.name, label=p.label, login_url=f"/auth/oidc/{p.name}/login")
        for p in configured_providers(settings).values()
    ]


@router.get(
    "/auth/oidc/{provider}/login",
    status_code=302,
    summary="Start a learner's sign-in at a provider",
    description=(
        "Redirects the browser to the provider's authorization endpoint. `return_to`: a path "
        "on this site to offer after sign-in (anything else becomes `/`); `lang`: `zh` or "
        "`en` for the pages of the sign-in."
    ),
    responses={302: {"description": "To the provider"}, 404: {"description": "Unknown provider"}},
)
def login(
    provider: str,
    session: SessionDep,
    settings: SettingsDep,
    return_to: Annotated[str | None, Query(max_length=500)] = None,
    lang: Annotated[str | None, Query(max_length=5)] = None,
) -> RedirectResponse:
    chosen = get_provider(settings, provider)
    started = start_login(session, settings, chosen, return_to, lang)
    session.commit()
    response = RedirectResponse(started.authorization_url, status_code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    # Twice the attempt's lifetime: the link step after the callback needs it too.
    max_age = int(LOGIN_TTL.total_seconds()) * 2
    response.set_cookie(
        browser_cookie(settings), started.browser_token, max_age=max_age, **cookie_options(settings)
    )
    return response
