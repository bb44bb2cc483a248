"""What a hostile or careless client sends gets a 400 (or a scoped answer), never a 500, and
reaches nothing of other people's: values the database cannot store, out-of-range instants,
identifiers too long to index, and the attachment and voiding tricks on other people's ids."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import pytest
from sqlalchemy.exc import IntegrityError

from service.core.bulk import insert_rows
from service.core.settings import get_settings
from service.core.timeutil import utcnow
from service.lrs.models import LrsStatementAgent
from service.packages.enrollment_launch import actor_for
from service.training.models import Learner

V1 = {"X-Experience-API-Version": "1.0.3"}
URL = "/xAPI/statements"


def statement(**extra) -> dict:
    return {
        "actor": {"mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "http://example.com/activities/welding"},
        **extra,
    }


@pytest.fixture
def h(world) -> dict:
    return {**world.platform, **V1}


def _raw(client, body: str, h: dict):
    return client.post(URL, content=body, headers={**h, "Content-Type": "application/json"})


@pytest.mark.parametrize("size", [1, 10])  # 10: a batch large enough for the COPY path
def test_values_no_database_can_store_are_refused(client, h, size):
    nul = statement(object={"id": "http://example.com/a", "definition": {"name": {"en": "a\x00"}}})
    batch = [statement() for _ in range(size - 1)]
    answer = client.post(URL, json=[*batch, nul], headers=h)
    assert answer.status_code == 400, answer.text
    assert "NUL" in answer.json()["detail"]
    for number in ("NaN", "Infinity", "1e999"):
        body = json.dumps(statement(result={"score": {"raw": 0}}))
        answer = _raw(client, body.replace('"raw": 0', f'"raw": {number}'), h)
        assert answer.status_code == 400, (number, answer.text)
    surrogate = json.dumps(statement(result={"response": "x"})).replace('"x"', '"\\ud800"')
    assert _raw(client, surrogate, h).status_code == 400
    assert client.get(URL, headers=h).json()["statements"] == []


def test_instants_out_of_range_are_a_400(client, h):
    early = statement(timestamp="0001-01-01T00:00:00+01:00")
    assert client.post(URL, json=early, headers=h).status_code == 400
    late = client.get(URL, params={"since": "9999-12-31T23:59:59-01:00"}, headers=h)
    assert late.status_code == 400


def test_identifiers_too_long_to_index_are_a_400(client, h):
    long_iri = "http://example.com/" + "a" * 3000
    for sent in (
        statement(verb={"id": long_iri}),
        statement(object={"id": long_iri}),
        statement(actor={"account": {"homePage": "http://example.com", "name": "n" * 3000}}),
        statement(actor={"mbox": "mailto:" + "a" * 3000 + "@example.com"}),
    ):
        assert client.post(URL, json=sent, headers=h).status_code == 400
    cjk = "http://example.com/" + "技" * 800  # under 2,000 characters, over 2,000 bytes
    assert client.post(URL, json=statement(object={"id": cjk}), headers=h).status_code == 400


def test_a_unique_key_met_in_a_bulk_write_is_an_integrity_error(session):
    """A lost race in a batch surfaces as IntegrityError (callers compare and retry), however
    the rows were written."""
    rows = [
        {"seq": 1, "agent_key": f"Agent|mbox:mailto:{i}@x", "relation": "actor", "stored": utcnow()}
        for i in range(10)
    ]
    insert_rows(session, LrsStatementAgent.__table__, rows)
    with pytest.raises(IntegrityError):
        insert_rows(session, LrsStatementAgent.__table__, rows)


def _multipart(statement_: dict, body: bytes) -> tuple[bytes, str]:
    boundary = "b0undary"
    sha2 = hashlib.sha256(body).hexdigest()
    payload = (
        (
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(statement_)}\r\n"
            f"--{boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return payload, f'multipart/mixed; boundary="{boundary}"'


def test_naming_another_statement_s_attachment_hash_does_not_fetch_its_body(
    client, h, world, session
):
    secret = b"a certificate scan of someone else"
    sha2 = hashlib.sha256(secret).hexdigest()
    attachment = {
        "usageType": "http://example.com/attachment/certificate",
        "display": {"en": "certificate"},
        "contentType": "text/plain",
        "length": len(secret),
        "sha2": sha2,
    }
    body, content_type = _multipart(statement(attachments=[attachment]), secret)
    first = client.post(URL, content=body, headers={**h, "Content-Type": content_type})
    assert first.status_code == 200, first.text

    learner, headers = world.learner_with_login()
    me = actor_for(get_settings(), session.get(Learner, uuid.UUID(learner["id"])))
    lh = {**headers, **V1}
    claim = statement(actor=me, attachments=[{**attachment, "fileUrl": "http://example.com/f"}])
    sid = client.post(URL, json=claim, headers=lh).json()[0]
    got = client.get(URL, params={"statementId": sid, "attachments": "true"}, headers=lh)
    assert got.status_code == 200
    assert secret not in got.content


def test_nobody_can_void_another_person_s_statement_before_it_arrives(client, h, world, session):
    learner, headers = world.learner_with_login()
    me = actor_for(get_settings(), session.get(Learner, uuid.UUID(learner["id"])))
    target = str(uuid.uuid4())
    void = statement(
        actor=me,
        verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": target},
    )
    assert client.post(URL, json=void, headers={**headers, **V1}).status_code == 200
    assert (
        client.put(URL, params={"statementId": target}, json=statement(), headers=h).status_code
        == 204
    )
    assert client.get(URL, params={"statementId": target}, headers=h).status_code == 200


def test_an_unrestricted_voider_may_void_a_statement_before_it_arrives(client, h):
    target = str(uuid.uuid4())
    void = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": target},
    )
    assert client.post(URL, json=void, headers=h).status_code == 200
    client.put(URL, params={"statementId": target}, json=statement(), headers=h)
    assert client.get(URL, params={"statementId": target}, headers=h).status_code == 404
    assert client.get(URL, params={"voidedStatementId": target}, headers=h).status_code == 200


def test_basic_credentials_that_are_not_base64_are_a_401(client):
    bad = {"Authorization": "Basic ***", **V1}
    assert client.get(URL, headers=bad).status_code == 401
    odd = base64.b64encode(b"no-colon-here").decode()
    assert client.get(URL, headers={"Authorization": f"Basic {odd}", **V1}).status_code == 401
