"""The subsidy claim roster (补贴申领名册): what a provider downloads to claim the subsidy from the
human resources and social security bureau, and who may download it."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from service.accounts.models import AuditEvent
from service.imports.claim_roster import HEADER
from service.jobs.models import OutboxJob
from service.jobs.runner import run_job_by_id
from tests.fixtures.builder import make_id_number, session_entry

EVIL_NAME = '=HYPERLINK("http://evil.example","点我")'
PHONE = "13812345678"


def _url(offering_id) -> str:
    return f"/api/v1/offerings/{offering_id}/subsidy-roster.xlsx"


def _sheet(response):
    assert response.status_code == 200, response.text
    return load_workbook(io.BytesIO(response.content)).active


def _train(world, enrollment_id, day, minutes, hour=9):
    world.hours([session_entry(enrollment_id, f"r/{enrollment_id}/{day}", day, hour, minutes)])


def _pass(world, enrollment_id, score=85):
    r = world.client.post(
        f"/api/v1/enrollments/{enrollment_id}/assessment",
        json={"score": score},
        headers=world.trainer,
    )
    assert r.status_code == 200, r.text
    return r.json()


def _issue_credential(session, engine, enrollment_id):
    """Runs the credential job of one completion, as a worker would."""
    session.expire_all()
    jobs = session.exec(select(OutboxJob).where(OutboxJob.kind == "credentials.issue")).all()
    job = next(j for j in jobs if j.payload.get("enrollment_id") == enrollment_id)
    assert run_job_by_id(str(job.id), engine) == "done"


@pytest.fixture
def class_of_four(world, session, engine, issuer_key):
    """A subsidised welding class: two completed (one subsidised with a credential, one whose
    subsidy was withdrawn at completion, credential still pending), one in progress, one only
    enrolled."""
    offering = world.offering(required_minutes=360, mode="offline")
    earlier = world.offering(required_minutes=45, mode="offline", title="焊工（初级）周末班")
    day1, day2, day3 = (world.today - timedelta(days=n) for n in (3, 2, 1))

    evil_number = make_id_number(birth="19880412")
    evil = world.learner(
        id_number=evil_number, name=EVIL_NAME, phone=PHONE, groups=["rural", "unemployed"]
    )
    twice_number = make_id_number()
    twice = world.learner(name="李四", groups=[], id_number=twice_number)
    halfway = world.learner(name="王五")
    idle = world.learner(name="赵六")

    enrolled = {
        who: world.enroll(person["id"], offering["id"]).json()
        for who, person in (("evil", evil), ("twice", twice), ("halfway", halfway), ("idle", idle))
    }
    # 李四 is granted the subsidy in both classes at enrolment (only completions use a slot);
    # finishing the weekend class first uses the occupation-and-level subsidy.
    weekend = world.enroll(twice["id"], earlier["id"]).json()
    assert weekend["subsidised"] and enrolled["twice"]["subsidised"]
    _train(world, weekend["id"], day1, 45, hour=8)
    assert _pass(world, weekend["id"])["state"] == "completed"

    _train(world, enrolled["evil"]["id"], day1, 180)
    _train(world, enrolled["evil"]["id"], day2, 220)  # 400 minutes: 8.88 学时
    assert _pass(world, enrolled["evil"]["id"], score=91)["state"] == "completed"
    # the credential jobs due so far run (a job takes the other due ones along); 李四's
    # completion below waits for the next run
    _issue_credential(session, engine, enrolled["evil"]["id"])
    _train(world, enrolled["twice"]["id"], day3, 360)  # 8.00 学时
    done = _pass(world, enrolled["twice"]["id"], score=72)
    assert done["state"] == "completed" and not done["subsidised"]
    _train(world, enrolled["halfway"]["id"], day2, 120, hour=14)
    return {
        "offering": offering,
        "enrolled": enrolled,
        "numbers": {"evil": evil_number, "twice": twice_number},
    }


def test_roster_lists_completed_learners_with_hours_assessment_credential_and_subsidy(
    world, session, class_of_four
):
    offering = class_of_four["offering"]
    r = world.client.get(_url(offering["id"]), headers=world.org_admin)
    sheet = _sheet(r)
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"subsidy-roster-{offering['id']}-{world.today.isoformat()}.xlsx" in disposition
    assert r.headers["cache-control"] == "no-store"

    rows = list(sheet.iter_rows())
    title = " ".join(str(c.value) for c in rows[0] if c.value is not None)
    assert offering["title"] in title and "宁波技师学院" in title
    assert f"{offering['starts_on']}至{offering['ends_on']}" in title
    assert tuple(c.value for c in rows[1]) == HEADER
    col = {name: i for i, name in enumerate(HEADER)}
    body, totals = rows[2:-1], rows[-1]
    assert len(body) == 2  # the two completions; in progress and only enrolled are not claimed

    evil, twice = body  # in completion order
    assert [evil[col["序号"]].value, twice[col["序号"]].value] == [1, 2]
    # a name that looks like a formula stays text; numbers stay text, in full
    assert evil[col["姓名"]].value == EVIL_NAME and evil[col["姓名"]].data_type == "s"
    assert evil[col["身份证号码"]].value == class_of_four["numbers"]["evil"]
    assert twice[col["身份证号码"]].value == class_of_four["numbers"]["twice"]
    assert evil[col["联系电话"]].value == PHONE and evil[col["联系电话"]].data_type == "s"
    assert evil[col["人员类别"]].value == "农村劳动力、失业人员"
    assert (
        evil[col["职业（工种）"]].value == "焊工"
        and evil[col["培训等级"]].value == "初级工（五级）"
    )
    assert evil[col["培训学时"]].value == pytest.approx(8.88)
    assert evil[col["培训学时"]].number_format == "0.00"
    assert twice[col["培训学时"]].value == pytest.approx(8.0)
    assert evil[col["考核结果"]].value == "合格" and evil[col["考核成绩"]].value == 91
    assert twice[col["考核成绩"]].value == 72

    credential = evil[col["证书编号"]].value
    assert credential.startswith("urn:uuid:")
    mine = world.client.get(
        "/api/v1/me/credentials",
        headers=world.as_learner(class_of_four["enrolled"]["evil"]["learner_id"]),
    ).json()
    assert [c["id"] for c in mine["items"]] == [credential]
    assert twice[col["证书编号"]].value is None and "证书签发中" in twice[col["备注"]].value

    assert evil[col["是否享受补贴"]].value == "是" and evil[col["备注"]].value is None
    assert twice[col["是否享受补贴"]].value == "否"
    assert "同一职业（工种）同一等级已享受过补贴" in twice[col["备注"]].value

    assert totals[0].value == "合计"
    assert totals[col["姓名"]].value == 2
    assert totals[col["培训学时"]].value == pytest.approx(16.88)
    assert totals[col["是否享受补贴"]].value == 1

    session.expire_all()
    audits = session.exec(
        select(AuditEvent).where(AuditEvent.action == "offering.subsidy_roster")
    ).all()
    assert len(audits) == 1 and audits[0].subject_id == offering["id"]
    assert audits[0].actor_role == "org_admin"
    recorded = f"{audits[0].detail} {audits[0].subject_id}"
    for number in (*class_of_four["numbers"].values(), PHONE):
        assert number not in recorded and number not in disposition


def test_only_the_organizations_admins_and_the_city_get_the_roster(
    world, session, make_user, class_of_four
):
    url = _url(class_of_four["offering"]["id"])
    assert world.client.get(url, headers=world.trainer).status_code == 403
    other_admin = world.login(make_user("org_admin", org=world.other_org))
    assert world.client.get(url, headers=other_admin).status_code == 403
    assert world.client.get(url).status_code == 401
    assert world.client.get(_url(uuid.uuid4()), headers=world.admin).status_code == 404
    session.expire_all()
    assert not session.exec(
        select(AuditEvent).where(AuditEvent.action == "offering.subsidy_roster")
    ).all()

    rows = list(_sheet(world.client.get(url, headers=world.admin)).iter_rows(values_only=True))
    assert len(rows) == 2 + 2 + 1
    audit = session.exec(
        select(AuditEvent).where(AuditEvent.action == "offering.subsidy_roster")
    ).one()
    assert audit.actor_role == "admin"


def test_an_offering_without_completions_gives_header_and_zero_totals(world):
    offering = world.offering(
        title="电工（中级）培训班",
        occupation_code="6-31-01-03",
        level=4,
        cluster_version=None,
        cluster_code=None,
    )
    learner = world.learner(name="钱七")
    assert world.enroll(learner["id"], offering["id"]).status_code == 201
    rows = list(
        _sheet(world.client.get(_url(offering["id"]), headers=world.org_admin)).iter_rows(
            values_only=True
        )
    )
    assert len(rows) == 3
    assert rows[1] == HEADER
    totals = dict(zip(HEADER, rows[2], strict=True))
    assert totals["序号"] == "合计"
    assert totals["姓名"] == 0 and totals["培训学时"] == 0 and totals["是否享受补贴"] == 0
