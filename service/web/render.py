"""Rendering pages: the Jinja2 environment, the language, and the headers every page carries.

Security headers (pages only; the JSON API keeps its own): a Content-Security-Policy that allows
nothing from elsewhere and no inline script or style (so an injected tag cannot run, and the
pages cannot depend on a CDN by accident), ``frame-ancestors 'none'`` (no clickjacking of the
holder check), nosniff, no referrer (a share page's address is its secret), and ``no-store``
because results are live and a share page must stop working the moment it is withdrawn.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from service.web.i18n import Translator, pick_language

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))


def _num(value: object) -> str:
    """Thousands separators; at most two decimals (paces per day are fractional)."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


templates.env.filters["num"] = _num

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class PageContext:
    """Language and links for one request: ``link()`` keeps an explicit ``?lang=`` choice."""

    def __init__(self, request: Request):
        self.request = request
        self.t = Translator(pick_language(request))
        self.explicit = request.query_params.get("lang") in ("zh", "en")

    def link(self, path: str, **params: str) -> str:
        query = {k: v for k, v in params.items() if v is not None}
        if self.explicit:
            query["lang"] = self.t.lang
        return f"{path}?{urlencode(query)}" if query else path

    def switch_link(self) -> str:
        params = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        params.append(("lang", self.t.other))
        return f"{self.request.url.path}?{urlencode(params)}"


def render(
    ctx: PageContext,
    name: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **values: object,
) -> Response:
    response = templates.TemplateResponse(
        ctx.request,
        name,
        {"t": ctx.t, "ctx": ctx, **values},
        status_code=status_code,
        headers={**PAGE_HEADERS, **(headers or {})},
    )
    return response


def secure(response: Response) -> Response:
    """Page headers on a non-HTML answer served by the pages (QR image, downloads)."""
    for key, value in PAGE_HEADERS.items():
        response.headers.setdefault(key, value)
    return response
