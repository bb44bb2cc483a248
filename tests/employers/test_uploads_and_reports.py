"""Uploading a CSV or XLSX list (with a candidate reference column) or badge images, and the
downloadable report, which holds exactly the JSON rows."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from credentials import baking, images
from service.issuing.employer_models import EmployerCheckRun
from tests.employers.conftest import tampered
from tests.fixtures.builder import count

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_HEADER = [
    "index",
    "input_kind",
    "reference",
    "result",
    "reason",
    "signature",
    "key_provenance",
    "shape",
    "validity",
    "status",
    "credential_id",
    "achievement",
    "issuer",
    "issued",
]


@pytest.fixture
def candidates(issue, token_of, revoke, make_share, holder_credential):
    """(header, rows) of a hiring list: good token, revoked id, forged token, a share link,
    garbage; with a candidate reference and a note column."""
    good = issue()["credential"]
    revoked = issue()["credential"]
    revoke(revoked["id"])
    share = make_share(holder_credential["id"])
    token = token_of(good["id"])
    header = ["候选人", "证书", "备注"]
    rows = [
        ["A-001", token, "一面通过"],
        ["A-002", revoked["id"], ""],
        ["A-003", tampered(token), '=HYPERLINK("http://evil")'],
        ["A-004", share["url"], "内推"],
        ["A-005", "垃圾数据", ""],
    ]
    return header, rows


EXPECTED = ["valid", "revoked", "invalid", "valid", "unreadable"]


def _csv_bytes(header, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_bytes(header, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([str(c).lstrip("=") for c in row])  # a formula cell would be refused
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, headers, name, data, mime):
    return client.post(
        "/api/v1/employer/checks", files={"file": (name, data, mime)}, headers=headers
    )


def _report_csv(client, headers, run_id) -> list[list[str]]:
    r = client.get(f"/api/v1/employer/checks/{run_id}/report.csv", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def _report_xlsx(client, headers, run_id) -> list[list[str]]:
    r = client.get(f"/api/v1/employer/checks/{run_id}/report.xlsx", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _as_lines(rows: list[dict]) -> list[list[str]]:
    """The JSON rows as the report shows them."""
    lines = []
    for row in rows:
        outcomes = {c["name"]: c["outcome"] for c in row["checks"]}
        lines.append(
            [
                str(row["index"]),
                row["input_kind"],
                row["reference"],
                row["result"],
                row["reason"],
                *(outcomes.get(n, "") for n in REPORT_HEADER[5:10]),
                row["credential_id"] or "",
                row["achievement"] or "",
                row["issuer"] or "",
                row["issued"] or "",
                *row["extra"].values(),
            ]
        )
    return lines


def test_csv_upload_with_reference_and_report(client, employer, candidates):
    header, rows = candidates
    r = _upload(client, employer, "候选人.csv", _csv_bytes(header, rows), "text/csv")
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["source"] == "csv" and run["file_name"] == "候选人.csv"
    got = run["rows"]
    assert [g["result"] for g in got] == EXPECTED
    assert [g["reference"] for g in got] == [row[0] for row in rows]
    assert [g["extra"] for g in got][0] == {"备注": "一面通过"}
    assert got[3]["input_kind"] == "share_link"
    report = _report_csv(client, employer, run["id"])
    assert report[0] == [*REPORT_HEADER, "备注"]
    expected = _as_lines(got)
    expected[2][-1] = "'" + expected[2][-1]  # a formula-like note is neutralised in CSV
    assert report[1:] == expected
    xlsx = _report_xlsx(client, employer, run["id"])
    assert xlsx[0] == [*REPORT_HEADER, "备注"]
    assert xlsx[1:] == _as_lines(got)  # XLSX keeps the text as a string cell, never a formula


def test_xlsx_upload_with_reference(client, employer, candidates):
    header, rows = candidates
    r = _upload(client, employer, "list.xlsx", _xlsx_bytes(header, rows), XLSX)
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["source"] == "xlsx"
    assert [g["result"] for g in run["rows"]] == EXPECTED
    assert [g["reference"] for g in run["rows"]] == [row[0] for row in rows]
    assert run["counts"] == {
        "valid": 2,
        "revoked": 1,
        "suspended": 0,
        "expired": 0,
        "invalid": 1,
        "inconclusive": 0,
        "unreadable": 1,
        "not_found": 0,
    }
    assert _report_csv(client, employer, run["id"])[1:] == _as_lines(run["rows"])


def test_headerless_csv_uses_the_first_column(client, employer, issued):
    cred, token = issued
    body = f"{token},x\n{cred['id']},y\n".encode()
    run = _upload(client, employer, "ids.csv", body, "text/csv").json()
    assert [r["result"] for r in run["rows"]] == ["valid", "valid"]
    assert [r["extra"] for r in run["rows"]] == [{"B": "x"}, {"B": "y"}]


def test_several_images(client, employer, issued):
    _cred, token = issued
    png = baking.bake_png(images.default_png(), token)
    svg = baking.bake_svg(images.default_svg("电工"), token).encode()
    files = [
        ("file", ("zhang.png", png, "image/png")),
        ("file", ("li.svg", svg, "image/svg+xml")),
        ("file", ("broken.png", b"\x89PNG broken", "image/png")),
    ]
    r = client.post("/api/v1/employer/checks", files=files, headers=employer)
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["source"] == "images"
    assert [(g["reference"], g["result"]) for g in run["rows"]] == [
        ("zhang.png", "valid"),
        ("li.svg", "valid"),
        ("broken.png", "unreadable"),
    ]


def test_bad_files_and_caps_are_refused_whole(
    client, session, employer, issued, settings, monkeypatch
):
    _cred, token = issued
    r = _upload(client, employer, "x.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = _upload(client, employer, "x.pdf", b"%PDF-1.4 ...", "application/pdf")
    assert r.status_code == 422 and r.json()["code"] == "not-a-spreadsheet"
    monkeypatch.setattr(settings, "employer_check_max_items", 2)
    many = _csv_bytes(["证书"], [[token]] * 3)
    r = _upload(client, employer, "many.csv", many, "text/csv")
    assert r.status_code == 413 and r.json()["code"] == "too-many-items"
    images_ = [("file", (f"{i}.png", b"\x89PNG", "image/png")) for i in range(3)]
    r = client.post("/api/v1/employer/checks", files=images_, headers=employer)
    assert r.status_code == 413
    r = client.post(
        "/api/v1/employer/checks", content=b"x", headers={**employer, "Content-Type": "text/plain"}
    )
    assert r.status_code == 415
    assert count(session, EmployerCheckRun) == 0
