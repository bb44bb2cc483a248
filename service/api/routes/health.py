"""Liveness, readiness and metrics for orchestrators and Prometheus.

Readiness includes the issuer's signing key: without one, completed trainings earn no
credential, which an operator must not discover weeks later from a failed job. A check that
knows what is wrong raises ``NotReady`` with a detail fit for operators (no personal data); other
exceptions show only their type.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from service.core.db import get_engine, session_scope
from service.core.settings import get_settings
from service.issuing.keys import NO_KEY_MESSAGE, has_active_key

router = APIRouter(tags=["operations"])
log = logging.getLogger("skills.health")


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict:
    return {"status": "ok"}


def _check_database() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


def _check_storage() -> None:
    from service.core.storage import get_storage

    get_storage().check()


class NotReady(Exception):  # noqa: N818 - reads as the state it reports
    """A check's failure with a detail that says what to do."""


class NoActiveSigningKey(NotReady):
    pass


def _check_signing_key() -> None:
    with session_scope() as session:
        if not has_active_key(session, get_settings()):
            raise NoActiveSigningKey(NO_KEY_MESSAGE)


def _check_broker() -> None:
    from kombu import Connection

    from service.jobs.celery_app import celery

    conn: Connection = celery.connection_for_write()
    try:
        conn.ensure_connection(max_retries=1, timeout=2)
    finally:
        conn.release()


CHECKS = {
    "database": _check_database,
    "storage": _check_storage,
    "broker": _check_broker,
    "signing_key": _check_signing_key,
}


@router.get(
    "/readyz",
    summary="Readiness: database, storage and broker reachable, an active signing key",
)
def readyz() -> JSONResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = {"status": "ok"}
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            log.warning(
                "readiness check failed", extra={"check": name, "error_type": type(exc).__name__}
            )
            results[name] = {"status": "failed", "error": type(exc).__name__}
            if isinstance(exc, NotReady):
                results[name]["detail"] = str(exc)
    failed = [n for n, r in results.items() if r["status"] != "ok"]
    body = {
        "status": "ok" if not failed else "unavailable",
        "checks": results,
        "env": get_settings().env,
    }
    if failed:
        body["failed"] = failed
    return JSONResponse(body, status_code=503 if failed else 200)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
