import json

import pytest
from typer.testing import CliRunner

from credentials import baking, images
from service.issuing.cli import credentials_app, keys_app
from tests.fixtures.foreign_issuer import public_jwk, vc11_token


@pytest.fixture
def cli_env(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLS_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    from service.core import settings as settings_module

    settings_module.get_settings.cache_clear()
    yield tmp_path


def test_keys_create_and_rotate(cli_env):
    runner = CliRunner()
    created = runner.invoke(keys_app, ["create", "--alg", "RS256"])
    assert created.exit_code == 0, created.output
    first = json.loads(created.output)
    assert first["alg"] == "RS256" and "d" not in first
    rotated = runner.invoke(keys_app, ["rotate"])
    assert rotated.exit_code == 0, rotated.output
    second = json.loads(rotated.output)
    assert second["alg"] == "RS256" and second["kid"] != first["kid"]


def test_verify_exit_codes(cli_env, foreign):
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/1"
    kid = f"{foreign.base}/keys/1"
    foreign.serve("/keys/1", public_jwk(private, kid, iss=issuer_id))
    token = vc11_token(private, kid, issuer_id)
    png = cli_env / "badge.png"
    png.write_bytes(baking.bake_png(images.default_png(), token))
    runner = CliRunner()
    ok = runner.invoke(credentials_app, ["verify", str(png)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["result"] == "valid"
    bad = runner.invoke(credentials_app, ["verify", token[:-4] + "AAAA"])
    assert bad.exit_code == 1 and json.loads(bad.output)["result"] == "invalid"
    missing = runner.invoke(credentials_app, ["verify", str(cli_env / "nope.svg")])
    assert missing.exit_code == 2
