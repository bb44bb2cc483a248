"""``skills packages inspect``: one JSON object, exit 0 / 1 / 2."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from service.packages.cli import packages_app
from tests.support.zipkit import good_packages, hostile_corpus

runner = CliRunner()


def _run(*args):
    result = runner.invoke(packages_app, ["inspect", *map(str, args)])
    return result.exit_code, result


def test_accepted_package_exits_0(tmp_path):
    path = tmp_path / "cmi5.zip"
    path.write_bytes(good_packages()["cmi5"])
    code, result = _run(path)
    assert code == 0, result.output
    out = json.loads(result.stdout)
    assert out["accepted"] is True and out["format"] == "cmi5" and out["title"] == "电工"
    assert out["launch"] == "au1/index.html"
    for key in ("units", "declared_hours", "entry_count", "total_size", "errors", "warnings"):
        assert key in out
    assert out["entry_count"] == 3 and out["total_size"] > 0


def test_rejected_package_exits_1(tmp_path):
    path = tmp_path / "bad.zip"
    path.write_bytes(hostile_corpus()["dotdot"][0])
    code, result = _run(path)
    assert code == 1
    out = json.loads(result.stdout)
    assert out["accepted"] is False
    assert out["errors"][0]["code"] == "path_traversal"
    assert out["errors"][0]["path"] == "../evil.html"


def test_not_a_zip_is_a_rejection_not_a_usage_error(tmp_path):
    path = tmp_path / "x.zip"
    path.write_text("hello")
    code, result = _run(path)
    assert code == 1
    assert json.loads(result.stdout)["errors"][0]["code"] == "not_a_zip"


def test_usage_errors_exit_2(tmp_path):
    assert _run(tmp_path / "missing.zip")[0] == 2
    assert _run(tmp_path)[0] == 2  # a directory
    assert runner.invoke(packages_app, ["inspect"]).exit_code == 2
