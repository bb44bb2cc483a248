"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from service.api.content_origin import ContentOriginMiddleware
from service.api.cors import ScopedCORSMiddleware
from service.api.docs import install_docs
from service.api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from service.api.problems import install_problem_handlers
from service.api.rate_limits import RateLimitMiddleware
from service.api.routes import (
    admin,
    auth,
    cmi5_admin,
    content,
    credentials_admin,
    credentials_public,
    credentials_verify,
    employer,
    health,
    imports,
    launch,
    my_credentials,
    oidc,
    orgs,
    packages,
    participation,
    player,
    shares,
    subsidy_roster,
    tallies,
    training_enrollments,
    training_hours,
    training_learners,
    training_offerings,
    training_reference,
    users,
    webhooks,
    workforce,
    xapi,
)
from service.api.routes.xapi.alternate import AlternateSyntaxMiddleware
from service.api.routes.xapi.middleware import XapiResponseMiddleware
from service.core.observability.logging import configure_logging
from service.core.settings import Settings, get_settings
from service.web import employer_pages, imports_page, oidc_pages, pages
from service.web.render import STATIC_DIR
from service.wiring import wire

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
    wire()
    relay_wanted = settings.outbox_relay_in_api if start_relay is None else start_relay

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from service.issuing.keys import ensure_key_at_startup

        # Creates it on the embedded default; elsewhere warns when missing (service.issuing.keys)
        ensure_key_at_startup(settings)
        relay = None
        if relay_wanted:
            from service.jobs.relay import RelayThread

            relay = RelayThread(_celery_app, interval=settings.outbox_poll_seconds)
            relay.start()
        app.state.relay = relay
        # What start-up built (modules, routes, schemas: some 300,000 objects) lives as long as
        # the process; moving it out of the collector's reach keeps full collections, which
        # otherwise stall a request for ~100 ms now and then, to the objects requests make.
        gc.collect()
        gc.freeze()
        log.info("service started", extra={"env": settings.env})
        yield
        if relay is not None:
            relay.stop()

    app = FastAPI(
        title="lifelong-skills",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from the app's own assets: service.api.docs
        redoc_url=None,
    )
    # Innermost first: limits answer inside the request context (request id, access log).
    app.add_middleware(AlternateSyntaxMiddleware)  # inside the body limit: the form is counted
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(
        RateLimitMiddleware, settings=settings, page_response=pages.too_many_requests_page
    )
    app.add_middleware(XapiResponseMiddleware)
    app.add_middleware(ContentOriginMiddleware, settings=settings)  # API and content apart
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(ScopedCORSMiddleware, api_origins=settings.cors_origins, settings=settings)
    install_problem_handlers(app)
    for module in (
        health,
        auth,
        orgs,
        users,
        admin,
        packages,
        content,
        credentials_public,
        credentials_verify,
        credentials_admin,
        my_credentials,
        training_enrollments,
        training_hours,
        training_learners,
        training_offerings,
        training_reference,
        subsidy_roster,
        xapi,
        launch,
        cmi5_admin,
        player,
        participation,
        tallies,
        workforce,
        shares,
        employer,
        imports,
        imports_page,
        employer_pages,
        oidc,
        oidc_pages,
        webhooks,
        pages,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_docs(app)
    return app


def _celery_app():
    """Celery and its transport, imported by the relay thread, not before /healthz answers."""
    from service.jobs.celery_app import celery

    return celery
