"""The interactive API docs (/docs), served entirely by the application.

FastAPI's default pages load Swagger UI and ReDoc from a public CDN, so on a network without
internet (government networks usually are) they stay blank. Following FastAPI's "Self-hosting
JavaScript and CSS for docs", the default routes are switched off and /docs points at files
served from ``/docs-assets/``. The files come from the pinned ``fastapi-offline`` package, which
ships the very bundles FastAPI's defaults would fetch (swagger-ui-dist 5) and a favicon;
pinning it means an upgrade of the docs is a reviewed lock-file change. Swagger UI's online
validator badge (an image from swagger.io) is switched off.

ReDoc is not offered: its bundle always loads the Redocly logo from Redocly's CDN, with no
option to turn that off. /redoc redirects to /docs, which shows the same document.

The page carries a Content-Security-Policy that allows nothing from another origin, so a page
that would need the internet fails loudly in a browser (and in the tests) rather than quietly
in the field. Swagger UI's start-up script is inline, hence ``'unsafe-inline'`` for scripts on
this page only; it shows nothing secret and takes no input but the user's own token.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, RedirectResponse

ASSETS_URL = "/docs-assets"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"

DOCS_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
_HEADERS = {"Content-Security-Policy": DOCS_CSP, "X-Content-Type-Options": "nosniff"}


def assets_dir() -> str:
    """The directory of the bundled Swagger UI files (inside the installed package)."""
    return str(files("fastapi_offline") / "static")


def install_docs(app: FastAPI) -> None:
    """Add /docs, its OAuth2 redirect, the /redoc redirect and the asset mount to an app created
    with ``docs_url=None, redoc_url=None``."""
    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs-assets")

    def _root(request: Request) -> str:
        return request.scope.get("root_path", "")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        page = get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root + OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
        )
        page.headers.update(_HEADERS)
        return page

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        page = get_swagger_ui_oauth2_redirect_html()
        page.headers.update(_HEADERS)
        return page

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> RedirectResponse:
        return RedirectResponse(_root(request) + DOCS_URL)
