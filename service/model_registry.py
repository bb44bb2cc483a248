"""Imports every package's tables so SQLModel.metadata is complete (Alembic and tests use it)."""

from sqlmodel import SQLModel

import service.accounts.models  # noqa: F401
import service.jobs.models  # noqa: F401

metadata = SQLModel.metadata
