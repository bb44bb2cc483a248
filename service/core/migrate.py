"""Running Alembic from code: `skills migrate`, `skills serve` and the tests use this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from service.core.db import normalise_url

ROOT = Path(__file__).resolve().parents[2]  # the project root: alembic.ini, migrations/


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = normalise_url(database_url)
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raises when the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(database_url))
