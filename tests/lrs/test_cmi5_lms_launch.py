"""cmi5 launch duties of the LMS: the generated activityId (cmi5 8.1.5), LMS.LaunchData with
entitlementKey, launch mode and the publisher id grouping (cmi5 10, 9.6.2.3), and the Launched
statement it records before the AU opens (cmi5 9.3.1)."""

from __future__ import annotations

from tests.lrs.cmi5_kit import (
    BASE,
    CMI5_CATEGORY,
    ENTITLEMENT,
    EXAM,
    INTRO,
    LAUNCHED,
    SESSION_EXT,
    Course,
)

EXT = "https://w3id.org/xapi/cmi5/context/extensions/"


def test_launch_hands_out_a_generated_activity_id_stable_per_registration(world, drain):
    course = Course(world, drain)
    first = course.launch(INTRO)
    again = course.launch(INTRO)
    exam = course.launch(EXAM)

    assert first.activity_id != INTRO and first.activity_id.startswith(f"{BASE}/cmi5/au/")
    assert again.activity_id == first.activity_id  # the same AU, the same registration
    assert again.session_id != first.session_id  # ... in a new session
    assert exam.activity_id not in (first.activity_id, EXAM)

    # Another learner's registration of the same course: the AU keeps its id (cmi5 8.1.5 SHOULD).
    person, learner = world.learner_with_login()
    other = world.client.post(
        "/api/v1/enrollments", json={"offering_id": course.offering["id"]}, headers=learner
    ).json()
    r = world.client.post(
        f"/api/v1/enrollments/{other['id']}/launch", json={"unit_id": INTRO}, headers=learner
    )
    out = r.json()
    assert f"activityId={first.activity_id.replace(':', '%3A').replace('/', '%2F')}" in (
        out.get("au_url") or out["url"]
    )


def test_launch_data_has_entitlement_key_mode_and_publisher_grouping(world, drain):
    course = Course(world, drain)
    intro = course.launch(INTRO)

    got = course.launch_data(intro)
    assert got.status_code == 200, got.text
    doc = got.json()
    assert doc["entitlementKey"] == {"courseStructure": ENTITLEMENT}
    assert doc["launchMode"] == "Normal"
    assert doc["moveOn"] == "Completed" and doc["launchParameters"] == "level=1"
    template = doc["contextTemplate"]
    assert [a["id"] for a in template["contextActivities"]["grouping"]] == [INTRO]
    assert template["extensions"][SESSION_EXT] == intro.session_id
    # The document belongs to the launch's activityId, not to the publisher's id.
    assert course.launch_data(intro, activity_id=INTRO).status_code == 404

    exam = course.launch(EXAM)
    doc = course.launch_data(exam).json()
    assert doc["entitlementKey"] == {"courseStructure": ""}  # the structure declares none
    assert doc["masteryScore"] == 0.7 and doc["moveOn"] == "Passed"

    browse = course.launch(EXAM, launch_mode="Browse")
    assert course.launch_data(browse).json()["launchMode"] == "Browse"
    bad = world.client.post(
        f"/api/v1/enrollments/{course.enrollment_id}/launch",
        json={"unit_id": EXAM, "launch_mode": "Review"},
        headers=course.learner,
    )
    assert bad.status_code == 422  # Review is the LMS's decision, not the launcher's


def test_every_launch_records_launched_in_the_lrs(world, drain):
    course = Course(world, drain)
    intro = course.launch(INTRO)
    course.launch(EXAM, fetch=False)

    launched = course.statements(LAUNCHED)
    assert len(launched) == 2
    mine = next(s for s in launched if s["context"]["extensions"][SESSION_EXT] == intro.session_id)
    assert mine["object"]["id"] == intro.activity_id
    assert mine["actor"] == intro.actor
    assert mine["authority"]["account"]["name"] == "lms"
    context = mine["context"]
    assert context["registration"] == intro.registration
    assert CMI5_CATEGORY["id"] in [c["id"] for c in context["contextActivities"]["category"]]
    assert [g["id"] for g in context["contextActivities"]["grouping"]] == [INTRO]
    ext = context["extensions"]
    assert ext[EXT + "launchmode"] == "Normal"
    assert ext[EXT + "moveon"] == "Completed"
    assert ext[EXT + "launchparameters"] == "level=1"
    assert ext[EXT + "launchurl"] == intro.url.split("?")[0]  # without the launch parameters
    assert "activityId" not in ext[EXT + "launchurl"]

    # The AU (its launch token) reads it too, as cmi5 AUs look for their Launched statement.
    r = world.client.get(
        "/xAPI/statements",
        params={"statementId": mine["id"]},
        headers=intro.token_headers,
    )
    assert r.status_code == 200 and r.json()["verb"]["id"] == LAUNCHED
