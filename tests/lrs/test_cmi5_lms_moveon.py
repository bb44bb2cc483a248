"""moveOn decides a cmi5 enrolment (cmi5 9.3.9, 10 moveOn): the AU's own statements, sent with
its launch token as a real AU would, lead to Satisfied statements for the block and the course,
once, and the enrolment completes through the training rules; a Completed of an AU whose moveOn
is Passed satisfies nothing; a finished AU relaunches in Review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.packages.cmi5_moveon import AuState, au_met
from tests.lrs.cmi5_kit import BLOCK, COURSE, EXAM, INTRO, SATISFIED, SESSION_EXT, Course

TYPE = "https://w3id.org/xapi/cmi5/activitytype/"


def _session(course, launch, start, minutes, *middle):
    """initialized, the given (verb, result) statements, terminated ``minutes`` later."""
    sent = [launch.statement("initialized", start)]
    for i, (verb, result) in enumerate(middle, start=1):
        sent.append(launch.statement(verb, start + timedelta(minutes=i), **result))
    end = start + timedelta(minutes=minutes)
    sent.append(launch.statement("terminated", end, duration=f"PT{minutes}M"))
    r = course.send(launch, *sent)
    assert r.status_code == 200, r.text
    return sent


def test_au_statements_satisfy_block_and_course_and_complete_the_enrolment(world, drain):
    course = Course(world, drain, required_minutes=90)
    t0 = datetime.now(UTC) - timedelta(hours=6)

    intro = course.launch(INTRO)
    _session(course, intro, t0, 40, ("completed", {"completion": True, "duration": "PT38M"}))
    state = course.state()
    assert state["package_completed"] is False and state["state"] == "in_progress"
    assert course.statements(SATISFIED) == []  # the exam is still to pass

    # A Completed of the exam, whose moveOn is Passed, satisfies nothing.
    exam = course.launch(EXAM)
    _session(course, exam, t0 + timedelta(hours=1), 20, ("completed", {"completion": True}))
    assert course.statements(SATISFIED) == []
    assert course.state()["package_completed"] is False

    # The intro is done: it opens in Review now; the exam (not passed) still in Normal.
    review = course.launch(INTRO)
    assert course.launch_data(review).json()["launchMode"] == "Review"
    again = course.launch(EXAM)
    assert course.launch_data(again).json()["launchMode"] == "Normal"

    _session(
        course,
        again,
        t0 + timedelta(hours=2),
        45,
        ("passed", {"success": True, "score": {"scaled": 0.9}, "duration": "PT40M"}),
    )
    satisfied = course.statements(SATISFIED)
    kinds = {s["object"]["definition"]["type"]: s for s in satisfied}
    assert set(kinds) == {TYPE + "block", TYPE + "course"} and len(satisfied) == 2
    for statement in satisfied:
        assert statement["object"]["id"] not in (BLOCK, COURSE)  # LMS-generated ids
        assert statement["context"]["extensions"][SESSION_EXT] == again.session_id
        assert statement["actor"] == again.actor
        assert statement["authority"]["account"]["name"] == "lms"
    assert [g["id"] for g in kinds[TYPE + "block"]["context"]["contextActivities"]["grouping"]] == [
        BLOCK
    ]

    state = course.state()
    assert state["package_completed"] is True and state["package_passed"] is True
    assert state["state"] == "completed"  # 105 minutes of terminated sessions >= 90

    # Completed: the course may still be opened, in Review; nothing is satisfied twice.
    after = course.launch(EXAM)
    assert course.launch_data(after).json()["launchMode"] == "Review"
    _session(course, after, t0 + timedelta(hours=3), 5)
    assert len(course.statements(SATISFIED)) == 2


def test_statements_about_the_au_from_other_credentials_follow_moveon_too(world, drain):
    """The platform may relay an AU's statements with its own key: the AU is found by its
    generated activity id and moveOn still decides."""
    course = Course(world, drain, required_minutes=600)
    exam = course.launch(EXAM, fetch=False)
    platform = {**world.platform, "X-Experience-API-Version": "1.0.3"}
    completed = exam.statement("completed", datetime.now(UTC), completion=True)
    assert (
        world.client.post("/xAPI/statements", json=completed, headers=platform).status_code == 200
    )
    assert course.state()["package_completed"] is False  # moveOn Passed: not met
    passed = exam.statement("passed", datetime.now(UTC), success=True)
    assert world.client.post("/xAPI/statements", json=passed, headers=platform).status_code == 200
    satisfied = course.statements(SATISFIED)
    assert [s["object"]["definition"]["type"] for s in satisfied] == [TYPE + "block"]
    assert course.state()["package_completed"] is False  # the intro is still to complete


@pytest.mark.parametrize(
    ("move_on", "met_by"),
    [
        ("NotApplicable", {"nothing", "completed", "passed", "both", "waived"}),
        ("Completed", {"completed", "both", "waived"}),
        ("Passed", {"passed", "both", "waived"}),
        ("CompletedAndPassed", {"both", "waived"}),
        ("CompletedOrPassed", {"completed", "passed", "both", "waived"}),
    ],
)
def test_each_moveon_rule(move_on, met_by):
    states = {
        "nothing": AuState(),
        "completed": AuState(completed=True),
        "passed": AuState(passed=True),
        "both": AuState(completed=True, passed=True),
        "waived": AuState(waived=True),
    }
    assert {name for name, state in states.items() if au_met(move_on, state)} == met_by
