"""Public pages (no account): ``/verify``, the share page ``/c/{code}``, and ``/dashboard``.

Thin, like the API routers: read the request, call the same service functions the API uses
(``service.issuing.verification.verify_submission``, ``service.issuing.shares``), render a template.
The forms are plain HTML and work without JavaScript. Both POSTs (verify, holder check) change
nothing on the server, so there is nothing for a cross-site request to forge; their answers are
never cached.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from service.api.deps import SessionDep, SettingsDep
from service.api.problems import Problem
from service.api.request_bodies import read_bounded, read_multipart
from service.core.errors import DomainError
from service.core.settings import Settings
from service.core.timeutil import utcnow
from service.issuing import downloads, shares
from service.issuing.service import normalise_credential_id
from service.issuing.verification import is_unreadable, verify_input, verify_submission
from service.web import dashboard, qr
from service.web.presenters import format_time, present, unreadable_message
from service.web.render import PageContext, render, secure

router = APIRouter(include_in_schema=False)
MAX_ID_FIELD = 64  # a form field longer than any ID number is refused unread
MAX_HOLDER_BODY = 2048


@router.get("/")
def home(request: Request):
    return RedirectResponse(PageContext(request).link("/verify"), status_code=303)


def too_many_requests_page(request: Request, retry_after: int) -> Response:
    """What a person using a form (``/verify``, the holder check) sees past the rate limit."""
    return render(
        PageContext(request),
        "message.html",
        429,
        headers={"Retry-After": str(retry_after)},
        title_key="ratelimit.title",
        body_key="ratelimit.body",
    )


# ---- /verify ------------------------------------------------------------------------------------


def _verify_page(ctx: PageContext, settings: Settings, status_code: int = 200, **values):
    mb = max(1, settings.verify_max_upload_bytes // (1024 * 1024))
    return render(ctx, "verify.html", status_code, page="verify", max_mb=mb, **values)


def _report_values(ctx: PageContext, report) -> dict:
    if is_unreadable(report):
        return {
            "error": unreadable_message(ctx.t, report.reason),
            "error_reason": report.reason,
            "status_code": 422,
        }
    return {"view": present(ctx.t, report.to_dict()), "status_code": 200}


@router.get("/verify")
async def verify_page(request: Request, settings: SettingsDep, credential: str | None = None):
    ctx = PageContext(request)
    if credential is None or not credential.strip():
        return _verify_page(ctx, settings)
    normalised = normalise_credential_id(credential)
    if normalised is None:
        return _verify_page(ctx, settings, 422, error=ctx.t("verify.error.bad_id"))
    report = await run_in_threadpool(verify_submission, settings, None, normalised)
    if report is None:
        return _verify_page(ctx, settings, 404, error=ctx.t("verify.error.not_found"))
    values = _report_values(ctx, report)
    return _verify_page(ctx, settings, values.pop("status_code"), **values)


async def _submitted(request: Request, limit: int) -> tuple[str | bytes | None, str | None]:
    """(what to verify, an error key). The same bounded reading as ``POST /api/v1/verify``."""
    body = await read_bounded(request, limit)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        upload, fields = await read_multipart(request, body, limit)
    elif media_type == "application/x-www-form-urlencoded":
        upload, fields = (
            None,
            {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()},
        )
    else:
        return None, "verify.error.bad_form"
    token = (fields.get("token") or "").strip()
    if token and upload:
        return None, "verify.error.both"
    if not (token or upload):
        return None, "verify.error.empty"
    return token or upload, None


@router.post("/verify")
async def verify_submit(request: Request, settings: SettingsDep):
    ctx = PageContext(request)
    limit = settings.verify_max_upload_bytes
    try:
        data, error = await _submitted(request, limit)
    except Problem as exc:
        key = "verify.error.too_large" if exc.status == 413 else "verify.error.bad_form"
        mb = max(1, limit // (1024 * 1024))
        return _verify_page(ctx, settings, exc.status, error=ctx.t(key, mb=mb))
    if error:
        return _verify_page(ctx, settings, 422, error=ctx.t(error))
    report = await run_in_threadpool(verify_submission, settings, data, None)
    values = _report_values(ctx, report)
    return _verify_page(ctx, settings, values.pop("status_code"), **values)


# ---- /c/{code}: the share page --------------------------------------------------------------


def _share_page(ctx, session, settings, opened: shares.OpenShare, status_code=200, **values):
    report = verify_input(session, settings, opened.credential.jwt)
    url = shares.share_url(settings, opened.share.code)
    return render(
        ctx,
        "share.html",
        status_code,
        headers={"X-Robots-Tag": "noindex, nofollow"},
        page="share",
        show_holder=True,
        view=present(ctx.t, report.to_dict()),
        holder_name=opened.holder_name,
        code=opened.share.code,
        share_url=url,
        qr_svg=qr.qr_svg(url, ctx.t("share.qr.title")),
        checked_at=format_time(utcnow()),
        **values,
    )


def _closed_status(exc: DomainError) -> int:
    return 410 if isinstance(exc, shares.ShareWithdrawn) else 404


def _gone_page(ctx: PageContext, exc: DomainError) -> Response:
    if isinstance(exc, shares.ShareWithdrawn):
        return render(
            ctx, "message.html", 410, title_key="share.gone.title", body_key="share.gone.body"
        )
    return render(ctx, "message.html", 404, title_key="notfound.title", body_key="notfound.body")


@router.get("/c/{code}")
def share_page(
    code: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
):
    ctx = PageContext(request)
    try:
        opened = shares.open_share(session, code)
    except shares.ShareClosed as exc:
        return _gone_page(ctx, exc)
    return _share_page(ctx, session, settings, opened)


@router.post("/c/{code}")
async def share_holder_check(
    code: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
):
    """The holder check: the ID number arrives in the POST body only, is compared and dropped.

    It is never echoed into the page (the field comes back empty), logged (the access log has
    the route template only) or put in a URL.
    """
    ctx = PageContext(request)
    try:
        opened = await run_in_threadpool(shares.open_share, session, code)
    except shares.ShareClosed as exc:
        return _gone_page(ctx, exc)
    try:
        body = await read_bounded(request, MAX_HOLDER_BODY)
    except Problem:
        body = b""
    values = parse_qs(body.decode("utf-8", "replace")).get("id_number") or [""]
    id_number = values[0] if len(values[0]) <= MAX_ID_FIELD else ""
    outcome = shares.holder_check(opened.credential, id_number) if id_number.strip() else None
    return await run_in_threadpool(
        _share_page, ctx, session, settings, opened, 200, holder=outcome or shares.HOLDER_INVALID
    )


@router.get("/c/{code}/qr.png")
def share_qr(code: str, session: SessionDep, settings: SettingsDep):
    try:
        opened = shares.open_share(session, code)
    except shares.ShareClosed as exc:
        return secure(Response(status_code=_closed_status(exc)))
    png = qr.qr_png(shares.share_url(settings, opened.share.code))
    return secure(Response(png, media_type="image/png"))


def _download_route(kind: str):
    def download(code: str, session: SessionDep):
        try:
            opened = shares.open_share(session, code)
        except shares.ShareClosed as exc:
            return secure(Response(status_code=_closed_status(exc)))
        return secure(downloads.download_response(session, opened.credential, kind))

    download.__name__ = f"share_download_{kind}"
    return download


for _name, _kind in shares.DOWNLOAD_FILES.items():
    router.add_api_route(f"/c/{{code}}/{_name}", _download_route(_kind), methods=["GET"])


# ---- /dashboard -------------------------------------------------------------------------------


@router.get("/dashboard")
def dashboard_page(request: Request, session: SessionDep):
    ctx = PageContext(request)
    data = dashboard.load(session)
    if data is None:
        return render(ctx, "dashboard.html", page="dashboard", data=None)
    return render(
        ctx,
        "dashboard.html",
        page="dashboard",
        data=data,
        charts=dashboard.charts(ctx.t, data),
        verdict=dashboard.verdict(data.progress),
        projection=dashboard.projection_sentence(ctx.t, data.progress),
        targets=dashboard.target_cards(ctx.t, data),
        min_public=dashboard.MIN_PUBLIC_ENTERPRISES,
    )
