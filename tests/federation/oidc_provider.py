"""A real OpenID Connect provider for the sign-in tests: node ``oidc-provider`` (pinned), run as a
separate process on 127.0.0.1 by ``tests/federation/oidc_provider.mjs``.

The npm package is installed once into a cache directory outside the repository (like the
conformance suite's dependencies, tests/conformance/suite.py) and reused. Without node, npm or
the registry the tests are skipped, except in CI (``CI`` set), where that is a failure.

``authorize`` walks the provider's own development login and consent forms over HTTP (what a
person does in the browser tests), for the tests that do not need a browser.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urljoin

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

PACKAGE = "oidc-provider"
VERSION = "9.13.3"
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_SECRET = "test-client-secret-" + "x" * 24  # noqa: S105 - a test provider's client


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"the OpenID Connect test provider cannot run in CI: {reason}")
    pytest.skip(f"the OpenID Connect test provider cannot run here: {reason}")


def _node_major() -> str:
    done = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    return done.stdout.strip().split(".")[0].lstrip("v")


def install_dir(timeout: float = 300) -> Path:
    """node_modules with the pinned oidc-provider, installed once per version and node major."""
    if not (shutil.which("node") and shutil.which("npm")):
        _unavailable("node and npm are needed")
    root = Path(
        os.environ.get("SKILLS_OIDC_PROVIDER_CACHE")
        or Path(tempfile.gettempdir()) / "skills-oidc-provider"
    )
    ready = root / f"{VERSION}-node{_node_major()}"
    if (ready / ".installed").exists():
        return ready
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=root))
    try:
        manifest = {"private": True, "type": "module", "dependencies": {PACKAGE: VERSION}}
        (staging / "package.json").write_text(json.dumps(manifest))
        command = ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"]
        try:
            done = subprocess.run(
                command, cwd=staging, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            _unavailable(f"{' '.join(command)} timed out")
        if done.returncode != 0:
            _unavailable(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
        (staging / ".installed").touch()
        try:
            staging.rename(ready)
        except OSError:  # another run installed it meanwhile
            if not (ready / ".installed").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ready


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rsa_jwk(kid: str) -> dict[str, Any]:
    """A fresh RS256 signing key as a private JWK (the provider publishes its public part)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key))
    jwk.update(kid=kid, use="sig", alg="RS256")
    return jwk


@dataclass
class RunningProvider:
    """One provider process; ``restart`` brings it back on the same address (new keys: a
    key change the relying party has not fetched, or an impostor at the issuer's address)."""

    name: str
    redirect_uris: list[str]
    workdir: Path
    client_id: str = "skills-service"
    client_secret: str = CLIENT_SECRET
    port: int = field(default_factory=free_port)
    jwk: dict[str, Any] = field(default_factory=lambda: rsa_jwk("test-key-1"))
    process: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings_entry(self, **overrides: Any) -> dict[str, Any]:
        """This provider as one item of SKILLS_OIDC_PROVIDERS."""
        return {
            "name": self.name,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "label": f"Test IdP {self.name}",
        } | overrides

    def start(self, script: Path) -> None:
        config = {
            "issuer": self.issuer,
            "port": self.port,
            "clients": [
                {
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "redirect_uris": self.redirect_uris,
                    "grant_types": ["authorization_code"],
                    "response_types": ["code"],
                    "token_endpoint_auth_method": "client_secret_basic",
                }
            ],
            "jwks": {"keys": [self.jwk]},
        }
        config_path = self.workdir / f"{self.name}-{self.port}.json"
        config_path.write_text(json.dumps(config))
        log = (self.workdir / f"{self.name}-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            ["node", str(script), str(config_path)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration").status_code == 200:
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = (self.workdir / f"{self.name}-{self.port}.log").read_text()
                self.stop()
                raise RuntimeError(f"the test OpenID provider did not start:\n{output[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, script: Path, jwk: dict[str, Any]) -> None:
        self.stop()
        self.jwk = jwk
        self.start(script)


class ProviderFactory:
    """Starts providers for one test and stops them at its end."""

    def __init__(self, workdir: Path):
        self.home = install_dir()
        digest = hashlib.sha256(SCRIPT.read_bytes()).hexdigest()[:12]
        # Beside node_modules, so that node resolves the package from the script.
        self.script = self.home / f"provider-{digest}.mjs"
        if not self.script.exists():
            temporary = self.home / f".provider-{os.getpid()}.mjs"
            shutil.copyfile(SCRIPT, temporary)
            temporary.replace(self.script)
        self.workdir = workdir
        self.running: list[RunningProvider] = []

    def __call__(self, name: str, redirect_uris: list[str]) -> RunningProvider:
        provider = RunningProvider(name, redirect_uris, self.workdir)
        provider.start(self.script)
        self.running.append(provider)
        return provider

    def restart(self, provider: RunningProvider, jwk: dict[str, Any]) -> None:
        provider.restart(self.script, jwk)

    def stop_all(self) -> None:
        for provider in self.running:
            provider.stop()


_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.I)
_PROMPT = re.compile(r'name="prompt" value="([a-z]+)"')


def authorize(
    authorization_url: str, login: str, stop_at: str, *, client: httpx.Client | None = None
) -> str:
    """Walk the provider's login and consent forms as a person would; returns the URL the
    provider finally redirects to (starting with ``stop_at``, our callback)."""
    own = client is None
    client = client or httpx.Client(follow_redirects=False, timeout=10)
    try:
        url = authorization_url
        for _ in range(12):
            response = client.get(url)
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                if url.startswith(stop_at):
                    return url
                continue
            assert response.status_code == 200, response.text[:500]
            form, prompt = _FORM.search(response.text), _PROMPT.search(response.text)
            assert form and prompt, response.text[:500]
            answer = client.post(
                urljoin(url, unescape(form.group(1))),
                data={"prompt": prompt.group(1), "login": login, "password": "any"},
            )
            assert answer.is_redirect, answer.text[:500]
            url = urljoin(url, answer.headers["location"])
            if url.startswith(stop_at):
                return url
        raise AssertionError("the provider never redirected back")
    finally:
        if own:
            client.close()
