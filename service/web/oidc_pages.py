"""The pages of learner sign-in through a provider: the callback and the link step.

``GET /auth/oidc/{provider}/callback`` is where the provider sends the browser back (OpenID
Connect Core 1.0 section 3.1.2.5). It spends the attempt's ``state`` (committed before the code
is redeemed, so a replay cannot race the first use), redeems the code, checks the ID token, and
answers with a page: signed in, the link step for a subject seen for the first time, or a plain
explanation of what went wrong (the provider's ``error`` code is never echoed as free text).

``POST /auth/oidc/{provider}/link`` is the link step's form: the pending-link handle (hidden
field) must belong to the browser that started the sign-in (its cookie), and the person's ID
number and name must pass the holder check. It is rate-limited with the other holder checks.

The signed-in page carries the service's token pair in a JSON data block of a ``no-store``
page, which a static script moves to ``sessionStorage``: tokens never travel in a URL.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from service.api.deps import SessionDep, SettingsDep
from service.core.errors import Forbidden, Unavailable
from service.core.settings import Settings
from service.federation.id_tokens import IdTokenRefused
from service.federation.learner_accounts import LearnerAccountUnusable
from service.federation.logins import (
    LoginRefused,
    ProviderRefused,
    browser_cookie,
    check_issuer_parameter,
    claim_login,
    cookie_options,
    redeem_code,
)
from service.federation.providers import OidcProvider, UnknownProvider, get_provider
from service.federation.signin import (
    MAX_LINK_ATTEMPTS,
    AlreadyLinked,
    LinkExpired,
    PendingLink,
    SignedIn,
    after_callback,
    link_and_sign_in,
    pending_link,
)
from service.web.i18n import Translator
from service.web.render import PageContext, render

router = APIRouter(include_in_schema=False)

MAX_ID_FIELD = 64  # longer than any ID number: refused unread
MAX_NAME_FIELD = 100
MAX_HANDLE_FIELD = 200


class SignInContext(PageContext):
    """The language of the sign-in pages: the request's ``?lang=``, else the one chosen when the
    sign-in started (the provider sends the browser back without it). These pages' own
    addresses cannot be opened twice, so the language switch starts the sign-in again."""

    def __init__(self, request: Request, provider: str | None = None):
        super().__init__(request)
        self.provider = provider
        self.return_to: str | None = None

    def use(self, lang: str | None) -> None:
        if lang and not self.explicit:
            self.t = Translator(lang)
            self.explicit = True

    def switch_link(self) -> str:
        if self.provider is None:
            return "/verify?" + urlencode({"lang": self.t.other})
        query = {"return_to": self.return_to} if self.return_to else {}
        return f"/auth/oidc/{self.provider}/login?" + urlencode(query | {"lang": self.t.other})


def _message(
    ctx: PageContext,
    status: int,
    body_key: str,
    *,
    code: str,
    provider: OidcProvider | None = None,
) -> Response:
    again = ctx.link(f"/auth/oidc/{provider.name}/login") if provider else None
    return render(
        ctx,
        "oidc_message.html",
        status,
        body_key=body_key,
        code=code,
        provider_label=provider.label if provider else "",
        again=again,
    )


def _link_page(
    ctx: PageContext,
    provider: OidcProvider,
    handle: str,
    account_hint: str,
    status: int = 200,
    error=None,
) -> Response:
    """``account_hint``: the provider account being linked, masked, so that a person sees whose
    account they are about to tie to their record (not an attacker's, planted in their browser)."""
    return render(
        ctx,
        "oidc_link.html",
        status,
        handle=handle,
        account_hint=account_hint,
        provider_label=provider.label,
        action=ctx.link(f"/auth/oidc/{provider.name}/link"),
        error=error,
    )


def _signed_in_page(
    ctx: SignInContext, settings: Settings, provider: OidcProvider, done: SignedIn
) -> Response:
    ctx.return_to = done.return_to
    response = render(
        ctx,
        "oidc_signed_in.html",
        session_data=done.tokens.as_response(),
        masked_id=done.masked_id,
        provider_label=provider.label,
        return_to=done.return_to,
    )
    response.delete_cookie(browser_cookie(settings), **cookie_options(settings))
    return response


def _provider(settings: Settings, name: str) -> OidcProvider | None:
    try:
        return get_provider(settings, name)
    except UnknownProvider:
        return None


@router.get("/auth/oidc/{provider}/callback")
def callback(
    provider: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    iss: str | None = None,
):
    chosen = _provider(settings, provider)
    ctx = SignInContext(request, chosen.name if chosen else None)
    if chosen is None:
        return _message(ctx, 404, "oidc.error.unknown_provider", code="unknown-provider")
    if error is not None:  # RFC 6749 section 4.1.2.1
        key = "oidc.error.denied" if error == "access_denied" else "oidc.error.provider"
        known = re.fullmatch(r"[a-z_]{1,40}", error)  # an error code, never free text
        code = f"provider-{error}" if known else "provider-error"
        return _message(ctx, 400, key, code=code, provider=chosen)
    try:
        claimed = claim_login(
            session,
            chosen,
            settings,
            state=state,
            browser_token=request.cookies.get(browser_cookie(settings)),
        )
    except LoginRefused as exc:
        session.rollback()
        return _message(ctx, 400, "oidc.error.state", code=exc.code, provider=chosen)
    session.commit()  # the state is spent, whatever the provider says next
    ctx.use(claimed.row.lang)
    try:
        check_issuer_parameter(chosen, iss)
        claims = redeem_code(settings, chosen, claimed, code or "")
        outcome = after_callback(session, settings, claimed.row, claims)
    except (ProviderRefused, IdTokenRefused) as exc:
        session.rollback()
        return _message(ctx, 400, "oidc.error.token", code=exc.code, provider=chosen)
    except LearnerAccountUnusable as exc:
        session.rollback()
        return _message(ctx, 403, "oidc.error.disabled", code=exc.code, provider=chosen)
    except Unavailable as exc:
        session.rollback()
        return _message(ctx, 503, "oidc.error.unavailable", code=exc.code, provider=chosen)
    session.commit()
    if isinstance(outcome, PendingLink):
        return _link_page(ctx, chosen, outcome.handle, outcome.account_hint)
    return _signed_in_page(ctx, settings, chosen, outcome)


def _link(
    session: Session,
    settings: Settings,
    ctx: SignInContext,
    chosen: OidcProvider,
    handle: str,
    id_number: str,
    name: str,
) -> Response:
    try:
        row = pending_link(session, handle, ctx.request.cookies.get(browser_cookie(settings)))
        if row.provider != chosen.name or row.issuer != chosen.issuer:
            raise LinkExpired()
        ctx.use(row.lang)
    except LinkExpired as exc:
        return _message(ctx, 403, "oidc.error.link_expired", code=exc.code, provider=chosen)
    try:
        done = link_and_sign_in(session, settings, row, id_number=id_number, name=name)
    except LinkExpired as exc:
        session.rollback()
        return _message(ctx, 403, "oidc.error.link_expired", code=exc.code, provider=chosen)
    except AlreadyLinked as exc:
        session.rollback()
        return _message(ctx, 409, "oidc.error.already_linked", code=exc.code, provider=chosen)
    except LearnerAccountUnusable as exc:
        session.rollback()
        return _message(ctx, 403, "oidc.error.disabled", code=exc.code, provider=chosen)
    except Forbidden:  # the holder check: one refusal for every cause
        session.commit()  # the try is counted
        if row.link_attempts + 1 >= MAX_LINK_ATTEMPTS:
            return _message(
                ctx, 403, "oidc.error.link_expired", code="oidc-link-expired", provider=chosen
            )
        hint = row.account_hint or ""
        return _link_page(ctx, chosen, handle, hint, 403, error=ctx.t("oidc.link.refused"))
    session.commit()
    return _signed_in_page(ctx, settings, chosen, done)


@router.post("/auth/oidc/{provider}/link")
def link(
    provider: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    handle: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
):
    """The ID number arrives in the POST body only, is checked and dropped: never echoed into
    the page (the fields come back empty), logged or put in a URL."""
    chosen = _provider(settings, provider)
    ctx = SignInContext(request, chosen.name if chosen else None)
    if chosen is None:
        return _message(ctx, 404, "oidc.error.unknown_provider", code="unknown-provider")
    if len(handle) > MAX_HANDLE_FIELD or len(id_number) > MAX_ID_FIELD:
        handle = id_number = ""
    if len(name) > MAX_NAME_FIELD:
        name = ""
    return _link(session, settings, ctx, chosen, handle, id_number.strip(), name.strip())
