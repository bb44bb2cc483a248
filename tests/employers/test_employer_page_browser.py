"""The employer's check page (/employer/checks) in headless Chromium, as an HR clerk uses it.

Signs in with an employer account, pastes a list (a good token, a revoked credential's id,
something that is no credential), reads one row per credential and downloads the report;
uploads a CSV list with a candidate reference column. SQLite only, like the other page tests.
Screenshots go to test-artifacts/screenshots/employer-*.png.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.fixtures.accounts import TEST_PASSWORD
from tests.support.pages import shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]

WAIT_MS = 15_000


def _sign_in(page, base: str, user, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{base}/employer/checks")
    page.get_by_label("电子邮箱").fill(user.email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def _downloaded(page, link_name: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def _cells(page) -> list[list[str]]:
    rows = page.locator("#rows-body tr")
    return [
        [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def test_employer_checks_a_pasted_list_and_reads_the_report(
    page_at, live_server, employer_user, issue, token_of, revoke
):
    good = issue()["credential"]
    revoked = issue()["credential"]
    revoke(revoked["id"])
    page = page_at("desktop")
    _sign_in(page, live_server, employer_user)
    expect(page.locator("#who")).to_contain_text(employer_user.email)
    stored = "Object.keys(localStorage).length + Object.keys(sessionStorage).length"
    assert page.evaluate(stored) == 0  # the token lives in the script only

    pasted = "\n".join([token_of(good["id"]), "", revoked["id"], "这不是证书"])
    page.get_by_label("粘贴证书（每行一份）").fill(pasted)
    page.get_by_role("button", name="开始核验").click()
    expect(page.locator("#results")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#summary")).to_have_text("共 3 份：有效 1 份，其他 2 份。")
    cells = _cells(page)
    assert [row[0] for row in cells] == ["1", "2", "3"]
    assert [row[2] for row in cells] == ["令牌", "证书编号", "令牌"]
    assert [row[3] for row in cells] == ["有效", "已撤销", "无法读取"]
    assert cells[0][4] and cells[0][5]  # the achievement and the issuer
    assert "签名: 通过" in cells[0][7]
    assert page.locator("#count-valid").inner_text() == "1"
    assert page.locator("#count-revoked").inner_text() == "1"
    shot(page, "employer-checks-desktop")

    name, body = _downloaded(page, "下载 CSV 报告")
    assert name.endswith(".csv")
    report = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert report[0][:5] == ["index", "input_kind", "reference", "result", "reason"]
    assert [r[3] for r in report[1:]] == ["valid", "revoked", "unreadable"]
    assert report[1][10] == good["id"] and report[2][10] == revoked["id"]
    name, xlsx = _downloaded(page, "下载 Excel 报告")
    assert name.endswith(".xlsx")
    assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(xlsx)).namelist()


def test_csv_list_with_references_on_a_phone(page_at, live_server, employer_user, issued):
    cred, _token = issued
    page = page_at("phone")
    _sign_in(page, live_server, employer_user)
    expect(page.locator("#workspace")).to_be_visible()
    body = f"候选人,证书\nA-001,{cred['id']}\nA-002,urn:uuid:00000000-0000-4000-8000-000000000000\n"
    page.get_by_label("或选择文件").set_input_files(
        {"name": "名单.csv", "mimeType": "text/csv", "buffer": body.encode("utf-8")}
    )
    page.get_by_role("button", name="开始核验").click()
    expect(page.locator("#results")).to_be_visible(timeout=WAIT_MS)
    cells = _cells(page)
    assert [(row[1], row[3]) for row in cells] == [("A-001", "有效"), ("A-002", "未找到")]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"
    shot(page, "employer-checks-phone")


def test_staff_cannot_use_the_page_and_english(
    page_at, live_server, make_user, employer_user, enterprise
):
    page = page_at("desktop")
    trainer = make_user("trainer", enterprise)
    _sign_in(page, live_server, trainer)
    expect(page.locator("#signin-error")).to_have_text("此页面仅供用人单位账号使用。")
    assert not page.locator("#workspace").is_visible()
    page.get_by_role("link", name="Switch to English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Email").fill(employer_user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_label("Paste credentials (one per line)")).to_be_visible()
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator("#check-error-message")).to_have_text(
        "Paste at least one credential, or choose a file."
    )
