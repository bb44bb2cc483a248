"""ADL's LRS conformance suite against a live server on PostgreSQL, one battery per xAPI version.

Runs once per test run, on the PostgreSQL parametrization only (SKILLS_TEST_DATABASE_URL). It
fails on every failing test not listed in lrs_known_failures.txt, and on every listed one that
passes now. Counts go to $SKILLS_CONFORMANCE_REPORT (default: <tmp>/skills-lrs-conformance.json).
Outside CI it is skipped when node/npm or the suite (../shared/conformance, or
SKILLS_CONFORMANCE_SUITE) is missing; in CI that is an error. SKILLS_CONFORMANCE_GREP narrows
a local run (mocha --grep); SKILLS_CONFORMANCE_TIMEOUT bounds each battery (seconds).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from tests.conformance import suite

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.postgres(reason="the LRS conformance suite runs once, on PostgreSQL"),
]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BATTERY_TIMEOUT = float(os.environ.get("SKILLS_CONFORMANCE_TIMEOUT", "420"))
GREP = os.environ.get("SKILLS_CONFORMANCE_GREP") or None


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def installed_suite():
    if not suite.SUITE_SOURCE.is_dir():
        _unavailable(f"the conformance suite is not at {suite.SUITE_SOURCE}")
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("node and npm are needed to run the LRS conformance suite")
    return suite.installed_copy()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@pytest.fixture
def lrs_server(settings, tmp_path):
    """``skills serve`` in its own process, on this test's PostgreSQL database."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    env = dict(os.environ, SKILLS_PUBLIC_BASE_URL=base)
    command = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-worker", "--no-migrate"]
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            command, cwd=suite.REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"skills serve exited ({proc.returncode}):\n{_tail(log_path)}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"skills serve did not answer within 60s:\n{_tail(log_path)}")
            time.sleep(0.2)
        yield base, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _platform_key() -> tuple[str, str]:
    """A platform account and its API key, made the way the README says (the CLI)."""
    from service.cli import app

    runner = CliRunner()
    email = "conformance@lrs.test"
    made = runner.invoke(app, ["users", "create", "--email", email, "--role", "platform"])
    assert made.exit_code == 0, made.output
    command = ["users", "api-key", "create", "--email", email, "--name", "ADL"]
    while True:
        key = runner.invoke(app, command)
        assert key.exit_code == 0, key.output
        created = json.loads(key.output)
        # The runner's option parser (commander 2) takes "-p -xyz" for an option, not a value.
        if not created["client_secret"].startswith("-"):
            return created["client_id"], created["client_secret"]


def _preflight(base: str, battery: str, user: str, password: str) -> list[str]:
    """What the whole battery rests on: the server, the key, the version header."""
    headers = {"X-Experience-API-Version": battery}
    checks = [
        ("GET /xAPI/about", httpx.get(f"{base}/xAPI/about"), 200),
        (
            "GET /xAPI/statements with the key",
            httpx.get(f"{base}/xAPI/statements?limit=1", headers=headers, auth=(user, password)),
            200,
        ),
        (
            "GET /xAPI/statements with a wrong secret",
            httpx.get(f"{base}/xAPI/statements", headers=headers, auth=(user, "wrong")),
            401,
        ),
    ]
    return [
        f"preflight: {name} answered {got.status_code}, expected {want}: {got.text[:300]}"
        for name, got, want in checks
        if got.status_code != want
    ]


@pytest.mark.parametrize("battery", suite.BATTERIES)
def test_lrs_conformance(battery, installed_suite, lrs_server, tmp_path):
    base, server_log = lrs_server
    user, password = _platform_key()
    problems = _preflight(base, battery, user, password)

    copy = suite.working_copy(installed_suite, tmp_path / "lrs-cts")
    run = suite.run_battery(
        copy, battery, f"{base}/xAPI", user, password, timeout=BATTERY_TIMEOUT, grep=GREP
    )
    known = suite.read_known_failures()
    complete = run.state == "finished" and not GREP
    verdict = suite.judge(run, known, complete=complete)
    report = suite.write_report(run, verdict, known)
    summary = suite.describe(run, verdict)
    suite.SUMMARIES.append(summary.splitlines()[0] + f"; report: {report}")

    if run.state != "finished":
        problems.append(
            f"the {battery} battery did not finish ({run.state} after {run.seconds:.0f}s, "
            f"limit {BATTERY_TIMEOUT:.0f}s); runner output:\n{run.output[-3000:]}"
        )
    if not verdict.ok:
        problems.append(summary)
    if problems:
        kept = report.with_name(f"{report.stem}-{battery}.server.log")
        shutil.copyfile(server_log, kept)
        crashes = kept.read_text(errors="replace").count("Traceback (most recent call")
        problems.append(
            f"report: {report} (the suite's full log beside it); "
            f"server log: {kept} ({crashes} tracebacks)"
        )
        pytest.fail("\n".join(problems), pytrace=False)
