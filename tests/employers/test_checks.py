"""Checking many credentials: every input kind, mixed results, the same answer as /verify,
stored runs scoped to the employer's organization, caps and Idempotency-Key."""

from __future__ import annotations

import base64

from sqlmodel import select

from credentials import baking, images
from service.issuing.employer_models import EmployerCheckRow, EmployerCheckRun
from tests.employers.conftest import tampered
from tests.fixtures.builder import count

CHECK_NAMES = ["signature", "key_provenance", "shape", "validity", "status"]


def _checks(report: dict) -> list[dict]:
    return [{k: c[k] for k in ("name", "outcome", "reason")} for c in report["checks"]]


def test_each_input_kind_gives_one_row(client, check, issued, make_share, holder_credential):
    cred, token = issued
    png = baking.bake_png(images.default_png(), token)
    svg = baking.bake_svg(images.default_svg("电工"), token).encode()
    share = make_share(holder_credential["id"])
    items = [
        token,
        cred["id"],
        cred["id"].removeprefix("urn:uuid:"),
        share["url"],
        share["code"],
        {"share": share["url"], "reference": "C-7"},
        {"image": base64.b64encode(png).decode(), "reference": "C-8"},
        {"image": base64.b64encode(svg).decode()},
        {"token": token, "reference": "C-10"},
        {"credential_id": cred["id"]},
    ]
    run = check(items)
    rows = run["rows"]
    assert [r["index"] for r in rows] == list(range(len(items)))
    assert [r["input_kind"] for r in rows] == [
        "token",
        "credential_id",
        "credential_id",
        "share_link",
        "share_link",
        "share_link",
        "image",
        "image",
        "token",
        "credential_id",
    ]
    assert {r["result"] for r in rows} == {"valid"}
    assert [r["reference"] for r in rows][5:9] == ["C-7", "C-8", "", "C-10"]
    for row in rows:
        assert [c["name"] for c in row["checks"]] == CHECK_NAMES
        assert {c["outcome"] for c in row["checks"]} == {"passed"}
        assert row["achievement"] and row["issuer"] and row["issued"]
    assert rows[0]["credential_id"] == cred["id"]
    assert rows[3]["credential_id"] == holder_credential["id"]
    assert run["total"] == len(items) and run["counts"]["valid"] == len(items)
    assert run["source"] == "json"


def test_mixed_list_and_same_results_as_verify(client, check, issue, token_of, revoke):
    good = issue()["credential"]
    revoked = issue()["credential"]
    revoke(revoked["id"])
    good_token = token_of(good["id"])
    items = [
        good_token,
        token_of(revoked["id"]),
        tampered(good_token),
        "not a credential",
        "urn:uuid:00000000-0000-4000-8000-000000000000",
        {"image": base64.b64encode(b"\x89PNG not really").decode()},
        {"image": "%%% not base64"},
        "https://elsewhere.example.com/c/abcdefghijklmnopqrstuv",
        "abcdefghijklmnopqrstuv",  # the shape of a share code, but no such share
    ]
    rows = check(items)["rows"]
    assert [r["result"] for r in rows] == [
        "valid",
        "revoked",
        "invalid",
        "unreadable",
        "not_found",
        "unreadable",
        "unreadable",
        "unreadable",
        "not_found",
    ]
    assert rows[6]["reason"] == "bad_base64"
    assert rows[8]["reason"] == "unknown_share"
    # The single-credential API gives the same result and checks for the same input.
    for row, data in zip(rows[:3], items[:3], strict=True):
        single = client.post("/api/v1/verify", json={"token": data}).json()
        assert (row["result"], row["reason"]) == (single["result"], single["reason"])
        assert row["checks"] == _checks(single)
        assert row["credential_id"] == single["credential"]["id"]
        assert row["achievement"] == single["credential"]["achievement_name"]
    by_id = client.post("/api/v1/verify", json={"credential_id": revoked["id"]}).json()
    id_row = check([revoked["id"]])["rows"][0]
    assert (id_row["result"], id_row["checks"]) == (by_id["result"], _checks(by_id))
    unreadable = client.post("/api/v1/verify", json={"token": "not a credential"})
    assert unreadable.status_code == 422
    assert rows[3]["reason"] == unreadable.json()["reason"]
    png = client.post(
        "/api/v1/verify", files={"file": ("b.png", b"\x89PNG not really", "image/png")}
    )
    assert png.status_code == 422 and rows[5]["reason"] == png.json()["reason"]
    missing = client.post("/api/v1/verify", json={"credential_id": items[4]})
    assert missing.status_code == 404


def test_runs_are_stored_without_tokens_and_scoped_to_the_organization(
    client, session, check, issued, employer, other_employer
):
    _cred, token = issued
    run = check([token, "not a credential"])
    listed = client.get("/api/v1/employer/checks", headers=employer).json()
    assert [r["id"] for r in listed["items"]] == [run["id"]]
    assert listed["items"][0]["counts"]["valid"] == 1
    assert listed["items"][0]["counts"]["unreadable"] == 1
    again = client.get(f"/api/v1/employer/checks/{run['id']}", headers=employer).json()
    assert again["rows"] == run["rows"]
    # Another employer neither lists nor opens it.
    assert client.get("/api/v1/employer/checks", headers=other_employer).json()["total"] == 0
    for suffix in ("", "/report.csv", "/report.xlsx"):
        r = client.get(f"/api/v1/employer/checks/{run['id']}{suffix}", headers=other_employer)
        assert r.status_code == 404
    session.expire_all()
    for row in session.exec(select(EmployerCheckRow)).all():
        assert token not in repr(row.model_dump())
    assert token not in repr(session.exec(select(EmployerCheckRun)).one().model_dump())


def test_caps_and_bad_shapes_store_nothing(client, session, check, settings, monkeypatch):
    monkeypatch.setattr(settings, "employer_check_max_items", 3)
    too_many = check(["a"] * 4, expect=413)
    assert too_many["code"] == "too-many-items" and too_many["limit"] == 3
    assert check([], expect=422)["code"] == "no-items"
    bad = check(["ok", 42], expect=422)
    assert bad["index"] == 1
    assert check([{"credential_id": "nope"}], expect=422)["index"] == 0
    assert check([{"token": "x", "image": "y"}], expect=422)["index"] == 0
    assert count(session, EmployerCheckRun) == 0
    assert count(session, EmployerCheckRow) == 0


def test_idempotency_key_replays_the_same_run(client, session, employer, issued):
    _cred, token = issued
    headers = {**employer, "Idempotency-Key": "batch-42"}
    first = client.post("/api/v1/employer/checks", json={"items": [token]}, headers=headers)
    second = client.post("/api/v1/employer/checks", json={"items": [token]}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["id"] == second.json()["id"]
    assert count(session, EmployerCheckRun) == 1
    other = client.post("/api/v1/employer/checks", json={"items": ["x"]}, headers=headers)
    assert other.status_code == 409


def test_a_hiring_size_list_is_not_stopped_by_the_default_body_limit(
    client, employer, issued, settings, monkeypatch
):
    """A thousand tokens are 1.5 to 3 MB of JSON: the route has its own body limit
    (SKILLS_EMPLOYER_CHECK_MAX_UPLOAD_BYTES), not the 1 MiB default of other routes."""
    _cred, token = issued
    assert settings.max_request_body_bytes < 2 * 1024 * 1024
    items = '["' + token + '", "' + token + '"]'
    body = '{"items": ' + items + " " * (2 * 1024 * 1024) + "}"
    headers = {**employer, "Content-Type": "application/json"}
    big = client.post("/api/v1/employer/checks", content=body, headers=headers)
    assert big.status_code == 201, big.text[:300]
    assert [r["result"] for r in big.json()["rows"]] == ["valid", "valid"]
    monkeypatch.setattr(settings, "employer_check_max_upload_bytes", 1024 * 1024)
    over = client.post("/api/v1/employer/checks", content=body, headers=headers)
    assert over.status_code == 413
