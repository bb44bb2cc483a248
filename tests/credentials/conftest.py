"""The credentials-library tests' ``world``: the shared builder (tests.fixtures.builder) with the
test issuer's signing key made before the test starts, so keys a test adds are newer than it.
On the shared Alembic-built ``session`` (SQLite, and PostgreSQL when SKILLS_TEST_DATABASE_URL is
set)."""

from __future__ import annotations

import pytest


@pytest.fixture
def world(builder):
    builder.key  # made now, not on first use
    return builder
