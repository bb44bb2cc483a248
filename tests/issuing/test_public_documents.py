"""Issuer Profile, Achievements and the alignment targets are served at the URLs credentials use."""

from urllib.parse import urlsplit

from credentials.jwt_vc import decode_unverified
from tests.fixtures.issuing import LEVEL, OCCUPATION


def _path(url: str) -> str:
    return urlsplit(url).path


def test_issuer_profile(client, settings):
    r = client.get("/issuers/city")
    assert r.status_code == 200
    doc = r.json()
    assert doc["id"] == settings.issuer_id() == "https://skills.test/issuers/city"
    assert doc["type"] == ["Profile"] and doc["name"] == "宁波市教育局"
    assert client.get("/issuers/nobody").status_code == 404


def test_achievement_documents_and_image(client):
    r = client.get(f"/achievements/{OCCUPATION}-l{LEVEL}")
    assert r.status_code == 200
    ach = r.json()
    assert ach["type"] == ["Achievement"] and ach["humanCode"] == f"{OCCUPATION}-L{LEVEL}"
    assert ach["criteria"]["narrative"] and ach["alignment"][0]["targetCode"] == OCCUPATION
    image = client.get(_path(ach["image"]["id"]))
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    for unknown in ("9-99-99-99-l4", f"{OCCUPATION}-l9", "not-a-slug", "4-14-02-02-l5"):
        bad = client.get(f"/achievements/{unknown}")
        assert bad.status_code == 404, unknown
        assert bad.headers["content-type"] == "application/problem+json"


def test_every_url_in_a_credential_is_served(client, issue, token_of):
    issued = issue()
    credential = decode_unverified(token_of(issued["credential"]["id"]))
    ach = credential["credentialSubject"]["achievement"]
    urls = [credential["issuer"]["id"], ach["id"], ach["image"]["id"]]
    urls += [a["targetUrl"] for a in ach["alignment"]]
    status = credential["credentialStatus"]
    urls += [e["statusListCredential"] for e in (status if isinstance(status, list) else [status])]
    for url in urls:
        assert url.startswith("https://skills.test/"), url
        assert client.get(_path(url)).status_code == 200, url
    assert client.get("/occupations/6-31-01-03").json()["name"] == "电工"
    assert client.get("/skill-levels/4").json()["level"] == 4
    assert client.get("/skill-levels/7").status_code == 404
