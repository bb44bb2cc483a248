"""Playing real course packages in Chromium: a live server on two origins and a learner's tab.

``PlayServer`` serves the app over HTTP with the API on ``http://127.0.0.1:<port>`` and package
content plus the player on ``http://localhost:<port>`` (two origins, as in the embedded default),
uploads a package as a trainer, publishes it and enrols a learner. ``Played`` is one launch in a
browser tab: it records every console error, page error, failed request and HTTP error, so a
test can assert that a course played cleanly.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlmodel import select

from service.core.timeutil import utcnow

XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}
#: how far a test may move the browser's clock during one launch
BROWSER_HOURS = timedelta(hours=2)
POLL_SECONDS = 20.0
#: requests cut short because the test navigated away on purpose (closing the course), or
#: because the browser's media pipeline dropped a range request it no longer needed
ABORTED = "net::ERR_ABORTED"
#: xAPI document resources: a 404 is the LRS's answer "no such document yet" (xAPI 2.0
#: section 4.1.6.2), which content asks for on a first launch (a bookmark, preferences)
XAPI_DOCUMENTS = ("/xAPI/activities/state", "/xAPI/agents/profile", "/xAPI/activities/profile")
API_OBJECT = "window.API_1484_11 || window.API"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _poll(read: Callable[[], object], done: Callable[[object], bool], what: str, page=None):
    """``read()`` until ``done``; waits through ``page`` when there is one, so Playwright keeps
    delivering the browser's events (frame navigations) meanwhile."""
    deadline = time.monotonic() + POLL_SECONDS
    value = read()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen; last seen: {value!r}")
        if page is not None:
            page.wait_for_timeout(250)
        else:
            time.sleep(0.25)
        value = read()
    return value


class PlayServer:
    """The app on two origins of one port, with a trainer, a learner and the browser."""

    def __init__(self, app, settings, world, drain, browser):
        del app  # served afresh below, built after the origins are set
        self.settings = settings
        self.world = world
        self.client = world.client
        self.drain = drain
        self.browser = browser
        self.port = _free_port()
        self.api_base = f"http://127.0.0.1:{self.port}"
        self.content_base = f"http://localhost:{self.port}"
        self.learner_headers: dict[str, str] = {}
        self._server = None
        self._thread: threading.Thread | None = None
        self.context = None

    def start(self) -> None:
        import uvicorn

        from service.app import create_app
        from service.core.observability.logging import UVICORN_LOGGING

        self.settings.public_base_url = self.api_base
        self.settings.content_base_url = self.content_base
        app = create_app(self.settings, start_relay=False)
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                lifespan="on",
                **UVICORN_LOGGING,
            )
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        self.context = self.browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="zh-CN"
        )

    def stop(self) -> None:
        if self.context is not None:
            self.context.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    # --- set-up through the API, as a trainer and a learner would --------------------------

    def enrol(
        self, package: Path, *, title: str, required_minutes: int, assessed: bool = True
    ) -> dict:
        """A published package in an online offering, and the learner enrolled in it;
        ``assessed``: the offering needs a passed assessment (the package's verdict) too."""
        trainer = self.world.trainer
        created = self.client.post(
            "/api/v1/packages", json={"title": title, "declared_hours": "2"}, headers=trainer
        )
        assert created.status_code == 201, created.text
        pid = created.json()["id"]
        with package.open("rb") as fh:
            up = self.client.post(
                f"/api/v1/packages/{pid}/versions",
                headers=trainer,
                files={"file": (package.name, fh, "application/zip")},
            )
        assert up.status_code == 202, up.text
        self.drain()
        version = self.client.get(
            f"/api/v1/packages/{pid}/versions/{up.json()['id']}", headers=trainer
        )
        assert version.json()["status"] == "ready", version.text
        published = self.client.post(
            f"/api/v1/packages/{pid}/versions/{up.json()['id']}/publish", headers=trainer
        )
        assert published.status_code == 200, published.text
        offering = self.world.offering(
            mode="online",
            required_minutes=required_minutes,
            package_ids=[pid],
            assessment_required=assessed,
        )
        if not self.learner_headers:
            _, self.learner_headers = self.world.learner_with_login()
        enrolled = self.client.post(
            "/api/v1/enrollments",
            json={"offering_id": offering["id"]},
            headers=self.learner_headers,
        )
        assert enrolled.status_code == 201, enrolled.text
        return enrolled.json()

    def launch(self, enrollment: dict) -> Played:
        r = self.client.post(
            f"/api/v1/enrollments/{enrollment['id']}/launch", headers=self.learner_headers
        )
        assert r.status_code == 200, r.text
        url = r.json()["url"]
        assert url.startswith(f"{self.content_base}/play/"), url
        self._opened_earlier(enrollment["id"])
        page = self.context.new_page()
        played = Played(self, page, url)
        page.clock.install()
        page.goto(url)
        return played

    def _opened_earlier(self, enrollment_id: str) -> None:
        """The browser's clock is moved forward while a course plays, the server's is not; the
        launch is dated back so that the minutes the runtime reports fit after it, as they
        would had the learner really spent them (a runtime never records time before its
        launch)."""
        from service.packages.launch_models import LaunchSession

        session = self.world.session
        rows = session.exec(
            select(LaunchSession).where(LaunchSession.enrollment_id == uuid.UUID(enrollment_id))
        ).all()
        for row in rows:
            if row.created_at > utcnow() - timedelta(minutes=1):
                row.created_at -= BROWSER_HOURS
                session.add(row)
        session.commit()

    # --- what the learner and the API see --------------------------------------------------

    def enrollment(self, enrollment_id: str) -> dict:
        r = self.client.get(f"/api/v1/enrollments/{enrollment_id}", headers=self.learner_headers)
        assert r.status_code == 200, r.text
        return r.json()

    def wait_for_enrollment(self, enrollment_id: str, done: Callable[[dict], bool]) -> dict:
        return _poll(lambda: self.enrollment(enrollment_id), done, "the enrolment change")

    def hours(self, enrollment_id: str) -> dict:
        r = self.client.get(
            f"/api/v1/enrollments/{enrollment_id}/hours", headers=self.learner_headers
        )
        assert r.status_code == 200, r.text
        return r.json()

    def wait_for_hours(self, enrollment_id: str, done: Callable[[int], bool]) -> int:
        return _poll(lambda: self.hours(enrollment_id)["minutes"], done, "the hours")

    def verbs(self, enrollment: dict) -> set[str]:
        r = self.client.get(
            "/xAPI/statements",
            params={"registration": enrollment["registration"], "limit": 200},
            headers=self.world.admin | XAPI_HEADERS,
        )
        assert r.status_code == 200, r.text
        return {s["verb"]["id"].rsplit("/", 1)[-1] for s in r.json()["statements"]}


def _absent_document(url: str, status: int) -> bool:
    return status == 404 and urlsplit(url).path in XAPI_DOCUMENTS


@dataclass
class Played:
    """One launch in a tab of the learner's browser."""

    server: PlayServer
    page: object
    url: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    leaving: bool = False

    def __post_init__(self) -> None:
        page = self.page
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        page.on("dialog", self._dialog)

    @property
    def config(self) -> dict:
        fragment = urlsplit(self.url).fragment
        assert fragment.startswith("cfg="), self.url
        raw = fragment[4:]
        return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))

    # --- recording -------------------------------------------------------------------------

    def _console(self, message) -> None:
        if message.type == "error" and not _absent_document(message.location.get("url", ""), 404):
            self.errors.append(f"console: {message.text}")

    def _failed(self, request) -> None:
        failure = request.failure or ""
        if ABORTED in failure and (self.leaving or request.resource_type == "media"):
            return
        self.errors.append(f"request failed: {request.method} {request.url} {failure}")

    def _response(self, response) -> None:
        if response.status >= 400 and not _absent_document(response.url, response.status):
            self.errors.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.accept()

    def assert_clean(self) -> None:
        alerts = [d for d in self.dialogs if d.startswith("alert")]
        assert not self.errors and not alerts, self.errors + alerts

    # --- the player ------------------------------------------------------------------------

    def _content_frames(self):
        prefix = f"{self.server.content_base}/content/"
        return [f for f in self.page.frames if f.url.startswith(prefix)]

    def wait_for_sco(self, index: int):
        """The frame of the ``index``-th SCO (manifest order), once its page has loaded."""
        href = self.config["scos"][index]["href"].split("?", 1)[0]

        def find():
            return next((f for f in self._content_frames() if href in f.url), None)

        frame = _poll(find, lambda f: f is not None, f"SCO {index} ({href}) loading", self.page)
        frame.wait_for_load_state("load")
        return frame

    def wait_for_au(self):
        frame = _poll(
            lambda: next(iter(self._content_frames()), None),
            lambda f: f is not None,
            "the AU loading",
            self.page,
        )
        frame.wait_for_load_state("load")
        return frame

    def wait_initialised(self) -> None:
        self.page.wait_for_function(
            f"() => {{ const api = {API_OBJECT}; return !!api && api.isInitialized(); }}"
        )

    def runtime_value(self, element: str) -> str:
        return self.page.evaluate(
            f"e => {{ const api = {API_OBJECT}; return api.GetValue ? api.GetValue(e) : "
            "api.LMSGetValue(e); }",
            element,
        )

    def clock_forward(self, minutes: int) -> None:
        self.page.clock.run_for(minutes * 60_000)

    def next(self) -> None:
        self.page.locator("[data-nav=next]").click()

    def commit_now(self) -> None:
        with self.page.expect_response(lambda r: "/scorm-commit" in r.url) as answer:
            self.page.evaluate(
                f"() => {{ const api = {API_OBJECT}; return api.Commit ? api.Commit('') : "
                "api.LMSCommit(''); }"
            )
        assert answer.value.status == 200, answer.value.text()

    def finish(self) -> None:
        """The learner leaves the course with the player's exit control."""
        self.page.locator("[data-nav=exit]").click()
        self.wait_ended()

    def wait_ended(self) -> None:
        self.page.locator("[data-player-state=ended]").wait_for()

    def reload(self) -> None:
        """The learner reloads the page: the running session ends as on a close."""
        self.leaving = True
        self.page.reload()
        self.leaving = False

    def close_tab(self) -> None:
        """The learner closes the course: the SCO's unload handlers and the player's final
        commit run as the page goes away."""
        self.leaving = True
        self.page.goto("about:blank")

    def wait_for_statements(self, enrollment: dict, verbs: set[str]) -> set[str]:
        return _poll(
            lambda: self.server.verbs(enrollment),
            lambda seen: verbs <= seen,
            f"statements {sorted(verbs)}",
            self.page if not self.leaving else None,
        )
