"""Storage fixtures: every storage test runs on the local backend and on S3 served by moto's
``ThreadedMotoServer`` over real HTTP (``moto_endpoint``, from tests.fixtures.storage)."""

from __future__ import annotations

import pytest

from content.storage import LocalStorage, ObjectStorage
from tests.fixtures.storage import SIGNING_KEY, make_s3


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path) -> ObjectStorage:
    if request.param == "local":
        return LocalStorage(tmp_path / "objects", SIGNING_KEY, "http://testserver")
    return make_s3(request.getfixturevalue("moto_endpoint"))


@pytest.fixture
def local_storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "objects", SIGNING_KEY, "http://testserver/")
