"""Fixtures of the federation tests. The OpenID Connect sign-in tests run against a real
provider (node ``oidc-provider``, :mod:`tests.federation.oidc_provider`)."""

from __future__ import annotations

import pytest

from tests.federation.oidc_provider import ProviderFactory, RunningProvider


@pytest.fixture
def oidc_provider(tmp_path):
    """``oidc_provider(name, redirect_uris)`` starts a provider; all stop when the test ends."""
    from service.federation.providers import clear_caches

    clear_caches()
    workdir = tmp_path / "oidc-provider"
    workdir.mkdir()
    factory = ProviderFactory(workdir)
    yield factory
    factory.stop_all()
    clear_caches()


@pytest.fixture
def configure_providers(settings):
    """Installs running providers as SKILLS_OIDC_PROVIDERS of the test's settings."""
    from service.core.settings import OidcProviderConfig

    def configure(*running: RunningProvider) -> None:
        settings.oidc_providers = [OidcProviderConfig(**p.settings_entry()) for p in running]

    return configure


@pytest.hookimpl(tryfirst=True)  # before the root conftest applies the postgres marker
def pytest_collection_modifyitems(config, items):
    """A test that drives the real provider (a node process per test) is a slow suite: it runs
    once, on PostgreSQL, like the conformance suite (the browser ones run once, on SQLite,
    like the other page tests)."""
    for item in items:
        if item.get_closest_marker("browser") is not None:
            continue
        if "oidc_provider" in getattr(item, "fixturenames", ()):
            item.add_marker(
                pytest.mark.postgres(
                    reason="drives a real OpenID provider: runs once, on PostgreSQL"
                )
            )
