"""``skills packages inspect`` applies the same ``SKILLS_PACKAGE_*`` limits as upload ingest,
so a package it accepts is not refused on upload (and the other way round)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from service.core import settings as settings_module
from service.packages.cli import packages_app
from tests.support.zipkit import good_packages

runner = CliRunner()


@pytest.fixture
def fresh_settings():
    """Settings are cached per process; read them again from this test's environment."""
    settings_module.get_settings.cache_clear()
    yield
    settings_module.get_settings.cache_clear()


def _inspect(tmp_path, data: bytes):
    path = tmp_path / "course.zip"
    path.write_bytes(data)
    result = runner.invoke(packages_app, ["inspect", str(path)])
    return result.exit_code, json.loads(result.stdout)


def test_entry_limit_from_settings_refuses_in_inspect(tmp_path, monkeypatch, fresh_settings):
    data = good_packages()["cmi5"]  # cmi5.xml and two AU pages: 3 files
    assert _inspect(tmp_path, data)[0] == 0
    monkeypatch.setenv("SKILLS_PACKAGE_MAX_ENTRIES", "2")
    settings_module.get_settings.cache_clear()
    code, out = _inspect(tmp_path, data)
    assert code == 1
    assert [e["code"] for e in out["errors"]] == ["too_many_entries"]


def test_upload_size_limit_from_settings_refuses_in_inspect(tmp_path, monkeypatch, fresh_settings):
    monkeypatch.setenv("SKILLS_PACKAGE_MAX_UPLOAD_BYTES", "1024")
    code, out = _inspect(tmp_path, good_packages()["cmi5"] + b"\0" * 2048)
    assert code == 1
    assert [e["code"] for e in out["errors"]] == ["archive_too_large"]


def test_inspect_uses_the_limits_the_api_builds(monkeypatch, fresh_settings):
    monkeypatch.setenv("SKILLS_PACKAGE_MAX_RATIO", "7")
    monkeypatch.setenv("SKILLS_PACKAGE_RATIO_MIN_BYTES", "4096")
    limits = settings_module.get_settings().archive_limits()
    assert limits.max_total_ratio == 7
    assert limits.total_ratio_min_size == 4096
