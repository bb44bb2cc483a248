"""Start-up cost, as an operator meets it: fresh processes of the real commands.

- ``skills serve`` until /healthz answers, on a data folder that already exists (migrated, key
  made), with the embedded worker off so only the API's start-up is timed;
- ``skills --help``; ``skills packages inspect`` of a small SCORM package;

each next to a bare ``python -c pass`` of the same round (the interpreter's own floor). Imports
are cached per process, so only a new process measures them.

    uv run python -m bench --only startup        (or: uv run python bench/bench_startup.py)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Scale, check, main_for  # noqa: E402
from bench.live_server import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="bench" version="1.2" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Bench</title>
    <item identifier="i" identifierref="r"><title>One</title></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>
"""


class StartupBench:
    name = "startup"

    def __init__(self, scale: Scale) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="skills-bench-startup-"))
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("SKILLS_", "PYTEST"))
        } | {"SKILLS_VAR_DIR": str(self.folder / "var"), "SKILLS_EMBEDDED_WORKER": "false"}
        self.package = self.folder / "small.zip"
        with zipfile.ZipFile(self.package, "w") as z:
            z.writestr("imsmanifest.xml", MANIFEST)
            z.writestr("index.html", "<!doctype html><title>one</title>")
        self._serve_once()  # warms the data folder: migrated, issuer key made

    def _cli(self, *args: str) -> float:
        start = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-m", "service.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
        )
        seconds = time.perf_counter() - start
        check(done.returncode == 0, f"skills {' '.join(args)}: {done.stderr.decode()[-2000:]}")
        return seconds

    def _bare(self) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)  # noqa: S603
        return time.perf_counter() - start

    def _serve_once(self) -> float:
        port = free_port()
        env = self.env | {"SKILLS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
        start = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    if r.status_code == 200:
                        return time.perf_counter() - start
                except httpx.TransportError:
                    pass
                check(proc.poll() is None, "skills serve exited during start-up")
                check(time.monotonic() < deadline, "skills serve never answered /healthz")
                time.sleep(0.01)
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    def round(self) -> list[Figure]:
        bare = self._bare()
        serve = self._serve_once()
        help_ = self._cli("--help")
        inspect = self._cli("packages", "inspect", str(self.package))
        base = "python -c pass"
        return [
            Figure(base, "python -c pass (the floor)", bare, "s", "lower"),
            Figure("serve", "skills serve to /healthz", serve, "s", "lower", base, limit=3.0),
            Figure("help", "skills --help", help_, "s", "lower", base, limit=1.5),
            Figure(
                "inspect", "skills packages inspect (small)", inspect, "s", "lower", base, limit=1.5
            ),
        ]

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def open_bench(scale: Scale) -> StartupBench:
    return StartupBench(scale)


if __name__ == "__main__":
    main_for("startup", open_bench)
