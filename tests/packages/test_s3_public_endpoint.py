"""Object storage reached by the service at one address and by browsers at another.

In the compose stack the service talks to ``http://minio:9000`` while browsers reach MinIO
through the proxy's public host name. Here moto's server plays the store: the service uses
``http://127.0.0.1:<port>``, browsers ``http://localhost:<port>``. A presigned GET is signed
over the Host header (SigV4), so it must be signed for the host the browser sends.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from service.core.settings import Settings
from tests.support import zipkit

PKG = {
    "title": "电工中级工数字培训包",
    "occupation_code": "6-31-01-03",
    "level": 4,
    "declared_hours": "40",
}


@pytest.fixture
def split_s3(settings, monkeypatch, moto_endpoint):
    """S3 settings with a public endpoint on another host name; returns (internal, public)."""
    from service.core import settings as settings_module
    from service.core import storage as storage_module

    public = moto_endpoint.replace("//127.0.0.1:", "//localhost:")
    assert public != moto_endpoint
    monkeypatch.setenv("SKILLS_STORAGE_BACKEND", "s3")
    monkeypatch.setenv("SKILLS_S3_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("SKILLS_S3_PUBLIC_ENDPOINT_URL", public)
    monkeypatch.setenv("SKILLS_S3_BUCKET", f"t-{uuid.uuid4().hex[:20]}")
    monkeypatch.setenv("SKILLS_S3_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("SKILLS_S3_SECRET_ACCESS_KEY", "testing")
    settings_module.get_settings.cache_clear()
    storage_module.get_storage.cache_clear()
    storage_module.get_storage().ensure_bucket()
    return urlsplit(moto_endpoint).netloc, urlsplit(public).netloc


def _signature_holds(url: str, host: str) -> bool:
    """Recomputes a presigned GET's SigV4 signature as a store receiving it with ``Host: host``
    would (moto's server does not check query signatures; MinIO and S3 do)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    given = dict(query)
    unsigned = urlencode([(k, v) for k, v in query if k != "X-Amz-Signature"])
    request = AWSRequest(
        method="GET", url=urlunsplit((parts.scheme, host, parts.path, unsigned, ""))
    )
    request.context["timestamp"] = given["X-Amz-Date"]
    region = given["X-Amz-Credential"].split("/")[2]
    auth = S3SigV4QueryAuth(
        Credentials("testing", "testing"), "s3", region, expires=int(given["X-Amz-Expires"])
    )
    string_to_sign = auth.string_to_sign(request, auth.canonical_request(request))
    return auth.signature(string_to_sign, request) == given["X-Amz-Signature"]


def test_browsers_upload_and_download_through_the_public_host(
    split_s3, client, staff, drain, make_user, login
):
    internal, public = split_s3
    headers = staff["headers"]
    package = client.post("/api/v1/packages", json=PKG, headers=headers).json()
    start = client.post(f"/api/v1/packages/{package['id']}/uploads", headers=headers)
    assert start.status_code == 201, start.text
    form = start.json()
    assert urlsplit(form["url"]).netloc == public

    # the browser posts the form to the public host name
    data = zipkit.good_packages()["xapi"]
    posted = httpx.post(
        form["url"], data=form["fields"], files={"file": ("pkg.zip", data, "application/zip")}
    )
    assert posted.status_code in (200, 204), posted.text

    # the service, on its own address, finds the object and ingests it
    done = client.post(
        f"/api/v1/packages/{package['id']}/versions/{form['version']['id']}/complete",
        headers=headers,
    )
    assert done.status_code == 202, done.text
    drain()
    version_url = f"/api/v1/packages/{package['id']}/versions/{form['version']['id']}"
    assert client.get(version_url, headers=headers).json()["status"] == "ready"
    assert client.post(version_url + "/publish", headers=headers).status_code == 200

    launch = client.post(
        f"/api/v1/packages/{package['id']}/launch", headers=login(make_user("learner"))
    )
    assert launch.status_code == 200, launch.text
    presigned = launch.json()["presigned_url"]
    assert urlsplit(presigned).netloc == public
    assert _signature_holds(presigned, public)
    # the same URL with its host rewritten to the service's address would be refused
    assert not _signature_holds(presigned, internal)
    page = httpx.get(presigned)
    assert page.status_code == 200 and page.content == zipkit.HTML


def test_without_a_public_endpoint_urls_use_the_service_endpoint(split_s3, monkeypatch):
    from service.core.storage import storage_from_settings

    internal, _ = split_s3
    monkeypatch.delenv("SKILLS_S3_PUBLIC_ENDPOINT_URL")
    storage = storage_from_settings(Settings(_env_file=None))
    storage.ensure_bucket()
    form = storage.presigned_post("uploads/a.zip", 1024, 600)
    assert urlsplit(form["url"]).netloc == internal
    assert urlsplit(storage.presigned_get("uploads/a.zip", 600)).netloc == internal


def test_production_refuses_presigned_urls_browsers_cannot_use():
    base = {
        "env": "production",
        "storage_backend": "s3",
        "s3_endpoint_url": "http://minio:9000",
        "_env_file": None,
    }
    internal_only = Settings(**base)
    assert any("SKILLS_S3_PUBLIC_ENDPOINT_URL" in p for p in internal_only.insecure_settings())
    public = Settings(**base, s3_public_endpoint_url="https://files.skills.example.cn")
    assert not any("SKILLS_S3_PUBLIC_ENDPOINT_URL" in p for p in public.insecure_settings())
