"""The `skills` command line: help everywhere, and bootstrapping the first admin."""

import json
import re

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


# Written out by hand (not read from the app), so that a command that disappears fails the test.
TOP_LEVEL_COMMANDS = ["serve", "migrate", "worker", "beat", "relay", "demo-data"]
GROUPS = {
    "users": ["create", "unlock", "api-key"],
    "users api-key": ["create"],
    "packages": ["inspect"],
    "credentials": ["verify"],
    "keys": ["create", "rotate", "compromise", "list"],
    "tallies": ["reconcile", "target"],
    "import": ["learners", "enrollments", "attendance"],
}


def _listed_commands(help_text: str) -> list[str]:
    """The command names in the "Commands" section of a help page (rich panel or plain)."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.search(r"\bCommands\b", line))
    names = []
    for line in lines[start + 1 :]:
        if not line.strip() or line.lstrip().startswith("╰"):
            break
        match = re.match(r"^[│|]?\s{1,2}([a-z][a-z0-9-]*)(?:\s|$)", line)
        if match:
            names.append(match.group(1))
    return names


def test_help_lists_every_command_group_and_its_commands():
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0, top.output
    assert sorted(_listed_commands(top.output)) == sorted(
        TOP_LEVEL_COMMANDS + [g for g in GROUPS if " " not in g]
    )
    for command in TOP_LEVEL_COMMANDS:
        sub = runner.invoke(app, [command, "--help"])
        assert sub.exit_code == 0, (command, sub.output)
        assert "Usage:" in sub.output and command in sub.output, command
    for group, commands in GROUPS.items():
        sub = runner.invoke(app, [*group.split(), "--help"])
        assert sub.exit_code == 0, (group, sub.output)
        assert sorted(_listed_commands(sub.output)) == sorted(commands), group
        for command in commands:
            leaf = runner.invoke(app, [*group.split(), command, "--help"])
            assert leaf.exit_code == 0, (group, command, leaf.output)


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


def test_platform_account_and_api_key_from_the_cli_sign_in(settings, client):
    user = runner.invoke(
        app, ["users", "create", "--email", "LRS@platform.cn", "--role", "platform"]
    )
    assert user.exit_code == 0, user.output
    made = runner.invoke(
        app, ["users", "api-key", "create", "--email", "lrs@platform.cn", "--name", "xAPI client"]
    )
    assert made.exit_code == 0, made.output
    key = json.loads(made.output)
    assert key["name"] == "xAPI client" and key["user_id"] == json.loads(user.output)["id"]
    assert key["client_id"].startswith("sk_") and len(key["client_secret"]) >= 32
    token = client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key["client_id"],
            "client_secret": key["client_secret"],
        },
    )
    assert token.status_code == 200, token.text
    wrong = client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key["client_id"],
            "client_secret": "not-the-secret",
        },
    )
    assert wrong.status_code in (400, 401)


def test_api_key_create_refuses_unknown_and_non_platform_accounts(settings):
    missing = runner.invoke(app, ["users", "api-key", "create", "--email", "nobody@x.cn"])
    assert missing.exit_code == 1 and "No account" in missing.output
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
    admin = runner.invoke(app, ["users", "api-key", "create", "--email", "a@b.cn"])
    assert admin.exit_code == 1 and "platform accounts only" in admin.output
    assert "client_secret" not in admin.output
