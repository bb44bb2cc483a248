"""Upgrading a database that the previous release filled: the data survives, the app serves it,
and `skills migrate --check` tells a deploy script where the database stands without touching it.

The previous release's database is built the way it was built then: the migrations up to
:data:`PREVIOUS_HEAD` (Alembic's upgrade to that revision), then filled by the demo-data generator
(organizations, offerings, learners, enrolments, hours, tallies: tables those migrations already
had in their current form) and, for what the generator does not write, plain SQL against that
schema's columns (users, a cmi5 package and a launch session that the later migrations rewrite).
Every test here runs on SQLite and, when configured, on PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from service.cli import app as cli
from service.core.db import normalise_url
from service.core.migrate import upgrade
from tests.fixtures.backends import BACKENDS
from tests.support.databases import PG_ENV

# The head of the release before the SCORM runtime and cmi5 LMS migrations.
PREVIOUS_HEAD = "0012_lrs_backfill"
# What this release adds on top of it, oldest first (the files under migrations/versions).
MIGRATIONS = sorted(
    p.stem for p in (Path(__file__).resolve().parents[2] / "migrations" / "versions").glob("0*.py")
)
NEWER = MIGRATIONS[MIGRATIONS.index(PREVIOUS_HEAD) + 1 :]
PASSWORD = "upgrade-password-1"
ADMIN = "city-admin@nbedu.example.cn"
AU_ID = "https://courses.example.cn/cnc-basics/au/1"

runner = CliRunner()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> Iterator[str]:
    """An EMPTY database (no migrations applied), unlike the shared migrated ones: overrides the
    plugin's ``db_url`` here, so ``settings`` and ``engine`` point at it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'previous.db'}"
        return
    server = make_url(normalise_url(os.environ[PG_ENV]))
    name = f"skills_upgrade_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        from service.core import db as db_module

        db_module.get_engine.cache_clear()  # its pool holds connections to the database
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _migrate(*args: str):
    return runner.invoke(cli, ["migrate", *args])


def _revision(engine) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}


# --- the previous release's rows that the demo generator does not write, in its columns -------

USER = sa.table(
    "user",
    *(sa.column(c, t) for c, t in (("id", sa.Uuid), ("organization_id", sa.Uuid))),
    *(sa.column(c) for c in ("email", "display_name", "password_hash", "role", "is_active")),
    *(sa.column(c) for c in ("failed_logins", "lockouts", "token_generation")),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
PACKAGE = sa.table(
    "package",
    *(sa.column(c, sa.Uuid) for c in ("id", "organization_id")),
    *(sa.column(c) for c in ("title", "description", "language", "tags")),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
PACKAGE_VERSION = sa.table(
    "package_version",
    *(sa.column(c, sa.Uuid) for c in ("id", "package_id")),
    *(sa.column(c) for c in ("number", "status", "format", "units", "errors", "warnings")),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
LAUNCH_SESSION = sa.table(
    "launch_session",
    *(sa.column(c, sa.Uuid) for c in ("id", "enrollment_id", "registration", "package_version_id")),
    *(sa.column(c) for c in ("au_id", "session_id", "fetch_code")),
    *(sa.column(c, sa.DateTime(timezone=True)) for c in ("expires_at", "created_at")),
)


def _previous_release_rows(engine, org_id: uuid.UUID, enrollment) -> None:
    from service.accounts.passwords import hash_password

    now = datetime.now(UTC)
    ids = {k: uuid.uuid4() for k in ("admin", "trainer", "package", "version", "launch")}
    users = [
        (ids["admin"], None, ADMIN, "admin"),
        (ids["trainer"], org_id, "trainer@school.example.cn", "trainer"),
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(USER),
            [
                dict(
                    id=uid, organization_id=org, email=email, display_name=role, role=role,
                    password_hash=hash_password(PASSWORD), is_active=True, failed_logins=0,
                    lockouts=0, token_generation=0, created_at=now,
                )
                for uid, org, email, role in users
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(PACKAGE).values(
                id=ids["package"], organization_id=org_id, title="数控车床基础", description="",
                language="zh-CN", tags="[]", created_at=now,
            )
        )  # fmt: skip
        conn.execute(
            sa.insert(PACKAGE_VERSION).values(
                id=ids["version"], package_id=ids["package"], number=1, status="published",
                format="cmi5", units="[]", errors="[]", warnings="[]", created_at=now,
            )
        )  # fmt: skip
        conn.execute(
            sa.insert(LAUNCH_SESSION).values(
                id=ids["launch"], enrollment_id=enrollment.id, registration=enrollment.registration,
                package_version_id=ids["version"], au_id=AU_ID, session_id=str(uuid.uuid4()),
                fetch_code=uuid.uuid4().hex, expires_at=now + timedelta(hours=1), created_at=now,
            )
        )  # fmt: skip


COUNTED = (
    "organization", "user", "learner", "offering", "enrollment", "hours_entry", "package",
    "package_version", "launch_session", "tally_completion", "tally_cell",
)  # fmt: skip


def _snapshot(engine, enrollment_id: uuid.UUID, learner_id: uuid.UUID) -> dict:
    from sqlmodel import Session

    from service.training.models import Enrollment, Learner

    with engine.connect() as conn:
        counts = {
            t: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in COUNTED
        }
        minutes = conn.execute(sa.text("SELECT SUM(minutes) FROM hours_entry")).scalar_one()
        completed = conn.execute(
            sa.text("SELECT COUNT(*) FROM enrollment WHERE state = 'completed'")
        ).scalar_one()
    # Columns by name: the model has columns the previous release's table does not yet have.
    e = Enrollment.__table__.c
    with Session(engine) as s:
        state, score, completed_at, year = s.execute(
            sa.select(e.state, e.assessment_score, e.completed_at, e.completion_year).where(
                e.id == enrollment_id
            )
        ).one()
        learner = s.get(Learner, learner_id)
        values = (
            state, score, completed_at, year,
            learner.name, learner.id_masked, learner.id_fingerprint, bytes(learner.id_encrypted),
        )  # fmt: skip
    return {"counts": counts, "minutes": minutes, "completed": completed, "values": values}


def test_a_previous_release_database_upgrades_with_its_data_and_is_served(
    db_url, settings, tmp_path
):
    from fastapi.testclient import TestClient
    from sqlmodel import Session, col, select

    from service.app import create_app
    from service.core.db import get_engine
    from service.tallies import demo_data
    from service.training.models import Enrollment, Learner, Offering
    from service.training.pii import PiiCipher

    upgrade(db_url, PREVIOUS_HEAD)
    engine = get_engine()
    result = demo_data.load(engine, settings.master_key_bytes(), completions=60, seed=17)
    assert result.completions == 60
    with Session(engine) as s:
        enrollment = s.exec(  # by column: the model is newer than this table
            select(
                Enrollment.id,
                Enrollment.learner_id,
                Enrollment.offering_id,
                Enrollment.registration,
                Enrollment.assessment_score,
            )
            .where(Enrollment.state == "completed")
            .order_by(col(Enrollment.id))
        ).first()
        learner = s.get(Learner, enrollment.learner_id)
        org_id = s.get(Offering, enrollment.offering_id).organization_id
    _previous_release_rows(engine, org_id, enrollment)
    before = _snapshot(engine, enrollment.id, learner.id)
    assert before["counts"]["enrollment"] > before["completed"] == 60
    assert before["counts"]["hours_entry"] == before["counts"]["enrollment"]

    # A deploy script's check: pending, one line, exit 1, and the database left as it was.
    checked = _migrate("--check")
    assert checked.exit_code == 1, checked.output
    assert checked.output.count("\n") == 1
    assert checked.output.startswith(
        f"pending: the database is at {PREVIOUS_HEAD}; {len(NEWER)} migrations"
    )
    listed = ", ".join(NEWER) if len(NEWER) <= 3 else f"{NEWER[0]} to {NEWER[-1]}"
    assert f"({listed})" in checked.output
    assert _revision(engine) == {PREVIOUS_HEAD}
    assert not sa.inspect(engine).has_table("cmi5_progress")

    migrated = _migrate()
    assert migrated.exit_code == 0, migrated.output
    checked = _migrate("--check")
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith(f"up to date: the database is at {MIGRATIONS[-1]}")

    # The data is all there, value for value.
    engine.dispose()
    assert _snapshot(engine, enrollment.id, learner.id) == before
    # ... the learner's encrypted ID still opens with the deployment's master key ...
    pii = PiiCipher.from_master_key(settings.master_key_bytes())
    number = pii.decrypt(before["values"][-1], context=learner.id.bytes)
    assert number[:6] + "********" + number[-4:] == learner.id_masked
    # ... and the cmi5 launch session got what the new columns need (its format, activity id).
    with engine.connect() as conn:
        launch = conn.execute(
            sa.text("SELECT format, activity_id, launch_mode FROM launch_session")
        ).one()
    assert tuple(launch) == ("cmi5", AU_ID, "Normal")

    # The new version serves it: users sign in, enrolments, hours and learners read back.
    with TestClient(create_app(settings, start_relay=False)) as client:

        def sign_in(email: str) -> dict[str, str]:
            token = client.post(
                "/api/v1/auth/token", data={"username": email, "password": PASSWORD}
            )
            assert token.status_code == 200, token.text
            return {"Authorization": f"Bearer {token.json()['access_token']}"}

        auth = sign_in("trainer@school.example.cn")
        got = client.get(f"/api/v1/enrollments/{enrollment.id}", headers=auth)
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["state"] == "completed"
        assert body["assessment_score"] == enrollment.assessment_score
        assert body["runtime"] == []  # read from a table the upgrade created
        hours = client.get(f"/api/v1/enrollments/{enrollment.id}/hours", headers=auth)
        assert hours.status_code == 200, hours.text
        assert hours.json()["entries"]["total"] == 1
        admin = sign_in(ADMIN)
        listed = client.get("/api/v1/enrollments", headers=admin, params={"limit": 1})
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == before["counts"]["enrollment"]
        person = client.get(f"/api/v1/learners/{learner.id}", headers=admin)
        assert person.status_code == 200, person.text
        assert person.json()["id_number_masked"] == learner.id_masked


def test_check_never_changes_the_database(db_url, settings):
    """An empty database stays empty (a SQLite file is not even created), and the line says so."""
    checked = _migrate("--check")
    assert checked.exit_code == 1, checked.output
    assert checked.output.startswith(
        f"pending: the database has no schema yet; {len(MIGRATIONS)} migrations"
    )
    if db_url.startswith("sqlite"):
        assert not os.path.exists(make_url(db_url).database)
    else:
        assert sa.inspect(sa.create_engine(normalise_url(db_url))).get_table_names() == []


def test_a_database_from_a_newer_release_is_refused(db_url, settings):
    from service.core.db import get_engine

    upgrade(db_url)
    engine = get_engine()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    for args in (["--check"], []):
        result = _migrate(*args)
        assert result.exit_code == 4, result.output
        assert "0099_from_the_future" in result.output
        assert "newer release" in result.output
    assert _revision(engine) == {"0099_from_the_future"}


def test_check_reports_an_unreachable_database_in_one_line(monkeypatch, tmp_path):
    from service.core import settings as settings_module

    monkeypatch.setenv("SKILLS_DATABASE_URL", "postgresql://skills:s3cret@127.0.0.1:1/skills")
    monkeypatch.setenv("SKILLS_VAR_DIR", str(tmp_path))
    settings_module.get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["migrate", "--check"])
    finally:
        settings_module.get_settings.cache_clear()
    assert result.exit_code == 3, result.output
    assert result.output.startswith("unreachable: cannot reach the database")
    assert "s3cret" not in result.output
    assert result.output.count("\n") == 1


def test_migrate_help_lists_its_exit_statuses():
    text = runner.invoke(cli, ["migrate", "--help"]).output
    after = text.split("Exit status:", 1)[1]
    for code in "01234":
        assert f" {code}  " in after, (code, after)
    assert "--check" in text and "pending" in after and "newer release" in after
