"""A stack without a signing key cannot look healthy: /readyz fails with the command to run,
and the API and the worker say so once when they start."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

KEY_COMMAND = "skills keys create"


def _key_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and KEY_COMMAND in r.getMessage()
    ]


def test_readyz_is_503_without_a_signing_key_and_200_with_one(client, session, settings):
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["failed"] == ["signing_key"]
    check = ready.json()["checks"]["signing_key"]
    assert check["status"] == "failed" and KEY_COMMAND in check["detail"]
    assert "no active signing key" in check["detail"]

    from service.issuing.keys import create_issuer_key

    create_issuer_key(session, settings)
    session.commit()
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["signing_key"] == {"status": "ok"}


def test_api_start_up_warns_once_without_a_key(app, caplog):
    caplog.set_level(logging.INFO)
    with TestClient(app):
        pass
    assert len(_key_warnings(caplog)) == 1


def test_api_start_up_is_quiet_with_a_key(app, issuer_key, caplog):
    caplog.set_level(logging.INFO)
    with TestClient(app):
        pass
    assert _key_warnings(caplog) == []


def test_worker_start_up_warns_without_a_key(settings, caplog):
    from celery.signals import worker_ready

    import service.worker  # noqa: F401 - connects its start-up check

    caplog.set_level(logging.INFO)
    worker_ready.send(sender=None)
    assert len(_key_warnings(caplog)) == 1


def test_embedded_default_api_creates_the_key_and_does_not_warn(app, settings, caplog, monkeypatch):
    monkeypatch.setattr(settings, "credential_auto_create_key", True)
    caplog.set_level(logging.INFO)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
    assert _key_warnings(caplog) == []
