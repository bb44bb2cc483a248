"""The /verify page without a browser: the same answers as the API, language choice, errors in
plain words, and the headers every page carries."""

from __future__ import annotations

import re

import pytest

from credentials import baking, images


@pytest.fixture
def token(holder_credential, token_of) -> str:
    return token_of(holder_credential["id"])


def _result(html: str) -> str | None:
    match = re.search(r'class="verdict[^"]*"[^>]*data-result="([a-z_]+)"', html)
    return match.group(1) if match else None


def test_page_agrees_with_the_api(client, token, holder_credential):
    api = client.post("/api/v1/verify", json={"token": token}).json()
    pasted = client.post("/verify", data={"token": token})  # urlencoded: a form without a file
    assert pasted.status_code == 200 and _result(pasted.text) == api["result"] == "valid"
    png = baking.bake_png(images.default_png(), token)
    uploaded = client.post(
        "/verify", data={"token": ""}, files={"file": ("badge.png", png, "image/png")}
    )
    assert _result(uploaded.text) == "valid"
    by_id = client.get("/verify", params={"credential": holder_credential["id"]})
    assert _result(by_id.text) == "valid"
    assert len(api["checks"]) == 5
    for check in api["checks"]:
        assert f'data-check="{check["name"]}" data-outcome="{check["outcome"]}"' in pasted.text


def test_language(client, token):
    assert '<html lang="zh-CN">' in client.get("/verify").text
    english = client.get("/verify?lang=en")
    assert '<html lang="en">' in english.text and "Verify a skill micro-credential" in english.text
    # The switch link keeps the other parameters and flips the language.
    assert 'href="/verify?lang=zh"' in english.text
    browser_en = client.get("/verify", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert '<html lang="en">' in browser_en.text
    prefers_zh = client.get("/verify", headers={"Accept-Language": "zh-CN,en;q=0.8"})
    assert '<html lang="zh-CN">' in prefers_zh.text
    explicit = client.get("/verify?lang=zh", headers={"Accept-Language": "en"})
    assert '<html lang="zh-CN">' in explicit.text
    # An explicit choice is carried by the page's own form.
    assert 'action="/verify?lang=en"' in english.text
    result = client.post("/verify?lang=en", data={"token": token})
    assert "Valid" in result.text and "Training hours" in result.text


def test_unreadable_input_in_plain_words(client):
    cases = [
        ({"token": ""}, None, "请粘贴证书令牌"),
        ({"token": "not a token"}, None, "这不是证书令牌"),
        ({"token": ""}, {"file": ("a.png", images.default_png(), "image/png")}, "没有嵌入证书"),
        ({"token": ""}, {"file": ("x.bin", b"\xff\xfe\x00junk", "image/png")}, "已损坏"),
    ]
    for form, files, words in cases:
        r = client.post("/verify", data=form, files=files)
        assert r.status_code == 422
        assert words in r.text and 'role="alert"' in r.text


def test_both_inputs_too_large_and_unknown_ids(client, token, settings):
    png = baking.bake_png(images.default_png(), token)
    both = client.post("/verify", data={"token": token}, files={"file": ("b.png", png)})
    assert both.status_code == 422 and "只提交一项" in both.text
    huge = b"\x89PNG\r\n\x1a\n" + b"\0" * (settings.verify_max_upload_bytes + 70 * 1024)
    big = client.post("/verify", files={"file": ("big.png", huge)})
    assert big.status_code == 413 and "文件太大" in big.text
    assert client.get("/verify?credential=nonsense").status_code == 422
    missing = client.get("/verify?credential=urn:uuid:00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and "没有这个编号" in missing.text


def test_page_headers_and_self_hosted_assets(client):
    page = client.get("/verify")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    # Every stylesheet, script and icon is served by the service itself.
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert [ref for ref in refs if ref.startswith("/static/")]
    for ref in refs:
        assert ref.startswith(("/", "#")), ref
        if ref.startswith("/static/"):
            assert client.get(ref).status_code == 200
    assert "style=" not in page.text  # CSP forbids inline styles; none are needed
    # Every form control has a label.
    controls = re.findall(r'<(?:input|textarea)[^>]*id="([^"]+)"', page.text)
    assert controls
    for control in controls:
        assert f'for="{control}"' in page.text, control
    assert client.get("/", follow_redirects=False).headers["location"] == "/verify"
