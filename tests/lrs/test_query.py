"""Querying statements as an LRS client does (xAPI 1.0.3 Communication §2.1.3, Data §2.5 /
9274.1.1 §9.3.3.1): filters, the StatementRef rule, pages, formats, and refusals."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

V1 = {"X-Experience-API-Version": "1.0.3"}
URL = "/xAPI/statements"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
ANN = {"objectType": "Agent", "mbox": "mailto:ann@example.com"}
BOB = {"objectType": "Agent", "mbox": "mailto:bob@example.com"}
TEAM = {"objectType": "Group", "name": "Team", "member": [BOB]}


def verb(name: str) -> dict:
    return {"id": f"http://example.com/verbs/{name}", "display": {"en-US": name, "en-GB": name}}


def statement(actor=ANN, v="did", obj="http://example.com/a/1", **extra) -> dict:
    target = {"id": obj} if isinstance(obj, str) else obj
    return {"actor": actor, "verb": verb(v), "object": target, **extra}


@pytest.fixture
def h(world) -> dict:
    return {**world.platform, **V1}


def ids(client, h, **params) -> list[str]:
    r = client.get(URL, params=params, headers=h)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()["statements"]]


def post(client, h, *statements) -> list[str]:
    r = client.post(URL, json=list(statements), headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def test_filters_match_actor_object_members_and_related(client, h):
    reg = str(uuid.uuid4())
    a = post(client, h, statement(context={"registration": reg}))[0]
    b = post(client, h, statement(actor=BOB, obj={"objectType": "Agent", **ANN}))[0]
    c = post(client, h, statement(actor=TEAM, v="met"))[0]
    d = post(
        client,
        h,
        statement(
            actor=BOB,
            obj="http://example.com/a/2",
            context={
                "instructor": ANN,
                "contextActivities": {"parent": [{"id": "http://example.com/a/1"}]},
            },
        ),
    )[0]
    agent = json.dumps({"mbox": "mailto:ann@example.com"})
    assert ids(client, h, agent=agent) == [b, a]
    assert ids(client, h, agent=agent, related_agents="true") == [d, b, a]
    assert ids(client, h, agent=json.dumps(BOB)) == [d, c, b]  # c: Bob is a member of the group
    assert ids(client, h, verb="http://example.com/verbs/met") == [c]
    assert ids(client, h, activity="http://example.com/a/1") == [c, a]
    assert ids(client, h, activity="http://example.com/a/1", related_activities="true") == [
        d,
        c,
        a,
    ]
    assert ids(client, h, registration=reg) == [a]
    assert ids(client, h, registration=reg, verb="http://example.com/verbs/met") == []
    assert ids(client, h, ascending="true") == [a, b, c, d]


def test_statements_targeting_a_match_are_returned_and_voided_ones_are_not(client, h):
    target = post(client, h, statement(v="passed"))[0]
    ref = post(
        client,
        h,
        statement(actor=BOB, v="confirmed", obj={"objectType": "StatementRef", "id": target}),
    )[0]
    ref_of_ref = post(
        client, h, statement(actor=BOB, v="liked", obj={"objectType": "StatementRef", "id": ref})
    )[0]
    passed = "http://example.com/verbs/passed"
    assert ids(client, h, verb=passed) == [ref_of_ref, ref, target]
    void = post(
        client,
        h,
        statement(actor=BOB, v="x", obj={"objectType": "StatementRef", "id": target})
        | {"verb": {"id": VOIDED}},
    )[0]
    assert ids(client, h, verb=passed) == [void, ref_of_ref, ref]
    assert ids(client, h, verb=passed, limit="1") == [void]
    assert target not in ids(client, h)


def test_since_until_and_pages_through_more(client, h):
    first = post(client, h, statement())[0]
    time.sleep(0.01)
    middle = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    rest = post(client, h, *[statement(v=f"v{i}") for i in range(4)])
    assert ids(client, h, since=middle) == list(reversed(rest))
    assert ids(client, h, until=middle) == [first]
    seen, url = [], f"{URL}?limit=2&agent={json.dumps(ANN)}"
    while url:
        r = client.get(url, headers=h)
        assert r.status_code == 200
        body = r.json()
        assert len(body["statements"]) <= 2
        seen += [s["id"] for s in body["statements"]]
        url = body["more"]
        assert "ann@example.com" not in url and "ann%40example.com" not in url
    assert seen == list(reversed(rest)) + [first]
    # A more link is the caller's own, and a forged one is refused.
    r = client.get(f"{URL}?limit=1", headers=h)
    token = parse_qs(urlsplit(r.json()["more"]).query)["more"][0]
    assert client.get(URL, params={"more": token[:-4] + "AAAA"}, headers=h).status_code == 400
    assert client.get(URL, params={"more": token, "limit": "1"}, headers=h).status_code == 400


def test_formats_ids_and_canonical(client, h):
    activity = {
        "objectType": "Activity",
        "id": "http://example.com/a/fmt",
        "definition": {
            "name": {"en-US": "Welding", "en-GB": "Welding (GB)", "zh-CN": "焊接"},
            "description": {"en-US": "Basics", "zh-CN": "基础"},
        },
    }
    sid = post(client, h, statement(actor={**ANN, "name": "Ann"}, obj=activity))[0]
    got = client.get(
        URL,
        params={"statementId": sid, "format": "canonical"},
        headers={**h, "Accept-Language": "zh-CN, en;q=0.5"},
    ).json()
    assert got["object"]["definition"]["name"] == {"zh-CN": "焊接"}
    assert len(got["verb"]["display"]) == 1  # no zh: an "en" entry
    assert next(iter(got["verb"]["display"])).startswith("en-")
    assert got["actor"]["name"] == "Ann"
    only_ids = client.get(URL, params={"statementId": sid, "format": "ids"}, headers=h).json()
    assert only_ids["actor"] == ANN
    assert only_ids["object"] == {"id": activity["id"]}
    assert only_ids["verb"] == {"id": "http://example.com/verbs/did"}
    exact = client.get(URL, params={"statementId": sid}, headers=h).json()
    assert exact["object"] == activity


@pytest.mark.parametrize(
    "params",
    [
        {"LIMIT": "1"},
        {"limit": "-1"},
        {"limit": "x"},
        {"ascending": "yes"},
        {"format": "full"},
        {"agent": "{not json"},
        {"agent": json.dumps({"name": "no ifi"})},
        {"verb": "not an iri"},
        {"registration": "nope"},
        {"since": "yesterday"},
        {"statementId": str(uuid.uuid4()), "verb": "http://example.com/v"},
        {"voidedStatementId": str(uuid.uuid4()), "limit": "1"},
        {"statementId": str(uuid.uuid4()), "voidedStatementId": str(uuid.uuid4())},
        {"statementId": "nope"},
    ],
)
def test_bad_queries_are_400_with_the_consistency_header(client, h, params):
    r = client.get(URL, params=params, headers=h)
    assert r.status_code == 400, r.text
    assert r.headers["x-experience-api-consistent-through"]


def test_a_query_head_and_an_empty_result(client, h):
    r = client.get(URL, params={"verb": "http://example.com/verbs/none"}, headers=h)
    assert r.json() == {"statements": [], "more": ""}
    head = client.head(URL, params={"verb": "http://example.com/verbs/none"}, headers=h)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["x-experience-api-consistent-through"]
    single = client.get(URL, params={"statementId": str(uuid.uuid4()), "format": "ids"}, headers=h)
    assert single.status_code == 404
