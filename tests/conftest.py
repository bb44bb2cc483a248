"""Shared fixtures: settings per test, databases on SQLite and PostgreSQL, an API client, users.

Every test that takes ``db_url`` (directly or through ``settings``, ``session``, ``client``) runs
once on SQLite and, when ``SKILLS_TEST_DATABASE_URL`` is set, once more on PostgreSQL. When that
variable (or ``SKILLS_TEST_REDIS_URL``) is set but the server is unreachable, the run stops with
an error instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from tests.support.databases import (
    PG_ENV,
    REDIS_ENV,
    PostgresDatabase,
    SqliteTemplate,
    postgres_configured,
)

os.environ.setdefault("SKILLS_ENV", "test")
TEST_PASSWORD = "correct-horse-battery"  # noqa: S105


def pytest_sessionstart(session):
    from service.wiring import wire

    wire()  # tests are an entry point too: domain code runs with its listeners and handlers
    if postgres_configured():
        import sqlalchemy

        from service.core.db import normalise_url

        try:
            engine = sqlalchemy.create_engine(normalise_url(os.environ[PG_ENV]))
            with engine.connect():
                pass
            engine.dispose()
        except Exception as exc:  # noqa: BLE001
            pytest.exit(f"{PG_ENV} is set but PostgreSQL is unreachable: {exc}", returncode=3)
    if os.environ.get(REDIS_ENV):
        import redis

        try:
            redis.Redis.from_url(os.environ[REDIS_ENV], socket_connect_timeout=3).ping()
        except Exception as exc:  # noqa: BLE001
            pytest.exit(f"{REDIS_ENV} is set but Redis is unreachable: {exc}", returncode=3)


BACKENDS = ["sqlite", "postgres"] if postgres_configured() else ["sqlite"]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def _postgres_db() -> Iterator[PostgresDatabase]:
    db = PostgresDatabase(os.environ[PG_ENV])
    yield db
    db.close()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> Iterator[str]:
    backend = (
        request.getfixturevalue("_sqlite_template")
        if request.param == "sqlite"
        else request.getfixturevalue("_postgres_db")
    )
    url = backend.fresh(tmp_path)
    yield url
    backend.cleanup(url)


@pytest.fixture
def settings(db_url, tmp_path, monkeypatch):
    """Settings for this test, also installed as the process-wide settings."""
    from service.core import db as db_module
    from service.core import settings as settings_module
    from service.core import storage as storage_module

    monkeypatch.setenv("SKILLS_ENV", "test")
    monkeypatch.setenv("SKILLS_DATABASE_URL", db_url)
    monkeypatch.setenv("SKILLS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SKILLS_MASTER_KEY", "test-master-key-" + uuid.uuid4().hex)
    monkeypatch.setenv("SKILLS_PUBLIC_BASE_URL", "https://skills.test")
    monkeypatch.setenv("SKILLS_OUTBOX_RELAY_IN_API", "false")
    for cached in (settings_module.get_settings, db_module.get_engine, storage_module.get_storage):
        cached.cache_clear()
    current = settings_module.get_settings()
    current.var_dir.mkdir(parents=True, exist_ok=True)
    yield current
    db_module.get_engine().dispose()
    for cached in (settings_module.get_settings, db_module.get_engine, storage_module.get_storage):
        cached.cache_clear()


@pytest.fixture
def engine(settings):
    from service.core.db import get_engine

    return get_engine()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def app(settings):
    from service.app import create_app

    return create_app(settings, start_relay=False)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def make_org(session):
    from service.accounts.models import Organization

    def make(name: str = "宁波职业技术学院", district: str = "330206", kind="vocational_school"):
        org = Organization(name=name, kind=kind, district_code=district)
        session.add(org)
        session.commit()
        return org

    return make


@pytest.fixture
def make_user(session):
    from service.accounts.users import create_user

    def make(role: str, org=None, email: str | None = None, password: str = TEST_PASSWORD):
        user = create_user(
            session,
            email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.org",
            role=role,
            password=None if role == "platform" else password,
            organization_id=getattr(org, "id", org),
        )
        session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    def do(user, password: str = TEST_PASSWORD) -> dict[str, str]:
        r = client.post("/api/v1/auth/token", data={"username": user.email, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return do


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set")
    return url
