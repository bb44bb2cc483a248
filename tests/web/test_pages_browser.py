"""The public pages in headless Chromium, as an employer on a desktop or a phone would use them.

Run against the SQLite backend only (a browser per database would double the slowest tests and
the pages hold no database-specific code; the TestClient tests in this folder run on both).
Screenshots go to test-artifacts/screenshots/ for review.
"""

from __future__ import annotations

import base64
import io
import json

import pytest
import zxingcpp
from PIL import Image

from credentials import baking, images
from tests.fixtures.foreign_issuer import unreachable_status_token
from tests.support.pages import shot, table_numbers

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]


@pytest.fixture(autouse=True)
def _served(live_server):
    """First of all (autouse): the public base URL is the live server's before anything is
    issued, so issuer ids, status list URLs and share URLs all point at it."""
    return live_server


def _verdict(page) -> tuple[str, str]:
    box = page.locator("section.verdict")
    return box.get_attribute("data-result"), page.locator("#verdict-heading").inner_text()


def _paste(page, base: str, token: str, label: str = "证书令牌") -> None:
    page.goto(f"{base}/verify")
    page.get_by_label(label).fill(token)
    page.get_by_role("button", name="核验", exact=True).click()


def _tab_to(page, element_id: str, limit: int = 15) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with the keyboard")


def _fits_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"


def test_verify_valid_by_paste_upload_and_id(page_at, live_server, holder_credential, token_of):
    token = token_of(holder_credential["id"])
    page = page_at("desktop")
    _paste(page, live_server, token)
    assert _verdict(page) == ("valid", "有效")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    checks = page.locator("li.check")
    assert checks.count() == 5
    assert {checks.nth(i).get_attribute("data-outcome") for i in range(5)} == {"passed"}
    facts = page.locator("dl.facts").inner_text()
    assert "6-31-01-03" in facts and "四级" in facts and "72.5 学时" in facts
    assert "宁波市教育局" in facts
    shot(page, "verify-valid-desktop")

    # A baked PNG, as an employer gets it by e-mail, on a phone.
    phone = page_at("phone")
    phone.goto(f"{live_server}/verify")
    shot(phone, "verify-form-phone")
    _tab_to(phone, "token")  # keyboard only: skip link, navigation, then the form
    outline = phone.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "focus must be visible"
    png = baking.bake_png(images.default_png(), token)
    phone.get_by_label("或者上传证书图片").set_input_files(
        {"name": "badge.png", "mimeType": "image/png", "buffer": png}
    )
    phone.get_by_role("button", name="核验", exact=True).click()
    assert _verdict(phone) == ("valid", "有效")
    _fits_phone(phone)
    shot(phone, "verify-valid-phone")

    # By credential number, then switched to English with the language link.
    page.goto(f"{live_server}/verify?credential={holder_credential['id']}")
    assert _verdict(page) == ("valid", "有效")
    page.get_by_role("link", name="Switch to English").click()
    assert _verdict(page) == ("valid", "Valid")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Training hours" in page.locator("dl.facts").inner_text()
    shot(page, "verify-valid-en-desktop")


def test_verify_tampered_token_is_invalid(page_at, live_server, holder_credential, token_of):
    token = token_of(holder_credential["id"])
    header, payload, signature = token.split(".")
    # Raise the hours in the claims and keep the signature: what a forger would try.
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for result in claims["credentialSubject"]["result"]:
        if result.get("value") == "72.5":
            result["value"] = "172.5"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    page = page_at("phone")
    _paste(page, live_server, f"{header}.{forged}.{signature}")
    assert _verdict(page) == ("invalid", "无效")
    assert "172.5" in page.locator("dl.facts").inner_text()  # shown, under a warning
    assert page.locator(".notice.tone-bad").is_visible()
    signature_check = page.locator('li.check[data-check="signature"]')
    assert signature_check.get_attribute("data-outcome") == "failed"
    assert "签名不符" in signature_check.inner_text()
    _fits_phone(page)
    shot(page, "verify-tampered-phone")


def test_verify_revoked_badge(page_at, live_server, holder_credential, token_of, revoke):
    token = token_of(holder_credential["id"])
    revoke(holder_credential["id"])
    page = page_at("desktop")
    page.goto(f"{live_server}/verify")
    svg = baking.bake_svg(images.default_svg("电工"), token).encode()
    page.get_by_label("或者上传证书图片").set_input_files(
        {"name": "badge.svg", "mimeType": "image/svg+xml", "buffer": svg}
    )
    page.get_by_role("button", name="核验", exact=True).click()
    assert _verdict(page) == ("revoked", "已撤销")
    assert page.locator('li.check[data-check="status"]').get_attribute("data-outcome") == "failed"
    shot(page, "verify-revoked-desktop")


def test_verify_inconclusive_when_status_list_unreachable(
    page_at,
    live_server,
    settings,
    foreign,
):
    settings.trusted_http_hosts = ["127.0.0.1"]  # the other issuer is served on loopback
    page = page_at("desktop")
    _paste(page, live_server, unreachable_status_token(foreign))
    assert _verdict(page) == ("inconclusive", "无法确认")
    status = page.locator('li.check[data-check="status"]')
    assert status.get_attribute("data-outcome") == "inconclusive"
    assert page.locator('li.check[data-check="signature"]').get_attribute("data-outcome") == (
        "passed"
    )
    assert "其他机构签发：127.0.0.1" in page.locator("dl.facts").inner_text()
    shot(page, "verify-inconclusive-desktop")


def test_verify_unreadable_input_says_why(page_at, live_server):
    page = page_at("phone", http_errors=True)
    _paste(page, live_server, "这不是令牌")
    assert page.locator("section.verdict").get_attribute("data-result") == "error"
    assert "不是证书令牌" in page.locator("#error-message").inner_text()


def _decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_share_page_qr_downloads_and_holder_check(
    page_at, live_server, holder, holder_credential, make_share, client
):
    share = make_share(holder_credential["id"], show_name=True)
    url = f"{live_server}/c/{share['code']}"
    assert share["url"] == url
    page = page_at("desktop")
    page.goto(url)
    assert _verdict(page) == ("valid", "有效")
    assert page.locator("h1").inner_text() == "电工（四级/中级工）技能微证书"
    assert holder.name in page.locator("dl.facts").inner_text()
    shot(page, "share-desktop")

    # The QR code on the page, photographed as a phone camera would see it, opens this page.
    assert _decode(page.locator("#qr svg").screenshot()) == [url]
    qr_png = page.request.get(f"{url}/qr.png")
    assert qr_png.headers["content-type"] == "image/png"
    assert _decode(qr_png.body()) == [url]

    # Downloads: the token, and badges that verify as the same credential.
    jwt_file = page.request.get(f"{url}/credential.jwt")
    assert jwt_file.text().startswith("eyJ")
    badge = page.request.get(f"{url}/badge.png").body()
    assert baking.extract_from_png(badge) == jwt_file.text()

    # Holder check: the right number matches, a wrong one does not; the number never comes back.
    html_before = page.content()
    assert holder.id_number not in html_before
    page.get_by_label("身份证号码").fill(holder.id_number)
    page.get_by_role("button", name="核对").click()
    assert page.locator("#holder-result").get_attribute("data-holder") == "match"
    assert page.url == url
    assert holder.id_number not in page.content()
    assert page.get_by_label("身份证号码").input_value() == ""
    assert page.get_by_label("身份证号码").get_attribute("autocomplete") == "off"
    shot(page, "share-holder-match-desktop")

    other = holder.id_number[:14] + "9" + holder.id_number[15:]  # wrong sequence digit
    from service.training.idnumber import compute_check_digit

    other = other[:17] + compute_check_digit(other[:17])
    page.get_by_label("身份证号码").fill(other)
    page.get_by_role("button", name="核对").click()
    assert page.locator("#holder-result").get_attribute("data-holder") == "no_match"
    assert other not in page.content()

    # On a phone: fits the screen, QR visible, keyboard reaches the skip link first.
    phone = page_at("phone")
    phone.goto(url)
    _fits_phone(phone)
    shot(phone, "share-phone")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.className") == "skip"


def test_share_without_name_and_withdrawn_share(
    page_at, live_server, holder, holder_credential, make_share, client
):
    share = make_share(holder_credential["id"])  # show_name defaults to false
    page = page_at("phone", http_errors=True)
    page.goto(share["url"])
    assert holder.name not in page.content()
    assert "持证人选择不公开姓名" in page.locator("dl.facts").inner_text()

    r = client.delete(f"/api/v1/me/shares/{share['code']}", headers=holder.headers)
    assert r.status_code == 204
    response = page.goto(share["url"])
    assert response.status == 410
    assert page.locator("h1").inner_text() == "分享链接已撤回"
    assert page.request.get(f"{share['url']}/qr.png").status == 410
    shot(page, "share-withdrawn-phone")


def test_dashboard_shows_the_api_figures(
    page_at, live_server, completions, client, make_user, login
):
    admin = login(make_user("admin"))
    target = client.get("/api/v1/tallies/target", headers=admin).json()
    period = {"period_from": target["period_from"], "period_to": target["period_to"]}
    districts = client.get(
        "/api/v1/tallies", params={"group_by": "district", **period}, headers=admin
    ).json()
    page = page_at("desktop")
    page.goto(f"{live_server}/dashboard")
    assert page.locator("#achieved").inner_text().replace(",", "") == str(target["achieved"])
    assert f"{target['percent']}%" in page.locator("#percent").inner_text()
    assert "1,200,000" in page.locator("#percent").inner_text()
    html = page.content()
    assert table_numbers(html, "table-years") == {
        str(y["year"]): y["person_times"] for y in target["per_year"]
    }
    assert table_numbers(html, "table-districts") == {
        d["district"]: d["person_times"] for d in districts["items"]
    }
    for chart in ("chart-progress", "chart-years", "chart-districts", "chart-clusters"):
        assert page.locator(f"#{chart}").get_attribute("role") == "img"
        assert page.locator(f"#{chart}-title").text_content()
    # Every active target has its own card: its figures, a bar and its projection in words.
    targets = client.get("/api/v1/tallies/targets", headers=admin).json()["items"]
    cards = page.locator("#targets > li")
    assert cards.count() == len([t for t in targets if t["is_active"]]) >= 3
    for i in range(cards.count()):
        card = cards.nth(i)
        code = card.get_attribute("data-code")
        api = client.get("/api/v1/tallies/target", params={"code": code}, headers=admin).json()
        assert (
            card.locator(".target-projection").count() + card.locator(".target-suppressed").count()
            == 1
        )
        if card.locator(".target-suppressed").count():  # a rate of too few enterprises
            continue
        achieved = card.locator(".target-achieved")
        assert achieved.get_attribute("data-value") == str(api["achieved"])
        assert achieved.inner_text().replace(",", "").rstrip("%") == f"{api['achieved']:g}"
        assert card.locator(f"#chart-target-{code}").get_attribute("role") == "img"
        assert card.locator(".target-projection").inner_text().strip()
        assert card.get_attribute("data-projection") == api["projection"]
    assert page.locator("#participation-heading").is_visible()
    # The data table opens without JavaScript (a <details> element).
    page.get_by_text("查看数据表").first.click()
    assert page.locator("#table-years").is_visible()
    shot(page, "dashboard-desktop")
    phone = page_at("phone")
    phone.goto(f"{live_server}/dashboard?lang=en")
    assert phone.locator("h1").inner_text() == "Lifelong skills training: progress"
    _fits_phone(phone)
    shot(phone, "dashboard-en-phone")
