"""Imports every package's tables so SQLModel.metadata is complete (Alembic and tests use it)."""

from sqlmodel import SQLModel

import content.models  # noqa: F401
import credentials.models  # noqa: F401
import service.accounts.models  # noqa: F401
import service.federation.models  # noqa: F401
import service.imports.models  # noqa: F401
import service.issuing.employer_models  # noqa: F401
import service.issuing.models  # noqa: F401
import service.jobs.models  # noqa: F401
import service.lrs.models  # noqa: F401
import service.packages.launch_models  # noqa: F401
import service.tallies.models  # noqa: F401
import service.training.models  # noqa: F401
import service.training.reference_models  # noqa: F401
import service.webhooks.models  # noqa: F401
import service.workforce.models  # noqa: F401

metadata = SQLModel.metadata
