"""Database refusals caused by a request are 4xx problems decided in one place, and neither the
answer nor the log line carries the statement's values; the log scrubber catches numbers as
people write them."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import DataError, IntegrityError

from service.api.problems import database_refusal
from service.core.observability.logging import scrub


class _Orig(Exception):
    def __init__(self, message: str, sqlstate: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("orig", "status", "code"),
    [
        (_Orig("FOREIGN KEY constraint failed"), 422, "invalid-reference"),
        (_Orig("insert or update violates foreign key", "23503"), 422, "invalid-reference"),
        (_Orig("UNIQUE constraint failed: learner.id_fingerprint"), 409, "conflict"),
        (_Orig("duplicate key value violates unique constraint", "23505"), 409, "conflict"),
        (_Orig("NOT NULL constraint failed: package.title"), 422, "missing-value"),
        (_Orig("new row violates check constraint", "23514"), 422, "constraint-violation"),
        (_Orig("something else"), 409, "conflict"),
    ],
)
def test_constraint_violations_map_to_4xx(orig, status, code):
    exc = IntegrityError("INSERT INTO t VALUES (?)", ("13812345678",), orig)
    got_status, got_code, detail = database_refusal(exc)
    assert (got_status, got_code) == (status, code)
    assert "13812345678" not in detail and "INSERT" not in detail


def test_values_the_database_cannot_store_are_422():
    nul = _Orig("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    assert database_refusal(DataError("SELECT", {}, nul))[:2] == (422, "invalid-value")
    too_long = _Orig("value too long for type character varying(200)", "22001")
    assert database_refusal(DataError("INSERT", {}, too_long))[:2] == (422, "invalid-value")


def test_refusal_log_line_has_no_statement_or_values(app, client, make_user, login, caplog):
    caplog.set_level(logging.DEBUG)
    headers = login(make_user("admin"))
    body = {"title": "13812345678", "organization_id": "8b7f3a52-1c1e-4f7e-9d1c-3f0a2b4c5d6e"}
    r = client.post("/api/v1/packages", json=body, headers=headers)
    assert 400 <= r.status_code < 500, r.text

    # The route above is now refused before any write; make the database itself refuse one
    # (a second account with the same e-mail) so the refusal's log line is there to check.
    taken = make_user("admin", email="13812345678@example.org")

    @app.post("/refusal-for-test")
    def refuse():
        from sqlmodel import Session

        from service.accounts.models import User
        from service.core.db import get_engine

        with Session(get_engine()) as s:
            s.add(User(email=taken.email, role="admin"))
            s.commit()

    refused = client.post("/refusal-for-test")
    assert refused.status_code == 409 and refused.json()["code"] == "conflict", refused.text
    assert "13812345678" not in refused.text and "INSERT" not in refused.text
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    refusals = [r for r in caplog.records if r.getMessage() == "database refused the request"]
    assert len(refusals) == 1  # the line checked below is there
    for rec in caplog.records:
        line = f"{rec.getMessage()} {rec.__dict__}"
        assert "13812345678" not in line and "INSERT" not in line


@pytest.mark.parametrize(
    "text",
    [
        "33020319900307123X",
        "33020319900307123x",
        "330203900307123",  # first-generation, 15 digits
        "13812345678",
        "+86 138-1234-5678",
        "86 13812345678",
        "138 1234 5678",
        "电话13812345678。",
    ],
)
def test_scrubber_catches_numbers_as_written(text):
    out = scrub(f"value={text};")
    assert "1234" not in out and ("[phone]" in out or "[id-number]" in out)


def test_scrubber_leaves_ids_and_counts_alone():
    for text in ("a13812345678", "3ad38504-0981-4d2c-9a10-123456789012", "1700000000123"):
        assert scrub(text) == text


def test_problem_details_are_scrubbed():
    from service.api.problems import problem_response

    r = problem_response(422, "bad", "Statement 0: 33020319900307123X: is not a property.")
    assert b"33020319900307123X" not in r.body and b"[id-number]" in r.body
