"""Real course packages played in headless Chromium, as a learner's browser plays them.

The three packages in ../shared/packages/ (Rustici's golf SCORM 1.2 and 2004 examples, ADL
CATAPULT's cmi5 course) are uploaded through the API, published, launched for an enrolment and
played through the player on the content origin (``localhost``; the API stays on
``127.0.0.1``). Every test fails on a blocked or failed request and on any console error. The
browser's clock is moved forward while a course is open, so the session times the runtime and
the content report are whole minutes that reach the hours ledger.

Runs once, on PostgreSQL when it is configured (SQLite otherwise): a browser per database would
double the slowest tests. Screenshots go to test-artifacts/screenshots/play-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.databases import postgres_configured
from tests.support.pages import shot
from tests.support.play import PlayServer

PACKAGES = Path(__file__).resolve().parents[3] / "shared" / "packages"
SCORM12 = PACKAGES / "golf-runtime-minimum-calls-scorm12.zip"
SCORM2004 = PACKAGES / "golf-runtime-basic-calls-scorm2004-3rd.zip"
CMI5 = PACKAGES / "catapult-single-au-basic-responsive-cmi5.zip"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize(
        "db_url", ["postgres" if postgres_configured() else "sqlite"], indirect=True
    ),
]


@pytest.fixture
def play(app, settings, world, drain, browser):
    server = PlayServer(app, settings, world, drain, browser)
    server.start()
    yield server
    server.stop()


def test_scorm12_golf_every_sco_initialises_hours_and_completion(play: PlayServer):
    enrollment = play.enrol(
        SCORM12, title="高尔夫入门 SCORM 1.2", required_minutes=18, assessed=False
    )
    played = play.launch(enrollment)
    scos = played.config["scos"]
    assert len(scos) == 18 and scos[0]["title"]
    for index in range(len(scos)):
        frame = played.wait_for_sco(index)
        assert frame.locator("body").inner_text().strip()  # the SCO's own page rendered
        played.wait_initialised()
        played.clock_forward(minutes=1)
        if index == 0:
            shot(played.page, "play-scorm12-first-sco")
        if index < len(scos) - 1:
            played.next()
    played.finish()
    shot(played.page, "play-scorm12-finished")
    assert play.wait_for_hours(enrollment["id"], lambda m: m >= 18) == 18
    state = play.wait_for_enrollment(enrollment["id"], lambda e: e["state"] == "completed")
    runtime = {sco["sco_id"]: sco for sco in state["runtime"]}
    assert set(runtime) == {s["id"] for s in scos}
    assert all(s["status"] == "completed" for s in runtime.values()), runtime
    played.assert_clean()


def test_scorm2004_golf_walk_exit_and_resume(play: PlayServer):
    enrollment = play.enrol(
        SCORM2004, title="高尔夫入门 SCORM 2004", required_minutes=5, assessed=False
    )
    first = play.launch(enrollment)
    frame = first.wait_for_sco(0)
    first.wait_initialised()
    for _ in range(3):
        frame.locator("#butNext").click()
    first.clock_forward(minutes=3)
    shot(first.page, "play-scorm2004-page-4")
    first.close_tab()  # the SCO suspends (cmi.exit=suspend) and terminates on unload
    suspended = play.wait_for_enrollment(
        enrollment["id"], lambda e: any(s["location"] == "3" for s in e["runtime"])
    )
    assert suspended["state"] == "in_progress"

    second = play.launch(enrollment)
    frame = second.wait_for_sco(0)
    second.wait_initialised()
    # the SCO found cmi.location (entry is resume) and asked whether to resume; the test says yes
    assert any("resume" in d.lower() for d in second.dialogs), second.dialogs
    assert second.runtime_value("cmi.entry") == "resume"
    assert second.runtime_value("cmi.location") == "3"
    while not frame.locator("#butNext").is_disabled():
        frame.locator("#butNext").click()
    second.clock_forward(minutes=3)
    frame.locator("#butExit").click()  # exitAll: the player ends the attempt
    second.wait_ended()
    shot(second.page, "play-scorm2004-ended")
    done = play.wait_for_enrollment(enrollment["id"], lambda e: e["state"] == "completed")
    assert play.hours(enrollment["id"])["minutes"] >= 6
    (sco,) = done["runtime"]
    assert sco["status"] == "completed"
    first.assert_clean()
    second.assert_clean()


def test_cmi5_catapult_course_reports_to_the_lrs_and_resumes(play: PlayServer):
    enrollment = play.enrol(CMI5, title="地质学导论 cmi5", required_minutes=1)
    first = play.launch(enrollment)
    au = first.wait_for_au()
    au.locator(".footerbar").first.wait_for()
    au.locator(".footerbar").first.click()  # a page forward, so there is a bookmark
    first.clock_forward(minutes=2)
    first.wait_for_statements(enrollment, {"launched", "initialized"})
    shot(first.page, "play-cmi5-first")
    first.close_tab()

    second = play.launch(enrollment)
    au = second.wait_for_au()
    resume = au.locator(".resume-button")
    resume.wait_for()  # the AU found its bookmark in the State API and offers to resume
    resume.click()
    au.locator(".navmenuitem", has_text=re.compile("Quiz|Assessment", re.I)).last.click()
    au.get_by_text("(Select correct answers)").click()
    au.get_by_text("Submit Answers").click()
    au.locator(".score-passed").wait_for()
    second.clock_forward(minutes=2)
    au.locator(".exit-button").last.click()
    verbs = second.wait_for_statements(
        enrollment, {"launched", "initialized", "passed", "completed", "terminated"}
    )
    assert "satisfied" in verbs
    shot(second.page, "play-cmi5-finished")
    play.wait_for_enrollment(enrollment["id"], lambda e: e["state"] == "completed")
    first.assert_clean()
    second.assert_clean()


def test_played_results_are_recorded_once(play: PlayServer):
    """A reload in the middle of a SCORM 2004 session and the final beacon commit do not count
    the same minutes twice."""
    enrollment = play.enrol(
        SCORM2004, title="高尔夫 SCORM 2004 重载", required_minutes=600, assessed=False
    )
    played = play.launch(enrollment)
    played.wait_for_sco(0)
    played.wait_initialised()
    played.clock_forward(minutes=4)
    played.commit_now()
    played.reload()
    played.wait_for_sco(0)
    played.wait_initialised()
    played.clock_forward(minutes=4)
    played.close_tab()
    minutes = play.wait_for_hours(enrollment["id"], lambda m: m >= 8)
    assert 8 <= minutes <= 9, minutes
    played.assert_clean()


QUIZ_2004 = """() => {
  const api = window.API_1484_11;
  const set = (element, value) => {
    if (api.SetValue(element, value) !== "true") {
      throw new Error(element + " " + api.GetLastError());
    }
  };
  for (let i = 0; i < 40; i++) {  // a quiz as authoring tools record it
    set(`cmi.interactions.${i}.id`, `urn:quiz:q${i}`);
    set(`cmi.interactions.${i}.type`, "choice");
    set(`cmi.interactions.${i}.objectives.0.id`, "urn:quiz:objective");
    set(`cmi.interactions.${i}.correct_responses.0.pattern`, "a");
    set(`cmi.interactions.${i}.learner_response`, i % 4 ? "a" : "b");
    set(`cmi.interactions.${i}.result`, i % 4 ? "correct" : "incorrect");
    set(`cmi.interactions.${i}.latency`, "PT12S");
  }
  set("cmi.objectives.0.id", "urn:quiz:objective");
  set("cmi.objectives.0.success_status", "passed");
  set("cmi.comments_from_learner.0.comment", "讲得清楚");
  set("cmi.suspend_data", "进度".repeat(20000));  // 40,000 characters of resume data
  set("cmi.score.scaled", "0.75");
  set("cmi.success_status", "passed");
}"""


def test_a_quiz_with_interactions_and_large_suspend_data_commits_and_resumes(play: PlayServer):
    """What authoring tools' quizzes send (interactions, objectives, learner comments, tens of
    kilobytes of suspend_data) is committed and handed back on the next launch."""
    enrollment = play.enrol(SCORM2004, title="高尔夫 测验", required_minutes=600, assessed=False)
    first = play.launch(enrollment)
    first.wait_for_sco(0)
    first.wait_initialised()
    first.page.evaluate(QUIZ_2004)
    first.clock_forward(minutes=2)
    first.commit_now()
    shown = play.wait_for_enrollment(enrollment["id"], lambda e: e["package_score"] == 75)
    assert shown["package_passed"] is True
    first.close_tab()

    second = play.launch(enrollment)
    second.wait_for_sco(0)
    second.wait_initialised()
    assert second.runtime_value("cmi.suspend_data") == "进度" * 20000
    first.assert_clean()
    second.assert_clean()
