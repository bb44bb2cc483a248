"""Session set-up and the marker rules; the shared fixtures are plugins in ``tests/fixtures``.

Every test that takes ``db_url`` (directly or through ``settings``, ``session``, ``client``) runs
once on SQLite and, when ``SKILLS_TEST_DATABASE_URL`` is set, once more on PostgreSQL. When that
variable (or ``SKILLS_TEST_REDIS_URL``) is set but the server is unreachable, the run stops with
an error instead of skipping.

Markers (declared in pyproject.toml), applied here in one place:

``postgres``  meaningful only on PostgreSQL (e.g. its own SQL or error codes; races run on both,
              SQLite serialises writers): every other parametrization (SQLite) is skipped, with
              the marker's ``reason``.
``redis``     needs a Redis server: skipped unless SKILLS_TEST_REDIS_URL is set.
``browser``   drives headless Chromium (the ``browser`` fixture skips without it, outside CI);
              a test using ``browser`` or ``page_at`` must carry the marker.
"""

from __future__ import annotations

import os

import pytest

from tests.support.databases import PG_ENV, REDIS_ENV, postgres_configured

os.environ.setdefault("SKILLS_ENV", "test")
# Tests sign in and verify far more often than a person would; the shipped rate limits are
# exercised by tests that build their app with the defaults (tests/service/test_http_edge.py).
for _group in ("VERIFY", "HOLDER_CHECK", "TOKEN", "CMI5_FETCH", "EMPLOYER_CHECKS"):
    os.environ.setdefault(f"SKILLS_RATE_LIMIT_{_group}", "100000/minute")

pytest_plugins = [
    "tests.fixtures.backends",
    "tests.fixtures.accounts",
    "tests.fixtures.credentials",
    "tests.fixtures.builder",
    "tests.fixtures.issuing",
    "tests.fixtures.storage",
    "tests.fixtures.foreign_issuer",
    "tests.fixtures.browser",
]

POSTGRES_ONLY = "meaningful on PostgreSQL only; set SKILLS_TEST_DATABASE_URL"
BROWSER_FIXTURES = {"browser", "page_at"}


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


def pytest_collection_modifyitems(config, items):
    for item in items:
        postgres = item.get_closest_marker("postgres")
        if postgres is not None:
            callspec = getattr(item, "callspec", None)
            backend = callspec.params.get("db_url") if callspec else None
            if backend != "postgres":
                reason = postgres.kwargs.get("reason", POSTGRES_ONLY)
                item.add_marker(pytest.mark.skip(reason=reason))
        if item.get_closest_marker("redis") is not None and not os.environ.get(REDIS_ENV):
            item.add_marker(pytest.mark.skip(reason=f"{REDIS_ENV} is not set"))
        uses_browser = BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))
        if uses_browser and item.get_closest_marker("browser") is None:
            raise pytest.UsageError(
                f"{item.nodeid} uses {sorted(uses_browser)} but is not marked @pytest.mark.browser"
            )
