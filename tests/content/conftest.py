"""Storage fixtures: every storage test runs on the local backend and on S3 served by moto's
``ThreadedMotoServer`` over real HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from content.storage import LocalStorage, ObjectStorage, S3Storage

SIGNING_KEY = b"test-signing-key-0123456789abcdef"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106
        AWS_DEFAULT_REGION="us-east-1",
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def make_s3(endpoint: str) -> S3Storage:
    storage = S3Storage(
        bucket=f"t-{uuid.uuid4().hex[:20]}",
        endpoint_url=endpoint,
        region="us-east-1",
        access_key="testing",
        secret_key="testing",  # noqa: S106
    )
    storage.ensure_bucket()
    return storage


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path) -> ObjectStorage:
    if request.param == "local":
        return LocalStorage(tmp_path / "objects", SIGNING_KEY, "http://testserver")
    return make_s3(request.getfixturevalue("moto_endpoint"))


@pytest.fixture
def local_storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "objects", SIGNING_KEY, "http://testserver/")
