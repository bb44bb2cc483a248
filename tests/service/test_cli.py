"""The `skills` command line: help everywhere, and bootstrapping the first admin."""

import json

from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


def test_help_on_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "migrate", "worker", "beat", "relay", "users"):
        assert command in result.output
        sub = runner.invoke(app, [command, "--help"])
        assert sub.exit_code == 0, command
    assert runner.invoke(app, ["users", "create", "--help"]).exit_code == 0


def test_users_create_then_sign_in_and_reach_admin_route(settings, client):
    result = runner.invoke(
        app,
        [
            "users",
            "create",
            "--email",
            "Boss@NB.gov.cn",
            "--password",
            "a-long-password",
            "--role",
            "admin",
        ],
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["email"] == "boss@nb.gov.cn" and created["role"] == "admin"
    token = client.post(
        "/api/v1/auth/token", data={"username": "boss@nb.gov.cn", "password": "a-long-password"}
    )
    assert token.status_code == 200
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.get("/api/v1/admin/jobs", headers=headers).status_code == 200


def test_users_create_rejects_bad_input(settings):
    bad_role = runner.invoke(
        app,
        ["users", "create", "--email", "a@b.cn", "--password", "a-long-password", "--role", "king"],
    )
    assert bad_role.exit_code == 2
    no_org = runner.invoke(
        app,
        [
            "users",
            "create",
            "--email",
            "a@b.cn",
            "--password",
            "a-long-password",
            "--role",
            "trainer",
        ],
    )
    assert no_org.exit_code == 1 and "organization" in no_org.output
    short = runner.invoke(
        app, ["users", "create", "--email", "a@b.cn", "--password", "short", "--role", "admin"]
    )
    assert short.exit_code == 1
    runner.invoke(
        app,
        [
            "users",
            "create",
            "--email",
            "a@b.cn",
            "--password",
            "a-long-password",
            "--role",
            "admin",
        ],
    )
    dup = runner.invoke(
        app,
        [
            "users",
            "create",
            "--email",
            "A@b.cn",
            "--password",
            "a-long-password",
            "--role",
            "admin",
        ],
    )
    assert dup.exit_code == 1 and "exists" in dup.output
