"""Package API fixtures: every test runs on local storage and on S3 (moto's server over HTTP),
on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture(params=["local", "s3"])
def backend(request, settings, monkeypatch):
    """Re-installs the settings with the storage backend under test; returns the settings."""
    from service.core import settings as settings_module
    from service.core import storage as storage_module

    if request.param == "s3":
        endpoint = request.getfixturevalue("moto_endpoint")
        monkeypatch.setenv("SKILLS_STORAGE_BACKEND", "s3")
        monkeypatch.setenv("SKILLS_S3_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("SKILLS_S3_BUCKET", f"t-{uuid.uuid4().hex[:20]}")
        monkeypatch.setenv("SKILLS_S3_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("SKILLS_S3_SECRET_ACCESS_KEY", "testing")
    settings_module.get_settings.cache_clear()
    storage_module.get_storage.cache_clear()
    current = settings_module.get_settings()
    storage = storage_module.get_storage()
    if request.param == "s3":
        storage.ensure_bucket()
    return current


@pytest.fixture
def storage(backend):
    from service.core.storage import get_storage

    return get_storage()


@pytest.fixture
def staff(client, make_org, make_user, login):
    org = make_org()
    trainer = make_user("trainer", org=org)
    return {"org": org, "trainer": trainer, "headers": login(trainer)}
