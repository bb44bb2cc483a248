"""``GET /xAPI/about`` (xAPI 1.0.3 Communication §2.8 / 9274.1.1 §4.1.6.7): open to anyone, no
version header needed, lists the versions the LRS speaks."""

from __future__ import annotations


def test_about_needs_neither_credentials_nor_version_header(client):
    r = client.get("/xAPI/about")
    assert r.status_code == 200
    assert r.json()["version"] == ["1.0.3", "2.0.0"]
    assert r.json()["extensions"] == {}
    assert r.headers["x-experience-api-version"] == "2.0.0"


def test_about_answers_in_the_version_asked_for_and_to_head(client):
    r = client.get("/xAPI/about", headers={"X-Experience-API-Version": "1.0.1"})
    assert r.headers["x-experience-api-version"] == "1.0.3"
    head = client.head("/xAPI/about")
    assert head.status_code == 200 and head.content == b""
