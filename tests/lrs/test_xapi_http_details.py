"""HTTP details content relies on: content that appends ``/activities/state`` to an endpoint
ending in ``/`` still reaches the LRS (repeated slashes read as one), and no cache keeps an LRS
answer (the same LMS.LaunchData URL answers differently at each launch)."""

from __future__ import annotations

import uuid

from tests.support.xapi import XAPI


def test_double_slash_reaches_the_same_resource(client, world):
    assert client.get("/xAPI//about").json() == client.get("/xAPI/about").json()
    statement = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:slash@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "https://example.org/slash"},
    }
    put = client.post("/xAPI//statements", json=statement, headers=world.admin | XAPI)
    assert put.status_code == 200, put.text
    got = client.get(
        "/xAPI///statements", params={"statementId": statement["id"]}, headers=world.admin | XAPI
    )
    assert got.status_code == 200 and got.json()["id"] == statement["id"]
    assert client.get("/api//v1/enrollments", headers=world.admin).status_code == 404


def test_no_lrs_answer_is_cached(client, world):
    for path in ("/xAPI/about", "/xAPI/statements"):
        r = client.get(path, headers=world.admin | XAPI)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store", path
    missing = client.get(
        "/xAPI/activities/state",
        params={
            "stateId": "s",
            "activityId": "https://example.org/a",
            "agent": '{"mbox": "mailto:a@example.org"}',
        },
        headers=world.admin | XAPI,
    )
    assert missing.status_code == 404 and missing.headers["cache-control"] == "no-store"
