"""The production stack as written: what an operator relies on without a Docker engine to try it.

No engine runs here, so these read docker-compose.yml, deploy/Caddyfile and the Dockerfile and
check the properties a broken edit would silently lose.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ONE_SHOT = {"migrate", "minio-setup"}


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_long_running_services_restart_and_have_their_own_health_check():
    services = _compose()["services"]
    for name, service in services.items():
        if name in ONE_SHOT or name == "proxy":
            continue
        assert service.get("restart") == "unless-stopped", name
        assert "healthcheck" in service, f"{name} would inherit the image's HTTP check"
    assert services["proxy"]["restart"] == "unless-stopped"
    beat_check = " ".join(services["beat"]["healthcheck"]["test"])
    assert "http" not in beat_check and "celerybeat-schedule" in beat_check


def test_images_and_uv_are_pinned_to_releases():
    for name, service in _compose()["services"].items():
        image = service.get("image", "")
        if image.startswith("lifelong-skills:"):
            continue  # built here
        tag = image.rpartition(":")[2]
        assert re.search(r"\d+\.\d+|RELEASE\.\d{4}-", tag), f"{name}: {image} is not pinned"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11\.\d+-", dockerfile, re.M)
    assert re.search(r"^ARG UV_VERSION=\d+\.\d+\.\d+$", dockerfile, re.M)
    assert '"uv==${UV_VERSION}"' in dockerfile


def test_the_application_never_gets_minio_root_credentials():
    compose = _compose()
    for name in ("api", "worker", "beat", "migrate"):
        env = compose["services"][name]["environment"]
        assert "MINIO_ROOT" not in str(env["SKILLS_S3_ACCESS_KEY_ID"]), name
        assert "MINIO_ROOT" not in str(env["SKILLS_S3_SECRET_ACCESS_KEY"]), name
        assert env["SKILLS_S3_PUBLIC_ENDPOINT_URL"].startswith("${SKILLS_S3_PUBLIC_ENDPOINT_URL:?")
        depends = compose["services"][name]["depends_on"]
        if name != "migrate":
            assert depends["minio-setup"]["condition"] == "service_completed_successfully"
    setup = (ROOT / "deploy" / "minio-setup.sh").read_text(encoding="utf-8")
    assert "mc admin user add" in setup and "mc admin policy attach" in setup
    assert '"arn:aws:s3:::\'"$BUCKET"\'/*"' in setup  # the policy names the bucket only


def test_the_proxy_serves_all_three_host_names():
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    sites = [line for line in caddyfile.splitlines() if line.endswith("{") and "$" in line]
    assert sites == [
        "{$SKILLS_PUBLIC_BASE_URL}, {$SKILLS_CONTENT_BASE_URL} {",
        "{$SKILLS_S3_PUBLIC_ENDPOINT_URL} {",
    ]
    assert "reverse_proxy api:8000" in caddyfile and "reverse_proxy minio:9000" in caddyfile
    proxy = _compose()["services"]["proxy"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert set(proxy["environment"]) == {
        "SKILLS_PUBLIC_BASE_URL",
        "SKILLS_CONTENT_BASE_URL",
        "SKILLS_S3_PUBLIC_ENDPOINT_URL",
    }
