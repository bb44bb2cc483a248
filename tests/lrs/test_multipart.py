"""Reading statement request bodies: JSON, and multipart/mixed as xAPI clients send it
(xAPI 1.0.3 Communication §1.5.2)."""

from __future__ import annotations

import hashlib
import json

import pytest

from service.core.errors import BadRequest
from service.lrs.multipart import parse_statement_request

BOUNDARY = "-------314159265358979323846"
CT = f"multipart/mixed; boundary={BOUNDARY}"
STATEMENT = {"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://x/v"}}
TEXT = b"here is a simple attachment"
SHA = hashlib.sha256(TEXT).hexdigest()


def body(*parts: bytes, nl: bytes = b"\r\n", close: bool = True, preamble: bytes = b"") -> bytes:
    dash = b"--" + BOUNDARY.encode()
    out = preamble
    for i, part in enumerate(parts):
        out += (nl if i or preamble else b"") + dash + nl + part
    return out + (nl + dash + b"--" + nl if close else b"")


def json_part(value=STATEMENT, header: bytes = b"Content-Type: application/json") -> bytes:
    return header + b"\r\n\r\n" + json.dumps(value).encode()


def att_part(data: bytes = TEXT, sha: str = SHA, encoding: str = "binary", extra=b"") -> bytes:
    headers = b"Content-Type: text/plain\r\n"
    if encoding:
        headers += f"Content-Transfer-Encoding: {encoding}\r\n".encode()
    if sha:
        headers += f"X-Experience-API-Hash: {sha}\r\n".encode()
    return headers + extra + b"\r\n" + data


def test_json_body():
    assert parse_statement_request("application/json; charset=utf-8", b'[{"a":1}]') == (
        [{"a": 1}],
        {},
    )


def test_multipart_statement_and_attachment():
    statement, parts = parse_statement_request(CT, body(json_part(), att_part()))
    assert statement == STATEMENT
    assert list(parts) == [SHA]
    assert parts[SHA].data == TEXT and parts[SHA].content_type == "text/plain"


def test_binary_data_with_crlf_inside_is_kept_exactly():
    data = b"\r\n--not-the-boundary\r\n\x00\xff\r\n"
    sha = hashlib.sha256(data).hexdigest()
    _, parts = parse_statement_request(CT, body(json_part(), att_part(data, sha)))
    assert parts[sha].data == data


def test_missing_transfer_encoding_is_taken_as_binary():
    _, parts = parse_statement_request(CT, body(json_part(), att_part(encoding="")))
    assert parts[SHA].data == TEXT


def test_the_specs_example_boundary():
    boundary = "abcABC0123'()+_,-./:=?"
    text = b"here is a simple attachment"
    sha = hashlib.sha256(text).hexdigest()
    dash = b"--" + boundary.encode()
    raw = b"\r\n".join(
        [
            b"",
            dash,
            b"Content-Type:application/json",
            b"",
            json.dumps(STATEMENT).encode(),
            dash,
            b"Content-Type:text/plain",
            b"Content-Transfer-Encoding:binary",
            b"X-Experience-API-Hash:" + sha.encode(),
            b"",
            text,
            dash + b"--",
        ]
    )
    _, parts = parse_statement_request(f'multipart/mixed; boundary="{boundary}"', raw)
    assert parts[sha].data == text


def test_as_the_suite_signs_preamble_crlf_no_space_and_no_final_newline():
    raw = (
        b"\r\n--"
        + BOUNDARY.encode()
        + b"\r\nContent-Type:application/json\r\n\r\n"
        + json.dumps(STATEMENT).encode()
        + b"\r\n--"
        + BOUNDARY.encode()
        + b"\r\nContent-Type:application/octet-stream\r\n"
        + b"Content-Transfer-Encoding:binary\r\nX-Experience-API-Hash:"
        + SHA.encode()
        + b"\r\n\r\n"
        + TEXT
        + b"\r\n--"
        + BOUNDARY.encode()
        + b"--"
    )
    statement, parts = parse_statement_request(CT, raw)
    assert statement == STATEMENT and parts[SHA].data == TEXT


def test_quoted_boundary_bare_lf_and_sha512():
    sha = hashlib.sha512(TEXT).hexdigest().upper()
    raw = body(
        b"Content-Type: application/json\n\n" + json.dumps(STATEMENT).encode(),
        b"Content-Transfer-Encoding: binary\nX-Experience-API-Hash: "
        + sha.encode()
        + b"\n\n"
        + TEXT,
        nl=b"\n",
    )
    _, parts = parse_statement_request(f'multipart/mixed; boundary="{BOUNDARY}"', raw)
    assert parts[sha.lower()].data == TEXT
    assert parts[sha.lower()].content_type == "application/octet-stream"


@pytest.mark.parametrize(
    "content_type, raw",
    [
        pytest.param(None, b"{}", id="no content type"),
        pytest.param("text/plain", b"{}", id="other content type"),
        pytest.param(
            f"multipart/form-data; boundary={BOUNDARY}", body(json_part()), id="form-data"
        ),
        pytest.param("application/json", b"{nope", id="bad json"),
        pytest.param("application/json", b"[" * 100_000, id="json nested too deep"),
        pytest.param("multipart/mixed;", body(json_part()), id="no boundary parameter"),
        pytest.param(CT, json.dumps(STATEMENT).encode(), id="boundary not in body"),
        pytest.param(CT, body(json_part(), att_part(), close=False), id="no close delimiter"),
        pytest.param(
            CT, body(json_part(header=b"Content-Type: text/plain"), att_part()), id="first not json"
        ),
        pytest.param(CT, body(b"\r\n" + json.dumps(STATEMENT).encode()), id="first no headers"),
        pytest.param(CT, body(json_part(), att_part(sha="")), id="no hash header"),
        pytest.param(CT, body(json_part(), att_part(encoding="base64")), id="base64 encoding"),
        pytest.param(CT, body(json_part(), att_part(sha="ab" * 32)), id="hash mismatch"),
        pytest.param(CT, body(json_part(), att_part(sha="zz" * 32)), id="hash not hex"),
        pytest.param(CT, body(json_part(), json_part()), id="statements in two parts"),
        pytest.param(
            CT,
            body(json_part() + b"\r\n" + att_part()),
            id="attachment without its boundary",
        ),
    ],
)
def test_refused_with_400(content_type, raw):
    with pytest.raises(BadRequest):
        parse_statement_request(content_type, raw)
