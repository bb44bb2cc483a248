"""Package content lives on its own origin: which host serves what, the embedded default's two
origins on one machine, and the CORS the player needs to reach the API origin."""

from __future__ import annotations

import uuid

import httpx
import pytest

from service.core.settings import Settings
from service.packages.launch import GRANT_KEY_LABEL, make_grant

PUBLIC = "http://api.test"
CONTENT = "http://content.test"
PAGE = b"<!doctype html><title>lesson</title><p>hello</p>"


def _origins(settings, public: str, content: str) -> None:
    """Points the app's settings (and the process-wide ones the routes read) at two origins."""
    from service.core.settings import get_settings

    for current in {id(s): s for s in (settings, get_settings())}.values():
        current.public_base_url = public
        current.content_base_url = content


@pytest.fixture
def grant(settings):
    """A launch grant over a one-page package written straight to storage."""
    from service.core.storage import get_storage

    prefix = f"packages/{uuid.uuid4().hex}/"
    get_storage().put(prefix + "index.html", _Reader(PAGE))
    return make_grant(settings.derived_key(GRANT_KEY_LABEL), prefix, 600)


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.pos + size
        chunk, self.pos = self.data[self.pos : end], min(end, len(self.data))
        return chunk


def _is_problem_404(response) -> bool:
    return (
        response.status_code == 404
        and response.headers["content-type"] == "application/problem+json"
        and response.json()["code"] == "not-found"
    )


# --- the content origin's default ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("public", "content"),
    [
        ("http://127.0.0.1:8000", "http://localhost:8000"),
        ("http://localhost:8000/", "http://127.0.0.1:8000"),
        ("https://127.0.0.1", "https://localhost"),
    ],
)
def test_the_embedded_default_derives_a_second_origin_on_the_same_port(public, content):
    settings = Settings(public_base_url=public, content_base_url="", _env_file=None)
    assert settings.resolved_content_base_url() == content
    assert settings.content_origin_warning() is None


def test_an_explicit_content_origin_wins():
    settings = Settings(
        public_base_url="http://127.0.0.1:8000",
        content_base_url="https://content.example/",
        _env_file=None,
    )
    assert settings.resolved_content_base_url() == "https://content.example"


def test_a_public_host_without_content_origin_falls_back_to_it_with_a_warning():
    settings = Settings(
        public_base_url="https://skills.example.gov.cn", content_base_url="", _env_file=None
    )
    assert settings.resolved_content_base_url() == "https://skills.example.gov.cn"
    warning = settings.content_origin_warning()
    assert warning is not None and "SKILLS_CONTENT_BASE_URL" in warning
    # the same origin spelt differently is still the same origin
    same = Settings(
        public_base_url="https://skills.example.gov.cn",
        content_base_url="https://SKILLS.example.gov.cn:443/",
        _env_file=None,
    )
    assert same.content_origin_warning() is not None


# --- origin separation ------------------------------------------------------------------------


def test_content_is_served_on_the_content_origin_only(settings, client, grant):
    _origins(settings, PUBLIC, CONTENT)
    on_content = client.get(f"{CONTENT}/content/{grant}/index.html")
    assert on_content.status_code == 200 and on_content.content == PAGE
    # the Host header with the scheme's default port names the same origin
    explicit_port = client.get(
        f"{CONTENT}/content/{grant}/index.html", headers={"Host": "content.test:80"}
    )
    assert explicit_port.status_code == 200
    assert _is_problem_404(client.get(f"{PUBLIC}/content/{grant}/index.html"))
    # a host the deployment does not name is not the content origin either
    assert _is_problem_404(client.get(f"/content/{grant}/index.html"))
    for path in ("/play/x/", "/play-assets/player.js"):
        assert _is_problem_404(client.get(PUBLIC + path))


def test_the_content_origin_serves_nothing_of_the_api(settings, client, grant):
    _origins(settings, PUBLIC, CONTENT)
    assert client.get(f"{CONTENT}/healthz").status_code == 200
    for path in ("/api/v1/organizations", "/docs", "/openapi.json", "/", "/static/app.css"):
        assert _is_problem_404(client.get(CONTENT + path)), path
    assert _is_problem_404(client.post(f"{CONTENT}/api/v1/auth/token", data={"username": "a"}))
    assert _is_problem_404(client.get(f"{CONTENT}:8080/content/{grant}/index.html"))  # other port
    assert client.get(f"{PUBLIC}/healthz").status_code == 200
    assert client.get(f"{PUBLIC}/openapi.json").status_code == 200


def test_the_same_origin_fallback_filters_nothing(settings, client, grant):
    _origins(settings, "https://skills.test", "")
    assert client.get(f"/content/{grant}/index.html").content == PAGE
    assert client.get(f"https://skills.test/content/{grant}/index.html").content == PAGE
    assert client.get("https://skills.test/openapi.json").status_code == 200
    # but content that shares the API's origin runs confined to an opaque origin
    csp = client.get(f"/content/{grant}/index.html").headers["content-security-policy"]
    assert csp.startswith("sandbox ") and "allow-same-origin" not in csp


def test_the_embedded_default_serves_two_origins_from_one_server(live_server, grant):
    """``skills serve`` on 127.0.0.1: content answers on localhost, same port, and only there."""
    port = live_server.rsplit(":", 1)[1]
    content = f"http://localhost:{port}/content/{grant}/index.html"
    assert httpx.get(content).content == PAGE
    assert httpx.get(f"http://127.0.0.1:{port}/content/{grant}/index.html").status_code == 404
    assert httpx.get(f"http://localhost:{port}/api/v1/organizations").status_code == 404


# --- CORS from the content origin -----------------------------------------------------------


def _preflight(client, path: str, origin: str, method: str, headers: str):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def test_the_player_may_call_the_scorm_runtime_routes_from_the_content_origin(settings, client):
    _origins(settings, PUBLIC, CONTENT)
    enrollment = uuid.uuid4()
    commit = _preflight(
        client,
        f"/api/v1/enrollments/{enrollment}/scorm-commit",
        CONTENT,
        "POST",
        "authorization,content-type",
    )
    assert commit.status_code == 200
    assert commit.headers["access-control-allow-origin"] == CONTENT
    assert "access-control-allow-credentials" not in commit.headers
    assert "POST" in commit.headers["access-control-allow-methods"]
    runtime = _preflight(
        client, f"/api/v1/enrollments/{enrollment}/scorm-runtime", CONTENT, "GET", "authorization"
    )
    assert runtime.status_code == 200
    assert runtime.headers["access-control-allow-origin"] == CONTENT
    # a real (simple) request from the player can read its answer, whatever the status
    beacon = client.post(
        f"/api/v1/enrollments/{enrollment}/scorm-commit",
        content=b"{}",
        headers={"Origin": CONTENT, "Content-Type": "text/plain"},
    )
    assert beacon.headers["access-control-allow-origin"] == CONTENT


def test_the_content_origin_reaches_no_other_api_route(settings, client):
    _origins(settings, PUBLIC, CONTENT)
    enrollment = uuid.uuid4()
    refused = [
        (f"/api/v1/enrollments/{enrollment}/scorm-commit", CONTENT, "DELETE"),
        (f"/api/v1/enrollments/{enrollment}/scorm-runtime", CONTENT, "POST"),
        (f"/api/v1/enrollments/{enrollment}/scorm-commit", "https://evil.example", "POST"),
        (f"/api/v1/enrollments/{enrollment}/launch", CONTENT, "POST"),
        (f"/api/v1/enrollments/{enrollment}", CONTENT, "GET"),
        ("/api/v1/organizations", CONTENT, "GET"),
        ("/api/v1/auth/token", CONTENT, "POST"),
    ]
    for path, origin, method in refused:
        answer = _preflight(client, path, origin, method, "authorization")
        # a browser sends the request only after a 2xx preflight naming its origin
        allowed = answer.headers.get("access-control-allow-origin") in (origin, "*")
        assert not (answer.is_success and allowed), (path, origin, method)
    data = client.get("/api/v1/organizations", headers={"Origin": CONTENT})
    assert "access-control-allow-origin" not in data.headers


def test_the_lrs_answers_any_origin_for_the_xapi_document_apis(client):
    preflight = _preflight(
        client,
        "/xAPI/activities/state",
        "http://content.test",
        "DELETE",
        "authorization,content-type,x-experience-api-version,if-match,if-none-match",
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers
    head = _preflight(client, "/xAPI/statements", "http://content.test", "HEAD", "authorization")
    assert head.status_code == 200
    exposed = client.get("/xAPI/about", headers={"Origin": "http://content.test"})
    assert "etag" in exposed.headers["access-control-expose-headers"].lower()


def test_the_runtime_cors_names_the_content_origin_as_browsers_write_it(settings, client):
    _origins(settings, PUBLIC, "HTTP://Content.test:80/")
    answer = _preflight(
        client, f"/api/v1/enrollments/{uuid.uuid4()}/scorm-runtime", CONTENT, "GET", "authorization"
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == CONTENT
