"""Alternate Request Syntax (xAPI 1.0.3 Communication §1.3): a form POST standing for another
request is answered as that request; xAPI 2.0 (9274.1.1) dropped it, so there it is a 400."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from service.api.routes.xapi.alternate import AlternateSyntaxMiddleware

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
V1 = {"X-Experience-API-Version": "1.0.3"}


async def echo(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "method": request.method,
            "query": dict(request.query_params),
            "headers": {k: v for k, v in request.headers.items() if k != "host"},
            "body": (await request.body()).decode(),
        }
    )


@pytest.fixture
def echo_client():
    methods = ["GET", "HEAD", "PUT", "POST", "DELETE"]
    app = Starlette(routes=[Route("/xAPI/{rest:path}", echo, methods=methods)])
    app.add_middleware(AlternateSyntaxMiddleware)
    return TestClient(app)


def test_put_with_headers_and_parameters_in_the_form(echo_client):
    statement = {"actor": {"mbox": "mailto:a@x.org"}, "verb": {"id": "http://x/v"}}
    form = {
        "statementId": "8f8b0c2a-6a8e-4c0b-9a5c-0b9e1f2d3c4e",
        "content": json.dumps(statement),
        "Authorization": "Basic YTpi",
        "X-Experience-API-Version": "1.0.3",
        "If-None-Match": "*",
    }
    r = echo_client.post("/xAPI/statements?method=PUT", content=urlencode(form), headers=FORM)
    seen = r.json()
    assert seen["method"] == "PUT"
    assert seen["query"] == {"statementId": form["statementId"]}
    assert json.loads(seen["body"]) == statement
    assert seen["headers"]["authorization"] == "Basic YTpi"
    assert seen["headers"]["if-none-match"] == "*"
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["headers"]["content-length"] == str(len(seen["body"].encode()))


def test_form_values_override_real_headers_and_content_type_is_kept(echo_client):
    form = {
        "content": "plain words",
        "Content-Type": "text/plain",
        "X-Experience-API-Version": "1.0.1",
    }
    r = echo_client.post(
        "/xAPI/activities/state?method=POST", content=urlencode(form), headers={**FORM, **V1}
    )
    seen = r.json()
    assert seen["method"] == "POST" and seen["body"] == "plain words"
    assert seen["headers"]["content-type"] == "text/plain"
    assert seen["headers"]["x-experience-api-version"] == "1.0.1"


def test_get_with_parameters_in_the_form(echo_client):
    r = echo_client.post("/xAPI/statements?method=GET", content="limit=1", headers={**FORM, **V1})
    seen = r.json()
    assert seen["method"] == "GET" and seen["query"] == {"limit": "1"} and seen["body"] == ""


def test_ordinary_requests_pass_untouched(echo_client):
    r = echo_client.post("/xAPI/statements?limit=1", content="x=1", headers=FORM)
    assert r.json()["method"] == "POST" and r.json()["body"] == "x=1"
    r = echo_client.post("/other?method=PUT", content="x=1", headers=FORM)
    assert r.status_code == 404


@pytest.mark.parametrize(
    "method, url, body, headers",
    [
        pytest.param("put", "/xAPI/statements?method=POST", "content=%7B%7D", FORM, id="not POST"),
        pytest.param(
            "post", "/xAPI/statements?method=PUT&statementId=x", "content=1", FORM, id="extra query"
        ),
        pytest.param("post", "/xAPI/statements?method=PATCH", "", FORM, id="unknown method"),
        pytest.param(
            "post", "/xAPI/statements?method=PUT", '{"content": "{}"}', FORM, id="form is json"
        ),
        pytest.param(
            "post",
            "/xAPI/statements?method=PUT",
            "content=%7B%7D",
            {"Content-Type": "application/json"},
            id="body not a form",
        ),
        pytest.param(
            "post", "/xAPI/statements?method=PUT", "content=1&content=2", FORM, id="repeated"
        ),
        pytest.param(
            "post",
            "/xAPI/statements?method=GET",
            "",
            {**FORM, "X-Experience-API-Version": "2.0.0"},
            id="xAPI 2.0 header",
        ),
        pytest.param(
            "post",
            "/xAPI/statements?method=GET",
            "X-Experience-API-Version=2.0.0",
            {**FORM, **V1},
            id="xAPI 2.0 in the form",
        ),
    ],
)
def test_refused_with_400(echo_client, method, url, body, headers):
    r = echo_client.request(method.upper(), url, content=body, headers=headers)
    assert r.status_code == 400
    assert r.json()["code"] == "xapi-bad-request"


def test_through_the_service_body_limit_and_version_header(client, settings):
    r = client.post("/xAPI/about?method=GET", content="", headers=FORM)
    assert r.status_code == 200 and "1.0.3" in r.json()["version"]
    r = client.post(
        "/xAPI/about?method=GET", content="", headers={**FORM, "X-Experience-API-Version": "2.0.0"}
    )
    assert r.status_code == 400
    assert r.headers["X-Experience-API-Version"] == "2.0.0"
    r = client.post("/xAPI/about?method=GET&limit=1", content="", headers={**FORM, **V1})
    assert r.status_code == 400
    assert r.headers["X-Experience-API-Version"] == "1.0.3"
    big = "content=" + "a" * (settings.max_request_body_bytes + 10)
    r = client.post("/xAPI/activities/state?method=PUT", content=big, headers=FORM)
    assert r.status_code == 413


def test_statement_put_and_get_through_the_lrs(client, world):
    auth = world.platform["Authorization"]
    sid = "8f8b0c2a-6a8e-4c0b-9a5c-0b9e1f2d3c4e"
    statement = {
        "actor": {"mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "http://example.com/activities/welding"},
    }
    form = {
        "statementId": sid,
        "content": json.dumps(statement),
        "Authorization": auth,
        "X-Experience-API-Version": "1.0.3",
    }
    r = client.post("/xAPI/statements?method=PUT", content=urlencode(form), headers=FORM)
    assert r.status_code == 204, r.text
    assert r.headers["X-Experience-API-Version"] == "1.0.3"
    form = {"statementId": sid, "Authorization": auth, "X-Experience-API-Version": "1.0.3"}
    r = client.post("/xAPI/statements?method=GET", content=urlencode(form), headers=FORM)
    assert r.status_code == 200 and r.json()["id"] == sid
    # Without credentials in the form or the header: refused like any other request.
    form.pop("Authorization")
    r = client.post("/xAPI/statements?method=GET", content=urlencode(form), headers=FORM)
    assert r.status_code == 401


def test_head_answers_without_a_body(client):
    r = client.post(
        "/xAPI/about?method=HEAD", content="X-Experience-API-Version=1.0.3", headers=FORM
    )
    assert r.status_code == 200 and r.content == b""
    assert "content-length" not in r.headers or r.headers["content-length"] == "0"
