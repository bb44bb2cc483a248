"""Fixtures for the public pages: a learner with a login and credentials, share links, and (for
the browser tests) the app served by uvicorn on 127.0.0.1 and Debian's chromium."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import select

from tests.fixtures.builder import make_id_number

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@dataclass
class Holder:
    headers: dict
    learner_id: str
    subject_id: str
    id_number: str
    name: str


@pytest.fixture
def holder(world, session) -> Holder:
    """A learner who signed up with their own account (learner token)."""
    from service.training.models import Learner

    headers = world.login(world.make_user("learner"))
    number = make_id_number()
    body = world.learner(
        headers=headers, id_number=number, name="李晓明", district_code="330212", groups=[]
    )
    session.expire_all()
    row = session.exec(select(Learner).where(Learner.id == uuid.UUID(body["id"]))).one()
    return Holder(headers, str(row.id), str(row.subject_id), number, row.name)


@pytest.fixture
def holder_credential(issue, holder):
    """A credential issued to ``holder`` (the admin API), as the issue response's credential."""
    return issue(learner=holder.subject_id, id_number=holder.id_number)["credential"]


@pytest.fixture
def make_share(client, holder):
    def make(credential_id: str, show_name: bool = False, headers=None) -> dict:
        r = client.post(
            f"/api/v1/me/credentials/{credential_id}/shares",
            json={"show_name": show_name},
            headers=headers or holder.headers,
        )
        assert r.status_code == 201, r.text
        return r.json()

    return make


@pytest.fixture
def revoke(client, admin):
    def do(credential_id: str, action: str = "revoke") -> None:
        r = client.post(
            f"/api/v1/credentials/{credential_id}/{action}",
            json={"reason": "test"},
            headers=admin,
        )
        assert r.status_code == 200, r.text

    return do


@pytest.fixture
def completions(city):
    """Completions in three years, by learners of four districts, in three clusters."""
    petrochem = city.add_offering(cluster_code="green_petrochemical", title="化工")
    equipment = city.add_offering()
    it = city.add_offering(cluster_code="next_gen_it", title="数字技术")
    plan = [
        (petrochem, "330206", date(2023, 3, 1)),
        (petrochem, "330206", date(2024, 5, 2)),
        (equipment, "330212", date(2024, 6, 3)),
        (equipment, "330212", date(2025, 1, 4)),
        (equipment, "330281", date(2025, 2, 5)),
        (it, "330281", date(2025, 3, 6)),
        (it, "330203", date(2025, 4, 7)),
    ]
    for offering, district, day in plan:
        city.completion(city.add_learner(district=district), offering, day)
    return len(plan)


# ---- browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed (browser tests run in CI)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_at(browser):
    """``page_at("desktop" | "phone")``: a fresh page with that viewport; CSP violations and
    console errors fail the test (a page must not need anything it is not allowed to load)."""
    contexts, errors = [], []

    def make(kind: str = "desktop", http_errors: bool = False):
        """``http_errors``: the page itself answers 4xx on purpose (Chromium logs that)."""
        context = browser.new_context(
            viewport=PHONE if kind == "phone" else DESKTOP,
            device_scale_factor=2 if kind == "phone" else 1,
            is_mobile=kind == "phone",
            has_touch=kind == "phone",
            locale="zh-CN",
        )
        contexts.append(context)
        page = context.new_page()

        def on_console(message):
            expected = http_errors and "the server responded with a status of 4" in message.text
            if message.type == "error" and not expected:
                errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda e: errors.append(str(e)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, errors
