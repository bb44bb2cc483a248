"""Storing statements and reading one back, as an LRS client sees it (xAPI 1.0.3 Communication
§2.1.1-2.1.2, §2.1.4, Data §2.3-2.4 / 9274.1.1 §9.3.3.1, §5.1-5.2)."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlmodel import func, select

from service.accounts.access import Principal
from service.accounts.models import Role
from service.core.settings import get_settings
from service.lrs import statements as store
from service.lrs.access import LrsCaller, authority_for
from service.lrs.models import LrsActivity, LrsStatement
from service.packages.enrollment_launch import actor_for
from service.training.models import Learner

V1 = {"X-Experience-API-Version": "1.0.3"}
V2 = {"X-Experience-API-Version": "2.0.0"}
URL = "/xAPI/statements"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def statement(**extra) -> dict:
    return {
        "actor": {"objectType": "Agent", "mbox": "mailto:ann@example.com", "name": "Ann"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
        "object": {"id": "http://example.com/activities/welding"},
        **extra,
    }


def voiding(target: str) -> dict:
    return statement(
        verb={"id": VOIDED, "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": target},
    )


@pytest.fixture
def h(world) -> dict:
    return {**world.platform, **V1}


def stored_count(session) -> int:
    return session.exec(select(func.count()).select_from(LrsStatement)).one()


def test_put_post_get_and_the_properties_the_lrs_sets(client, h):
    sid = str(uuid.uuid4())
    sent = statement(id=sid, authority={"objectType": "Agent", "mbox": "mailto:me@x.org"})
    put = client.put(URL, params={"statementId": sid}, json=sent, headers=h)
    assert put.status_code == 204, put.text
    got = client.get(URL, params={"statementId": sid}, headers=h)
    assert got.status_code == 200
    body = got.json()
    assert body["id"] == sid and body["version"] == "1.0.0"
    assert body["authority"]["account"]["name"] != "" and "mbox" not in body["authority"]
    assert body["timestamp"] == body["stored"] and body["stored"].endswith("Z")
    assert datetime.fromisoformat(body["stored"]).microsecond % 1000 == 0
    assert got.headers["last-modified"].endswith("GMT")
    assert got.headers["x-experience-api-consistent-through"]
    assert got.headers["content-type"] == "application/json"

    posted = client.post(
        URL, json=[statement(), statement(timestamp="2024-05-04T12:00:00Z")], headers=h
    )
    assert posted.status_code == 200
    ids = posted.json()
    assert len(ids) == 2 and all(uuid.UUID(i) for i in ids)
    second = client.get(URL, params={"statementId": ids[1]}, headers=h).json()
    assert second["timestamp"] == "2024-05-04T12:00:00Z"
    v2 = client.post(URL, json=statement(), headers={**h, **V2})
    assert client.get(URL, params={"statementId": v2.json()[0]}, headers=h).json()["version"] == (
        "2.0.0"
    )


def test_head_answers_like_get_without_a_body(client, h):
    sid = client.post(URL, json=statement(), headers=h).json()[0]
    got = client.get(URL, params={"statementId": sid}, headers=h)
    head = client.head(URL, params={"statementId": sid}, headers=h)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["last-modified"] == got.headers["last-modified"]
    assert head.headers["x-experience-api-consistent-through"]


def test_ids_are_idempotent_and_conflicts_are_refused(client, h, session):
    sid = str(uuid.uuid4())
    first = statement(id=sid)
    assert client.post(URL, json=first, headers=h).status_code == 200
    # The same statement again (LRS-set properties aside) is accepted and stored once.
    again = {**first, "stored": "2011-07-15T00:00:00Z", "version": "1.0.3"}
    assert client.put(URL, params={"statementId": sid}, json=again, headers=h).status_code == 204
    assert client.post(URL, json=[first], headers=h).json() == [sid]
    assert stored_count(session) == 1
    changed = {**first, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    assert client.post(URL, json=changed, headers=h).status_code == 409
    assert client.put(URL, params={"statementId": sid}, json=changed, headers=h).status_code == 409
    assert client.get(URL, params={"statementId": sid}, headers=h).json()["verb"] == first["verb"]


def test_batches_are_all_or_nothing(client, h, session):
    twice = statement(id=str(uuid.uuid4()))
    assert client.post(URL, json=[twice, twice], headers=h).status_code == 400
    bad = statement(verb={"id": "not an iri"})
    assert client.post(URL, json=[statement(), bad], headers=h).status_code == 400
    conflicting = statement(id=str(uuid.uuid4()))
    assert client.post(URL, json=conflicting, headers=h).status_code == 200
    changed = {**conflicting, "object": {"id": "http://example.com/other"}}
    assert client.post(URL, json=[statement(), changed], headers=h).status_code == 409
    assert stored_count(session) == 1


def test_put_needs_a_matching_statement_id(client, h):
    sid = str(uuid.uuid4())
    assert client.put(URL, json=statement(), headers=h).status_code == 400
    other = statement(id=str(uuid.uuid4()))
    assert client.put(URL, params={"statementId": sid}, json=other, headers=h).status_code == 400
    bad = client.put(URL, params={"statementId": "nope"}, json=statement(), headers=h)
    assert bad.status_code == 400
    assert client.put(
        URL, params={"statementId": sid}, json=[statement()], headers=h
    ).status_code == (400)
    assert client.post(URL, content=b"{", headers=h).status_code == 400


def test_voiding(client, h):
    target = client.post(URL, json=statement(), headers=h).json()[0]
    void_id = client.post(URL, json=voiding(target), headers=h).json()[0]
    assert client.get(URL, params={"statementId": target}, headers=h).status_code == 404
    got = client.get(URL, params={"voidedStatementId": target}, headers=h)
    assert got.status_code == 200 and got.json()["id"] == target
    assert client.get(URL, params={"voidedStatementId": void_id}, headers=h).status_code == 404
    # A voiding statement cannot be voided: it stays retrievable.
    client.post(URL, json=voiding(void_id), headers=h)
    assert client.get(URL, params={"statementId": void_id}, headers=h).status_code == 200
    # A statement arriving after the statement voiding it is voided from the start.
    late = str(uuid.uuid4())
    assert client.post(URL, json=voiding(late), headers=h).status_code == 200
    assert client.put(
        URL, params={"statementId": late}, json=statement(), headers=h
    ).status_code == (204)
    assert client.get(URL, params={"statementId": late}, headers=h).status_code == 404
    assert client.get(URL, params={"voidedStatementId": late}, headers=h).status_code == 200
    # Voided and target in one batch.
    both = str(uuid.uuid4())
    assert client.post(URL, json=[statement(id=both), voiding(both)], headers=h).status_code == 200
    assert client.get(URL, params={"statementId": both}, headers=h).status_code == 404


def test_context_activities_are_returned_as_arrays_and_definitions_kept(client, h, session):
    activity = "http://example.com/activities/course"
    sent = statement(
        object={
            "id": activity,
            "definition": {"name": {"en-US": "Course"}, "type": "http://example.com/t"},
        },
        context={"contextActivities": {"parent": {"id": "http://example.com/parent"}}},
    )
    sid = client.post(URL, json=sent, headers=h).json()[0]
    got = client.get(URL, params={"statementId": sid}, headers=h).json()
    assert got["context"]["contextActivities"]["parent"] == [{"id": "http://example.com/parent"}]
    more = statement(object={"id": activity, "definition": {"name": {"zh-CN": "课程"}}})
    client.post(URL, json=more, headers=h)
    session.expire_all()
    kept = session.get(LrsActivity, activity).definition
    assert kept == {
        "name": {"en-US": "Course", "zh-CN": "课程"},
        "type": "http://example.com/t",
    }
    assert session.get(LrsActivity, "http://example.com/parent") is not None


def test_learner_credentials_write_and_read_only_their_own_statements(world, client, session, h):
    learner, headers = world.learner_with_login()
    me = actor_for(get_settings(), session.get(Learner, uuid.UUID(learner["id"])))
    lh = {**headers, **V1}
    mine = client.post(URL, json=statement(actor=me), headers=lh)
    assert mine.status_code == 200, mine.text
    assert client.post(URL, json=statement(), headers=lh).status_code == 403
    someone_else = client.post(URL, json=statement(), headers=h).json()[0]
    assert client.get(URL, params={"statementId": someone_else}, headers=lh).status_code == 403
    void_other = {**voiding(someone_else), "actor": me}
    assert client.post(URL, json=void_other, headers=lh).status_code == 403
    listed = client.get(URL, headers=lh).json()["statements"]
    assert [s["id"] for s in listed] == mine.json()


def test_a_lost_race_on_an_id_is_compared_not_stored_twice(session, world, monkeypatch):
    """Two requests storing one id: the loser meets the unique index, compares, and accepts."""
    user = world.make_user("platform")
    caller = LrsCaller(Principal(user.id, Role.platform, None), authority_for("http://x", "k"))
    monkeypatch.setattr(store, "project_statements", lambda *a: None)
    sid = str(uuid.uuid4())
    store.store_statements(session, [statement(id=sid)], caller, "1.0.3")
    session.flush()
    real = store.look_up
    calls = []

    def blind_once(session_, ids, activity_ids):
        calls.append(1)
        return store.Known() if len(calls) == 1 else real(session_, ids, activity_ids)

    monkeypatch.setattr(store, "look_up", blind_once)
    assert store.store_statements(session, [statement(id=sid)], caller, "1.0.3") == [sid]
    assert len(calls) == 2
    assert stored_count(session) == 1
