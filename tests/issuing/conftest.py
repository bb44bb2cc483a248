"""Fixtures for the issuing service tests (shared ``settings``/``session``/``client``, so each test
runs on SQLite and, when configured, PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest

from service.training.idnumber import compute_check_digit
from tests.training.conftest import world  # noqa: F401 - the training cohort builder

OCCUPATION = "6-31-01-03"  # 电工
LEVEL = 4


def id_number(serial: int = 123) -> str:
    body = f"33020319900101{serial:03d}"
    return body + compute_check_digit(body)


@pytest.fixture
def issuer_key(session, settings):
    from service.issuing.keys import ensure_issuer_key

    key = ensure_issuer_key(session, settings)
    session.commit()
    return key


@pytest.fixture
def admin(make_user, login):
    return login(make_user("admin"))


@pytest.fixture
def issue(client, admin, issuer_key):
    """Issue through the admin API; returns the response JSON (asserting success)."""

    def do(basis: str | None = None, *, headers=None, expect=(200, 201), **fields):
        body = {
            "learner_subject_id": str(fields.pop("learner", uuid.uuid4())),
            "id_number": fields.pop("id_number", id_number()),
            "occupation_code": fields.pop("occupation_code", OCCUPATION),
            "level": fields.pop("level", LEVEL),
            "hours": fields.pop("hours", 72.5),
            "score": fields.pop("score", 88),
            "basis": basis or f"rpl:case-{uuid.uuid4().hex[:10]}",
        }
        body.update(fields)
        r = client.post("/api/v1/credentials/issue", json=body, headers=headers or admin)
        assert r.status_code in expect, r.text
        return r.json()

    return do


@pytest.fixture
def token_of(session):
    from sqlmodel import select

    from credentials.models import Credential

    def get(credential_id: str) -> str:
        session.expire_all()
        return session.exec(
            select(Credential.jwt).where(Credential.credential_id == credential_id)
        ).one()

    return get
