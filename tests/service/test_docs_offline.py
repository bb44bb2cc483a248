"""/docs works on a network without internet, and the OpenAPI document describes every upload
body (so /docs shows a file field where a file is sent).

The browser test runs Swagger UI in headless Chromium against the live server and records every
request the page makes: each must go to the server itself (``page_at`` also fails the test on
any console error, which includes a request the page's CSP refused).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

# Routes whose body is a form upload with a file (multipart/form-data), read by the route itself
# rather than by FastAPI, so their OpenAPI body is written by hand (openapi_extra).
FORM_UPLOADS = [
    ("post", "/api/v1/packages/{package_id}/versions"),
    ("post", "/api/v1/verify"),
    ("post", "/api/v1/imports"),
]


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _record_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def _only_own_origin(seen: list[str], base: str) -> None:
    own = _origin(base)
    foreign = [u for u in seen if not u.startswith("data:") and _origin(u) != own]
    assert not foreign, f"the page reached outside the server: {foreign}"


@SQLITE_ONLY
@pytest.mark.browser
def test_swagger_ui_renders_from_the_server_alone(page_at, live_server):
    page = page_at("desktop")
    seen = _record_requests(page)
    page.goto(f"{live_server}/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=20_000)
    assert "lifelong-skills" in page.locator(".swagger-ui .info .title").inner_text()
    upload = page.locator(
        ".opblock-post", has=page.locator("[data-path='/api/v1/packages/{package_id}/versions']")
    ).first
    upload.wait_for(timeout=10_000)
    upload.locator(".opblock-summary").click()
    upload.get_by_role("button", name="Try it out").click()
    # the hand-written multipart body: Swagger UI offers a file input for the `file` part
    upload.locator("input[type='file']").first.wait_for(timeout=10_000)
    _only_own_origin(seen, live_server)
    assert any(u.endswith("/docs-assets/swagger-ui-bundle.js") for u in seen)
    assert any(u.endswith("/openapi.json") for u in seen)
    favicon = page.locator("link[rel~='icon']").first.get_attribute("href")
    assert favicon and favicon.startswith("/docs-assets/")


@SQLITE_ONLY
def test_docs_pages_name_no_other_origin(client):
    """No CDN in the page source, no online validator, and a CSP that keeps it so."""
    r = client.get("/docs")
    assert r.status_code == 200
    assert "cdn." not in r.text and "https://" not in r.text
    assert '"validatorUrl": null' in r.text  # else Swagger UI loads a badge from swagger.io
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "https:" not in csp and "*" not in csp
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"):
        r = client.get(f"/docs-assets/{asset}")
        assert r.status_code == 200 and len(r.content) > 1000, asset
    assert client.get("/docs/oauth2-redirect").status_code == 200
    # ReDoc always loads its logo from Redocly's CDN: /redoc leads to /docs instead
    redoc = client.get("/redoc", follow_redirects=False)
    assert redoc.status_code in (302, 307) and redoc.headers["location"] == "/docs"


@SQLITE_ONLY
@pytest.mark.parametrize(("method", "path"), FORM_UPLOADS)
def test_upload_routes_document_their_multipart_body(client, method, path):
    spec = client.get("/openapi.json").json()
    body = spec["paths"][path][method].get("requestBody")
    assert body, f"{method.upper()} {path} declares no request body"
    form = body["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["file"] == {**form["properties"]["file"], "format": "binary"}
    assert form["properties"]["file"]["type"] == "string"
    assert "file" in form["required"]


@SQLITE_ONLY
def test_every_upload_route_is_documented(app):
    """Every route that reads a streamed or multipart body itself is listed above (or is the
    xAPI statements resource, whose attachments travel as multipart/mixed)."""
    import inspect

    from fastapi.routing import iter_route_contexts

    spec = app.openapi()
    readers = ("receive_upload(", "multipart", "StatementBody")
    checked = set()
    for route in iter_route_contexts(app.routes):  # through included routers, as OpenAPI does
        if route.endpoint is None or not getattr(route, "include_in_schema", False):
            continue
        source = inspect.getsource(route.endpoint)
        if not any(reader in source for reader in readers):
            continue
        for method in route.methods - {"HEAD", "GET"}:
            op = spec["paths"][route.path][method.lower()]
            content = op.get("requestBody", {}).get("content", {})
            assert "multipart/form-data" in content or "multipart/mixed" in content, (
                method,
                route.path,
            )
            if (method.lower(), route.path) not in FORM_UPLOADS:
                assert route.path == "/xAPI/statements", route.path
            checked.add((method.lower(), route.path))
    assert set(FORM_UPLOADS) <= checked, checked
    assert {("put", "/xAPI/statements"), ("post", "/xAPI/statements")} <= checked, checked
