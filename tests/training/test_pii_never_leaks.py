"""ID and phone numbers, good and bad, sent to every endpoint that takes them: none of them comes
back in a response body or header, nor lands in any database column (audit, idempotency, outbox,
credentials...) or in a log record, raw or as formatted by the JSON log formatter."""

from __future__ import annotations

import io
import logging
import re
import uuid

import pytest
from sqlalchemy import inspect, text

from service.core.observability.logging import JsonFormatter
from tests.fixtures.builder import make_id_number
from tests.fixtures.issuing import LEVEL, OCCUPATION

GOOD_PHONE = "13912345678"
OTHER_PHONE = "+86 137-1234-5678"  # accepted, stored as 13712345678
BAD_PHONE = "1291234567"  # wrong prefix and length


def _digits(value: str) -> str:
    return re.sub(r"[^0-9Xx]", "", value).removeprefix("86")


@pytest.fixture
def log_lines():
    """Every log record, as raw text and as the JSON formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    raw: list[str] = []

    class Raw(logging.Handler):
        def emit(self, record):
            raw.append(f"{record.getMessage()} {record.__dict__} {record.exc_text or ''}")

    root = logging.getLogger()
    keep = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    root.addHandler(raw_handler := Raw())
    yield lambda: raw + stream.getvalue().splitlines()
    root.removeHandler(handler)
    root.removeHandler(raw_handler)
    root.setLevel(keep)


def _stored_text(engine) -> str:
    """Every value of every row of every table, as one string."""
    parts = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    parts.append(f"{table}:{value}")
    return "\n".join(parts)


@pytest.mark.usefixtures("issuer_key")
def test_numbers_never_leave_or_get_stored_in_clear(world, client, engine, log_lines):
    good_id = make_id_number()
    lookup_id = make_id_number()
    issue_id = make_id_number()
    bad_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")  # check digit off
    short_id = good_id[:-3]
    secrets = [good_id, lookup_id, issue_id, bad_id, short_id, GOOD_PHONE, OTHER_PHONE, BAD_PHONE]
    responses = []

    def send(method, url, headers, expect, **kwargs):
        r = client.request(method, url, headers=headers, **kwargs)
        assert r.status_code == expect, (url, r.status_code, r.text)
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json")
        responses.append(r)
        return r

    person = {"name": "钱七", "district_code": "330212", "groups": []}
    # learners: create (good, bad ID, bad phone), self-registration, lookup, phone change
    send("POST", "/api/v1/learners", world.trainer, 422, json=person | {"id_number": bad_id})
    send("POST", "/api/v1/learners", world.trainer, 422, json=person | {"id_number": short_id})
    send(
        "POST",
        "/api/v1/learners",
        world.trainer,
        422,
        json=person | {"id_number": good_id, "phone": BAD_PHONE},
    )
    created = send(
        "POST",
        "/api/v1/learners",
        world.trainer,
        201,
        json=person | {"id_number": good_id, "phone": GOOD_PHONE},
    ).json()
    send("POST", "/api/v1/learners", world.platform, 200, json=person | {"id_number": good_id})
    lookup = "/api/v1/learners/lookup"  # staff look a person up with the holder check
    holder = {"name": person["name"]}
    send("POST", lookup, world.trainer, 200, json=holder | {"id_number": good_id})
    send("POST", lookup, world.trainer, 403, json=holder | {"id_number": lookup_id})
    send("POST", lookup, world.trainer, 422, json=holder | {"id_number": bad_id})
    send("POST", lookup, world.platform, 404, json={"id_number": lookup_id})
    # a number sent as an unexpected field name is not echoed back as that field's name
    send("POST", "/api/v1/learners", world.trainer, 422, json=person | {good_id: GOOD_PHONE})
    url = f"/api/v1/learners/{created['id']}"
    send("PATCH", url, world.admin, 422, json={"phone": BAD_PHONE})
    send("PATCH", url, world.admin, 200, json={"phone": OTHER_PHONE})
    send("GET", f"/api/v1/learners?q={good_id}", world.admin, 200)
    # credentials: single and bulk issuance, with idempotency keys
    issue = {
        "learner_subject_id": str(uuid.uuid4()),
        "occupation_code": OCCUPATION,
        "level": LEVEL,
        "hours": 72,
        "basis": "rpl:case-pii-1",
    }
    key = {"Idempotency-Key": "pii-1"}
    path = "/api/v1/credentials/issue"
    send("POST", path, world.admin | key, 422, json=issue | {"id_number": bad_id})
    send("POST", path, world.admin | key, 201, json=issue | {"id_number": issue_id})
    send("POST", path, world.admin | key, 201, json=issue | {"id_number": issue_id})
    send("POST", path, world.admin | key, 409, json=issue | {"id_number": good_id})
    bulk = {"items": [issue | {"id_number": bad_id, "basis": "rpl:case-pii-2"}]}
    bulk["items"].append(issue | {"id_number": issue_id, "basis": "rpl:case-pii-3"})
    bulk_key = {"Idempotency-Key": "pii-2"}
    r = send("POST", "/api/v1/credentials/bulk-issue", world.admin | bulk_key, 200, json=bulk)
    assert r.json()["counts"] == {"issued": 1, "existing": 0, "error": 1}
    # the one place the numbers may appear: the audited, admin-only export
    export = client.post(f"{url}/pii-export", headers=world.admin)
    assert export.json()["id_number"] == good_id and export.json()["phone"] == "13712345678"

    needles = {n for s in secrets for n in (s, _digits(s), s.lower())}
    for r in responses:
        seen = r.text + " " + " ".join(f"{k}: {v}" for k, v in r.headers.items())
        leaked = [n for n in needles if n in seen]
        assert not leaked, (r.request.method, r.request.url.path, r.text)
    stored = _stored_text(engine)
    assert not [n for n in needles if n in stored]
    lines = log_lines()
    assert lines  # the access log at least
    for line in lines:
        assert not [n for n in needles if n in line], line
