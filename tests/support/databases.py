"""Test databases built by the Alembic migrations, on SQLite and (when configured) PostgreSQL.

SQLite: one migrated template file per run, copied for each test.
PostgreSQL: one fresh database per run, migrated once; after each test every table except the
reference data (``ref_*``) and ``alembic_version`` is truncated.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from service.core.db import normalise_url
from service.core.migrate import upgrade

PG_ENV = "SKILLS_TEST_DATABASE_URL"
REDIS_ENV = "SKILLS_TEST_REDIS_URL"
KEEP_TABLES = {"alembic_version"}


def postgres_configured() -> bool:
    return bool(os.environ.get(PG_ENV))


class SqliteTemplate:
    def __init__(self, directory: Path):
        self.template = directory / "template.db"
        upgrade(f"sqlite:///{self.template}")

    def fresh(self, target_dir: Path) -> str:
        target = target_dir / "skills.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def cleanup(self, url: str) -> None:
        pass

    def close(self) -> None:
        pass


class PostgresDatabase:
    def __init__(self, server_url: str):
        server = make_url(normalise_url(server_url))
        self.name = f"skills_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.admin_engine = create_engine(server, isolation_level="AUTOCOMMIT")
        with self.admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = server.set(database=self.name).render_as_string(hide_password=False)
        upgrade(self.url)
        self.engine = create_engine(self.url)
        tables = inspect(self.engine).get_table_names()
        self.truncatable = [t for t in tables if t not in KEEP_TABLES and not t.startswith("ref_")]

    def fresh(self, target_dir: Path) -> str:
        return self.url

    def cleanup(self, url: str) -> None:
        if not self.truncatable:
            return
        names = ", ".join(f'"{t}"' for t in self.truncatable)
        with self.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))

    def close(self) -> None:
        self.engine.dispose()
        with self.admin_engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": self.name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}"'))
        self.admin_engine.dispose()
