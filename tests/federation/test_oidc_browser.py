"""Learner sign-in through a real OpenID Connect provider, in headless Chromium.

The browser goes from our sign-in link to the provider's own login page (node oidc-provider's
development login and consent forms), back to our callback, through the link step on the first
sign-in, and ends on the signed-in page, whose token works on the API. SQLite only, like the
other page tests. Screenshots go to test-artifacts/screenshots/oidc-*.png.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import select

from service.federation.models import FederatedIdentity
from tests.federation.oidc_steps import callback_uri
from tests.fixtures.builder import make_id_number
from tests.support.pages import shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]

WAIT_MS = 15_000


@pytest.fixture
def learner(world):
    number = make_id_number()
    world.learner(id_number=number, name="陈静", groups=[])
    return number, "陈静"


@pytest.fixture
def city(live_server, oidc_provider, configure_providers):
    running = oidc_provider("city", [callback_uri("city", live_server)])
    configure_providers(running)
    return running


def _browser_page(page_at, **kwargs):
    page = page_at("desktop", **kwargs)
    # The provider's development pages import a web font from a CDN: answer it empty here, so
    # that the test needs no internet and the page logs no error for it.
    page.context.route(
        "https://fonts.googleapis.com/**",
        lambda route: route.fulfill(status=200, content_type="text/css", body=""),
    )
    return page


def _through_provider(page, base: str, city, login: str) -> None:
    page.goto(f"{base}/auth/oidc/city/login?return_to=/verify")
    page.wait_for_url(f"{city.issuer}/**", timeout=WAIT_MS)  # the provider's login page
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # the provider's consent


def _stored_session(page) -> dict:
    return page.evaluate("JSON.parse(window.sessionStorage.getItem('skills.session'))")


def _links(session):
    session.expire_all()
    return session.exec(select(FederatedIdentity)).all()


def test_first_sign_in_links_then_the_next_goes_straight_through(
    page_at, live_server, city, learner, session
):
    number, name = learner
    page = _browser_page(page_at)
    _through_provider(page, live_server, city, "chen.jing")

    expect(page.get_by_role("heading", name="确认您的学员身份")).to_be_visible(timeout=WAIT_MS)
    assert page.url.startswith(f"{live_server}/auth/oidc/city/callback")
    shot(page, "oidc-link")
    page.get_by_label("身份证号码").fill(number)
    page.get_by_label("姓名").fill(name)
    page.get_by_role("button", name="确认并登录").click()

    masked = number[:6] + "********" + number[-4:]
    expect(page.locator("#signed-in-as")).to_have_text(f"已登录学员：{masked}", timeout=WAIT_MS)
    expect(page.locator("#session-status")).to_contain_text("本窗口已保持登录")
    shot(page, "oidc-signed-in")
    stored = _stored_session(page)
    assert stored["role"] == "learner"
    assert stored["access_token"] not in page.url and number not in page.url
    assert page.locator("#oidc-session").count() == 0  # the data block is gone from the page
    me = httpx.get(
        f"{live_server}/api/v1/auth/me",
        headers={"Authorization": f"Bearer {stored['access_token']}"},
    )
    assert me.status_code == 200 and me.json()["role"] == "learner"
    assert [link.subject for link in _links(session)] == ["chen.jing"]

    page.get_by_role("link", name="继续").click()
    expect(page).to_have_url(f"{live_server}/verify", timeout=WAIT_MS)

    # The provider remembers the person: the next sign-in needs no form at all here.
    page.goto(f"{live_server}/auth/oidc/city/login")
    expect(page.locator("#signed-in-as")).to_have_text(f"已登录学员：{masked}", timeout=WAIT_MS)
    assert _stored_session(page)["access_token"] != stored["access_token"]
    again = httpx.get(
        f"{live_server}/api/v1/auth/me",
        headers={"Authorization": f"Bearer {_stored_session(page)['access_token']}"},
    )
    assert again.json()["id"] == me.json()["id"]
    assert len(_links(session)) == 1


def test_a_wrong_name_is_refused_and_links_nothing(page_at, live_server, city, learner, session):
    number, _ = learner
    page = _browser_page(page_at, http_errors=True)
    _through_provider(page, live_server, city, "someone.else")
    expect(page.get_by_role("heading", name="确认您的学员身份")).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("身份证号码").fill(number)
    page.get_by_label("姓名").fill("李四")
    page.get_by_role("button", name="确认并登录").click()

    expect(page.locator("#link-error")).to_contain_text("身份证号码和姓名与学员档案不符")
    expect(page.get_by_label("身份证号码")).to_have_value("")  # the number is not echoed
    shot(page, "oidc-link-refused")
    assert page.evaluate("window.sessionStorage.getItem('skills.session')") is None
    assert _links(session) == []


def test_cancelling_at_the_provider_is_explained(page_at, live_server, city, session):
    page = _browser_page(page_at, http_errors=True)
    page.goto(f"{live_server}/auth/oidc/city/login")
    page.wait_for_url(f"{city.issuer}/**", timeout=WAIT_MS)
    page.get_by_role("link", name="Cancel").click()

    expect(page.locator("[data-result=oidc-error]")).to_contain_text("登录已取消")
    assert page.url.startswith(f"{live_server}/auth/oidc/city/callback")
    page.get_by_role("link", name="重新登录").click()
    page.wait_for_url(f"{city.issuer}/**", timeout=WAIT_MS)  # a fresh sign-in at the provider
    assert _links(session) == []
