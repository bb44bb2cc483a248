"""Waiving a cmi5 AU (cmi5 9.3.7): an administrator or the offering's org admin waives it with a
reason (9.5.5.2); the LMS records Waived once, it meets the AU's moveOn, and the blocks and the
course it completes are Satisfied as for any other way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.lrs.cmi5_kit import EXAM, INTRO, SATISFIED, SESSION_EXT, WAIVED, Course

REASON = "https://w3id.org/xapi/cmi5/result/extensions/reason"
TYPE = "https://w3id.org/xapi/cmi5/activitytype/"


def _waive(world, course, headers, **body):
    return world.client.post(
        f"/api/v1/enrollments/{course.enrollment_id}/cmi5/waive",
        json={"au_id": EXAM, "reason": "Tested Out"} | body,
        headers=headers,
    )


def test_waiving_an_au_records_waived_and_counts_for_moveon(world, drain):
    course = Course(world, drain, required_minutes=30)
    done = _waive(world, course, world.org_admin)
    assert done.status_code == 200, done.text
    out = done.json()

    waived = course.statements(WAIVED)
    assert [s["id"] for s in waived] == [out["statement_id"]]
    statement = waived[0]
    assert statement["result"]["extensions"][REASON] == "Tested Out"
    assert statement["result"]["success"] is True and statement["result"]["completion"] is True
    assert statement["object"]["id"] == out["activity_id"] != EXAM
    assert statement["context"]["extensions"][SESSION_EXT] == out["session_id"]
    # The exam's block is satisfied (its other AU's moveOn is NotApplicable), with the
    # waiver's session id; the course waits for the intro.
    satisfied = course.statements(SATISFIED)
    assert [s["object"]["definition"]["type"] for s in satisfied] == [TYPE + "block"]
    assert satisfied[0]["context"]["extensions"][SESSION_EXT] == out["session_id"]
    assert course.state()["package_completed"] is False

    again = _waive(world, course, world.admin, reason="Administrative")
    assert again.status_code == 409 and again.json()["code"] == "already-waived"
    # A waived AU opens in Review.
    exam = course.launch(EXAM)
    assert course.launch_data(exam).json()["launchMode"] == "Review"

    intro = course.launch(INTRO)
    t0 = datetime.now(UTC) - timedelta(hours=2)
    sent = course.send(
        intro,
        intro.statement("initialized", t0),
        intro.statement("completed", t0 + timedelta(minutes=30), completion=True),
        intro.statement("terminated", t0 + timedelta(minutes=35), duration="PT35M"),
    )
    assert sent.status_code == 200, sent.text
    assert len(course.statements(SATISFIED)) == 2
    state = course.state()
    assert state["package_completed"] is True and state["package_passed"] is True
    assert state["state"] == "completed"


def test_who_may_waive_and_what_is_refused(world, drain):
    course = Course(world, drain)
    assert _waive(world, course, course.learner).status_code == 403
    assert _waive(world, course, world.trainer).status_code == 403
    _, stranger = world.learner_with_login()
    assert _waive(world, course, stranger).status_code == 403
    other_org_admin = world.login(world.make_user("org_admin", org=world.other_org))
    assert _waive(world, course, other_org_admin).status_code == 403
    bad_reason = _waive(world, course, world.admin, reason="Because")
    assert bad_reason.status_code == 422
    unknown = _waive(world, course, world.admin, au_id="https://example.org/lms/au/none")
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown-unit"
    assert course.statements(WAIVED) == []  # nothing was written by any refusal
    assert course.statements(SATISFIED) == []
