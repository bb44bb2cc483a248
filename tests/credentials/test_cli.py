import json

import pytest
from typer.testing import CliRunner

from credentials import baking, images
from service.issuing.cli import credentials_app, keys_app
from tests.fixtures.foreign_issuer import public_jwk, vc11_token


@pytest.fixture
def cli_env(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLS_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    # The CLI verifies through the same guarded fetchers as the API: the local foreign issuer
    # is reachable only as a trusted host.
    monkeypatch.setenv("SKILLS_TRUSTED_HTTP_HOSTS", '["127.0.0.1"]')
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


def test_verify_json_file_is_read_as_a_json_credential(cli_env):
    """A JSON credential (embedded proof) is read as such, as the API reads it: a proof of a
    kind nobody defined cannot be checked, which is not "malformed input"."""
    path = cli_env / "badge.json"
    path.write_text(json.dumps({"@context": [], "id": "urn:uuid:1", "proof": {}}))
    result = CliRunner().invoke(credentials_app, ["verify", str(path)])
    report = json.loads(result.output)
    assert result.exit_code == 1
    assert (report["result"], report["reason"]) == ("inconclusive", "unsupported_cryptosuite")
    assert report["source"] == "json"


def test_verify_unreadable_input_exits_2(cli_env):
    result = CliRunner().invoke(credentials_app, ["verify", "not-a-token"])
    assert result.exit_code == 2
    assert json.loads(result.output)["reason"] == "malformed_token"


def test_verify_offline_does_not_fetch(cli_env, foreign):
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/1"
    kid = f"{foreign.base}/keys/1"
    foreign.serve("/keys/1", public_jwk(private, kid, iss=issuer_id))
    result = CliRunner().invoke(
        credentials_app, ["verify", "--offline", vc11_token(private, kid, issuer_id)]
    )
    assert result.exit_code == 1
    assert json.loads(result.output)["result"] == "inconclusive"
