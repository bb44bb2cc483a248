"""The command line before anything was set up: a fresh var/ directory, a database nobody has
migrated, or one that cannot be reached. Every command that needs the database either brings
the embedded default up to date itself or says in one line what to run; none prints a
traceback. And every command's help says what it does and what its exit statuses mean."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from service.cli import app
from tests.support.databases import PG_ENV, postgres_configured

runner = CliRunner()

# Every command that reads or writes the database, with arguments that get it past its own
# option checks (written out by hand: a new command that needs the database belongs here).
DATABASE_COMMANDS = {
    "users create": [
        "users", "create", "--email", "a@b.cn", "--role", "admin", "--password", "long-password-1",
    ],
    "users unlock": ["users", "unlock", "a@b.cn"],
    "users api-key create": ["users", "api-key", "create", "--email", "a@b.cn"],
    "keys create": ["keys", "create"],
    "keys rotate": ["keys", "rotate"],
    "keys compromise": ["keys", "compromise", "https://x.test/keys/1", "--reason", "lost"],
    "keys list": ["keys", "list"],
    "tallies reconcile": ["tallies", "reconcile"],
    "tallies target": ["tallies", "target"],
    "demo-data": ["demo-data", "--completions", "5"],
    "credentials verify": ["credentials", "verify", "not-a-token"],
    "relay": ["relay", "--once"],
}  # fmt: skip

# Exit statuses each command documents (0 always; 3: database unreachable or not migrated).
EXIT_CODES = {
    "users create": "0123",
    "users unlock": "013",
    "users api-key create": "0123",
    "keys create": "023",
    "keys rotate": "023",
    "keys compromise": "023",
    "keys list": "03",
    "tallies reconcile": "023",
    "tallies target": "013",
    "demo-data": "013",
    "credentials verify": "0123",
    "relay": "03",
    "packages inspect": "012",
}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``skills ARGS`` in a new process, as a user would run it (nothing cached, real env)."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _clean_env(var_dir, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLS_")}
    env.update(SKILLS_ENV="test", SKILLS_VAR_DIR=str(var_dir))
    if database_url:
        env["SKILLS_DATABASE_URL"] = database_url
    return env


def _one_line_error(result) -> str:
    stderr = result.stderr.strip()
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("error: "), stderr
    return stderr


def test_users_create_on_a_fresh_embedded_default_migrates_it_first(tmp_path):
    env = _clean_env(tmp_path / "var")  # no SKILLS_DATABASE_URL: SQLite under var/
    created = _cli(
        env, "users", "create", "--email", "first@nb.gov.cn", "--role", "admin",
        "--password", "a-long-password",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["email"] == "first@nb.gov.cn"
    assert "Traceback" not in created.stderr
    assert "migrated the embedded database" in created.stderr
    assert (tmp_path / "var" / "skills.db").is_file()

    # The next command finds the schema current: no second migration, same data.
    listed = _cli(env, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [] and "migrated" not in listed.stderr
    again = _cli(
        env, "users", "create", "--email", "first@nb.gov.cn", "--role", "admin",
        "--password", "a-long-password",
    )  # fmt: skip
    assert again.returncode == 1 and "Traceback" not in again.stderr


def test_demo_data_on_a_fresh_embedded_default_works(tmp_path):
    result = _cli(_clean_env(tmp_path / "var"), "demo-data", "--completions", "20")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def database_at(tmp_path, monkeypatch):
    """Point the process-wide settings at ``url`` (nothing migrated), for in-process runs."""
    from service.core import db as db_module
    from service.core import settings as settings_module

    def point(url: str) -> None:
        monkeypatch.setenv("SKILLS_ENV", "test")
        monkeypatch.setenv("SKILLS_DATABASE_URL", url)
        monkeypatch.setenv("SKILLS_VAR_DIR", str(tmp_path / "var"))
        monkeypatch.setenv("SKILLS_MASTER_KEY", "test-master-key-" + uuid.uuid4().hex)
        settings_module.get_settings.cache_clear()
        db_module.get_engine.cache_clear()

    yield point
    db_module.get_engine().dispose()
    settings_module.get_settings.cache_clear()
    db_module.get_engine.cache_clear()


def _run_each_database_command(expected: str) -> None:
    for name, args in DATABASE_COMMANDS.items():
        result = runner.invoke(app, args)
        assert result.exit_code == 3, (name, result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), name
        line = _one_line_error(result)
        assert expected in line, (name, line)


def test_a_database_from_a_newer_release_is_refused_in_one_line(tmp_path, database_at):
    """SQLite is migrated on the spot, except when a newer release migrated it: then no command
    touches it (an older schema would be guessed at)."""
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        conn.execute(sqlalchemy.text("INSERT INTO alembic_version VALUES ('9999_from_the_future')"))
    engine.dispose()
    database_at(url)
    _run_each_database_command("9999_from_the_future")


def test_an_unreachable_database_is_reported_in_one_line_without_the_password(database_at):
    with socketless_port() as port:
        database_at(f"postgresql://skills:hunter2-secret@127.0.0.1:{port}/skills")
        _run_each_database_command("cannot reach the database")
        result = runner.invoke(app, ["keys", "list"])
        assert "hunter2-secret" not in result.output and "***" in result.output


@contextlib.contextmanager
def socketless_port() -> Iterator[int]:
    """A local TCP port nobody listens on (bound, never listening, for the duration)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.mark.skipif(not postgres_configured(), reason=f"{PG_ENV} is not set")
def test_an_unmigrated_postgres_says_to_run_skills_migrate(tmp_path, database_at):
    """Production's schema belongs to the deploy step (`skills migrate`): never migrated here."""
    from service.core.db import normalise_url

    server = make_url(normalise_url(os.environ[PG_ENV]))
    name = f"skills_unmigrated_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        database_at(url)
        _run_each_database_command("run `skills migrate` first")
        # and in a new process, as in a deploy script
        result = _cli(_clean_env(tmp_path / "var", url), "demo-data", "--completions", "5")
        assert result.returncode == 3
        assert "skills migrate" in _one_line_error(result)
        check = sqlalchemy.create_engine(url)
        with check.connect() as conn:  # nothing was created behind the operator's back
            assert not sqlalchemy.inspect(conn).get_table_names()
        check.dispose()
    finally:
        from service.core import db as db_module

        db_module.get_engine().dispose()
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _leaf_commands(group, prefix=()):
    import click

    for name, command in group.commands.items():
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from _leaf_commands(command, path)
        else:
            yield " ".join(path), command


def test_every_command_has_a_description():
    import typer.main

    for name, command in _leaf_commands(typer.main.get_command(app)):
        assert (command.help or "").strip(), f"`skills {name}` has no description"


@pytest.mark.parametrize("name", sorted(EXIT_CODES))
def test_help_lists_the_exit_statuses(name):
    result = runner.invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Exit status:" in text, text
    after = text.split("Exit status:", 1)[1]
    for code in EXIT_CODES[name]:
        assert f" {code}  " in after, (name, code, after)
    if "3" in EXIT_CODES[name]:
        assert "skills migrate" in after


def test_credentials_verify_help_says_what_it_does():
    text = runner.invoke(app, ["credentials", "verify", "--help"]).output
    assert "Verify a credential" in text
    assert "valid" in text and "unreadable input" in text


def test_every_database_command_documents_exit_status_3():
    assert set(DATABASE_COMMANDS) <= set(EXIT_CODES)
    assert all("3" in EXIT_CODES[name] for name in DATABASE_COMMANDS)
