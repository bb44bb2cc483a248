"""The import page (/imports) in headless Chromium, as a training provider's clerk uses it.

Signs in, uploads a learners CSV, follows the import to the end and opens its report; a file that
is not a spreadsheet shows why it was refused. The job runs when the test drains the outbox (what
a worker does), while the page keeps polling the live server. SQLite only, like the other page
tests. Screenshots go to test-artifacts/screenshots/imports-*.png.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from credentials import images
from tests.fixtures.accounts import TEST_PASSWORD
from tests.fixtures.builder import make_id_number
from tests.support.pages import shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]

WAIT_MS = 15_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def trainer(make_org, make_user):
    return make_user("trainer", make_org(name="宁波技师学院", district="330212"))


def _sign_in(page, base: str, user, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{base}/imports")
    page.get_by_label("电子邮箱").fill(user.email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def _upload(page, name: str, data: bytes, mime: str = "text/csv") -> None:
    page.get_by_label("选择文件").set_input_files({"name": name, "mimeType": mime, "buffer": data})
    page.get_by_role("button", name="上传并导入").click()


def _downloaded(page, link_name: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def _fits_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"


def _wrong_check_digit(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def test_learners_import_progress_and_report(page_at, live_server, trainer, drain):
    ids = [make_id_number() for _ in range(3)]
    bad = _wrong_check_digit(make_id_number())
    lines = [
        "身份证号,姓名,区县代码,手机号",
        f"{ids[0]},张伟,330212,13800138000",
        f"{ids[1]},王芳,330206,",
        f"{ids[2]},李娜,330281,13912345678",
        f"{bad},赵磊,330212,",
    ]
    page = page_at("desktop")
    _sign_in(page, live_server, trainer)
    expect(page.locator("#who")).to_contain_text(trainer.email)
    expect(page.locator("#who")).to_contain_text("培训专员")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert not page.get_by_label("机构编号").is_visible()  # for administrators only
    stored = "Object.keys(localStorage).length + Object.keys(sessionStorage).length"
    assert page.evaluate(stored) == 0  # the token lives in the script only

    # The template for the chosen kind, fetched with the token and saved.
    name, template = _downloaded(page, "CSV 模板（.csv）")
    assert name.endswith(".csv")
    assert "身份证号" in template.decode("utf-8-sig").splitlines()[0]

    _upload(page, "学员名单.csv", "\n".join(lines).encode("utf-8"))
    progress = page.locator("#progress")
    expect(progress).to_be_visible()
    expect(page.locator("#progress-file")).to_have_text("学员名单.csv")
    assert progress.get_attribute("data-status") in ("queued", "checking", "running")
    shot(page, "imports-queued-desktop")

    drain()  # the worker's turn; the page keeps polling meanwhile
    expect(progress).to_have_attribute("data-status", "done", timeout=WAIT_MS)
    expect(page.locator("#status")).to_have_text("✓ 导入完成")
    expect(page.locator("#rows")).to_have_text("已处理 4 / 4 行")
    assert page.locator("#status").get_attribute("aria-live") == "polite"
    bar = page.locator("#progress-bar")
    assert bar.evaluate("b => b.value === b.max && b.max === 4")
    counts = {c: page.locator(f"#count-{c}").inner_text() for c in ("accepted", "rejected")}
    assert counts == {"accepted": "3", "rejected": "1"}
    assert page.locator("#count-duplicate").inner_text() == "0"
    assert not page.locator("#refusal").is_visible()
    shot(page, "imports-done-desktop")

    # The report: every row with its outcome, ID numbers and phones masked.
    name, body = _downloaded(page, "下载报告（CSV）")
    assert name.endswith("report.csv")
    text = body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 5  # header + 4 rows
    outcomes = {row[0]: row[1] for row in rows[1:]}
    assert outcomes == {
        "2": "成功 accepted",
        "3": "成功 accepted",
        "4": "成功 accepted",
        "5": "拒绝 rejected",
    }
    assert rows[4][2], "a rejected row says why"
    for number in [*ids, bad]:
        assert number not in text
    assert f"{ids[0][:6]}********{ids[0][-4:]}" in text
    assert "13800138000" not in text
    name, xlsx = _downloaded(page, "下载报告（Excel）")
    assert name.endswith("report.xlsx")
    assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(xlsx)).namelist()

    # The same file again, as a dry run: the three are already there, nothing is written.
    page.get_by_label("仅检查，不写入（试运行）").check()
    _upload(page, "学员名单.csv", "\n".join(lines).encode("utf-8"))
    expect(progress).not_to_have_attribute("data-status", "done")
    drain()
    expect(progress).to_have_attribute("data-status", "done", timeout=WAIT_MS)
    expect(page.locator("#status")).to_contain_text("试运行")
    assert page.locator("#count-duplicate").inner_text() == "3"


def test_refused_file_on_a_phone(page_at, live_server, trainer, drain):
    page = page_at("phone")
    _sign_in(page, live_server, trainer)
    expect(page.locator("#workspace")).to_be_visible()
    _fits_phone(page)
    shot(page, "imports-form-phone")

    page.get_by_label("导入内容").select_option(label="学员名单")
    _upload(page, "roster.csv", images.default_png())  # a picture renamed .csv
    expect(page.locator("#progress")).to_be_visible()
    drain()
    expect(page.locator("#progress")).to_have_attribute("data-status", "refused", timeout=WAIT_MS)
    refusal = page.locator("#refusal")
    expect(refusal).to_be_visible()
    expect(page.locator("#status")).to_have_text("✗ 文件未被接受")
    expect(page.locator("#refusal-explain")).to_contain_text("这不是 Excel 工作簿")
    assert page.locator("#refusal-message").inner_text().strip()  # the service's own words
    assert refusal.get_attribute("data-code") == "not-a-spreadsheet"
    assert not page.locator("#reports").is_visible()
    assert not page.locator("#progress-bar").is_visible()  # nothing was written: no counts
    _fits_phone(page)
    shot(page, "imports-refused-phone")

    # A workbook with a formula in a data cell: refused, and the cell is named.
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名", "区县代码"])
    sheet.append([make_id_number(), "张伟", "330212"])
    sheet.append([make_id_number(), "=A2", "330212"])
    buffer = io.BytesIO()
    book.save(buffer)
    _upload(page, "roster.xlsx", buffer.getvalue(), XLSX)
    expect(page.locator("#progress")).not_to_have_attribute("data-status", "refused")
    drain()
    expect(refusal).to_have_attribute("data-code", "formula-in-data", timeout=WAIT_MS)
    expect(page.locator("#refusal-explain")).to_contain_text("公式")
    expect(page.locator("#refusal-message")).to_contain_text("B3")


def test_sign_in_errors_and_english(page_at, live_server, trainer, make_user):
    page = page_at("phone", http_errors=True)  # the wrong password answers 400
    _sign_in(page, live_server, trainer, password="not-the-password")
    expect(page.locator("#signin-error")).to_have_text("邮箱或密码不正确。")
    shot(page, "imports-signin-error-phone")
    assert not page.locator("#workspace").is_visible()

    learner = make_user("learner")
    _sign_in(page, live_server, learner)
    expect(page.locator("#signin-error")).to_contain_text("需要培训机构或管理员账号")
    assert not page.locator("#workspace").is_visible()

    page.get_by_role("link", name="Switch to English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Email").fill(trainer.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#who")).to_contain_text("(trainer)")
    expect(page.get_by_label("What the file holds")).to_be_visible()
    shot(page, "imports-form-en-phone")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Email")).to_be_visible()
    assert page.get_by_label("Password").input_value() == ""

    # An administrator names the organization; without it the upload is refused with a 422,
    # and the page says so in its words and the service's.
    admin = make_user("admin")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_label("Organization ID")).to_be_visible()
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "a.csv", "mimeType": "text/csv", "buffer": "身份证号,姓名,区县代码\n".encode()}
    )
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("#import-error")).to_be_visible()
    expect(page.locator("#import-error-message")).to_have_text("The upload was not accepted:")
    expect(page.locator("#import-error-detail")).to_contain_text("organization")
    assert not page.locator("#progress").is_visible()
    _fits_phone(page)
    shot(page, "imports-upload-error-en-phone")
