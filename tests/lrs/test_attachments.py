"""Attachments matched to their statements, stored once per sha2, and sent back as
multipart/mixed (xAPI 1.0.3 Data §2.4.11, Communication §1.5.2, §2.1.3)."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlmodel import select

from service.core.errors import BadRequest
from service.core.storage import get_storage
from service.lrs.attachments import build_multipart, check_attachments, save_parts
from service.lrs.models import LrsAttachment
from service.lrs.multipart import Part, parse_statement_request


def part(data: bytes, content_type: str = "text/plain") -> Part:
    return Part(content_type, data, hashlib.sha256(data).hexdigest())


ONE, TWO = part(b"first attachment"), part(b"second attachment\r\n\x00")


def statement(*attachments: dict) -> dict:
    return {"actor": {"mbox": "mailto:a@x.org"}, "attachments": list(attachments)}


def attachment(p: Part, **extra) -> dict:
    return {
        "usageType": "http://example.com/usage",
        "display": {"en-US": "file"},
        "contentType": p.content_type,
        "length": len(p.data),
        "sha2": p.sha2,
        **extra,
    }


def test_every_attachment_has_its_part_or_a_file_url():
    check_attachments(
        [
            statement(attachment(ONE), attachment(TWO, fileUrl="http://x.org/2")),
            statement(attachment(ONE)),
        ],
        {ONE.sha2: ONE},
        "1.0.3",
    )
    check_attachments([statement(attachment(ONE, fileUrl="http://x.org/1"))], {}, "2.0.0")


def test_attachment_without_its_part_is_refused():
    with pytest.raises(BadRequest):
        check_attachments([statement(attachment(ONE), attachment(TWO))], {ONE.sha2: ONE}, "1.0.3")


def test_part_no_attachment_names_is_refused():
    with pytest.raises(BadRequest):
        check_attachments([statement(attachment(ONE))], {ONE.sha2: ONE, TWO.sha2: TWO}, "1.0.3")
    with pytest.raises(BadRequest):
        check_attachments([statement()], {ONE.sha2: ONE}, "1.0.3")


def test_sha2_compares_without_case():
    check_attachments(
        [statement(attachment(ONE) | {"sha2": ONE.sha2.upper()})], {ONE.sha2: ONE}, "1.0.3"
    )


def test_saved_once_and_returned_as_multipart(session):
    save_parts(session, {ONE.sha2: ONE, TWO.sha2: TWO})
    save_parts(session, {ONE.sha2: ONE})
    session.commit()
    rows = session.exec(select(LrsAttachment)).all()
    assert sorted(r.sha2 for r in rows) == sorted([ONE.sha2, TWO.sha2])
    assert {r.length for r in rows} == {len(ONE.data), len(TWO.data)}

    result = json.dumps({"statements": [statement(attachment(ONE), attachment(TWO))]}).encode()
    body, content_type = build_multipart(result, [TWO.sha2, ONE.sha2, TWO.sha2], session)
    # A client reads it back the way it sends one.
    assert content_type.startswith("multipart/mixed; boundary=")
    first, parts = parse_statement_request(content_type, body)
    assert first == json.loads(result)
    assert parts == {TWO.sha2: TWO, ONE.sha2: ONE}
    # Each hash appears once in the JSON and once as a part header (what the suite counts).
    assert body.count(ONE.sha2.encode()) == 2


def test_multipart_without_attachments_and_missing_bodies(session):
    body, content_type = build_multipart(b'{"statements": []}', [ONE.sha2], session)
    assert parse_statement_request(content_type, body) == ({"statements": []}, {})
    save_parts(session, {ONE.sha2: ONE})
    get_storage().delete(f"lrs/attachments/{ONE.sha2}")
    assert parse_statement_request(*reversed(build_multipart(b"{}", [ONE.sha2], session)))[1] == {}
