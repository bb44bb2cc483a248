"""The FastAPI application factory."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from service.api import (
    routes_admin,
    routes_auth,
    routes_content,
    routes_credentials_admin,
    routes_credentials_public,
    routes_credentials_verify,
    routes_health,
    routes_launch,
    routes_my_credentials,
    routes_orgs,
    routes_packages,
    routes_shares,
    routes_tallies,
    routes_training_enrollments,
    routes_training_hours,
    routes_training_learners,
    routes_training_offerings,
    routes_training_reference,
    routes_training_xapi,
    routes_users,
)
from service.api.cors import ScopedCORSMiddleware
from service.api.middleware import RequestContextMiddleware
from service.api.problems import install_problem_handlers
from service.observability.logging import configure_logging
from service.settings import Settings, get_settings
from service.web import routes_pages
from service.web.render import STATIC_DIR

log = logging.getLogger("skills.app")

DESCRIPTION = """
Backend of the city's lifelong vocational skills drive ("one person, one skill"):
course packages, training records and hours, tallies toward the 1,200,000 person-time
target, and Open Badges 3.0 skill micro-credentials.

Errors are RFC 9457 `application/problem+json` with a stable `code`.
Sign in at `POST /api/v1/auth/token`; send `Authorization: Bearer <access_token>`.
"""


def create_app(settings: Settings | None = None, *, start_relay: bool | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production_ready()
    configure_logging(settings.log_level)
    relay_wanted = settings.outbox_relay_in_api if start_relay is None else start_relay

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from service.issuing.keys import ensure_key_at_startup

        ensure_key_at_startup(settings)  # embedded default only; see service.issuing.keys
        relay = None
        if relay_wanted:
            from service.jobs.celery_app import celery
            from service.jobs.relay import RelayThread

            relay = RelayThread(celery, interval=settings.outbox_poll_seconds)
            relay.start()
        app.state.relay = relay
        log.info("service started", extra={"env": settings.env})
        yield
        if relay is not None:
            relay.stop()

    app = FastAPI(
        title="lifelong-skills",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(ScopedCORSMiddleware, api_origins=settings.cors_origins)
    install_problem_handlers(app)
    for module in (
        routes_health,
        routes_auth,
        routes_orgs,
        routes_users,
        routes_admin,
        routes_packages,
        routes_content,
        routes_credentials_public,
        routes_credentials_verify,
        routes_credentials_admin,
        routes_my_credentials,
        routes_training_enrollments,
        routes_training_hours,
        routes_training_learners,
        routes_training_offerings,
        routes_training_reference,
        routes_training_xapi,
        routes_launch,
        routes_tallies,
        routes_shares,
        routes_pages,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
