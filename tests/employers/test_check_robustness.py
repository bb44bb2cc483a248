"""What a check must survive: control characters in the submitted text, big uploads parsed off
the event loop, a burst of checks (rate limit), slow or many other issuers (time budget) and a
sheet whose headers name no credential column."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select

from service.api.routes import employer_upload
from service.issuing.employer_models import EmployerCheckRow, EmployerCheckRun
from tests.fixtures.builder import count
from tests.fixtures.foreign_issuer import ForeignIssuer, public_jwk, vc11_token

CONTROL = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))]


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _upload_csv(client, headers, rows):
    return client.post(
        "/api/v1/employer/checks",
        files={"file": ("list.csv", _csv(rows), "text/csv")},
        headers=headers,
    )


# ---- control characters ----------------------------------------------------------------------


def test_nul_and_control_characters_in_a_submitted_credential_are_not_stored(
    client, session, employer, check, issued
):
    """Anyone's JSON credential names its achievement, issuer and dates: a NUL there (which
    PostgreSQL refuses in text) must not cost the employer the whole run."""
    _cred, token = issued
    forged = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:7a1d3c5e-0000-4000-8000-000000000099\u0000",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": "https://x.example/i/1",
            "type": ["Profile"],
            "name": "某\u0000学校\u0085",
        },
        "validFrom": "2024-05-01T00:00:00Z\u0000",
        "name": "焊工\u0000\n",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://x.example/a/1",
                "type": ["Achievement"],
                "name": "焊\u0000工\r\n(中级)\x1b[31m",
            },
        },
    }
    run = check(
        [
            {"token": json.dumps(forged), "reference": "A-001\u0000\u009b"},
            {"token": token, "reference": "A-002\n=cmd"},
        ]
    )
    assert [r["result"] for r in run["rows"]] == ["invalid", "valid"]
    first = run["rows"][0]
    assert first["achievement"] == "焊 工 (中级) [31m"
    assert first["issuer"] == "某 学校"
    assert first["issued"] == "2024-05-01T00:00:00Z"
    assert first["reference"] == "A-001"
    assert run["rows"][1]["reference"] == "A-002 =cmd"
    stored = session.exec(select(EmployerCheckRow).order_by(EmployerCheckRow.position)).all()
    assert len(stored) == 2
    for row in stored:
        for text in (row.reference, row.achievement, row.issuer, row.issued, row.credential_id):
            assert not any(c in (text or "") for c in CONTROL), repr(text)
    report = client.get(run["report_xlsx"], headers=employer)
    assert report.status_code == 200


def test_the_report_holds_no_control_characters(client, employer, check):
    run = check([{"token": "not a token", "reference": "R\u0000-1\u2028x"}])
    body = client.get(run["report_csv"], headers=employer).content.decode("utf-8-sig")
    assert "\x00" not in body and "R -1\u2028x" in body
    lines = list(csv.reader(io.StringIO(body)))
    assert len(lines) == 2 and lines[1][2] == "R -1\u2028x"  # the header and one line


def test_an_overlong_reference_is_refused_and_names_are_bounded(check):
    assert check([{"token": "x", "reference": "r" * 501}], expect=422)["index"] == 0
    forged = {
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://x.example/i/1", "name": "校" * 5000},
        "name": "名" * 5000,
        "validFrom": "2" * 500,
    }
    row = check([json.dumps(forged)])["rows"][0]
    assert len(row["achievement"]) == 500 and len(row["issuer"]) == 500
    assert len(row["issued"]) == 40


# ---- parsing off the event loop --------------------------------------------------------------


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def parsed_on(monkeypatch):
    """Where the upload's parsers ran: True for each call made on the event loop."""
    calls: list[tuple[str, bool]] = []
    for name in ("_rows", "_json_items"):
        real = getattr(employer_upload, name)

        def spy(*args, _real=real, _name=name):
            calls.append((_name, _on_event_loop()))
            return _real(*args)

        monkeypatch.setattr(employer_upload, name, spy)
    return calls


def test_sheets_and_json_are_parsed_off_the_event_loop(client, employer, check, issued, parsed_on):
    _cred, token = issued
    assert check([token])["rows"][0]["result"] == "valid"
    sheet = _upload_csv(client, employer, [["证书"], [token]])
    assert sheet.status_code == 201, sheet.text
    assert parsed_on == [("_json_items", False), ("_rows", False)]


# ---- rate limit -------------------------------------------------------------------------------


def test_a_burst_of_checks_beyond_the_default_limit_is_429(settings, employer):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.core.settings import Settings

    defaults = {
        name: field.default
        for name, field in Settings.model_fields.items()
        if name.startswith("rate_limit_")
    }
    limit = int(defaults["rate_limit_employer_checks"].split("/")[0])
    app = create_app(settings.model_copy(update=defaults), start_relay=False)
    body = {"items": [f"urn:uuid:{uuid.uuid4()}"]}
    with TestClient(app) as c:
        codes = [
            c.post("/api/v1/employer/checks", json=body, headers=employer).status_code
            for _ in range(limit + 1)
        ]
        assert codes[:limit] == [201] * limit
        assert codes[limit] == 429
        refused = c.post("/api/v1/employer/checks", json=body, headers=employer)
        assert refused.json()["code"] == "too-many-requests"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Reading the stored runs is not limited.
        assert c.get("/api/v1/employer/checks", headers=employer).status_code == 200


# ---- time budget ------------------------------------------------------------------------------


def _foreign_token(issuer: ForeignIssuer, n: int) -> str:
    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id, kid = f"{issuer.base}/issuers/{n}", f"{issuer.base}/keys/{n}"
    issuer.serve(f"/keys/{n}", public_jwk(private, kid, iss=issuer_id))
    return vc11_token(private, kid, issuer_id)


def _count_requests(issuer: ForeignIssuer, delay: float = 0.0, during=None) -> list[str]:
    """The paths ``issuer`` is asked for from now on; each answer takes ``delay`` seconds and
    calls ``during()`` (while the checking request waits for it) first."""
    asked: list[str] = []
    handler = issuer.server.RequestHandlerClass

    class Counting(handler):  # type: ignore[misc, valid-type]
        def do_GET(self):
            asked.append(self.path)
            if during is not None:
                during()
            time.sleep(delay)
            super().do_GET()

    issuer.server.RequestHandlerClass = Counting
    return asked


def test_past_the_time_budget_other_issuers_are_not_fetched(check, issued, settings, foreign):
    settings.trusted_http_hosts = ["127.0.0.1"]  # the other issuer is served on loopback
    _cred, own = issued
    token = _foreign_token(foreign, 1)
    asked = _count_requests(foreign)
    assert check([token])["rows"][0]["result"] == "valid"  # with time to spare it verifies
    assert asked

    asked.clear()
    settings.employer_check_seconds = 0
    rows = check([token, own])["rows"]
    assert [(r["result"], r["reason"]) for r in rows] == [
        ("inconclusive", "time_budget_spent"),
        ("valid", "valid"),
    ]
    assert asked == []


def test_the_budget_is_spent_during_a_run(check, issued, settings, foreign):
    """A slow issuer uses the run's time; the next issuer is not fetched at all, and our own
    credentials after it still verify."""
    settings.trusted_http_hosts = ["127.0.0.1"]
    settings.employer_check_seconds = 0.5
    _cred, own = issued
    slow_token = _foreign_token(foreign, 1)
    slow = _count_requests(foreign, delay=1.0)
    other = ForeignIssuer()
    try:
        other_token = _foreign_token(other, 2)
        other_asked = _count_requests(other)
        rows = check([slow_token, other_token, own])["rows"]
    finally:
        other.server.shutdown()
        other.server.server_close()
    assert slow  # the first issuer was asked, within the budget
    assert other_asked == []
    assert [(r["result"], r["reason"]) for r in rows[1:]] == [
        ("inconclusive", "time_budget_spent"),
        ("valid", "valid"),
    ]


@pytest.mark.postgres(reason="pg_stat_activity shows a transaction left open")
def test_no_transaction_stays_open_while_other_issuers_are_fetched(
    check, settings, foreign, db_url
):
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from service.core.db import normalise_url

    settings.trusted_http_hosts = ["127.0.0.1"]
    watcher = create_engine(normalise_url(db_url), poolclass=NullPool)
    with watcher.connect() as conn:
        started = conn.execute(text("SELECT clock_timestamp()")).scalar()
    open_now: list[int] = []

    def look():
        """Transactions begun since the request started and idle now (waiting on us)."""
        with watcher.connect() as conn:
            open_now.append(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND state LIKE 'idle in transaction%' "
                        "AND xact_start >= :started AND pid <> pg_backend_pid()"
                    ),
                    {"started": started},
                ).scalar_one()
            )

    token = _foreign_token(foreign, 1)
    _count_requests(foreign, during=look)
    try:
        assert check([token])["rows"][0]["result"] == "valid"
    finally:
        watcher.dispose()
    assert open_now and set(open_now) == {0}


# ---- the credential column --------------------------------------------------------------------


def test_a_sheet_with_unknown_headers_finds_the_credential_column(
    client, employer, issued, make_share, holder_credential
):
    cred, token = issued
    share = make_share(holder_credential["id"])
    rows = [["Name", "Link", "Note"], ["张三", share["url"], "a"], ["李四", cred["id"], "b"]]
    r = _upload_csv(client, employer, rows)
    assert r.status_code == 201, r.text
    got = r.json()["rows"]
    assert [(x["input_kind"], x["result"]) for x in got] == [
        ("share_link", "valid"),
        ("credential_id", "valid"),
    ]
    assert got[0]["extra"] == {"Name": "张三", "Note": "a"}
    # Without a header, a credential in a later column: the first row is data.
    r = _upload_csv(client, employer, [["A-1", token], ["A-2", cred["id"]]])
    assert [x["result"] for x in r.json()["rows"]] == ["valid", "valid"]


def test_a_sheet_without_a_credential_column_is_refused(client, session, employer):
    r = _upload_csv(client, employer, [["Name", "Link"], ["张三", "没有"], ["李四", "n/a"]])
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "no-credential-column"
    assert "credential" in problem["detail"] and "证书" in problem["detail"]
    assert "credential" in problem["accepted_headers"]
    assert count(session, EmployerCheckRun) == 0
