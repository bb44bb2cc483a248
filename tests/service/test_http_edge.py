"""The HTTP edge: request body limits, rate limits on public routes, the database being down.

Body limits are checked by calling the ASGI app directly with a ``receive`` that counts what
the app pulled, so "refused before reading it all" is observed, not inferred.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import pytest

CHUNK = 64 * 1024
MIB = 1024 * 1024


class Sent:
    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = b""

    def json(self):
        return json.loads(self.body)


def call(
    app,
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    chunks: Iterator[bytes],
    client: tuple[str, int] = ("127.0.0.1", 50000),
    on_receive=None,
) -> tuple[Sent, int]:
    """(the response, how many body bytes the app pulled through ``receive``)."""
    sent = Sent()
    pulled = 0
    pending = iter(chunks)
    done = False

    async def receive():
        nonlocal pulled, done
        if on_receive is not None:
            on_receive()
        if done:
            await asyncio.sleep(3600)  # a client that is still there, sending nothing more
        chunk = next(pending, None)
        if chunk is None:
            done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        if message["type"] == "http.response.start":
            sent.status = message["status"]
            sent.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            sent.body += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": client,
        "server": ("testserver", 80),
    }
    # A thread of its own: another test (a browser one) may leave a loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, asyncio.wait_for(app(scope, receive, send), timeout=120)).result()
    return sent, pulled


def json_chunks(total: int) -> Iterator[bytes]:
    yield b'{"name": "'
    for _ in range(total // CHUNK):
        yield b"a" * CHUNK


def assert_problem(sent: Sent, status: int) -> dict:
    assert sent.status == status, sent.body[:300]
    assert sent.headers["content-type"].startswith("application/problem+json")
    return sent.json()


# ---- body limits ----------------------------------------------------------------------------


def test_anonymous_json_body_declared_too_large_is_refused_unread(app):
    sent, pulled = call(
        app,
        "POST",
        "/api/v1/organizations",
        headers={"content-type": "application/json", "content-length": str(50 * MIB)},
        chunks=json_chunks(50 * MIB),
    )
    body = assert_problem(sent, 413)
    assert body["code"] == "payload-too-large"
    assert body["max_bytes"] == 1 * MIB
    assert pulled == 0


def test_chunked_json_body_over_the_limit_is_refused_while_streaming(app):
    sent, pulled = call(
        app,
        "POST",
        "/api/v1/organizations",
        headers={"content-type": "application/json", "transfer-encoding": "chunked"},
        chunks=json_chunks(50 * MIB),
    )
    assert_problem(sent, 413)
    assert pulled <= 1 * MIB + 2 * CHUNK


def test_body_limit_is_configurable(app, settings):
    settings.max_request_body_bytes = 4096
    sent, _ = call(
        app,
        "POST",
        "/api/v1/organizations",
        headers={"content-type": "application/json", "content-length": "5000"},
        chunks=iter([b"x" * 5000]),
    )
    assert assert_problem(sent, 413)["max_bytes"] == 4096


def test_verification_keeps_its_own_larger_limit(client):
    # 2 MiB of not-an-image: over the 1 MiB default, under the 5 MiB verification limit.
    r = client.post(
        "/api/v1/verify", content=b"\x00" * (2 * MIB), headers={"Content-Type": "image/png"}
    )
    assert r.status_code == 422, r.text
    r = client.post(
        "/api/v1/verify", content=b"\x00" * (6 * MIB), headers={"Content-Type": "image/png"}
    )
    assert r.status_code == 413


def test_unsigned_object_upload_is_refused_before_anything_is_written(app, settings, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    settings.spool_dir = spool
    objects = settings.local_storage_root()
    seen_on_disk: list[str] = []

    def look():
        seen_on_disk.extend(p.name for p in spool.iterdir())

    boundary = "b0undary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="x.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()

    def chunks():
        yield head
        for _ in range(20 * MIB // CHUNK):
            yield b"P" * CHUNK
        yield f"\r\n--{boundary}--\r\n".encode()

    sent, pulled = call(
        app,
        "POST",
        "/objects-upload/packages/x/upload.zip",
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        chunks=chunks(),
        on_receive=look,
    )
    assert_problem(sent, 403)
    assert seen_on_disk == []
    assert list(spool.iterdir()) == []
    assert pulled < 1 * MIB
    assert not (objects / "packages" / "x").exists()


def test_forged_object_upload_fields_are_refused_before_the_file(app, settings, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    settings.spool_dir = spool
    boundary = "b0undary"
    fields = {"key": "packages/x/upload.zip", "expires": "9999999999", "max_bytes": "99"}
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in {**fields, "sig": "forged"}.items()
    )
    head = (
        parts + f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="x.zip"\r\n\r\n'
    ).encode()
    sent, pulled = call(
        app,
        "POST",
        "/objects-upload/packages/x/upload.zip",
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        chunks=iter([head, *(b"P" * CHUNK for _ in range(64))]),
    )
    assert_problem(sent, 403)
    assert pulled < 4 * CHUNK
    assert list(spool.iterdir()) == []


# ---- rate limits ----------------------------------------------------------------------------


def _default_limits_app(settings):
    """The app with the shipped default rate limits (the test session raises them)."""
    from service.app import create_app
    from service.core.settings import Settings

    defaults = {
        name: field.default
        for name, field in Settings.model_fields.items()
        if name.startswith("rate_limit_")
    }
    return create_app(settings.model_copy(update=defaults), start_relay=False)


def test_verify_burst_beyond_the_default_limit_is_429_with_retry_after(settings):
    from fastapi.testclient import TestClient

    from service.core.settings import Settings

    limit = int(Settings.model_fields["rate_limit_verify"].default.split("/")[0])
    with TestClient(_default_limits_app(settings)) as c:
        answers = [
            c.post("/api/v1/verify", json={"credential_id": f"urn:uuid:{uuid.uuid4()}"})
            for _ in range(limit + 1)
        ]
        assert {r.status_code for r in answers[:limit]} == {404}
        refused = answers[limit]
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "too-many-requests"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Other route groups keep their own budget.
        assert (
            c.post("/api/v1/auth/token", data={"username": "a@b.c", "password": "x"}).status_code
            == 400
        )


def test_public_routes_are_rate_limited(settings):
    from fastapi.testclient import TestClient

    settings.rate_limit_token = "2/minute"
    settings.rate_limit_holder_check = "2/minute"
    settings.rate_limit_cmi5_fetch = "2/minute"
    from service.app import create_app

    with TestClient(create_app(settings, start_relay=False)) as c:
        for path, kwargs in (
            ("/api/v1/auth/token", {"data": {"username": "a@b.c", "password": "x"}}),
            ("/c/nosuchcode", {"data": {"id_number": "1"}}),
            ("/cmi5/fetch/nosuchcode", {}),
        ):
            codes = [c.post(path, **kwargs).status_code for _ in range(3)]
            assert 429 not in codes[:2] and codes[2] == 429, (path, codes)


def test_verify_page_past_the_limit_is_a_friendly_page(client, settings):
    settings.rate_limit_verify = "1/minute"
    first = client.post("/verify", data={"token": "not-a-jwt"}, headers={"Accept-Language": "en"})
    assert first.status_code == 422
    r = client.post("/verify", data={"token": "not-a-jwt"}, headers={"Accept-Language": "en"})
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("text/html")
    assert "Too many attempts" in r.text and "try again" in r.text
    assert int(r.headers["retry-after"]) >= 1
    # The API of the same group shares the budget and answers with a problem document.
    api = client.post("/api/v1/verify", json={"credential_id": f"urn:uuid:{uuid.uuid4()}"})
    assert api.status_code == 429 and api.json()["code"] == "too-many-requests"


@pytest.mark.redis
def test_rate_limit_is_shared_through_redis(settings, redis_url):
    """Two API processes (two apps) count one budget when the storage is Redis."""
    from service.app import create_app

    settings.rate_limit_storage_url = redis_url
    settings.rate_limit_token = "3/minute"
    apps = [create_app(settings, start_relay=False) for _ in range(2)]
    peer = f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"  # fresh key per run
    body = f"username={uuid.uuid4().hex}%40example.org&password=x".encode()
    codes = []
    for i in range(5):
        sent, _ = call(
            apps[i % 2],
            "POST",
            "/api/v1/auth/token",
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "content-length": str(len(body)),
            },
            chunks=iter([body]),
            client=(peer, 40000),
        )
        codes.append(sent.status)
    assert codes == [400, 400, 400, 429, 429]


def test_forwarded_for_counts_only_behind_a_trusted_proxy(app, settings):
    settings.rate_limit_verify = "1/minute"

    def verify_from(peer: str, forwarded: str) -> int:
        body = json.dumps({"credential_id": f"urn:uuid:{uuid.uuid4()}"}).encode()
        sent, _ = call(
            app,
            "POST",
            "/api/v1/verify",
            headers={
                "content-type": "application/json",
                "content-length": str(len(body)),
                "x-forwarded-for": forwarded,
            },
            chunks=iter([body]),
            client=(peer, 40000),
        )
        return sent.status or 0

    # An untrusted peer cannot escape its limit by inventing X-Forwarded-For addresses.
    assert verify_from("203.0.113.9", "198.51.100.1") == 404
    assert verify_from("203.0.113.9", "198.51.100.2") == 429
    settings.trusted_proxies = ["10.0.0.0/8"]
    # Behind a trusted proxy each forwarded client has its own budget; spoofed entries to the
    # left of what the proxy appended are ignored.
    assert verify_from("10.0.0.5", "198.51.100.7") == 404
    assert verify_from("10.0.0.5", "198.51.100.8") == 404
    assert verify_from("10.0.0.5", "1.2.3.4, 198.51.100.8") == 429


# ---- the database being down ----------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app_on(monkeypatch, tmp_path):
    """An app whose database is the given URL (caches reset before and after)."""
    from service.core import db as db_module
    from service.core import settings as settings_module
    from service.core import storage as storage_module

    caches = (settings_module.get_settings, db_module.get_engine, storage_module.get_storage)

    def make(url: str):
        from service.app import create_app

        monkeypatch.setenv("SKILLS_ENV", "test")
        monkeypatch.setenv("SKILLS_DATABASE_URL", url)
        monkeypatch.setenv("SKILLS_VAR_DIR", str(tmp_path / "var"))
        monkeypatch.setenv("SKILLS_OUTBOX_RELAY_IN_API", "false")
        for cached in caches:
            cached.cache_clear()
        return create_app(settings_module.get_settings(), start_relay=False)

    yield make
    db_module.get_engine().dispose()
    for cached in caches:
        cached.cache_clear()


def _assert_unavailable(client) -> None:
    r = client.post("/api/v1/auth/token", data={"username": "a@b.c", "password": "x"})
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unavailable"
    assert int(r.headers["retry-after"]) > 0
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "database" in ready.json()["failed"]


@pytest.mark.parametrize("where", ["postgres-closed-port", "sqlite-missing-directory"])
def test_unreachable_database_is_503_unavailable(app_on, tmp_path, where):
    from fastapi.testclient import TestClient

    url = (
        f"postgresql://postgres@127.0.0.1:{_closed_port()}/skills"
        if where.startswith("postgres")
        else f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'skills.db'}"
    )
    with TestClient(app_on(url), raise_server_exceptions=False) as c:
        _assert_unavailable(c)


def test_a_query_error_is_not_reported_as_unavailable(app_on, tmp_path):
    from fastapi.testclient import TestClient

    # A reachable database without the schema: a fault of ours, not an outage.
    with TestClient(
        app_on(f"sqlite:///{tmp_path / 'empty.db'}"), raise_server_exceptions=False
    ) as c:
        r = c.post("/api/v1/auth/token", data={"username": "a@b.c", "password": "x"})
        assert r.status_code == 500 and r.json()["code"] == "internal-error"


@pytest.mark.postgres
def test_cut_database_connection_is_503_then_recovers(db_url, app_on):
    from fastapi.testclient import TestClient

    from tests.support.tcp_proxy import TcpProxy

    parts = urlsplit(db_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.up()
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    proxied = urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))
    try:
        with TestClient(app_on(proxied), raise_server_exceptions=False) as c:
            ok = c.post("/api/v1/auth/token", data={"username": "a@b.c", "password": "x"})
            assert ok.status_code == 400  # the database answered: wrong credentials
            proxy.down()
            _assert_unavailable(c)
            proxy.up()
            again = c.post("/api/v1/auth/token", data={"username": "a@b.c", "password": "x"})
            assert again.status_code == 400
    finally:
        proxy.down()
