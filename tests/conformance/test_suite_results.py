"""Reading the conformance suite's JSON log and holding it against the known failures."""

import pytest

from tests.conformance import suite


def _test(title, status, error=None):
    return {"title": title, "status": status, "error": error, "tests": []}


def _suite(title, *tests, error=None):
    return {"title": title, "status": "failed", "error": error, "tests": list(tests)}


LOG = _suite(
    "",
    _suite(
        "Statement Requirements (Data 2.2.s2)",
        _test("An LRS stores a statement", "passed"),
        _test("An LRS rejects  a bad verb\n(Data 2.4.3)", "failed", "Error: got 200\nat x.js:1"),
    ),
    _suite("Documents (Communication 2.2)", _test("stores a state", "passed"), error="hook died"),
)


def _run(log=LOG):
    run = suite.BatteryRun("1.0.3", "finished")
    run.outcomes = list(suite.outcomes("1.0.3", log))
    return run


def _known(tmp_path, *lines):
    path = tmp_path / "known.txt"
    path.write_text("# comment\n\n" + "\n".join(lines) + "\n")
    return suite.read_known_failures(path)


def test_outcomes_are_title_paths_with_hook_failures_on_their_suite():
    got = {(o.path, o.passed) for o in _run().outcomes}
    assert got == {
        ("Statement Requirements (Data 2.2.s2) > An LRS stores a statement", True),
        ("Statement Requirements (Data 2.2.s2) > An LRS rejects a bad verb (Data 2.4.3)", False),
        ("Documents (Communication 2.2)", False),
        ("Documents (Communication 2.2) > stores a state", True),
    }


def test_a_failed_root_hook_is_the_suite_set_up():
    run = _run(_suite("", error="Error: Expected response status code to be 200 got 404"))
    assert [(o.path, o.passed) for o in run.outcomes] == [(suite.SETUP_TITLE, False)]


def test_every_unlisted_failure_fails_the_run(tmp_path):
    known = _known(tmp_path, "1.0.3 | Documents (Communication 2.2) | no State API yet")
    verdict = suite.judge(_run(), known, complete=True)
    assert [o.path for o in verdict.new_failures] == [
        "Statement Requirements (Data 2.2.s2) > An LRS rejects a bad verb (Data 2.4.3)"
    ]
    assert not verdict.ok
    message = suite.describe(_run(), verdict)
    assert "1.0.3 | Statement Requirements (Data 2.2.s2) > An LRS rejects a bad verb" in message
    assert "Error: got 200" in message and "x.js" not in message


def test_listed_failures_that_pass_now_or_vanished_fail_the_run(tmp_path):
    known = _known(
        tmp_path,
        "1.0.3 | Documents (Communication 2.2) | no State API yet",
        "1.0.3 | Statement Requirements (Data 2.2.s2) > An LRS rejects a bad verb "
        "(Data 2.4.3) | validation",
        "1.0.3 | Statement Requirements (Data 2.2.s2) > An LRS stores a statement | was broken",
        "1.0.3 | Gone > test | renamed upstream",
        "2.0.0 | Gone > test | other battery: not judged here",
    )
    verdict = suite.judge(_run(), known, complete=True)
    assert verdict.new_failures == []
    assert [k.reason for k in verdict.now_passing] == ["was broken"]
    assert [k.reason for k in verdict.stale] == ["renamed upstream"]
    partial = suite.judge(_run(), known, complete=False)  # a --grep or interrupted run
    assert partial.stale == []


def test_a_malformed_known_failure_line_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="known.txt:3"):
        _known(tmp_path, "1.0.3 | a test without a reason")
    with pytest.raises(ValueError):
        _known(tmp_path, "1.0.2 | a test | unknown battery")


def test_the_shipped_known_failures_file_parses():
    for known in suite.read_known_failures():
        assert known.battery in suite.BATTERIES and known.reason
