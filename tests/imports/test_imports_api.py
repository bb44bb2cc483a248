"""Spreadsheet imports through the API: upload, the job, progress, the report, re-runs, dry
runs, refused files, resuming after a crash, and who may do what."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from service.imports import runner
from service.imports.models import ImportRow, ImportRun
from service.training.models import Enrollment, HoursEntry, Learner
from tests.fixtures.builder import count, make_id_number

LEARNER_HEADER = "身份证号,姓名,区县代码,手机号\n"


def _learners_csv(people: list[tuple[str, str]], phone: str = "13812345678") -> bytes:
    body = LEARNER_HEADER + "".join(f"{n},{name},330212,{phone}\n" for n, name in people)
    return body.encode("utf-8")


def _upload(client, headers, kind: str, data: bytes, name: str = "roster.csv", **params):
    return client.post(
        "/api/v1/imports",
        params=params,
        data={"kind": kind},
        files={"file": (name, data, "application/octet-stream")},
        headers=headers,
    )


def _run(client, headers, drain, kind: str, data: bytes, **params) -> dict:
    r = _upload(client, headers, kind, data, **params)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    drain()
    got = client.get(r.json()["links"]["self"], headers=headers)
    assert got.status_code == 200, got.text
    return got.json()


def _report(client, headers, result: dict) -> list[list[str]]:
    r = client.get(result["links"]["report_csv"], headers=headers)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_learners_import_registers_reports_and_is_idempotent(world, client, drain, session):
    people = [(make_id_number(), "张三"), (make_id_number(), "李四"), ("123", "王五")]
    before = count(session, Learner)
    result = _run(client, world.trainer, drain, "learners", _learners_csv(people))
    assert result["status"] == "done", result
    assert (result["rows_total"], result["rows_done"]) == (3, 3)
    assert (result["accepted"], result["duplicate"], result["rejected"]) == (2, 0, 1)
    assert count(session, Learner) == before + 2

    rows = _report(client, world.trainer, result)
    assert rows[0][:4] == ["行号 (row)", "结果 (outcome)", "原因代码 (reason)", "说明 (message)"]
    assert [r[0] for r in rows[1:]] == ["2", "3", "4"]
    assert "rejected" in rows[3][1] and rows[3][2]  # the bad number, with its reason code
    text = "\n".join(",".join(r) for r in rows)
    for number, _ in people[:2]:  # ID numbers masked, phones too
        assert number not in text and number[:6] + "********" + number[-4:] in text
    assert "13812345678" not in text and "138****5678" in text

    again = _run(client, world.trainer, drain, "learners", _learners_csv(people))
    assert (again["accepted"], again["duplicate"], again["rejected"]) == (0, 2, 1)
    assert count(session, Learner) == before + 2


def test_dry_run_reports_every_row_and_changes_nothing(world, client, drain, session):
    people = [(make_id_number(), "张三"), (make_id_number(), "李四")]
    before = count(session, Learner)
    result = _run(client, world.trainer, drain, "learners", _learners_csv(people), dry_run="true")
    assert result["status"] == "done" and result["dry_run"] is True
    assert (result["accepted"], result["rejected"]) == (2, 0)
    assert count(session, Learner) == before
    real = _run(client, world.trainer, drain, "learners", _learners_csv(people))
    assert real["accepted"] == 2  # the dry run left nothing behind that makes them duplicates


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "photo.csv", None),
        ("身份证号,姓名,区县代码\n=1+1,张三,330212\n".encode(), "formula.csv", "formula-in-data"),
        ("姓名,区县代码\n张三,330212\n".encode(), "noid.csv", "header-missing-columns"),
    ],
)
def test_a_refused_file_writes_nothing(world, client, drain, session, data, name, code):
    before = count(session, Learner)
    r = _upload(client, world.trainer, "learners", data, name=name)
    assert r.status_code == 202
    drain()
    result = client.get(r.json()["links"]["self"], headers=world.trainer).json()
    assert result["status"] == "refused", result
    assert result["refusal"]["code"] and result["refusal"]["message"]
    if code is not None:
        assert result["refusal"]["code"] == code
    assert result["rows_done"] == 0
    assert count(session, Learner) == before
    session.expire_all()
    rows = session.exec(
        select(ImportRow).where(ImportRow.import_id == uuid.UUID(result["id"]))
    ).all()
    assert rows == []


def test_the_source_file_is_deleted_when_the_import_finishes(world, client, drain, session):
    from service.core.storage import get_storage

    result = _run(client, world.trainer, drain, "learners", _learners_csv([]))
    assert result["status"] in ("done", "refused")
    assert list(get_storage().list(f"imports/{result['id']}/")) == []


def test_a_crash_mid_file_resumes_without_doing_a_row_twice(
    world, client, drain, session, monkeypatch
):
    """The job dies in its third batch; the retry resumes after the last committed batch."""
    monkeypatch.setattr(runner, "BATCH_ROWS", 2)
    real_apply = runner.apply_batch
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(runner, "apply_batch", dying)
    people = [(make_id_number(), f"学员{i}") for i in range(7)]
    r = _upload(client, world.trainer, "learners", _learners_csv(people))
    drain(max_rounds=1)
    session.expire_all()
    half = session.get(ImportRun, uuid.UUID(r.json()["id"]))
    assert half is not None and half.status == "running"
    assert (half.rows_done, half.accepted) == (4, 4)  # two batches committed, the third lost
    drain()
    result = client.get(r.json()["links"]["self"], headers=world.trainer).json()
    assert result["status"] == "done"
    assert (result["rows_done"], result["accepted"], result["duplicate"]) == (7, 7, 0)
    rows = session.exec(
        select(ImportRow).where(ImportRow.import_id == uuid.UUID(result["id"]))
    ).all()
    assert sorted(r.row for r in rows) == list(range(2, 9))


def test_attendance_import_writes_the_hours_ledger(world, client, drain, session):
    offering = world.offering(required_minutes=6000)
    person = world.learner()
    enrollment = world.enroll(person["id"], offering["id"]).json()
    day = (world.today - timedelta(days=1)).isoformat()
    # The holder's number is only in the test: the API never returns it.
    id_number = _id_number_of(world, person)
    body = (
        "身份证号,培训班ID,日期,开始时间,结束时间,方式\n"
        f"{id_number},{offering['id']},{day},08:00,10:00,面授\n"
        f"{id_number},{offering['id']},{day},09:00,11:00,面授\n"  # overlaps the first
    ).encode("gb18030")
    result = _run(client, world.trainer, drain, "attendance", body)
    assert result["status"] == "done", result
    assert (result["accepted"], result["rejected"]) == (1, 1)
    entries = session.exec(
        select(HoursEntry).where(HoursEntry.enrollment_id == uuid.UUID(enrollment["id"]))
    ).all()
    assert [e.minutes for e in entries] == [120]
    again = _run(client, world.trainer, drain, "attendance", body)
    assert (again["accepted"], again["duplicate"]) == (0, 1)


def _id_number_of(world, person: dict) -> str:
    from service.training.learners import cipher

    learner = world.session.get(Learner, uuid.UUID(person["id"]))
    return cipher().decrypt(learner.id_encrypted, context=learner.id.bytes)


def test_enrollments_import_enrols_people_the_provider_registered(world, client, drain, session):
    offering = world.offering()
    person = world.learner()
    body = f"学员ID,培训班ID\n{person['id']},{offering['id']}\n".encode()
    result = _run(client, world.trainer, drain, "enrollments", body)
    assert (result["accepted"], result["rejected"]) == (1, 0), _report(
        client, world.trainer, result
    )
    assert session.exec(
        select(Enrollment).where(Enrollment.learner_id == uuid.UUID(person["id"]))
    ).first()


def test_who_may_import_and_see_imports(world, client, drain):
    people = [(make_id_number(), "张三")]
    r = _upload(client, world.trainer, "learners", _learners_csv(people))
    assert r.status_code == 202
    link = r.json()["links"]["self"]
    assert client.get(link, headers=world.other_trainer).status_code == 403
    assert client.get(link + "/report.csv", headers=world.other_trainer).status_code == 403
    listed = client.get("/api/v1/imports", headers=world.trainer).json()
    assert [i["id"] for i in listed["items"]] == [r.json()["id"]]
    assert client.get("/api/v1/imports", headers=world.other_trainer).json()["total"] == 0

    learner_headers = world.learner_with_login()[1]
    refused = _upload(client, learner_headers, "learners", _learners_csv(people))
    assert refused.status_code == 403
    admin = _upload(client, world.admin, "learners", _learners_csv(people))
    assert admin.status_code == 422
    assert admin.json()["code"] == "organization-required"
    other = client.post(
        "/api/v1/imports",
        data={"kind": "learners", "organization_id": str(world.other_org.id)},
        files={"file": ("r.csv", _learners_csv(people), "text/csv")},
        headers=world.trainer,
    )
    assert other.status_code == 403


def test_a_wrong_kind_is_refused_before_the_file_is_stored(world, client):
    r = _upload(client, world.trainer, "payroll", b"a,b\n1,2\n")
    assert r.status_code == 422
    assert r.json()["code"] == "unknown-import-kind"
    assert client.get("/api/v1/imports", headers=world.trainer).json()["total"] == 0


def test_templates_read_back_as_their_example_row(world, client, drain):
    for kind in ("learners", "enrollments", "attendance"):
        for fmt in ("csv", "xlsx"):
            r = client.get(f"/api/v1/imports/templates/{kind}.{fmt}", headers=world.trainer)
            assert r.status_code == 200, r.text
            assert r.headers["content-disposition"].endswith(f'.{fmt}"')
    csv_template = client.get("/api/v1/imports/templates/learners.csv", headers=world.trainer)
    header = csv_template.content.decode("utf-8-sig").splitlines()[0]
    assert "身份证号" in header and "id_number" in header
    assert (
        client.get("/api/v1/imports/templates/payroll.csv", headers=world.trainer).status_code
        == 422
    )


def test_a_name_that_looks_like_a_formula_stays_text_in_the_report(world, client, drain):
    """In XLSX a text cell may start with "=" (it is no formula there); the report must keep
    it text, not turn it into a live formula in the official's spreadsheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名", "区县代码"])
    sheet.append([make_id_number(), "x", "330212"])
    sheet.cell(row=2, column=2).value = '=HYPERLINK("http://evil","x")'
    sheet.cell(row=2, column=2).data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    result = _run(client, world.trainer, drain, "learners", buffer.getvalue(), name="r.xlsx")
    assert result["status"] == "done", result
    rows = _report(client, world.trainer, result)
    assert any(cell.startswith("'=HYPERLINK") for cell in rows[1])


def test_a_file_over_the_default_body_limit_is_taken_up_to_the_import_limit(
    world, client, settings
):
    """Spreadsheets are bigger than API bodies (1 MiB): the import route has its own limit,
    SKILLS_IMPORT_MAX_BYTES, and a file over it is a 413 that stores nothing."""
    row = f"{make_id_number()},张三,330212,13812345678\n"
    big = (LEARNER_HEADER + row * (1_200_000 // len(row.encode()))).encode()
    assert len(big) > settings.max_request_body_bytes
    accepted = _upload(client, world.trainer, "learners", big)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["size"] == len(big)

    settings.import_max_bytes = len(big) - 1
    refused = _upload(client, world.trainer, "learners", big)
    assert refused.status_code == 413
    assert refused.json()["code"] in ("upload-too-large", "payload-too-large")
    assert client.get("/api/v1/imports", headers=world.trainer).json()["total"] == 1


def test_an_import_whose_job_gave_up_shows_failed_and_an_operator_retry_resumes_it(
    world, client, drain, session, monkeypatch
):
    from service.jobs import runner as jobs_runner

    monkeypatch.setattr(jobs_runner, "MAX_RUN_ATTEMPTS", 1)

    def broken(*args, **kwargs):
        raise RuntimeError("database trouble")

    monkeypatch.setattr(runner, "apply_batch", broken)
    people = [(make_id_number(), "张三")]
    r = _upload(client, world.trainer, "learners", _learners_csv(people))
    drain()
    link = r.json()["links"]["self"]
    assert client.get(link, headers=world.trainer).json()["status"] == "failed"
    listed = client.get("/api/v1/imports", headers=world.trainer).json()["items"]
    assert [i["status"] for i in listed] == ["failed"]

    monkeypatch.undo()
    jobs = client.get("/api/v1/admin/jobs?status=failed", headers=world.admin).json()["items"]
    (job,) = [j for j in jobs if j["kind"] == "imports.run"]
    assert (
        client.post(f"/api/v1/admin/jobs/{job['id']}/retry", headers=world.admin).status_code < 300
    )
    drain()
    result = client.get(link, headers=world.trainer).json()
    assert (result["status"], result["accepted"]) == ("done", 1)


def test_numbers_in_the_wrong_column_never_reach_the_report_whole(world, client, drain):
    """Spreadsheets shift columns: an ID number under 人员类别 or a phone under 姓名 is masked
    in the report's cells and messages, and no learner is registered with a number as name."""
    stray, phone = make_id_number(), "13912345678"
    body = (
        "身份证号,姓名,区县代码,人员类别\n"
        f"{make_id_number()},张三,330212,{stray}\n"
        f"{make_id_number()},{phone},330212,\n"
    ).encode()
    result = _run(client, world.trainer, drain, "learners", body)
    assert (result["accepted"], result["rejected"]) == (0, 2)
    rows = _report(client, world.trainer, result)
    text = "\n".join(",".join(r) for r in rows)
    assert stray not in text and stray[:6] + "********" + stray[-4:] in text
    assert phone not in text and "139****5678" in text
    assert {r[2] for r in rows[1:]} == {"unknown-group", "name-looks-like-a-number"}


def test_a_retried_upload_with_the_same_idempotency_key_is_one_import(world, client, drain):
    data = _learners_csv([(make_id_number(), "张三")])
    headers = world.trainer | {"Idempotency-Key": "upload-1"}
    first = _upload(client, headers, "learners", data)
    again = _upload(client, headers, "learners", data)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    assert client.get("/api/v1/imports", headers=world.trainer).json()["total"] == 1
    other = _upload(client, headers, "learners", _learners_csv([(make_id_number(), "李四")]))
    assert other.status_code == 409


def test_a_queued_import_of_an_uploader_deactivated_since_writes_nothing(
    world, client, drain, session, make_user, login
):
    from service.accounts.models import User

    uploader = make_user("trainer", org=world.org)
    r = _upload(client, login(uploader), "learners", _learners_csv([(make_id_number(), "张三")]))
    user = session.get(User, uploader.id)
    user.is_active = False
    session.add(user)
    session.commit()
    before = count(session, Learner)
    drain()
    result = client.get(r.json()["links"]["self"], headers=world.trainer).json()
    assert result["status"] == "failed"
    assert result["refusal"]["code"] == "uploader-no-longer-allowed"
    assert count(session, Learner) == before


def test_a_reader_that_chokes_on_the_file_refuses_it(world, client, drain, monkeypatch):
    from service.imports import reading

    def choke(self, kind):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(reading.Table, "check", choke)
    result = _run(client, world.trainer, drain, "learners", _learners_csv([]))
    assert result["status"] == "refused"
    assert result["refusal"]["code"] == "unreadable-file"
